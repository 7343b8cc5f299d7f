"""Counts in printed text: `1 note`, `2 notes` (never `1 notes`).

Every message that prints a number of things goes through `counted`, so the singular is right
everywhere and a new message does not have to remember it.
"""

from __future__ import annotations


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """`"<count> <noun>"` with the singular for exactly one (`plural` defaults to `singular + "s"`)."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


__all__ = ["counted"]
