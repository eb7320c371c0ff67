from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field
from dateutil.parser import isoparse

from ..models.autopay_charge_out_status import AutopayChargeOutStatus, check_autopay_charge_out_status
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.attempt_out import AttemptOut


T = TypeVar("T", bound="AutopayChargeOut")


@_attrs_define
class AutopayChargeOut:
    """
    Attributes:
        id (str):
        invoice_id (str):
        amount (int):
        currency (str):
        status (AutopayChargeOutStatus):
        payment_method_id (None | str): The card that paid, else the last card tried
        attempts (list[AttemptOut]):
        consent_id (str):
        next_retry_at (datetime.datetime | None):
        failure_code (None | str): Why a charge failed without a decline: no-usable-card, autopay-not-enabled, online-
            payments-disabled
        initiated_by (Literal['merchant'] | Unset):  Default: 'merchant'.
    """

    id: str
    invoice_id: str
    amount: int
    currency: str
    status: AutopayChargeOutStatus
    payment_method_id: None | str
    attempts: list[AttemptOut]
    consent_id: str
    next_retry_at: datetime.datetime | None
    failure_code: None | str
    initiated_by: Literal["merchant"] | Unset = "merchant"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        invoice_id = self.invoice_id

        amount = self.amount

        currency = self.currency

        status: str = self.status

        payment_method_id: None | str
        payment_method_id = self.payment_method_id

        attempts = []
        for attempts_item_data in self.attempts:
            attempts_item = attempts_item_data.to_dict()
            attempts.append(attempts_item)

        consent_id = self.consent_id

        next_retry_at: None | str
        if isinstance(self.next_retry_at, datetime.datetime):
            next_retry_at = self.next_retry_at.isoformat()
        else:
            next_retry_at = self.next_retry_at

        failure_code: None | str
        failure_code = self.failure_code

        initiated_by = self.initiated_by

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "invoice_id": invoice_id,
                "amount": amount,
                "currency": currency,
                "status": status,
                "payment_method_id": payment_method_id,
                "attempts": attempts,
                "consent_id": consent_id,
                "next_retry_at": next_retry_at,
                "failure_code": failure_code,
            }
        )
        if initiated_by is not UNSET:
            field_dict["initiated_by"] = initiated_by

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.attempt_out import AttemptOut

        d = dict(src_dict)
        id = d.pop("id")

        invoice_id = d.pop("invoice_id")

        amount = d.pop("amount")

        currency = d.pop("currency")

        status = check_autopay_charge_out_status(d.pop("status"))

        def _parse_payment_method_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        payment_method_id = _parse_payment_method_id(d.pop("payment_method_id"))

        attempts = []
        _attempts = d.pop("attempts")
        for attempts_item_data in _attempts:
            attempts_item = AttemptOut.from_dict(attempts_item_data)

            attempts.append(attempts_item)

        consent_id = d.pop("consent_id")

        def _parse_next_retry_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_retry_at_type_0 = isoparse(data)

                return next_retry_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        next_retry_at = _parse_next_retry_at(d.pop("next_retry_at"))

        def _parse_failure_code(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        failure_code = _parse_failure_code(d.pop("failure_code"))

        initiated_by = cast(Literal["merchant"] | Unset, d.pop("initiated_by", UNSET))
        if initiated_by != "merchant" and not isinstance(initiated_by, Unset):
            raise ValueError(f"initiated_by must match const 'merchant', got '{initiated_by}'")

        autopay_charge_out = cls(
            id=id,
            invoice_id=invoice_id,
            amount=amount,
            currency=currency,
            status=status,
            payment_method_id=payment_method_id,
            attempts=attempts,
            consent_id=consent_id,
            next_retry_at=next_retry_at,
            failure_code=failure_code,
            initiated_by=initiated_by,
        )

        autopay_charge_out.additional_properties = d
        return autopay_charge_out

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
