from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field
from dateutil.parser import isoparse

if TYPE_CHECKING:
    from ..models.card_ref import CardRef


T = TypeVar("T", bound="HistoryItem")


@_attrs_define
class HistoryItem:
    """
    Attributes:
        at (datetime.datetime):
        action (str): added, set_primary, deleted, updated, update_ignored, unsaved_card_detached,
            online_payments_enabled, online_payments_disabled, payment_succeeded, payment_failed, and autopay's
            (docs/autopay.md)
        payment_method (CardRef | None):
        actor (str):
        source (str):
        detail (str): Why, where the event says (e.g. primary-deleted)
        company_wide (bool): A company setting, not this customer's change
        position (int): Order in the event log; pass as `before` to page
    """

    at: datetime.datetime
    action: str
    payment_method: CardRef | None
    actor: str
    source: str
    detail: str
    company_wide: bool
    position: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.card_ref import CardRef

        at = self.at.isoformat()

        action = self.action

        payment_method: dict[str, Any] | None
        if isinstance(self.payment_method, CardRef):
            payment_method = self.payment_method.to_dict()
        else:
            payment_method = self.payment_method

        actor = self.actor

        source = self.source

        detail = self.detail

        company_wide = self.company_wide

        position = self.position

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "at": at,
                "action": action,
                "payment_method": payment_method,
                "actor": actor,
                "source": source,
                "detail": detail,
                "company_wide": company_wide,
                "position": position,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.card_ref import CardRef

        d = dict(src_dict)
        at = isoparse(d.pop("at"))

        action = d.pop("action")

        def _parse_payment_method(data: object) -> CardRef | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                payment_method_type_0 = CardRef.from_dict(data)

                return payment_method_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CardRef | None, data)

        payment_method = _parse_payment_method(d.pop("payment_method"))

        actor = d.pop("actor")

        source = d.pop("source")

        detail = d.pop("detail")

        company_wide = d.pop("company_wide")

        position = d.pop("position")

        history_item = cls(
            at=at,
            action=action,
            payment_method=payment_method,
            actor=actor,
            source=source,
            detail=detail,
            company_wide=company_wide,
            position=position,
        )

        history_item.additional_properties = d
        return history_item

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
