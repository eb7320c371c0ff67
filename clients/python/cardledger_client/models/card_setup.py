from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.card_setup_processor import CardSetupProcessor, check_card_setup_processor
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.test_card_choice import TestCardChoice


T = TypeVar("T", bound="CardSetup")


@_attrs_define
class CardSetup:
    """
    Attributes:
        processor (CardSetupProcessor):
        client_secret (None | str | Unset): Stripe: the SetupIntent's client secret, for Stripe.js confirmCardSetup in
            the browser; add the card by the pm_... it gives
        publishable_key (None | str | Unset): Stripe: the key for Stripe(...)
        test_cards (list[TestCardChoice] | Unset): Sandbox: the test cards to choose from, by name
    """

    processor: CardSetupProcessor
    client_secret: None | str | Unset = UNSET
    publishable_key: None | str | Unset = UNSET
    test_cards: list[TestCardChoice] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        processor: str = self.processor

        client_secret: None | str | Unset
        if isinstance(self.client_secret, Unset):
            client_secret = UNSET
        else:
            client_secret = self.client_secret

        publishable_key: None | str | Unset
        if isinstance(self.publishable_key, Unset):
            publishable_key = UNSET
        else:
            publishable_key = self.publishable_key

        test_cards: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.test_cards, Unset):
            test_cards = []
            for test_cards_item_data in self.test_cards:
                test_cards_item = test_cards_item_data.to_dict()
                test_cards.append(test_cards_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "processor": processor,
            }
        )
        if client_secret is not UNSET:
            field_dict["client_secret"] = client_secret
        if publishable_key is not UNSET:
            field_dict["publishable_key"] = publishable_key
        if test_cards is not UNSET:
            field_dict["test_cards"] = test_cards

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.test_card_choice import TestCardChoice

        d = dict(src_dict)
        processor = check_card_setup_processor(d.pop("processor"))

        def _parse_client_secret(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        client_secret = _parse_client_secret(d.pop("client_secret", UNSET))

        def _parse_publishable_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        publishable_key = _parse_publishable_key(d.pop("publishable_key", UNSET))

        _test_cards = d.pop("test_cards", UNSET)
        test_cards: list[TestCardChoice] | Unset = UNSET
        if _test_cards is not UNSET:
            test_cards = []
            for test_cards_item_data in _test_cards:
                test_cards_item = TestCardChoice.from_dict(test_cards_item_data)

                test_cards.append(test_cards_item)

        card_setup = cls(
            processor=processor,
            client_secret=client_secret,
            publishable_key=publishable_key,
            test_cards=test_cards,
        )

        card_setup.additional_properties = d
        return card_setup

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
