from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.consent_out import ConsentOut


T = TypeVar("T", bound="AutopayState")


@_attrs_define
class AutopayState:
    """
    Attributes:
        enabled (bool):
        payment_method_id (None | str): The card autopay names; null: it follows the primary card (or is off)
        follows_primary (bool):
        consent (ConsentOut | None): The consent autopay charges under; null when off
        version (int): The customer's version; send it as If-Match
    """

    enabled: bool
    payment_method_id: None | str
    follows_primary: bool
    consent: ConsentOut | None
    version: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.consent_out import ConsentOut

        enabled = self.enabled

        payment_method_id: None | str
        payment_method_id = self.payment_method_id

        follows_primary = self.follows_primary

        consent: dict[str, Any] | None
        if isinstance(self.consent, ConsentOut):
            consent = self.consent.to_dict()
        else:
            consent = self.consent

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "enabled": enabled,
                "payment_method_id": payment_method_id,
                "follows_primary": follows_primary,
                "consent": consent,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.consent_out import ConsentOut

        d = dict(src_dict)
        enabled = d.pop("enabled")

        def _parse_payment_method_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        payment_method_id = _parse_payment_method_id(d.pop("payment_method_id"))

        follows_primary = d.pop("follows_primary")

        def _parse_consent(data: object) -> ConsentOut | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                consent_type_0 = ConsentOut.from_dict(data)

                return consent_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ConsentOut | None, data)

        consent = _parse_consent(d.pop("consent"))

        version = d.pop("version")

        autopay_state = cls(
            enabled=enabled,
            payment_method_id=payment_method_id,
            follows_primary=follows_primary,
            consent=consent,
            version=version,
        )

        autopay_state.additional_properties = d
        return autopay_state

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
