from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.health_status import HealthStatus, check_health_status
from ..types import UNSET, Unset

T = TypeVar("T", bound="Health")


@_attrs_define
class Health:
    """
    Attributes:
        status (HealthStatus):
        views_position (int | None | Unset):
        views_lag (int | None | Unset):
        views_lag_seconds (float | None | Unset):
    """

    status: HealthStatus
    views_position: int | None | Unset = UNSET
    views_lag: int | None | Unset = UNSET
    views_lag_seconds: float | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status: str = self.status

        views_position: int | None | Unset
        if isinstance(self.views_position, Unset):
            views_position = UNSET
        else:
            views_position = self.views_position

        views_lag: int | None | Unset
        if isinstance(self.views_lag, Unset):
            views_lag = UNSET
        else:
            views_lag = self.views_lag

        views_lag_seconds: float | None | Unset
        if isinstance(self.views_lag_seconds, Unset):
            views_lag_seconds = UNSET
        else:
            views_lag_seconds = self.views_lag_seconds

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status": status,
            }
        )
        if views_position is not UNSET:
            field_dict["views_position"] = views_position
        if views_lag is not UNSET:
            field_dict["views_lag"] = views_lag
        if views_lag_seconds is not UNSET:
            field_dict["views_lag_seconds"] = views_lag_seconds

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        status = check_health_status(d.pop("status"))

        def _parse_views_position(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        views_position = _parse_views_position(d.pop("views_position", UNSET))

        def _parse_views_lag(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        views_lag = _parse_views_lag(d.pop("views_lag", UNSET))

        def _parse_views_lag_seconds(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        views_lag_seconds = _parse_views_lag_seconds(d.pop("views_lag_seconds", UNSET))

        health = cls(
            status=status,
            views_position=views_position,
            views_lag=views_lag,
            views_lag_seconds=views_lag_seconds,
        )

        health.additional_properties = d
        return health

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
