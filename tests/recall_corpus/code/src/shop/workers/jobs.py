"""Periodic jobs: subscription renewals and token clean-up."""

from datetime import date

from shop.billing.subscriptions import in_grace_period, next_renewal
from shop.db.pool import connection
from shop.workers.queue import app


@app.task
def renew_subscriptions() -> int:
    today = date.today()
    renewed = 0
    with connection() as db:
        due = db.fetchall("SELECT id, failed_on FROM subscriptions WHERE renews_on <= %s", (today,))
        for sub_id, failed_on in due:
            if failed_on and not in_grace_period(failed_on, today):
                db.execute("UPDATE subscriptions SET status = 'cancelled' WHERE id = %s", (sub_id,))
                continue
            db.execute("UPDATE subscriptions SET renews_on = %s WHERE id = %s", (next_renewal(today), sub_id))
            renewed += 1
    return renewed


@app.task
def purge_tokens() -> None:
    with connection() as db:
        db.execute("DELETE FROM refresh_tokens WHERE used_at < now() - interval '30 days'")
