"""localstripe for the whole session, Stripe addresses that answer too late or
with a 500, and the HTTP client of the payment tests."""

from tests.payments.conftest import api
from tests.stripe_server import (
    failing_stripe,
    localstripe_url,
    slow_stripe,
    stripe_api,
    stripe_processor,
)

__all__ = [
    "api", "failing_stripe", "localstripe_url", "slow_stripe", "stripe_api", "stripe_processor",
]
