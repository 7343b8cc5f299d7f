"""The configured Stripe client."""

import stripe as _stripe

from shop.config import settings

_stripe.api_key = settings.stripe_secret_key
_stripe.max_network_retries = 2
_stripe.api_version = "2024-06-20"

stripe = _stripe


def verify_signature(payload: bytes, header: str) -> dict:
    return stripe.Webhook.construct_event(payload, header, settings.stripe_webhook_secret, tolerance=300)
