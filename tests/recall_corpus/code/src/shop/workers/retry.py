"""Retry policy shared by jobs that call other services."""

import random

MAX_ATTEMPTS = 6
BASE_DELAY_SECONDS = 5
MAX_DELAY_SECONDS = 15 * 60


def backoff(attempt: int) -> int:
    # Exponential with full jitter, so a burst of failures does not retry in lockstep.
    ceiling = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** attempt)
    return random.randint(0, ceiling)


def should_retry(exc: Exception, attempt: int) -> bool:
    if attempt >= MAX_ATTEMPTS:
        return False
    status = getattr(exc, "status_code", None)
    return status is None or status == 429 or status >= 500
