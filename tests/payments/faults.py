"""Processors that fail where a crash would hurt most, around a real one."""

from __future__ import annotations

import time
from typing import Any

from domain.errors import ProcessorUnavailable
from domain.processor import ChargeResult, Processor


class SimulatedCrash(Exception):
    """The process died here."""


class CountingCharges:
    """A processor, counting the charges asked of it (the sandbox honours
    idempotency keys like Stripe, so its own record would hide a second ask)."""

    def __init__(self, inner: Processor) -> None:
        self.inner = inner
        self.asked = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def charge(self, *args: Any, **kwargs: Any) -> ChargeResult:
        self.asked += 1
        return self.inner.charge(*args, **kwargs)


class CrashAfterCharge(CountingCharges):
    """The processor charges for real, then the process dies before the outcome is appended."""

    def charge(self, *args: Any, **kwargs: Any) -> ChargeResult:
        self.inner.charge(*args, **kwargs)
        raise SimulatedCrash


class CrashBeforeCharge(CountingCharges):
    """The process dies after PaymentStarted was appended, before the processor was called."""

    def charge(self, *args: Any, **kwargs: Any) -> ChargeResult:
        raise SimulatedCrash


class TimesOutAtCharge(CountingCharges):
    """The charge request times out before it reaches the processor."""

    def charge(self, *args: Any, **kwargs: Any) -> ChargeResult:
        raise ProcessorUnavailable("Stripe did not answer: APIConnectionError")


class SlowCharges(CountingCharges):
    """Charges take as long as a real processor's (a third of a second)."""

    def charge(self, *args: Any, **kwargs: Any) -> ChargeResult:
        self.asked += 1
        time.sleep(0.3)
        return self.inner.charge(*args, **kwargs)
