"""Weekly meal-box subscriptions: renewals, pauses and proration."""

from datetime import date, timedelta
from decimal import Decimal

RENEWAL_WEEKDAY = 3  # Thursday: boxes are packed on Friday
GRACE_DAYS = 3


def next_renewal(after: date) -> date:
    days = (RENEWAL_WEEKDAY - after.weekday()) % 7 or 7
    return after + timedelta(days=days)


def prorate(price: Decimal, days_used: int, days_in_period: int) -> Decimal:
    if days_in_period <= 0:
        raise ValueError("empty period")
    return (price * days_used / days_in_period).quantize(Decimal("0.01"))


def can_pause(subscription_start: date, today: date, pauses_this_year: int) -> bool:
    return pauses_this_year < 4 and today - subscription_start >= timedelta(days=14)


def in_grace_period(failed_on: date, today: date) -> bool:
    return today - failed_on <= timedelta(days=GRACE_DAYS)
