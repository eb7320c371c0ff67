from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field
from dateutil.parser import isoparse

T = TypeVar("T", bound="Card")


@_attrs_define
class Card:
    """
    Attributes:
        id (str):
        brand (str):
        last4 (str):
        exp_month (int):
        exp_year (int):
        funding (str):
        is_primary (bool):
        added_at (datetime.datetime):
        added_by (str):
        added_from (str):
    """

    id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    funding: str
    is_primary: bool
    added_at: datetime.datetime
    added_by: str
    added_from: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        brand = self.brand

        last4 = self.last4

        exp_month = self.exp_month

        exp_year = self.exp_year

        funding = self.funding

        is_primary = self.is_primary

        added_at = self.added_at.isoformat()

        added_by = self.added_by

        added_from = self.added_from

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "brand": brand,
                "last4": last4,
                "exp_month": exp_month,
                "exp_year": exp_year,
                "funding": funding,
                "is_primary": is_primary,
                "added_at": added_at,
                "added_by": added_by,
                "added_from": added_from,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        brand = d.pop("brand")

        last4 = d.pop("last4")

        exp_month = d.pop("exp_month")

        exp_year = d.pop("exp_year")

        funding = d.pop("funding")

        is_primary = d.pop("is_primary")

        added_at = isoparse(d.pop("added_at"))

        added_by = d.pop("added_by")

        added_from = d.pop("added_from")

        card = cls(
            id=id,
            brand=brand,
            last4=last4,
            exp_month=exp_month,
            exp_year=exp_year,
            funding=funding,
            is_primary=is_primary,
            added_at=added_at,
            added_by=added_by,
            added_from=added_from,
        )

        card.additional_properties = d
        return card

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
