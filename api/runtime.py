"""The Runtime (ledger, views, projector) the app serves, as a dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from cardledger.wiring import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
