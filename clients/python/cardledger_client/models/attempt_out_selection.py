from typing import Literal, cast

AttemptOutSelection = Literal["autopay", "fallback"]

ATTEMPT_OUT_SELECTION_VALUES: set[AttemptOutSelection] = {
    "autopay",
    "fallback",
}


def check_attempt_out_selection(value: str) -> AttemptOutSelection:
    if value in ATTEMPT_OUT_SELECTION_VALUES:
        return cast(AttemptOutSelection, value)
    raise TypeError(f"Unexpected value {value!r}. Expected one of {ATTEMPT_OUT_SELECTION_VALUES!r}")
