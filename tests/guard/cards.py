"""Card numbers of every major brand, prefix and length, Luhn-completed."""

from __future__ import annotations

from dataclasses import dataclass

from tests.guard.choices import Chooser


@dataclass(frozen=True)
class Brand:
    name: str
    prefixes: tuple[tuple[int, int], ...]  # inclusive ranges of leading digits
    lengths: tuple[int, ...]


BRANDS = (
    Brand("visa", ((4, 4),), (13, 16, 19)),
    Brand("mastercard", ((51, 55), (2221, 2720)), (16,)),
    Brand("amex", ((34, 34), (37, 37)), (15,)),
    Brand("discover", ((6011, 6011), (644, 649), (65, 65)), (16, 17, 18, 19)),
    Brand("diners", ((300, 305), (36, 36), (38, 38)), (14,)),
    Brand("jcb", ((3528, 3589),), (16, 17, 18, 19)),
    Brand("unionpay", ((62, 62),), (16, 17, 18, 19)),
    Brand("maestro", ((5018, 5018), (5020, 5020), (5038, 5038), (6304, 6304), (6759, 6759),
                      (6761, 6763)), tuple(range(13, 20))),
    Brand("mir", ((2200, 2204),), (16,)),
)


def luhn_check_digit(payload: str) -> str:
    """The digit that makes ``payload + digit`` pass Luhn."""
    total = 0
    for index, char in enumerate(reversed(payload)):
        value = int(char)
        if index % 2 == 0:  # doubled once the check digit is appended
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return str(-total % 10)


def luhn_valid(number: str) -> bool:
    return luhn_check_digit(number[:-1]) == number[-1]


def card_number(c: Chooser, brand: Brand | None = None) -> str:
    """A Luhn-valid number with a real brand's prefix and length."""
    brand = brand or c.choice(BRANDS)
    low, high = c.choice(brand.prefixes)
    prefix = str(c.integer(low, high))
    length = c.choice(brand.lengths)
    filler = length - len(prefix) - 1
    payload = prefix + str(c.integer(0, 10**filler - 1)).zfill(filler)
    return payload + luhn_check_digit(payload)


def luhn_invalid_number(c: Chooser) -> str:
    """A card-shaped number whose check digit is wrong."""
    number = card_number(c)
    wrong = (int(number[-1]) + c.integer(1, 9)) % 10
    return number[:-1] + str(wrong)
