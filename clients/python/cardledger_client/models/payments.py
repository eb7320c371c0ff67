from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.payment_record import PaymentRecord


T = TypeVar("T", bound="Payments")


@_attrs_define
class Payments:
    """
    Attributes:
        payments (list[PaymentRecord]): Newest first
        has_more (bool | Unset): More payments follow this page Default: False.
        next_starting_after (None | str | Unset): The last payment's id: send as `starting_after` for the next page;
            null on the last page
    """

    payments: list[PaymentRecord]
    has_more: bool | Unset = False
    next_starting_after: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        payments = []
        for payments_item_data in self.payments:
            payments_item = payments_item_data.to_dict()
            payments.append(payments_item)

        has_more = self.has_more

        next_starting_after: None | str | Unset
        if isinstance(self.next_starting_after, Unset):
            next_starting_after = UNSET
        else:
            next_starting_after = self.next_starting_after

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "payments": payments,
            }
        )
        if has_more is not UNSET:
            field_dict["has_more"] = has_more
        if next_starting_after is not UNSET:
            field_dict["next_starting_after"] = next_starting_after

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.payment_record import PaymentRecord

        d = dict(src_dict)
        payments = []
        _payments = d.pop("payments")
        for payments_item_data in _payments:
            payments_item = PaymentRecord.from_dict(payments_item_data)

            payments.append(payments_item)

        has_more = d.pop("has_more", UNSET)

        def _parse_next_starting_after(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        next_starting_after = _parse_next_starting_after(d.pop("next_starting_after", UNSET))

        payments = cls(
            payments=payments,
            has_more=has_more,
            next_starting_after=next_starting_after,
        )

        payments.additional_properties = d
        return payments

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
