"""The Runtime (ledger, views, projector) the app serves, as a dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from cardledger.wiring import Runtime


async def get_runtime(request: Request) -> Runtime:
    # async: no I/O, so no thread-pool hop (api/auth.py)
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
