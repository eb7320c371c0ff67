"""localstripe for the whole session, and a Stripe address that answers too late."""

from tests.stripe_server import localstripe_url, slow_stripe, stripe_api, stripe_processor

__all__ = ["localstripe_url", "slow_stripe", "stripe_api", "stripe_processor"]
