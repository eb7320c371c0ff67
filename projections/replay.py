"""Replay for auditors: a customer's state as of any instant or version,
folded from the stored events alone (no snapshots, no views)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.application import Application

from domain.customer import Customer
from domain.errors import CustomerNotFound
from domain.ids import check_external_id, customer_aggregate_id


def replay_customer(app: Application[Any], company_id: str, customer_id: str, *,
                    as_of: datetime | None = None, version: int | None = None) -> Customer:
    """Raises CustomerNotFound when the customer had no events by then."""
    check_external_id(company_id, "company id")
    check_external_id(customer_id, "customer id")
    customer: Customer | None = None
    for event in app.events.get(customer_aggregate_id(company_id, customer_id), lte=version):
        if as_of is not None and event.timestamp > as_of:
            break
        customer = event.mutate(customer)
    if customer is None:
        when = f" as of {as_of.isoformat()}" if as_of else ""
        raise CustomerNotFound(f"No customer {customer_id} in company {company_id}{when}")
    return customer
