"""The evidence pack as a printable page (a dispute reply's attachment).
Every value is escaped: event fields are data, never markup."""

from __future__ import annotations

import json
from html import escape
from typing import Any

_STYLE = ("body{font:13px/1.4 sans-serif;margin:2em}table{border-collapse:collapse;"
          "margin:.5em 0 1.5em}td,th{border:1px solid #999;padding:2px 6px;text-align:left;"
          "vertical-align:top}code{font-size:11px;word-break:break-all}"
          "@media print{h2{page-break-after:avoid}}")


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return f"<code>{escape(json.dumps(value, sort_keys=True))}</code>"
    return escape("" if value is None else str(value))


def _pairs(title: str, values: dict[str, Any] | None) -> str:
    if not values:
        return f"<h2>{escape(title)}</h2><p>none</p>"
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{_cell(v)}</td></tr>" for k, v in values.items())
    return f"<h2>{escape(title)}</h2><table>{rows}</table>"


def _rows(title: str, rows: list[dict[str, Any]]) -> str:
    if not rows:
        return f"<h2>{escape(title)}</h2><p>none</p>"
    columns = list(rows[0])
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in columns) + "</tr>"
                   for r in rows)
    return f"<h2>{escape(title)}</h2><table><tr>{head}</tr>{body}</table>"


def render(pack: dict[str, Any]) -> str:
    payment, chain = pack["payment"], pack["chain"]
    summary = {k: v for k, v in payment.items() if k != "attempts"}
    chain_summary = {k: chain[k] for k in ("stream", "start", "intact", "problems")}
    kind = "Autopay charge" if pack["kind"] == "autopay" else "Payment"
    title = (f"{kind} evidence: {payment['payment_id']}, customer {pack['customer_id']} "
             f"of {pack['company_id']}")
    return "".join([
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        _pairs("Payment", summary),
        _rows("Attempts and outcomes", payment["attempts"]),
        _pairs("Card as charged", pack["card"]),
        _rows("Every card tried, as it was when chosen", pack["cards"]),
        _pairs("Why this card", pack["selection"]),
        _pairs("Consent", pack["consent"]),
        _rows("History up to the payment", pack["history"]),
        _pairs("Chain", chain_summary),
        _rows("Links", chain["links"]),
        _pairs("Signed checkpoint", chain["checkpoint"]),
        "</body></html>",
    ])
