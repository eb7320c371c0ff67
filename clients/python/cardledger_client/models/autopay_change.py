from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.consent_in import ConsentIn


T = TypeVar("T", bound="AutopayChange")


@_attrs_define
class AutopayChange:
    """
    Attributes:
        enabled (bool):
        payment_method_id (None | str | Unset): null: autopay follows the primary card
        consent (ConsentIn | None | Unset): Required to turn autopay on
    """

    enabled: bool
    payment_method_id: None | str | Unset = UNSET
    consent: ConsentIn | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.consent_in import ConsentIn

        enabled = self.enabled

        payment_method_id: None | str | Unset
        if isinstance(self.payment_method_id, Unset):
            payment_method_id = UNSET
        else:
            payment_method_id = self.payment_method_id

        consent: dict[str, Any] | None | Unset
        if isinstance(self.consent, Unset):
            consent = UNSET
        elif isinstance(self.consent, ConsentIn):
            consent = self.consent.to_dict()
        else:
            consent = self.consent

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "enabled": enabled,
            }
        )
        if payment_method_id is not UNSET:
            field_dict["payment_method_id"] = payment_method_id
        if consent is not UNSET:
            field_dict["consent"] = consent

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.consent_in import ConsentIn

        d = dict(src_dict)
        enabled = d.pop("enabled")

        def _parse_payment_method_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        payment_method_id = _parse_payment_method_id(d.pop("payment_method_id", UNSET))

        def _parse_consent(data: object) -> ConsentIn | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                consent_type_0 = ConsentIn.from_dict(data)

                return consent_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ConsentIn | None | Unset, data)

        consent = _parse_consent(d.pop("consent", UNSET))

        autopay_change = cls(
            enabled=enabled,
            payment_method_id=payment_method_id,
            consent=consent,
        )

        return autopay_change
