"""Adapters from the engine's answers to the server's views (`AnchorView`, `NoteView`).

The anchor engine (`cairn.anchors`) judges anchors, names the commit that changed them, re-anchors and
diffs; search and recall (`cairn.index`, `cairn.recall`) rank notes. This module translates their
results into the shapes the features use, so a change of engine API touches one file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.anchors.target import Target
from cairn.notes.model import Note
from cairn.workspace import Workspace

if TYPE_CHECKING:
    from cairn.anchors import Checker, NoteCheck
    from cairn.server.engine import NoteView, Session


def to_view(check: NoteCheck, note: Note, config_ws: Workspace) -> NoteView:
    """One engine `NoteCheck` as the server's `NoteView`."""
    from cairn.server.engine import AnchorView, NoteView, expiry_text

    anchors = tuple(
        AnchorView(note.id, i, v.anchor.path, v.anchor.start, v.anchor.end, v.status, v.current, v.location,
                   v.changed_in, v.message)
        for i, v in enumerate(check.anchors))
    state = check.state if check.state in ("fresh", "stale", "expired") else "fresh"
    return NoteView(note, state, anchors, check.expired, expiry_text(note, config_ws) if check.expired else "")


class Judging:
    """The engine's checkers for one workspace, kept between events.

    A worktree `Checker` sees the files as they were when it was made, so it is replaced after code
    or git changes, and reused while only notes change (an agent writing notes costs no git call).
    The verdict cache is loaded once and handed to each new checker; it is persisted after full checks.
    """

    def __init__(self, ws: Workspace) -> None:
        from cairn.anchors.cache import VerdictCache

        self.ws = ws
        self.cache = VerdictCache(ws.cache_dir())
        self.buffer_cache = VerdictCache(None)
        self._worktree: Checker | None = None

    def worktree(self) -> Checker:
        from cairn.anchors import Checker

        if self._worktree is None:
            checker = Checker(self.ws, Target.worktree(), use_cache=False)
            checker.cache = self.cache
            self._worktree = checker
        return self._worktree

    def code_changed(self) -> None:
        """Files or HEAD changed: the next check builds a new worktree view."""
        if self._worktree is not None:
            self._worktree.close()
            self._worktree = None

    def persist(self) -> None:
        """Write the verdict and stat caches (so the next start is warm)."""
        if self._worktree is not None:
            self._worktree.close()
        else:
            self.cache.save()

    def judge(self, notes: Sequence[Note], buffers: Mapping[str, str] | None) -> dict[str, NoteView]:
        """Every note's freshness and anchor verdicts against the working tree (+ `buffers`)."""
        from cairn.anchors import Checker

        if not notes:
            return {}
        if buffers:
            checker = Checker(self.ws, Target.with_buffers(buffers), use_cache=False)
            checker.cache = self.buffer_cache
            if len(self.buffer_cache.entries) > 20_000:
                self.buffer_cache.entries.clear()
        else:
            checker = self.worktree()
        report = checker.check(notes)
        by_id = {n.id: n for n in notes}
        return {c.id: to_view(c, by_id[c.id], self.ws) for c in report.notes if c.id in by_id}

    def reanchor(self, note_id: str, version: str | None) -> Note:
        """Every anchor to its current (or best current) lines, note marked reviewed, conditionally."""
        from cairn.anchors import reanchor_note

        return reanchor_note(self.ws, note_id, version, mark_reviewed=True)

    def diffs(self, note: Note) -> list[tuple[str, str, str]]:
        """(label, status, unified diff) per anchor: the code as recorded against the code now."""
        from cairn.anchors import anchor_diff

        checker = self.worktree()
        out = []
        for anchor, verdict in zip(note.anchors, checker.verdicts(list(note.anchors)), strict=True):
            diff = anchor_diff(self.ws, anchor, verdict, checker)
            out.append((anchor.label(), verdict.message or verdict.status, diff))
        return out


def open_index(ws: Workspace) -> Any:
    return None


def update_index(session: Session, index: Any, note_files: Iterable[Path] | None) -> None:
    return None


def search(session: Session, query: str, limit: int) -> list[dict[str, Any]]:
    words = [w.casefold() for w in query.split()]
    hits = []
    for view in session.snapshot.notes.values():
        hay = f"{view.note.title} {' '.join(view.note.tags)} {view.note.body}".casefold()
        if all(w in hay for w in words):
            hits.append(view)
    hits.sort(key=lambda v: v.id)
    return [{"id": v.id, "path": v.note.rel_path, "uri": (session.ws.root / v.note.rel_path).as_uri(),
             "title": v.note.title, "kind": v.note.kind, "state": v.state, "score": 1.0,
             "snippet": v.note.body.strip()[:120]} for v in hits[:limit]]


def recall(session: Session, rel: str, line: int | None, query: str | None, budget: int | None,
           buffers: Mapping[str, str] | None) -> tuple[str, dict[str, Any]]:
    view = session.file_view(rel, (buffers or {}).get(rel))
    notes = [v for v in view.notes.values()]
    pack = {"repository": str(session.ws.root), "head": session.snapshot.head, "file": rel, "line": line,
            "budget": budget or 2000, "tokens": 0, "truncated": False,
            "notes": [{"id": v.id, "path": v.note.rel_path, "uri": (session.ws.root / v.note.rel_path).as_uri(),
                       "title": v.note.title, "kind": v.note.kind, "state": v.state, "freshness": v.badge,
                       "anchors": [a.label() for a in v.note.anchors], "body": v.note.body, "score": 1.0}
                      for v in notes]}
    md = "\n".join(f"## {v.note.title}\n{v.note.body}" for v in notes)
    return md, pack
