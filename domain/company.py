"""The Company aggregate: company-wide payment settings.

ServiceTitan: Settings > Invoicing > Online Payments. Off means no card can be
added or charged; saved cards stay visible and can still be deleted.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate, event

from domain.chain import Chained, LinkedEvent, unlinked
from domain.ids import company_aggregate_id
from domain.provenance import Provenance


class Company(Chained, Aggregate):
    TOPIC = "cardledger/Company"

    class Event(LinkedEvent, Aggregate.Event):
        TOPIC = "cardledger/Company.Event"
        company_id: str
        actor: str
        source: str
        chain_link: str | None  # domain/chain.py; None on events stored before links

    class Registered(LinkedEvent, Aggregate.Created):
        TOPIC = "cardledger/Company.Registered"
        class_version = 2  # v2: chain_link
        upcast_v1_v2 = staticmethod(unlinked)
        company_id: str
        actor: str
        source: str
        chain_link: str | None

    class OnlinePaymentsEnabled(Event):
        TOPIC = "cardledger/Company.OnlinePaymentsEnabled"
        class_version = 2  # v2: chain_link
        upcast_v1_v2 = staticmethod(unlinked)

        def apply(self, company: Company) -> None:
            company.online_payments = True

    class OnlinePaymentsDisabled(Event):
        TOPIC = "cardledger/Company.OnlinePaymentsDisabled"
        class_version = 2  # v2: chain_link
        upcast_v1_v2 = staticmethod(unlinked)

        def apply(self, company: Company) -> None:
            company.online_payments = False

    @event(Registered)
    def __init__(self, company_id: str, actor: str, source: str) -> None:
        self.company_id = company_id
        self.online_payments = False  # off until an admin switches it on

    @staticmethod
    def create_id(company_id: str, **_: Any) -> Any:
        return company_aggregate_id(company_id)

    @classmethod
    def register(cls, company_id: str, by: Provenance) -> Company:
        return cls(company_id=company_id, actor=by.actor, source=by.source)

    def switch_online_payments(self, enabled: bool, by: Provenance) -> bool:
        """Setting a switch to where it already is changes nothing (PUT semantics)."""
        if enabled == self.online_payments:
            return False
        event_class = self.OnlinePaymentsEnabled if enabled else self.OnlinePaymentsDisabled
        self.trigger_event(event_class, company_id=self.company_id, actor=by.actor, source=by.source)
        return True
