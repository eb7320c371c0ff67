from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.consent_in_channel import ConsentInChannel, check_consent_in_channel

T = TypeVar("T", bound="ConsentIn")


@_attrs_define
class ConsentIn:
    """
    Attributes:
        text_version (str): Which wording of the autopay terms was accepted
        channel (ConsentInChannel):
    """

    text_version: str
    channel: ConsentInChannel

    def to_dict(self) -> dict[str, Any]:
        text_version = self.text_version

        channel: str = self.channel

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "text_version": text_version,
                "channel": channel,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        text_version = d.pop("text_version")

        channel = check_consent_in_channel(d.pop("channel"))

        consent_in = cls(
            text_version=text_version,
            channel=channel,
        )

        return consent_in
