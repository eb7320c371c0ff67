"""localstripe for the whole session, a Stripe address that answers too late,
and the HTTP client of the payment tests."""

from tests.payments.conftest import api
from tests.stripe_server import localstripe_url, slow_stripe, stripe_api, stripe_processor

__all__ = ["api", "localstripe_url", "slow_stripe", "stripe_api", "stripe_processor"]
