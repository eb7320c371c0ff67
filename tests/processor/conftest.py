"""localstripe for the whole session, Stripe addresses that answer too late or
with a 500, and the HTTP client of the payment tests."""

from tests.payments.conftest import api
# autouse: every problem answered over HTTP here must be in the OpenAPI document too
from tests.api.conftest import every_problem_answered_is_documented  # noqa: F401
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
