from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.history_item import HistoryItem


T = TypeVar("T", bound="History")


@_attrs_define
class History:
    """
    Attributes:
        history (list[HistoryItem]): Newest first
        next_before (int | None): The same cursor under its first name: pass as `before`
        has_more (bool | Unset): More items follow this page Default: False.
        next_starting_after (int | None | Unset): Send as `starting_after` for the next page; null on the last page
    """

    history: list[HistoryItem]
    next_before: int | None
    has_more: bool | Unset = False
    next_starting_after: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        history = []
        for history_item_data in self.history:
            history_item = history_item_data.to_dict()
            history.append(history_item)

        next_before: int | None
        next_before = self.next_before

        has_more = self.has_more

        next_starting_after: int | None | Unset
        if isinstance(self.next_starting_after, Unset):
            next_starting_after = UNSET
        else:
            next_starting_after = self.next_starting_after

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "history": history,
                "next_before": next_before,
            }
        )
        if has_more is not UNSET:
            field_dict["has_more"] = has_more
        if next_starting_after is not UNSET:
            field_dict["next_starting_after"] = next_starting_after

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.history_item import HistoryItem

        d = dict(src_dict)
        history = []
        _history = d.pop("history")
        for history_item_data in _history:
            history_item = HistoryItem.from_dict(history_item_data)

            history.append(history_item)

        def _parse_next_before(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        next_before = _parse_next_before(d.pop("next_before"))

        has_more = d.pop("has_more", UNSET)

        def _parse_next_starting_after(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        next_starting_after = _parse_next_starting_after(d.pop("next_starting_after", UNSET))

        history = cls(
            history=history,
            next_before=next_before,
            has_more=has_more,
            next_starting_after=next_starting_after,
        )

        history.additional_properties = d
        return history

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
