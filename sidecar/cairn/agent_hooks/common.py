"""What the three hooks share: the workspace of the call, judging notes quickly, and the pack they print.

Hooks run once per tool call, so they take the fast paths of the engine: the search index's
"anchored in this file" (no parsing of every note), the anchor engine with its persistent verdict cache
and without naming the commit that broke a stale anchor (that walks history: `cairn check` does it),
and the same pack renderer as recall, so hook context carries the same provenance lines and opening
line as every other pack.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cairn.agent_hooks.note_map import NoteMap
    from cairn.agent_hooks.protocol import HookInput
    from cairn.anchors.engine import Checker
    from cairn.notes.model import Note
    from cairn.recall.freshness import Freshness
    from cairn.recall.pack import PackNote
    from cairn.recall.provenance import Provenance
    from cairn.workspace import Workspace


@dataclass(frozen=True)
class HookContext:
    """What the process running a hook offers it besides the input.

    A whole `cairn agent-hook` process reads the note map from its file; a warm process (`cairn daemon`,
    which the hook command forwards to when it runs) passes `note_maps`, its maps kept in memory by an
    inotify watch. `start_warm` is offered by the `cairn` executable when it ran the hook itself: the
    SessionStart hook calls it in a repository with `[agents] daemon_at_notes` notes or more, so the
    session's later hooks are answered warm (the engine does not know how a daemon is started)."""

    notes_root: str | None = None
    note_maps: Callable[[Workspace], NoteMap] | None = None
    start_warm: Callable[[Workspace], None] | None = None

    def note_map(self, ws: Workspace) -> NoteMap:
        """The workspace's note map, current with the note files on disk."""
        if self.note_maps is not None:
            return self.note_maps(ws)
        from cairn.agent_hooks.note_map import NoteMap

        return NoteMap(ws)


def workspace_for(inp: HookInput, notes_root: str | None = None) -> Workspace:
    """The workspace Claude Code runs in (`cwd` of the input, else the process's directory)."""
    from cairn.workspace import Workspace

    start = inp.cwd if inp.cwd and os.path.isdir(inp.cwd) else os.getcwd()
    return Workspace.discover(start, notes_root=notes_root)


def quick_checker(ws: Workspace) -> Checker:
    """A working-tree checker that uses the verdict cache and never walks history."""
    from cairn.anchors.engine import Checker
    from cairn.anchors.target import Target

    return Checker(ws, Target.worktree(), name_commits=False)


def assess(ws: Workspace, notes: list[Note], checker: Checker, now: datetime) -> dict[str, Freshness]:
    from cairn.recall.freshness import Assessor

    return Assessor(ws, None, checker).assess(notes, now)


def assess_quickly(ws: Workspace, notes: list[Note]) -> tuple[dict[str, Freshness], str | None]:
    """Each note's freshness now, by a `quick_checker` (closed after), and the HEAD it judged against."""
    from cairn.timeutil import now_utc

    checker = quick_checker(ws)
    try:
        return assess(ws, notes, checker, now_utc()), checker.head
    finally:
        checker.close()


def pack_note(note: Note, info: Freshness, provenance: Provenance) -> PackNote:
    from cairn.recall.pack import PackNote, sanitize_body
    from cairn.recall.provenance import UNREVIEWED_AGENT_FACTOR, unreviewed_agent

    labels = [f"{a.current[0]}:{a.current[1]}-{a.current[2]}" if a.current else a.label for a in info.anchors]
    score = info.factor * (UNREVIEWED_AGENT_FACTOR if unreviewed_agent(note.meta) else 1.0)
    return PackNote(id=note.id, path=note.rel_path, title=note.title, kind=note.kind, state=info.state,
                    freshness=info.line, anchors=labels, body=sanitize_body(note.body), score=score,
                    status=note.status, provenance=provenance.line(note))


def render_pack(ws: Workspace, head: str | None, label: str, notes: list[PackNote], budget: int) -> Any:
    """A recall pack (markdown with the opening line and provenance) of `notes` in the given order."""
    from cairn.recall.pack import Pack, render

    pack = Pack(repository=ws.root.name, head=head, file=label, line=None, budget=budget)
    return render(pack, notes)


__all__ = ["HookContext", "assess", "pack_note", "quick_checker", "render_pack", "workspace_for"]
