"""The API as the portal backend, office app and auditors call it, over real HTTP."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

ROLES = ("portal", "office", "auditor", "admin")
# Whom each kind of key acts as by default (portal keys: the path's customer).
ACTORS = {"office": "user:jdoe", "admin": "user:admin", "auditor": "user:audrey"}

Keys = dict[str, tuple[str, str]]  # key name -> (key, "company:role")


def new_keys(company: str, other_company: str) -> Keys:
    """Every role for the test's company, for another company, and for all
    companies ("*"); random, never written anywhere."""
    grants = {role: f"{company}:{role}" for role in ROLES}
    grants |= {f"other_{role}": f"{other_company}:{role}" for role in ROLES}
    grants |= {f"any_{role}": f"*:{role}" for role in ROLES}
    return {name: (secrets.token_urlsafe(24), grant) for name, grant in grants.items()}


def keys_setting(keys: Keys) -> str:
    return ",".join(f"{key}={grant}" for key, grant in keys.values())


class Api:
    """One method per contract row. ``as_`` names the key; the actor defaults
    to whom that key may act as."""

    def __init__(self, base_url: str, keys: Keys, company: str, other_company: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.keys = keys
        self.company = company
        self.other_company = other_company

    def close(self) -> None:
        self.http.close()

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[name][0]}"}

    def company_path(self, company: str | None = None) -> str:
        return f"/v1/companies/{company or self.company}"

    def cards_path(self, customer: str, company: str | None = None) -> str:
        return f"{self.company_path(company)}/customers/{customer}/payment-methods"

    def request(self, method: str, path: str, *, as_: str | None = None,
                actor: str | None = None, headers: dict[str, str] | None = None,
                **kwargs: Any) -> httpx.Response:
        sent = self.auth(as_) if as_ else {}
        if actor:
            sent["X-Actor"] = actor
        sent.update(headers or {})
        return self.http.request(method, path, headers=sent, **kwargs)

    def _command(self, method: str, path: str, *, customer: str | None, as_: str,
                 actor: str | None, idempotency_key: str | None = None,
                 if_match: int | str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"' if isinstance(if_match, int) else if_match
        role = as_.rpartition("_")[2]
        default_actor = f"customer:{customer}" if role == "portal" else ACTORS[role]
        return self.request(method, path, as_=as_, actor=actor or default_actor,
                            headers=headers, **kwargs)

    # --- company settings -------------------------------------------------------------

    def online_payments(self, *, company: str | None = None,
                        as_: str = "office") -> httpx.Response:
        return self.request("GET", f"{self.company_path(company)}/settings/online-payments",
                            as_=as_)

    def switch_online_payments(self, enabled: bool, *, company: str | None = None,
                               as_: str = "admin", actor: str | None = None) -> httpx.Response:
        return self._command("PUT", f"{self.company_path(company)}/settings/online-payments",
                             customer=None, as_=as_, actor=actor, json={"enabled": enabled})

    # --- customers and cards ------------------------------------------------------------

    def register(self, customer: str, *, company: str | None = None, as_: str = "office",
                 actor: str | None = None) -> httpx.Response:
        return self._command("PUT", f"{self.company_path(company)}/customers/{customer}",
                             customer=customer, as_=as_, actor=actor)

    def add_card(self, customer: str, token: str, *, make_primary: bool | None = None,
                 company: str | None = None, as_: str = "portal", actor: str | None = None,
                 idempotency_key: str | None = None, if_match: int | str | None = None,
                 ) -> httpx.Response:
        body: dict[str, Any] = {"token": token}
        if make_primary is not None:
            body["make_primary"] = make_primary
        return self._command("POST", self.cards_path(customer, company), customer=customer,
                             as_=as_, actor=actor, idempotency_key=idempotency_key,
                             if_match=if_match, json=body)

    def set_primary(self, customer: str, card_id: str, *, company: str | None = None,
                    as_: str = "portal", actor: str | None = None,
                    idempotency_key: str | None = None,
                    if_match: int | str | None = None) -> httpx.Response:
        return self._command("POST", f"{self.cards_path(customer, company)}/{card_id}/primary",
                             customer=customer, as_=as_, actor=actor,
                             idempotency_key=idempotency_key, if_match=if_match)

    def delete_card(self, customer: str, card_id: str, *, company: str | None = None,
                    as_: str = "portal", actor: str | None = None,
                    idempotency_key: str | None = None,
                    if_match: int | str | None = None) -> httpx.Response:
        return self._command("DELETE", f"{self.cards_path(customer, company)}/{card_id}",
                             customer=customer, as_=as_, actor=actor,
                             idempotency_key=idempotency_key, if_match=if_match)

    def cards(self, customer: str, *, company: str | None = None, as_: str = "portal",
              as_of: str | None = None) -> httpx.Response:
        params = {"as_of": as_of} if as_of else None
        return self.request("GET", self.cards_path(customer, company), as_=as_, params=params)

    def history(self, customer: str, *, company: str | None = None, as_: str = "office",
                **params: Any) -> httpx.Response:
        return self.request("GET", f"{self.cards_path(customer, company)}/history", as_=as_,
                            params=params or None)

    def events(self, customer: str, *, company: str | None = None,
               as_: str = "auditor") -> httpx.Response:
        return self.request("GET", f"{self.company_path(company)}/customers/{customer}/events",
                            as_=as_)

    # --- shortcuts for a test's "given" -------------------------------------------------

    def given_card(self, customer: str, token: str = "pm_card_visa", **kwargs: Any) -> str:
        response = self.add_card(customer, token, **kwargs)
        assert response.status_code == 201, response.text
        card_id: str = response.json()["id"]
        return card_id

    def given_online_payments(self, enabled: bool = True, company: str | None = None) -> None:
        response = self.switch_online_payments(enabled, company=company, as_="any_admin")
        assert response.status_code == 200, response.text
