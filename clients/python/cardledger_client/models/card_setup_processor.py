from typing import Literal, cast

CardSetupProcessor = Literal["sandbox", "stripe"]

CARD_SETUP_PROCESSOR_VALUES: set[CardSetupProcessor] = {
    "sandbox",
    "stripe",
}


def check_card_setup_processor(value: str) -> CardSetupProcessor:
    if value in CARD_SETUP_PROCESSOR_VALUES:
        return cast(CardSetupProcessor, value)
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CARD_SETUP_PROCESSOR_VALUES!r}")
