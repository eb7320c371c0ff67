from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="CustomerRecord")


@_attrs_define
class CustomerRecord:
    """
    Attributes:
        company_id (str):
        customer_id (str):
        version (int):
        created (bool): False when the customer already existed
    """

    company_id: str
    customer_id: str
    version: int
    created: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        company_id = self.company_id

        customer_id = self.customer_id

        version = self.version

        created = self.created

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "company_id": company_id,
                "customer_id": customer_id,
                "version": version,
                "created": created,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        company_id = d.pop("company_id")

        customer_id = d.pop("customer_id")

        version = d.pop("version")

        created = d.pop("created")

        customer_record = cls(
            company_id=company_id,
            customer_id=customer_id,
            version=version,
            created=created,
        )

        customer_record.additional_properties = d
        return customer_record

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
