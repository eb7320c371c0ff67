from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="AutopaySettingsBody")


@_attrs_define
class AutopaySettingsBody:
    """
    Attributes:
        fallback_to_other_cards (bool): A declined charge tries the customer's other unexpired cards (primary first,
            then newest) within the same charge
        retry_schedule_days (list[int]): Days after the first attempt on which a charge whose cards declined softly
            (insufficient_funds, processing_error) is tried again; increasing, 1-60
    """

    fallback_to_other_cards: bool
    retry_schedule_days: list[int]

    def to_dict(self) -> dict[str, Any]:
        fallback_to_other_cards = self.fallback_to_other_cards

        retry_schedule_days = self.retry_schedule_days

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "fallback_to_other_cards": fallback_to_other_cards,
                "retry_schedule_days": retry_schedule_days,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        fallback_to_other_cards = d.pop("fallback_to_other_cards")

        retry_schedule_days = cast(list[int], d.pop("retry_schedule_days"))

        autopay_settings_body = cls(
            fallback_to_other_cards=fallback_to_other_cards,
            retry_schedule_days=retry_schedule_days,
        )

        return autopay_settings_body
