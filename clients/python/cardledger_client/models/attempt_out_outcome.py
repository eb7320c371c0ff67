from typing import Literal, cast

AttemptOutOutcome = Literal["declined", "pending", "succeeded"]

ATTEMPT_OUT_OUTCOME_VALUES: set[AttemptOutOutcome] = {
    "declined",
    "pending",
    "succeeded",
}


def check_attempt_out_outcome(value: str) -> AttemptOutOutcome:
    if value in ATTEMPT_OUT_OUTCOME_VALUES:
        return cast(AttemptOutOutcome, value)
    raise TypeError(f"Unexpected value {value!r}. Expected one of {ATTEMPT_OUT_OUTCOME_VALUES!r}")
