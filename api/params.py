"""Path parameters shared by the routes: the caller's own ids."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from domain.ids import EXTERNAL_ID

_ID = {"pattern": EXTERNAL_ID.pattern, "min_length": 1, "max_length": 64}

CompanyPath = Annotated[str, Path(description="The company's own id", examples=["acme-plumbing"],
                                  **_ID)]
CustomerPath = Annotated[str, Path(description="The customer's id in the company's systems",
                                   examples=["1001"], **_ID)]
CardPath = Annotated[str, Path(alias="id", description="A saved card's id (`card_...`)", **_ID)]
