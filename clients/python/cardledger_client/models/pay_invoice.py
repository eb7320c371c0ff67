from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PayInvoice")


@_attrs_define
class PayInvoice:
    """
    Attributes:
        invoice_id (str):
        amount (int): In the currency's minor units (cents for usd)
        currency (str): ISO 4217, lower case
        payment_method_id (None | str | Unset): A saved card's id; the primary card when absent
        additional (bool | Unset): Pay an invoice that already has a succeeded or in-flight payment again (a partial or
            extra payment). Without it such a payment is 409 invoice-already-paid; a failed earlier payment never blocks a
            new one Default: False.
    """

    invoice_id: str
    amount: int
    currency: str
    payment_method_id: None | str | Unset = UNSET
    additional: bool | Unset = False

    def to_dict(self) -> dict[str, Any]:
        invoice_id = self.invoice_id

        amount = self.amount

        currency = self.currency

        payment_method_id: None | str | Unset
        if isinstance(self.payment_method_id, Unset):
            payment_method_id = UNSET
        else:
            payment_method_id = self.payment_method_id

        additional = self.additional

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "invoice_id": invoice_id,
                "amount": amount,
                "currency": currency,
            }
        )
        if payment_method_id is not UNSET:
            field_dict["payment_method_id"] = payment_method_id
        if additional is not UNSET:
            field_dict["additional"] = additional

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        invoice_id = d.pop("invoice_id")

        amount = d.pop("amount")

        currency = d.pop("currency")

        def _parse_payment_method_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        payment_method_id = _parse_payment_method_id(d.pop("payment_method_id", UNSET))

        additional = d.pop("additional", UNSET)

        pay_invoice = cls(
            invoice_id=invoice_id,
            amount=amount,
            currency=currency,
            payment_method_id=payment_method_id,
            additional=additional,
        )

        return pay_invoice
