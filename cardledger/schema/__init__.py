"""The database schema: numbered migrations, a recorded version, one lock.

`cardledger migrate` applies what is missing (cardledger/schema/runner.py);
every other process only checks the version at start (PostgreSQL) or migrates
implicitly (the embedded SQLite default). See docs/operations.md.
"""

from cardledger.schema.runner import (
    LATEST,
    SchemaBehind,
    check_schema,
    migrate,
    schema_version,
)

__all__ = ["LATEST", "SchemaBehind", "check_schema", "migrate", "schema_version"]
