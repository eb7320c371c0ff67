from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field
from dateutil.parser import isoparse

if TYPE_CHECKING:
    from ..models.expiring_card_out import ExpiringCardOut


T = TypeVar("T", bound="ExpiringCards")


@_attrs_define
class ExpiringCards:
    """
    Attributes:
        cards (list[ExpiringCardOut]): By expiry, soonest first
        has_more (bool):
        next_after (None | str): Pass as `after` for the next page
        as_of (datetime.date): The day the window starts
        within_days (int):
    """

    cards: list[ExpiringCardOut]
    has_more: bool
    next_after: None | str
    as_of: datetime.date
    within_days: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cards = []
        for cards_item_data in self.cards:
            cards_item = cards_item_data.to_dict()
            cards.append(cards_item)

        has_more = self.has_more

        next_after: None | str
        next_after = self.next_after

        as_of = self.as_of.isoformat()

        within_days = self.within_days

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cards": cards,
                "has_more": has_more,
                "next_after": next_after,
                "as_of": as_of,
                "within_days": within_days,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.expiring_card_out import ExpiringCardOut

        d = dict(src_dict)
        cards = []
        _cards = d.pop("cards")
        for cards_item_data in _cards:
            cards_item = ExpiringCardOut.from_dict(cards_item_data)

            cards.append(cards_item)

        has_more = d.pop("has_more")

        def _parse_next_after(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        next_after = _parse_next_after(d.pop("next_after"))

        as_of = isoparse(d.pop("as_of")).date()

        within_days = d.pop("within_days")

        expiring_cards = cls(
            cards=cards,
            has_more=has_more,
            next_after=next_after,
            as_of=as_of,
            within_days=within_days,
        )

        expiring_cards.additional_properties = d
        return expiring_cards

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
