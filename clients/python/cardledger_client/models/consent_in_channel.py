from typing import Literal, cast

ConsentInChannel = Literal["in_person", "paper", "phone", "portal"]

CONSENT_IN_CHANNEL_VALUES: set[ConsentInChannel] = {
    "in_person",
    "paper",
    "phone",
    "portal",
}


def check_consent_in_channel(value: str) -> ConsentInChannel:
    if value in CONSENT_IN_CHANNEL_VALUES:
        return cast(ConsentInChannel, value)
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CONSENT_IN_CHANNEL_VALUES!r}")
