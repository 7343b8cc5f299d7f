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
    from cairn.anchors.cache import VerdictCache
    from cairn.index import NoteIndex
    from cairn.server.engine import NoteView, Session


def to_view(check: NoteCheck, note: Note, config_ws: Workspace) -> NoteView:
    """One engine `NoteCheck` as the server's `NoteView`."""
    from cairn.server.engine import AnchorView, NoteView, expiry_text

    anchors = tuple(
        AnchorView(note.id, i, v.anchor.path, v.anchor.start, v.anchor.end, v.status, v.current, v.location,
                   v.changed_in, v.message, v.merged_in)
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
        self.warm = False  # the session restored its own saved verdicts: the engine's file cache is not needed
        self._cache: VerdictCache | None = None
        self.buffer_cache = VerdictCache(None)
        self._worktree: Checker | None = None

    @property
    def cache(self) -> VerdictCache:
        from cairn.anchors.cache import VerdictCache

        if self._cache is None:
            self._cache = VerdictCache(None if self.warm else self.ws.cache_dir())
        return self._cache

    def worktree(self) -> Checker:
        from cairn.anchors import Checker

        if self._worktree is None:
            self._worktree = Checker(self.ws, Target.worktree(), cache=self.cache)
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

    def judge(self, notes: Sequence[Note], buffers: Mapping[str, str] | None,
              name: bool = True) -> dict[str, NoteView]:
        """Every note's freshness and anchor verdicts against the working tree (+ `buffers`).

        `name=False`: the same verdicts, but without naming the commit that changed stale code (the
        engine's history walk, seconds when a checkout makes a thousand anchors stale). The session
        publishes those at once and names them in a second pass.
        """
        from cairn.anchors import Checker

        if not notes:
            return {}
        if not name and not buffers:
            return self._judge_unnamed(notes)
        if buffers:
            if len(self.buffer_cache.entries) > 20_000:
                self.buffer_cache.entries.clear()
            # A throwaway checker per keystroke, laid over the shared working-tree view (`base`): no
            # listing or hashing of the repository, and (name=False) no history walk.
            checker = Checker(self.ws, Target.with_buffers(buffers), cache=self.buffer_cache, name_commits=name,
                              base=self.worktree())
        else:
            checker = self.worktree()
        report = checker.check(notes)
        by_id = {n.id: n for n in notes}
        return {c.id: to_view(c, by_id[c.id], self.ws) for c in report.notes if c.id in by_id}

    def _judge_unnamed(self, notes: Sequence[Note]) -> dict[str, NoteView]:
        # The engine caches only complete verdicts: fresh ones, and stale ones once a naming pass named them.
        report = self.worktree().check(notes, name_commits=False)
        by_id = {n.id: n for n in notes}
        return {c.id: to_view(c, by_id[c.id], self.ws) for c in report.notes if c.id in by_id}

    def reanchor(self, note_id: str, version: str | None, buffers: Mapping[str, str] | None = None) -> Note:
        """Every anchor to its current (or best current) lines, note marked reviewed, conditionally.

        With `buffers` (the editor's unsaved text) "current" is the code as the editor shows it, laid
        over the working tree this session already sees. The editor's re-anchor is a person's review:
        recorded as `reviewed_by` for provenance.
        """
        from cairn.anchors import Checker
        from cairn.gitio.authorship import user_name
        from cairn.reviewed import mark_reviewed

        by = user_name(self.ws.root) or "a person"
        if not buffers:
            return mark_reviewed(self.ws, note_id, version, reviewed_by=by)
        checker = Checker(self.ws, Target.with_buffers(buffers), cache=self.buffer_cache, base=self.worktree())
        return mark_reviewed(self.ws, note_id, version, checker=checker, reviewed_by=by)

    def diffs(self, note: Note) -> list[tuple[str, str, str]]:
        """(label, status, unified diff) per anchor: the code as recorded against the code now."""
        from cairn.anchors import anchor_diff

        checker = self.worktree()
        out = []
        for anchor, verdict in zip(note.anchors, checker.verdicts(list(note.anchors)), strict=True):
            diff = anchor_diff(self.ws, anchor, verdict, checker)
            out.append((anchor.label(), verdict.message or verdict.status, diff))
        return out


def open_index(ws: Workspace) -> NoteIndex:
    """The long-lived search index of a workspace (built or updated on open; notices go to the log)."""
    import logging

    from cairn.index import NoteIndex

    index = NoteIndex(ws, notice=lambda message: logging.getLogger("cairn.server").info("%s", message))
    index.refresh()
    return index


def update_index(session: Session, index: NoteIndex, note_files: Iterable[Path] | None) -> None:
    """Incremental: only the changed note files (or a cheap stat-only scan of all of them)."""
    index.refresh(list(note_files) if note_files is not None else None)


def search(session: Session, query: str, limit: int) -> list[dict[str, Any]]:
    """`cairn/search` hits: the index's BM25 ranking with each note's freshness from the engine."""
    from cairn.recall import search as recall_search

    hits = recall_search(session.ws, query, limit, index=session.index(), checker=session.judging.worktree())
    return [{"id": h.id, "path": h.path, "uri": (session.ws.root / h.path).as_uri(), "title": h.title,
             "kind": h.kind, "state": h.state or "fresh", "score": round(h.score, 4), "snippet": h.snippet}
            for h in hits]


def recall(session: Session, rel: str, line: int | None, query: str | None, budget: int | None,
           buffers: Mapping[str, str] | None, heading_level: int = 1) -> tuple[str, dict[str, Any]]:
    """The context pack for a place in the code, judged on the editor's buffer when it has one."""
    from cairn.recall import recall as engine_recall

    target = Target.with_buffers(buffers) if buffers else None
    checker = None if buffers else session.judging.worktree()
    pack = engine_recall(session.ws, rel, line, query, budget, target, index=session.index(), checker=checker,
                         heading_level=heading_level)
    data = pack.to_dict()
    for note in data.get("notes", []):
        note["uri"] = (session.ws.root / note["path"]).as_uri()
    return pack.to_markdown(), data
