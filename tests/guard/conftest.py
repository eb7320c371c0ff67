"""The live servers of tests/api, on both stores, for the end-to-end cases."""

from tests.api.conftest import live  # noqa: F401
