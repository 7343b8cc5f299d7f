"""Taking payments through Stripe."""

import logging

from shop.billing.stripe_client import stripe
from shop.db.pool import connection

log = logging.getLogger(__name__)


class PaymentFailed(Exception):
    pass


def charge(order_id: int, amount_cents: int, currency: str, customer: str) -> str:
    intent = stripe.PaymentIntent.create(
        amount=amount_cents,
        currency=currency,
        customer=customer,
        idempotency_key=f"order-{order_id}-charge",
        metadata={"order_id": order_id},
    )
    if intent.status == "requires_action":
        return intent.client_secret
    if intent.status != "succeeded":
        raise PaymentFailed(intent.status)
    return intent.id


def handle_webhook(event: dict) -> None:
    with connection() as db:
        seen = db.fetchone("SELECT 1 FROM stripe_events WHERE id = %s", (event["id"],))
        if seen:
            return
        db.execute("INSERT INTO stripe_events (id) VALUES (%s)", (event["id"],))
        if event["type"] == "payment_intent.succeeded":
            order_id = int(event["data"]["object"]["metadata"]["order_id"])
            db.execute("UPDATE orders SET paid = true WHERE id = %s", (order_id,))
        elif event["type"] == "charge.dispute.created":
            log.warning("dispute opened for %s", event["data"]["object"]["id"])


def amount_in_cents(amount) -> int:
    return int((amount * 100).to_integral_value())
