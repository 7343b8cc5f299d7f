"""`cairn sync`: what git just did to the memory (merge, checkout, rebase), without touching tracked files.

Run by the git hooks. It judges every note against the working tree (warming the verdict cache that
`check`, recall and the editor read) and reports the notes that *just* went stale: the set of stale
notes is remembered in the workspace cache between runs, so a checkout that changes nothing says
nothing. Everything it writes is derived state under the git dir (`<git dir>/cairn/`): the stale set,
the current places of moved anchors (`locations.json`), the paths worth a sync (`watch-paths`, read
by the post-checkout hook's shell fast path). A hook never writes a tracked file: a note's recorded
lines change only when someone asks (`cairn sync --write`, `cairn check --update`), edits the note, or
opted in to the pre-commit re-anchoring (`cairn.precommit`).

`cairn sync --write` additionally re-anchors anchors whose code only moved or was reformatted (through
the store's conditional writes, so a concurrent edit of the note is never overwritten: that note is
simply re-anchored next time) and regenerates index.json.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cairn.filelock import exclusive_lock
from cairn.notes.store import NoteStore, atomic_write
from cairn.workspace import Workspace

STATE_FILE = "stale.json"
LOCK_FILE = "sync.lock"
LOG_FILE = "sync.log"
RESULT_FILE = "sync-result.json"
LOCATIONS_FILE = "locations.json"
WATCH_FILE = "watch-paths"


@dataclass
class StaleNote:
    id: str
    title: str
    path: str
    messages: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "path": self.path, "messages": self.messages}


@dataclass
class SyncReport:
    reanchored: list[str] = field(default_factory=list)  # note ids whose anchors were re-recorded (--write)
    moved: list[str] = field(default_factory=list)  # note ids with anchors whose code moved (lines not rewritten)
    newly_stale: list[StaleNote] = field(default_factory=list)
    stale: int = 0
    invalid: int = 0
    skipped: list[str] = field(default_factory=list)  # re-anchor lost a race; retried next sync
    head: str | None = None
    superseded: bool = False  # git moved the tree while we looked: a newer sync has the real answer

    def to_json(self) -> dict[str, Any]:
        return {"head": self.head, "superseded": self.superseded,
                "reanchored": self.reanchored, "moved": self.moved,
                "newly_stale": [n.to_json() for n in self.newly_stale],
                "stale": self.stale, "invalid": self.invalid, "skipped": self.skipped}

    def to_text(self, quiet_moves: bool = True) -> str:
        if self.superseded:
            return ""
        lines = []
        for note in self.newly_stale:
            lines.append(f"cairn: note went stale: {note.id} — {note.title}")
            lines.extend(f"    {m}" for m in note.messages)
        if self.reanchored:
            lines.append(f"cairn: re-anchored {len(self.reanchored)} note(s) whose code moved")
        elif self.moved and not self.newly_stale and not quiet_moves:
            lines.append(f"cairn: {len(self.moved)} note(s) follow code that moved (still fresh); "
                         "`cairn sync --write` records the new lines")
        if self.newly_stale:
            lines.append("cairn: run `cairn review` for an agent-ready update prompt, or `cairn check`")
        return "\n".join(lines) + ("\n" if lines else "")


def sync_lock(ws: Workspace) -> contextlib.AbstractContextManager[None]:
    """One sync at a time per repository (a checkout then a quick merge queue up, not interleave)."""
    return exclusive_lock(ws.cache_dir() / LOCK_FILE)


def _read_state(ws: Workspace) -> dict[str, list[str]] | None:
    """The stale notes of the last sync, each with its reasons (None when there was no sync yet)."""
    try:
        data = json.loads((ws.cache_dir() / STATE_FILE).read_text(encoding="utf-8"))
        stale = data.get("stale", {})
        if isinstance(stale, list):  # older format: ids only
            return {note_id: [] for note_id in stale}
        return {str(k): list(v) for k, v in stale.items()}
    except (OSError, ValueError, AttributeError):
        return None


def _write_state(ws: Workspace, stale: dict[str, list[str]]) -> None:
    atomic_write(ws.cache_dir() / STATE_FILE, json.dumps({"stale": stale}, indent=1, sort_keys=True) + "\n")


def sync(ws: Workspace, write: bool = False) -> SyncReport:
    """Judge every note, remember the derived state, report the notes that went stale since the last sync.

    Without `write` nothing outside the git dir is written (what the hooks run). With `write` (an
    explicit `cairn sync --write`) moved/reformatted anchors are re-recorded and index.json refreshed.
    """
    from cairn.anchors import Checker, Target, update_anchors

    report = SyncReport()
    with sync_lock(ws):
        report.head = _head(ws)
        store = NoteStore(ws)
        loaded = store.load()
        with Checker(ws, Target.worktree()) as checker:
            checked = checker.check(loaded.notes, loaded.errors)
            if _tree_moved(ws, report.head):
                # A checkout/merge ran while we read the files: what we saw may be half old, half new.
                # Write nothing; the hook of that git command starts a sync of the settled tree.
                report.superseded = True
                return report
            report.moved = [n.id for n in checked.notes
                            if n.note is not None and any(v.status in MOVING for v in n.anchors)]
            if write:
                report.reanchored = update_anchors(ws, checked, checker)
                report.skipped = [i for i in report.moved if i not in report.reanchored]
        report.invalid = len(checked.invalid)
        stale_now = {n.id: n for n in checked.stale}
        if write and store.root.is_dir():  # never create the notes folder
            from cairn.notes.index_json import write_index_json

            write_index_json(store)
        # First sync ever: everything stale is news (the hook was just installed or the cache wiped).
        before = _read_state(ws) or {}
        now: dict[str, list[str]] = {}
        for note_id, result in sorted(stale_now.items()):
            reasons = [v.message for v in result.stale_anchors]
            now[note_id] = reasons
            # News when it was not stale, or is stale for another reason now (e.g. an uncommitted edit
            # seen by an earlier sync has since been committed or merged).
            if before.get(note_id) != reasons:
                report.newly_stale.append(StaleNote(note_id, result.title, result.path, reasons))
        report.stale = len(stale_now)
        _write_state(ws, now)
        _write_locations(ws, report.head, checked, skip=set(report.reanchored))
        _write_watch_paths(ws, loaded.notes)
    return report


MOVING = ("moved", "reformatted")


def _write_locations(ws: Workspace, head: str | None, checked: Any, skip: set[str]) -> None:
    """`locations.json`: for each note with moved anchors, recorded place → where the code is now.

    Derived state for readers that look notes up by path (recall) while the recorded lines are left
    as they are. Omitted entries mean "at the recorded place" (or stale).
    """
    moved: dict[str, list[dict[str, Any]]] = {}
    for result in checked.notes:
        if result.id in skip:  # re-recorded just now: the recorded place is the current one
            continue
        places = []
        for v in result.anchors:
            current = v.current
            if v.status in MOVING and current is not None:
                places.append({"recorded": [v.anchor.path, v.anchor.start, v.anchor.end],
                               "current": [current[0], current[1], current[2]]})
        if places:
            moved[result.id] = places
    atomic_write(ws.cache_dir() / LOCATIONS_FILE,
                 json.dumps({"head": head, "moved": moved}, indent=1, sort_keys=True) + "\n")


def moved_locations(ws: Workspace) -> dict[str, list[tuple[str, int, int]]]:
    """Note id → current places of its moved anchors, as the last sync saw them (empty when unknown)."""
    try:
        data = json.loads((ws.cache_dir() / LOCATIONS_FILE).read_text(encoding="utf-8"))
        return {str(note_id): [(str(p["current"][0]), int(p["current"][1]), int(p["current"][2])) for p in places]
                for note_id, places in data.get("moved", {}).items()}
    except (OSError, ValueError, AttributeError, KeyError, TypeError, IndexError):
        return {}


def _write_watch_paths(ws: Workspace, notes: Any) -> None:
    """The paths whose change between two commits can change a verdict: anchored files and the notes folder.

    The post-checkout hook greps `git diff --name-only OLD NEW` for these (fixed strings; a false match
    only costs a sync) and skips the sync when none changed.
    """
    paths = {ws.notes_root_rel.rstrip("/") + "/"}
    for note in notes:
        paths.update(a.path for a in note.anchors)
    lines = sorted(p for p in paths if p and "\n" not in p)
    atomic_write(ws.cache_dir() / WATCH_FILE, "".join(f"{p}\n" for p in lines))


def _head(ws: Workspace) -> str | None:
    from cairn.gitio import open_repo

    return open_repo(ws.root).head() if ws.git_dir is not None else None


def _tree_moved(ws: Workspace, head: str | None) -> bool:
    """Whether git is changing the working tree now (index.lock held) or moved HEAD since `head`."""
    if ws.git_dir is None:
        return False
    return (ws.git_dir / "index.lock").exists() or _head(ws) != head


def result_path(ws: Workspace) -> Path:
    return ws.cache_dir() / RESULT_FILE


def run_and_record(ws: Workspace, write: bool = False) -> SyncReport:
    """Sync and leave the result (with this process's pid) in `sync-result.json` for whoever waits on it."""
    report = sync(ws, write=write)
    atomic_write(result_path(ws), json.dumps({"pid": os.getpid(), **report.to_json()}) + "\n")
    return report
