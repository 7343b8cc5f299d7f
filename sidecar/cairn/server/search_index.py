"""The session's long-lived search index, and `cairn/search` and `cairn/recall` answered from it.

Why its own lock: building the index for a large workspace takes seconds and must not hold up verdicts
and diagnostics, which run under the session's lock; the server opens it in the background at start.
Note changes are only recorded here (`note_files_changed`) and applied by the next search or recall,
because a Tantivy commit is not free and most edits are never followed by a search.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.anchors.target import Target
from cairn.errors import CairnError
from cairn.workspace import Workspace

if TYPE_CHECKING:
    from cairn.anchors import Checker
    from cairn.index import NoteIndex

log = logging.getLogger("cairn.server")


class SessionIndex:
    """The index of one workspace, opened on first use and kept up to date with the note files."""

    def __init__(self) -> None:
        self._index: NoteIndex | None = None
        self._lock = threading.Lock()
        self._pending: set[Path] = set()  # note files changed since the index was last updated
        self._scan = False  # whether a full (stat-only) scan is due

    def note_files_changed(self, note_files: Iterable[Path], scan: bool) -> None:
        """Remember what to apply before the next query: those note files, or (`scan`) a stat-only scan."""
        with self._lock:
            self._scan = self._scan or scan
            self._pending.update(note_files)

    def get(self, ws: Workspace) -> NoteIndex:
        """The index, built or updated on first use, with the recorded note changes applied."""
        from cairn.index import NoteIndex

        with self._lock:
            if self._index is None:
                self._index = NoteIndex(ws, notice=lambda message: log.info("%s", message))
                self._index.refresh()
                self._scan, self._pending = False, set()
            elif self._scan or self._pending:
                paths = None if self._scan else sorted(self._pending)
                self._scan, self._pending = False, set()
                try:
                    self._index.refresh(paths)
                except CairnError as exc:
                    log.warning("search index update failed: %s", exc)
            return self._index


def search(ws: Workspace, index: NoteIndex, checker: Checker, query: str, limit: int) -> list[dict[str, Any]]:
    """`cairn/search` hits: the index's BM25 ranking with each note's freshness from the engine."""
    from cairn.recall import search as recall_search

    hits = recall_search(ws, query, limit, index=index, checker=checker)
    return [{"id": h.id, "path": h.path, "uri": (ws.root / h.path).as_uri(), "title": h.title,
             "kind": h.kind, "state": h.state or "fresh", "score": round(h.score, 4), "snippet": h.snippet}
            for h in hits]


def recall(ws: Workspace, index: NoteIndex, checker: Checker | None, rel: str, line: int | None, query: str | None,
           budget: int | None, buffers: Mapping[str, str] | None, heading_level: int = 1) -> tuple[str, dict[str, Any]]:
    """The context pack for a place in the code, judged on the editor's buffer when it has one
    (`checker` is the session's working-tree checker, unused then)."""
    from cairn.recall import recall as engine_recall

    target = Target.with_buffers(buffers) if buffers else None
    pack = engine_recall(ws, rel, line, query, budget, target, index=index, checker=None if buffers else checker,
                         heading_level=heading_level)
    data = pack.to_dict()
    for note in data.get("notes", []):
        note["uri"] = (ws.root / note["path"]).as_uri()
    return pack.to_markdown(), data
