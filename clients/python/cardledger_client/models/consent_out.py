from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field
from dateutil.parser import isoparse

T = TypeVar("T", bound="ConsentOut")


@_attrs_define
class ConsentOut:
    """
    Attributes:
        id (str):
        text_version (str):
        channel (str):
        accepted_at (datetime.datetime):
        accepted_by (str):
        accepted_from (str):
    """

    id: str
    text_version: str
    channel: str
    accepted_at: datetime.datetime
    accepted_by: str
    accepted_from: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        text_version = self.text_version

        channel = self.channel

        accepted_at = self.accepted_at.isoformat()

        accepted_by = self.accepted_by

        accepted_from = self.accepted_from

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "text_version": text_version,
                "channel": channel,
                "accepted_at": accepted_at,
                "accepted_by": accepted_by,
                "accepted_from": accepted_from,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        text_version = d.pop("text_version")

        channel = d.pop("channel")

        accepted_at = isoparse(d.pop("accepted_at"))

        accepted_by = d.pop("accepted_by")

        accepted_from = d.pop("accepted_from")

        consent_out = cls(
            id=id,
            text_version=text_version,
            channel=channel,
            accepted_at=accepted_at,
            accepted_by=accepted_by,
            accepted_from=accepted_from,
        )

        consent_out.additional_properties = d
        return consent_out

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
