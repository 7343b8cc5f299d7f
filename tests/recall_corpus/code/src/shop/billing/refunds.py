"""Refunds, full and partial."""

from shop.billing.stripe_client import stripe
from shop.db.pool import connection

MAX_REFUND_DAYS = 90


class RefundRefused(Exception):
    pass


def refund(order_id: int, amount_cents: int | None, reason: str, actor_id: int) -> str:
    with connection() as db:
        order = db.fetchone("SELECT payment_intent, paid_at, refunded_cents, total_cents FROM orders "
                            "WHERE id = %s FOR UPDATE", (order_id,))
        intent, paid_at, refunded, total = order
        remaining = total - refunded
        amount = remaining if amount_cents is None else amount_cents
        if amount > remaining:
            raise RefundRefused("more than what is left to refund")
        result = stripe.Refund.create(payment_intent=intent, amount=amount,
                                      idempotency_key=f"refund-{order_id}-{refunded}-{amount}")
        db.execute("UPDATE orders SET refunded_cents = refunded_cents + %s WHERE id = %s", (amount, order_id))
        db.execute("INSERT INTO audit_log (actor, action, subject) VALUES (%s, 'refund', %s)",
                   (actor_id, order_id))
    return result.id
