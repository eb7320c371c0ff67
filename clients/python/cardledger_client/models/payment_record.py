from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field
from dateutil.parser import isoparse

from ..models.payment_record_status import PaymentRecordStatus, check_payment_record_status

T = TypeVar("T", bound="PaymentRecord")


@_attrs_define
class PaymentRecord:
    """
    Attributes:
        id (str):
        invoice_id (str):
        amount (int):
        currency (str):
        payment_method_id (str):
        additional (bool): Paid on purpose although the invoice was already paid or being paid
        status (PaymentRecordStatus): started: the charge's outcome is not recorded yet (retry with the same
            Idempotency-Key to settle it)
        selection (str): Why this card was charged: primary (the customer's primary card), chosen (named in the
            request), autopay, fallback; unrecorded for payments made before this was recorded
        card_version (int | None): The customer version at which the card was last added or updated: the card as charged
            (docs/audit.md)
        processor_payment_id (None | str):
        decline_code (None | str): When failed: generic_decline, insufficient_funds, expired_card,
            authentication_required or processing_error (the processor declined), or online-payments-disabled (switched off
            after the payment was recorded; never sent to the processor)
        started_at (datetime.datetime):
        finished_at (datetime.datetime | None):
    """

    id: str
    invoice_id: str
    amount: int
    currency: str
    payment_method_id: str
    additional: bool
    status: PaymentRecordStatus
    selection: str
    card_version: int | None
    processor_payment_id: None | str
    decline_code: None | str
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        invoice_id = self.invoice_id

        amount = self.amount

        currency = self.currency

        payment_method_id = self.payment_method_id

        additional = self.additional

        status: str = self.status

        selection = self.selection

        card_version: int | None
        card_version = self.card_version

        processor_payment_id: None | str
        processor_payment_id = self.processor_payment_id

        decline_code: None | str
        decline_code = self.decline_code

        started_at = self.started_at.isoformat()

        finished_at: None | str
        if isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "invoice_id": invoice_id,
                "amount": amount,
                "currency": currency,
                "payment_method_id": payment_method_id,
                "additional": additional,
                "status": status,
                "selection": selection,
                "card_version": card_version,
                "processor_payment_id": processor_payment_id,
                "decline_code": decline_code,
                "started_at": started_at,
                "finished_at": finished_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        invoice_id = d.pop("invoice_id")

        amount = d.pop("amount")

        currency = d.pop("currency")

        payment_method_id = d.pop("payment_method_id")

        additional = d.pop("additional")

        status = check_payment_record_status(d.pop("status"))

        selection = d.pop("selection")

        def _parse_card_version(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        card_version = _parse_card_version(d.pop("card_version"))

        def _parse_processor_payment_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        processor_payment_id = _parse_processor_payment_id(d.pop("processor_payment_id"))

        def _parse_decline_code(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        decline_code = _parse_decline_code(d.pop("decline_code"))

        started_at = isoparse(d.pop("started_at"))

        def _parse_finished_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = isoparse(data)

                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        finished_at = _parse_finished_at(d.pop("finished_at"))

        payment_record = cls(
            id=id,
            invoice_id=invoice_id,
            amount=amount,
            currency=currency,
            payment_method_id=payment_method_id,
            additional=additional,
            status=status,
            selection=selection,
            card_version=card_version,
            processor_payment_id=processor_payment_id,
            decline_code=decline_code,
            started_at=started_at,
            finished_at=finished_at,
        )

        payment_record.additional_properties = d
        return payment_record

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
