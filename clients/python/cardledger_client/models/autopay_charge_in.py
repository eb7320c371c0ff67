from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="AutopayChargeIn")


@_attrs_define
class AutopayChargeIn:
    """
    Attributes:
        invoice_id (str):
        amount (int): In the currency's minor units
        currency (str): ISO 4217, lower case
    """

    invoice_id: str
    amount: int
    currency: str

    def to_dict(self) -> dict[str, Any]:
        invoice_id = self.invoice_id

        amount = self.amount

        currency = self.currency

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "invoice_id": invoice_id,
                "amount": amount,
                "currency": currency,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        invoice_id = d.pop("invoice_id")

        amount = d.pop("amount")

        currency = d.pop("currency")

        autopay_charge_in = cls(
            invoice_id=invoice_id,
            amount=amount,
            currency=currency,
        )

        return autopay_charge_in
