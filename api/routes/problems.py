"""What each problem ``type`` means: one page per code, from the registry
(api/problem_catalog.py), so the URI in an error leads to an explanation."""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from api.openapi import raises
from api.problem_catalog import REGISTRY, ProblemType
from api.problems import Problem, problem_type
from api.routing import InspectedRoute

router = APIRouter(prefix="/problems", tags=["problems"], route_class=InspectedRoute)

CodePath = Annotated[str, Path(pattern=r"^[a-z][a-z-]{1,63}$", examples=["card-data-refused"],
                               description="The problem's `code`, the last segment of its `type`")]


@router.get("", response_class=HTMLResponse, operation_id="listProblems",
            openapi_extra=raises(store=False))
def list_problems() -> HTMLResponse:
    """Every problem type the API answers, with its status."""
    rows = "".join(f'<tr><td><a href="problems/{p.code}">{p.code}</a></td><td>{p.status}</td>'
                   f"<td>{escape(p.title)}</td></tr>" for p in _sorted())
    return _page("cardledger problem types",
                 f"<table><tr><th>code</th><th>status</th><th>title</th></tr>{rows}</table>")


@router.get("/{code}", response_class=HTMLResponse, operation_id="getProblem",
            openapi_extra=raises("not-found", store=False))
def get_problem(code: CodePath) -> HTMLResponse:
    """What the problem means and what to do about it."""
    problem = REGISTRY.get(code)
    if problem is None:
        raise Problem(404, "not-found", "No such problem type",
                      "GET /problems lists every problem type")
    return _page(f"{problem.code} — cardledger", _describe(problem))


def _sorted() -> list[ProblemType]:
    return sorted(REGISTRY.values(), key=lambda p: (p.status, p.code))


def _describe(problem: ProblemType) -> str:
    retry = ("<p>The answer carries <code>Retry-After</code> (seconds).</p>"
             if problem.retry_after else "")
    return (f"<h1>{problem.code}</h1><p><b>{problem.status}</b> — {escape(problem.title)}</p>"
            f"<p><code>type</code>: {escape(problem_type(problem.code))}</p>"
            f"<h2>What it means</h2><p>{escape(problem.means)}</p>"
            f"<h2>What to do</h2><p>{escape(problem.do)}</p>{retry}")


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><html lang=en><meta charset=utf-8>"
                        f"<title>{escape(title)}</title><body>{body}</body></html>")
