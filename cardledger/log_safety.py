"""The last net under every log line: card data never reaches a log handler.

The guard refuses card data at the door, and the access log never writes a
path, query or body; but a library's message or an exception's text can still
quote what it was handed. This filter sits on every handler cardledger
configures (the API server's and the CLI's), formats each record once, and
rewrites any record whose text, arguments or traceback hold card data
(cardledger/card_data.py) to the redacted text.
"""

from __future__ import annotations

import logging

from cardledger.card_data import looks_like_card_number, redact


class CardDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if looks_like_card_number(message):
            record.msg, record.args = redact(message), None
        if record.exc_info or record.exc_text or record.stack_info:
            details = "\n".join(part for part in (
                record.exc_text or (logging.Formatter().formatException(record.exc_info)
                                    if record.exc_info else ""),
                record.stack_info or "") if part)
            if looks_like_card_number(details):
                # The traceback itself goes: its frames could be kept, but the
                # exception's message is one line among them and it is the risk.
                record.msg = f"{record.msg} [traceback withheld: it quoted card data]"
                record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def install(*handlers: logging.Handler) -> None:
    """Adds the filter to these handlers, or to every handler of the root logger."""
    for handler in handlers or tuple(logging.getLogger().handlers):
        if not any(isinstance(f, CardDataFilter) for f in handler.filters):
            handler.addFilter(CardDataFilter())
