"""Full-text search over the notes (Tantivy), kept under `<git dir>/cairn/index/`.

Public API (stable; the CLI, the language server and MCP use it):

    NoteIndex(ws, notice=None, lock_timeout=2.0)   keep one open; .refresh([paths]) is incremental;
                                                      .prime(notes) reuses notes you already parsed
    NoteIndex.search(query, limit=10) -> list[Hit]
    search(ws, query, limit=10, index=None) -> list[Hit]   one-shot: opens/refreshes the index
    QueryError                                        a one-line problem with the query (a UsageError)

`Hit.state` is None here; `cairn.recall.search` fills it (fresh/stale/expired) through the anchor engine.
The query language is described in `cairn.index.query`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cairn.index.core import Hit, NoteIndex, Notice, RefreshReport, open_index
    from cairn.index.query import QueryError
    from cairn.workspace import Workspace

# Loaded on first use (PEP 562): importing `cairn.index.fields` (recall's freshness weights, the
# agent hooks' path) then does not pay for the index machinery and its query compiler (~10 ms).
_LAZY = {"Hit": "core", "NoteIndex": "core", "Notice": "core", "RefreshReport": "core", "open_index": "core",
         "QueryError": "query"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cairn.index' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"cairn.index.{module}"), name)
    globals()[name] = value
    return value


def search(ws: Workspace, query: str, limit: int = 10, index: NoteIndex | None = None,
           notice: Notice | None = None) -> list[Hit]:
    """The best `limit` notes for `query` (BM25: title over tags over body). Raises QueryError.

    Pass a long-lived `index` to avoid re-opening it (its refresh is then the caller's business).
    """
    if index is None:
        from cairn.index.core import open_index

        index = open_index(ws, notice=notice)
    return index.search(query, limit)


__all__ = ["Hit", "NoteIndex", "QueryError", "RefreshReport", "open_index", "search"]
