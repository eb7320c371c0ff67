"""The online-payments switch, given-when-then over Company events."""

from __future__ import annotations

from domain.company import Company
from domain.provenance import Provenance

ADMIN = Provenance("user:admin", "admin")


def test_a_new_company_has_online_payments_off() -> None:
    company = Company.register("acme", ADMIN)
    assert company.online_payments is False


def test_switching_online_payments_on_records_who_did_it() -> None:
    company = Company.register("acme", ADMIN)
    company.collect_events()
    company.switch_online_payments(True, ADMIN)
    [event] = company.collect_events()
    assert isinstance(event, Company.OnlinePaymentsEnabled)
    assert (event.company_id, event.actor, event.source) == ("acme", "user:admin", "admin")


def test_switching_online_payments_off_again() -> None:
    company = Company.register("acme", ADMIN)
    company.switch_online_payments(True, ADMIN)
    company.collect_events()
    company.switch_online_payments(False, ADMIN)
    assert [type(e) for e in company.collect_events()] == [Company.OnlinePaymentsDisabled]
    assert company.online_payments is False


def test_setting_the_switch_to_where_it_is_records_nothing() -> None:
    company = Company.register("acme", ADMIN)
    company.collect_events()
    assert company.switch_online_payments(False, ADMIN) is False
    assert company.collect_events() == []


def test_switching_the_switch_to_the_other_side_reports_a_change() -> None:
    company = Company.register("acme", ADMIN)
    company.collect_events()
    assert company.switch_online_payments(True, ADMIN) is True
    assert company.switch_online_payments(False, ADMIN) is True
    assert [type(e) for e in company.collect_events()] == [
        Company.OnlinePaymentsEnabled, Company.OnlinePaymentsDisabled]
