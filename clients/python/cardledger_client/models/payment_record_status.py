from typing import Literal, cast

PaymentRecordStatus = Literal["failed", "started", "succeeded"]

PAYMENT_RECORD_STATUS_VALUES: set[PaymentRecordStatus] = {
    "failed",
    "started",
    "succeeded",
}


def check_payment_record_status(value: str) -> PaymentRecordStatus:
    if value in PAYMENT_RECORD_STATUS_VALUES:
        return cast(PaymentRecordStatus, value)
    raise TypeError(f"Unexpected value {value!r}. Expected one of {PAYMENT_RECORD_STATUS_VALUES!r}")
