"""The reference pages under /ui/ (docs/ui.md): templates and small scripts
that use only the public HTTP API, as a worked example of integrating it."""

from ui.pages import router

__all__ = ["router"]
