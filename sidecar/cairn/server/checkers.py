"""The anchor engine's checkers kept for one session, and its verdicts as the server's views.

The anchor engine (`cairn.anchors`) judges anchors, names the commit that changed them, re-anchors and
diffs. The session drives it through `SessionCheckers`, which keeps the working-tree `Checker` between
events and translates its `NoteCheck`s into `NoteView`s, so a change of engine API touches one file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from cairn.anchors.target import Target
from cairn.notes.model import Note
from cairn.server.views import AnchorView, NoteView, expiry_text
from cairn.workspace import Workspace

if TYPE_CHECKING:
    from cairn.anchors import Checker, NoteCheck
    from cairn.anchors.cache import VerdictCache


def to_view(check: NoteCheck, note: Note) -> NoteView:
    """One engine `NoteCheck` as the server's `NoteView`."""
    anchors = tuple(
        AnchorView(note.id, i, v.anchor.path, v.anchor.start, v.anchor.end, v.status, v.current, v.location,
                   v.changed_in, v.message, v.merged_in)
        for i, v in enumerate(check.anchors))
    state = check.state if check.state in ("fresh", "stale", "expired") else "fresh"
    return NoteView(note, state, anchors, check.expired, expiry_text(note) if check.expired else "")


class SessionCheckers:
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
        if not notes:
            return {}
        if not name and not buffers:
            return self._judge_unnamed(notes)
        checker = self.over_buffers(buffers, name) if buffers else self.worktree()
        report = checker.check(notes)
        by_id = {n.id: n for n in notes}
        return {c.id: to_view(c, by_id[c.id]) for c in report.notes if c.id in by_id}

    def _judge_unnamed(self, notes: Sequence[Note]) -> dict[str, NoteView]:
        # The engine caches only complete verdicts: fresh ones, and stale ones once a naming pass named them.
        report = self.worktree().check(notes, name_commits=False)
        by_id = {n.id: n for n in notes}
        return {c.id: to_view(c, by_id[c.id]) for c in report.notes if c.id in by_id}

    def over_buffers(self, buffers: Mapping[str, str], name: bool = True) -> Checker:
        """A throwaway checker for the editor's unsaved text (path → text), laid over the shared
        working-tree view (`base`): no listing or hashing of the repository; `name=False`: no history walk."""
        from cairn.anchors import Checker

        if len(self.buffer_cache.entries) > 20_000:
            self.buffer_cache.entries.clear()
        return Checker(self.ws, Target.with_buffers(buffers), cache=self.buffer_cache, name_commits=name,
                       base=self.worktree())

    def diffs(self, note: Note) -> list[tuple[str, str, str]]:
        """(label, status, unified diff) per anchor: the code as recorded against the code now."""
        from cairn.anchors import anchor_diff

        checker = self.worktree()
        out = []
        for anchor, verdict in zip(note.anchors, checker.verdicts(list(note.anchors)), strict=True):
            diff = anchor_diff(self.ws, anchor, verdict, checker)
            out.append((anchor.label(), verdict.message or verdict.status, diff))
        return out
