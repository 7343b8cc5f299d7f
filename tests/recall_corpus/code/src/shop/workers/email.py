"""Transactional email jobs."""

from shop.workers.queue import app
from shop.workers.retry import backoff, should_retry

FROM_ADDRESS = "Shop <orders@shop.example.com>"


@app.task(bind=True)
def send_order_confirmation(self, order_id: int) -> None:
    from shop.mail import render, send

    try:
        message = render("order_confirmation", order_id=order_id)
        send(FROM_ADDRESS, message, idempotency_key=f"order-confirmation-{order_id}")
    except Exception as exc:
        if should_retry(exc, self.request.retries):
            raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc
        raise


@app.task
def send_password_reset(user_id: int, token: str) -> None:
    from shop.mail import render, send

    send(FROM_ADDRESS, render("password_reset", user_id=user_id, token=token))
