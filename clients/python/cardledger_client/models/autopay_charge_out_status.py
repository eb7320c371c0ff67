from typing import Literal, cast

AutopayChargeOutStatus = Literal["failed", "in_progress", "retry_scheduled", "succeeded"]

AUTOPAY_CHARGE_OUT_STATUS_VALUES: set[AutopayChargeOutStatus] = {
    "failed",
    "in_progress",
    "retry_scheduled",
    "succeeded",
}


def check_autopay_charge_out_status(value: str) -> AutopayChargeOutStatus:
    if value in AUTOPAY_CHARGE_OUT_STATUS_VALUES:
        return cast(AutopayChargeOutStatus, value)
    raise TypeError(f"Unexpected value {value!r}. Expected one of {AUTOPAY_CHARGE_OUT_STATUS_VALUES!r}")
