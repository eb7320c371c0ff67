from typing import Literal, cast

KeyInfoRole = Literal["admin", "auditor", "office", "portal"]

KEY_INFO_ROLE_VALUES: set[KeyInfoRole] = {
    "admin",
    "auditor",
    "office",
    "portal",
}


def check_key_info_role(value: str) -> KeyInfoRole:
    if value in KEY_INFO_ROLE_VALUES:
        return cast(KeyInfoRole, value)
    raise TypeError(f"Unexpected value {value!r}. Expected one of {KEY_INFO_ROLE_VALUES!r}")
