"""Times every processor call and counts the ones that raise (cardledger_processor_*
in cardledger/metrics.py).

The processor's own methods are wrapped on the instance rather than behind a
proxy object, so the processor stays what it is (isinstance checks, attributes
tests read or set) and only gains the measurements."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from cardledger.metrics import PROCESSOR_CALLS, PROCESSOR_ERRORS

OPERATIONS = ("retrieve", "create_customer", "customer_owner", "attach", "detach", "charge",
              "find_charge")
P = TypeVar("P")


def metered(processor: P, name: str) -> P:
    for operation in OPERATIONS:
        call = getattr(processor, operation, None)
        if call is not None:
            setattr(processor, operation, _timed(name, operation, call))
    return processor


def _timed(name: str, operation: str, call: Callable[..., Any]) -> Callable[..., Any]:
    latency = PROCESSOR_CALLS.labels(name, operation)

    @wraps(call)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        except Exception as e:
            PROCESSOR_ERRORS.labels(name, operation, type(e).__name__).inc()
            raise
        finally:
            latency.observe(time.perf_counter() - started)

    return timed
