"""Bounds on the numbers a caller passes in: search limits, recall budgets and lines.

The CLI, the language server and MCP all check these numbers with the functions below, so the same
number gets the same one-line answer on every surface. Without bounds a number reaches native code
unchecked: a search limit of 2^32 or more aborts the whole process inside tantivy (a Rust panic, not
an exception), and a huge budget or line only wastes time and memory.
"""

from __future__ import annotations

from cairn.errors import UsageError

MAX_SEARCH_LIMIT = 1000
# The one recall-budget range: config.toml, `cairn recall --budget`, MCP, the server's `recallBudget` and
# package.json's `cairn.recall.budget` minimum/maximum (checked by tests/lsp/test_options.py).
MIN_BUDGET = 50
MAX_BUDGET = 100_000
MAX_LINE = 2**31 - 1  # LSP positions are 32-bit; no file Cairn anchors is longer


def bounded_int(name: str, value: object, low: int, high: int, suffix: str = "") -> int:
    """`value` as an int within `low..high`, or a one-line `UsageError` naming `name` (`suffix` follows the range)."""
    span = f"{low} to {high}{suffix}"
    if isinstance(value, bool) or not isinstance(value, int):
        text = repr(value)
        text = text if len(text) <= 40 else text[:37] + "..."
        raise UsageError(f"{name} must be a whole number from {span}, got {text}")
    if not low <= value <= high:
        shown = str(value) if value.bit_length() < 128 else f"a {len(str(value))}-digit number"
        raise UsageError(f"{name} {shown} is out of range ({span})")
    return value


def search_limit(value: object, name: str = "limit") -> int:
    """How many search hits to return: 1 to `MAX_SEARCH_LIMIT`."""
    return bounded_int(name, value, 1, MAX_SEARCH_LIMIT)


def recall_budget(value: object, name: str = "budget") -> int:
    """The token budget of a context pack: `MIN_BUDGET` to `MAX_BUDGET`."""
    return bounded_int(name, value, MIN_BUDGET, MAX_BUDGET, " tokens")


def line_number(value: object, name: str = "line") -> int:
    """A 1-based line number."""
    return bounded_int(name, value, 1, MAX_LINE, "; lines are 1-based")
