from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="AddCard")


@_attrs_define
class AddCard:
    """
    Attributes:
        token (str): The processor's payment-method token (e.g. pm_...)
        make_primary (bool | Unset): Make the new card the primary one Default: False.
    """

    token: str
    make_primary: bool | Unset = False

    def to_dict(self) -> dict[str, Any]:
        token = self.token

        make_primary = self.make_primary

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "token": token,
            }
        )
        if make_primary is not UNSET:
            field_dict["make_primary"] = make_primary

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        token = d.pop("token")

        make_primary = d.pop("make_primary", UNSET)

        add_card = cls(
            token=token,
            make_primary=make_primary,
        )

        return add_card
