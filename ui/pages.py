"""Serves the reference pages and their static files, with a strict CSP.

Thin on purpose: a page is a template filled with a few escaped settings;
everything it shows comes from the public API, called by the page's script
with the API key the user signed in with. Off (404) unless the setting
``ui_enabled`` says on (cardledger/settings.py).
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from starlette.exceptions import HTTPException

from cardledger.settings import Settings

HERE = Path(__file__).parent
PAGES = {"": ("cardledger", "index"), "portal": ("Payment Methods", "portal"),
         "office": ("Customer record", "office"), "audit": ("Replay and audit", "audit")}
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
STRIPE_FRAMES = "https://hooks.stripe.com"  # Stripe.js's 3-D Secure frames

router = APIRouter(prefix="/ui", include_in_schema=False)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.runtime.settings
    if not settings.ui_enabled:
        raise HTTPException(404, "The pages under /ui/ are off; set CARDLEDGER_UI=true")
    return settings


@router.get("/")
@router.get("/{page}")
def page(request: Request, page: str = "") -> Response:
    settings = _settings(request)
    if page not in PAGES:
        raise HTTPException(404)
    title, name = PAGES[page]
    stripe = settings.processor == "stripe"
    document = _template("layout").substitute(
        title=html.escape(title), body=_body(name), script=name,
        stripe_script=(f'<script src="{html.escape(settings.stripe_js_url)}"></script>'
                       if stripe and name == "portal" else ""))
    return Response(document, media_type="text/html; charset=utf-8",
                    headers=security_headers(settings))


@router.get("/static/{name}")
def static(request: Request, name: str) -> Response:
    settings = _settings(request)
    files = _static_files()
    if name not in files:
        raise HTTPException(404)
    content, media_type = files[name]
    return Response(content, media_type=media_type, headers=security_headers(settings))


def security_headers(settings: Settings) -> dict[str, str]:
    """No inline script or style anywhere; Stripe.js's origins only with Stripe."""
    scripts, connect, frames = ["'self'"], ["'self'"], ["'none'"]
    if settings.processor == "stripe":
        js = _origin(settings.stripe_js_url)
        scripts.append(js)
        connect.append(_origin(settings.stripe_api_base))
        frames = [js, STRIPE_FRAMES]
    policy = "; ".join([
        "default-src 'none'", f"script-src {' '.join(scripts)}", "style-src 'self'",
        "img-src 'self' data:", f"connect-src {' '.join(connect)}",
        f"frame-src {' '.join(frames)}", "form-action 'none'", "base-uri 'none'",
        "frame-ancestors 'none'"])
    return {"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@cache
def _template(name: str) -> Template:
    return Template((HERE / "templates" / f"{name}.html").read_text())


@cache
def _body(name: str) -> str:
    return (HERE / "templates" / f"{name}.html").read_text()


@cache
def _static_files() -> dict[str, tuple[bytes, str]]:
    return {path.name: (path.read_bytes(), MEDIA_TYPES[path.suffix])
            for path in (HERE / "static").iterdir() if path.suffix in MEDIA_TYPES}
