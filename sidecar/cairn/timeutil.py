"""Timestamps and durations as they appear in notes.

Notes store UTC timestamps as ISO-8601 text (`2026-04-15T10:02:00Z`) and durations as `180d`, `12w`,
`6m`, `1y` or `36h`. Text is kept as written in the file (lossless round-trip); these helpers parse it
when a value is needed and format new values the one canonical way.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(r"^\s*(\d+)\s*([hdwmy])\s*$")
_UNIT_DAYS = {"h": 1 / 24, "d": 1, "w": 7, "m": 30, "y": 365}

# Bounds on what a note may say. Values come from files anyone can commit, and a date or duration past
# Python's range (`ttl: 999999999999999d`, `reviewed + ttl` past year 9999) would raise OverflowError
# wherever it is used. Inside these bounds every sum of a timestamp and a duration stays representable.
MAX_DURATION_DAYS = 100 * 365
MIN_YEAR, MAX_YEAR = 1970, 2999


def now_utc() -> datetime:
    """The current time, timezone-aware, truncated to whole seconds (what notes store)."""
    return datetime.now(UTC).replace(microsecond=0)


def format_timestamp(value: datetime) -> str:
    """Canonical note timestamp: `YYYY-MM-DDTHH:MM:SSZ` in UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: object) -> datetime:
    """Parse an ISO-8601 date or date-time; naive values are taken as UTC.

    Raises ValueError with a short reason for anything else.
    """
    if isinstance(text, datetime):
        value = text
    else:
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"expected an ISO-8601 date or time, got {_short(text)}")
        raw = text.strip()
        if raw.endswith(("Z", "z")):
            raw = raw[:-1] + "+00:00"
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise ValueError(
                f"expected an ISO-8601 date or time like 2026-04-15T10:02:00Z, got {_short(text)}") from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"{_short(text)} is out of range (years {MIN_YEAR} to {MAX_YEAR})")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def parse_duration(text: object) -> timedelta:
    """Parse `180d`-style durations (h, d, w, m = 30 days, y = 365 days), at most 100 years.

    A bare positive integer counts days. Raises ValueError with a short reason for anything else.
    """
    if isinstance(text, int) and not isinstance(text, bool) and text > 0:
        days: float = text
    elif isinstance(text, str):
        match = _DURATION.match(text)
        if not match or not match.group(1).strip("0"):
            raise ValueError(f"expected a duration like 90d, 12w, 6m or 1y, got {_short(text)}")
        # Digits beyond 12 are too long anyway (and int() refuses thousands of them).
        digits = match.group(1)
        days = int(digits) * _UNIT_DAYS[match.group(2)] if len(digits) <= 12 else float("inf")
    else:
        raise ValueError(f"expected a duration like 180d, got {_short(text)}")
    if days > MAX_DURATION_DAYS:
        raise ValueError(f"duration {_short(text)} is too long (at most {MAX_DURATION_DAYS // 365}y)")
    return timedelta(days=days)


def _short(value: object, limit: int = 40) -> str:
    """`repr` of a value from a file, cut to a length that keeps an error message on one short line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_age(delta: timedelta) -> str:
    """Human age: `just now`, `5 minutes ago`, `2 days ago`, `7 months ago`."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return "just now"
    for size, unit in ((365 * 86400, "year"), (30 * 86400, "month"), (86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"
