from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.attempt_out_outcome import AttemptOutOutcome, check_attempt_out_outcome
from ..models.attempt_out_selection import AttemptOutSelection, check_attempt_out_selection

T = TypeVar("T", bound="AttemptOut")


@_attrs_define
class AttemptOut:
    """
    Attributes:
        payment_method_id (str):
        outcome (AttemptOutOutcome):
        decline_code (None | str):
        selection (AttemptOutSelection):
        round_ (int): 0: the office's charge; n: the n-th scheduled retry
    """

    payment_method_id: str
    outcome: AttemptOutOutcome
    decline_code: None | str
    selection: AttemptOutSelection
    round_: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        payment_method_id = self.payment_method_id

        outcome: str = self.outcome

        decline_code: None | str
        decline_code = self.decline_code

        selection: str = self.selection

        round_ = self.round_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "payment_method_id": payment_method_id,
                "outcome": outcome,
                "decline_code": decline_code,
                "selection": selection,
                "round": round_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        payment_method_id = d.pop("payment_method_id")

        outcome = check_attempt_out_outcome(d.pop("outcome"))

        def _parse_decline_code(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        decline_code = _parse_decline_code(d.pop("decline_code"))

        selection = check_attempt_out_selection(d.pop("selection"))

        round_ = d.pop("round")

        attempt_out = cls(
            payment_method_id=payment_method_id,
            outcome=outcome,
            decline_code=decline_code,
            selection=selection,
            round_=round_,
        )

        attempt_out.additional_properties = d
        return attempt_out

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
