"""Periodic jobs (celery beat)."""

from celery.schedules import crontab

from shop.workers.queue import app

app.conf.timezone = "Europe/Berlin"
app.conf.beat_schedule = {
    "renew-subscriptions": {"task": "shop.workers.jobs.renew_subscriptions",
                            "schedule": crontab(hour=2, minute=30, day_of_week="thu")},
    "nightly-revenue-report": {"task": "shop.workers.reports.nightly_revenue", "schedule": crontab(hour=4)},
    "purge-refresh-tokens": {"task": "shop.workers.jobs.purge_tokens", "schedule": crontab(minute=0)},
}
