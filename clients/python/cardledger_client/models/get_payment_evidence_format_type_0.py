from typing import Literal, cast

GetPaymentEvidenceFormatType0 = Literal["html", "json"]

GET_PAYMENT_EVIDENCE_FORMAT_TYPE_0_VALUES: set[GetPaymentEvidenceFormatType0] = {
    "html",
    "json",
}


def check_get_payment_evidence_format_type_0(value: str) -> GetPaymentEvidenceFormatType0:
    if value in GET_PAYMENT_EVIDENCE_FORMAT_TYPE_0_VALUES:
        return cast(GetPaymentEvidenceFormatType0, value)
    raise TypeError(f"Unexpected value {value!r}. Expected one of {GET_PAYMENT_EVIDENCE_FORMAT_TYPE_0_VALUES!r}")
