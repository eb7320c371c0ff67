"""What the handlers, the payment flows and autopay may use of the application
service: ``CardLedger`` (domain/service.py) is the one implementation.

They are the service's own parts, built by it and handed to it; typing them
against this port rather than ``CardLedger`` keeps the imports one way (the
service imports its parts, never the reverse), and lists in one place what a
part may reach for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from eventsourcing.application import EventStore
    from eventsourcing.persistence import Recording

    from domain.autopay import AutopaySettings
    from domain.basis import Basis
    from domain.commands import CustomerCommand, Stamp
    from domain.company import Company
    from domain.customer import Customer
    from domain.outcomes import Outcome
    from domain.personal_data import PersonalData
    from domain.processor import Processor


class Ledger(Protocol):
    processor: Processor
    personal_data: PersonalData
    clock: Callable[[], datetime]
    max_cards: int
    events: EventStore

    def run(self, command: CustomerCommand, stamp: Stamp, *,
            expected_version: int | None = None) -> Outcome: ...

    def save(self, *objs: Any, **kwargs: Any) -> Sequence[Recording]: ...

    def get_customer(self, company_id: str, customer_id: str,
                     version: int | None = None) -> Customer: ...

    def load_customer(self, company_id: str, customer_id: str,
                      version: int | None = None) -> Customer | None: ...

    def company_or_none(self, company_id: str) -> Company | None: ...

    def online_payments_enabled(self, company_id: str) -> bool: ...

    def switch_for(self, company_id: str, basis: Basis) -> bool: ...

    def autopay_settings(self, company_id: str) -> AutopaySettings: ...

    def detach_quietly(self, token: str) -> None: ...
