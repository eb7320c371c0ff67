from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field
from dateutil.parser import isoparse

if TYPE_CHECKING:
    from ..models.stored_event_data import StoredEventData


T = TypeVar("T", bound="StoredEvent")


@_attrs_define
class StoredEvent:
    """
    Attributes:
        version (int):
        type_ (str):
        topic (str):
        timestamp (datetime.datetime):
        data (StoredEventData):
    """

    version: int
    type_: str
    topic: str
    timestamp: datetime.datetime
    data: StoredEventData
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        version = self.version

        type_ = self.type_

        topic = self.topic

        timestamp = self.timestamp.isoformat()

        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "version": version,
                "type": type_,
                "topic": topic,
                "timestamp": timestamp,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.stored_event_data import StoredEventData

        d = dict(src_dict)
        version = d.pop("version")

        type_ = d.pop("type")

        topic = d.pop("topic")

        timestamp = isoparse(d.pop("timestamp"))

        data = StoredEventData.from_dict(d.pop("data"))

        stored_event = cls(
            version=version,
            type_=type_,
            topic=topic,
            timestamp=timestamp,
            data=data,
        )

        stored_event.additional_properties = d
        return stored_event

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
