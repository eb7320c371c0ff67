"""The currencies Stripe charges cards in, and what it accepts in each.

Source: Stripe's "Supported currencies" (docs.stripe.com/currencies): the
presentment currencies for card payments of a US account, its zero- and
three-decimal lists, its special cases and its minimum charge amounts. Both
processors use this table (the sandbox answers as Stripe's test mode would).

Limits are in ISO 4217 minor units (cardledger's unit, domain/currencies.py).
Stripe's unit differs from ISO's in two currencies, so amounts are converted
on the way out (``to_stripe_amount``):

- MGA: ISO has two decimals, Stripe counts whole ariary (zero-decimal), so a
  cardledger amount must be whole ariary (a multiple of 100) and is divided.
- ISK: ISO has no decimals, Stripe still takes two (the last two digits 00),
  so a cardledger amount of whole krónur is multiplied by 100.

Three-decimal currencies (BHD JOD KWD OMR TND): Stripe requires the last digit
to be 0, so amounts are multiples of 10 fils/baisa/millimes.
"""

from __future__ import annotations

from collections.abc import Mapping

from domain.currencies import MINOR_UNITS
from domain.processor import ChargeLimits

PRESENTMENT = frozenset("""
    usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl
    bsd bwp byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd
    fkp gbp gel gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jod jpy kes kgs
    khr kmf krw kwd kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk
    mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub
    rwf sar sbd scr sek sgd shp sle sos srd szl thb tjs tnd top try ttd twd tzs uah ugx
    uyu uzs vnd vuv wst xaf xcd xof xpf yer zar zmw
""".split())
# Stripe also still lists STD and MRO, withdrawn from ISO 4217 in 2018 (their
# successors STN and MRU it does not list); cardledger takes current codes only.

ZERO_DECIMAL = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())
TWO_DECIMALS_KEPT = frozenset({"isk"})  # zero-decimal, sent with two decimals "00"

# Stripe's minimum charge per settlement currency, in ISO minor units. Applied
# to charges in that currency: exact when the account settles in it (a US
# company charging usd), an approximation otherwise. In other currencies the
# minimum is the settlement minimum at the day's rate, which only Stripe knows.
MINIMUM = {
    "usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50,
    "czk": 1500, "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50,
    "jpy": 50, "mxn": 1000, "myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200,
    "sek": 300, "sgd": 50, "thb": 1000,
}
MAX_STRIPE_AMOUNT = 99_999_999  # Stripe's amount has at most eight digits


def stripe_exponent(currency: str) -> int:
    """The decimals Stripe's ``amount`` has in this currency."""
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def to_stripe_amount(amount: int, currency: str) -> int:
    """ISO minor units -> Stripe's amount; exact for every amount the limits allow."""
    shift = stripe_exponent(currency) - MINOR_UNITS[currency]
    if shift >= 0:
        return amount * 10**shift
    whole, rest = divmod(amount, 10**-shift)
    if rest:
        raise ValueError(f"{amount} {currency} minor units is not a whole Stripe amount")
    return whole


def _limits(currency: str) -> ChargeLimits:
    shift = stripe_exponent(currency) - MINOR_UNITS[currency]
    step = 10**-shift if shift < 0 else 1
    if currency in THREE_DECIMAL:
        step = 10
    maximum = MAX_STRIPE_AMOUNT // 10**shift if shift >= 0 else MAX_STRIPE_AMOUNT * step
    maximum -= maximum % step
    return ChargeLimits(minimum=MINIMUM.get(currency, step), maximum=maximum, step=step)


STRIPE_CURRENCIES: Mapping[str, ChargeLimits] = {
    currency: _limits(currency) for currency in sorted(PRESENTMENT)}
