"""`cairn sync`: bring the memory up to date after git moved the working tree (merge, checkout, rebase).

Run by the git hooks. It judges every note against the working tree, silently re-anchors anchors whose
code only moved or was reformatted (through the store's conditional writes, so a concurrent edit of
the note is never overwritten: that note is simply re-anchored next time), regenerates index.json, and
reports the notes that *just* went stale: the set of stale notes is remembered in the workspace cache
between runs, so a checkout that does not change anything says nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cairn.errors import CairnError, ConflictError
from cairn.notes.store import NoteStore, atomic_write
from cairn.workspace import Workspace

STATE_FILE = "stale.json"
LOCK_FILE = "sync.lock"
LOG_FILE = "sync.log"
RESULT_FILE = "sync-result.json"


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
    reanchored: list[str] = field(default_factory=list)  # note ids whose anchors were moved
    newly_stale: list[StaleNote] = field(default_factory=list)
    stale: int = 0
    invalid: int = 0
    skipped: list[str] = field(default_factory=list)  # re-anchor lost a race; retried next sync

    def to_json(self) -> dict[str, Any]:
        return {"reanchored": self.reanchored, "newly_stale": [n.to_json() for n in self.newly_stale],
                "stale": self.stale, "invalid": self.invalid, "skipped": self.skipped}

    def to_text(self) -> str:
        lines = []
        for note in self.newly_stale:
            lines.append(f"cairn: note went stale: {note.id} — {note.title}")
            lines.extend(f"    {m}" for m in note.messages)
        if self.reanchored:
            lines.append(f"cairn: re-anchored {len(self.reanchored)} note(s) whose code moved")
        if self.newly_stale:
            lines.append("cairn: run `cairn review` for an agent-ready update prompt, or `cairn check`")
        return "\n".join(lines) + ("\n" if lines else "")


@contextlib.contextmanager
def sync_lock(ws: Workspace) -> Iterator[None]:
    """One sync at a time per repository (a checkout then a quick merge queue up, not interleave)."""
    path = ws.cache_dir() / LOCK_FILE
    with path.open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _read_state(ws: Workspace) -> set[str] | None:
    try:
        data = json.loads((ws.cache_dir() / STATE_FILE).read_text(encoding="utf-8"))
        return set(data.get("stale", []))
    except (OSError, ValueError, AttributeError):
        return None


def _write_state(ws: Workspace, stale: set[str]) -> None:
    atomic_write(ws.cache_dir() / STATE_FILE, json.dumps({"stale": sorted(stale)}, indent=1) + "\n")


def reanchored_anchors(ws: Workspace, note: Any, verdicts: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The note's anchors with moved/reformatted ones re-recorded at their current place; None if none moved."""
    from cairn.anchors import reanchor

    return reanchor(ws, note, verdicts)  # type: ignore[no-any-return]


def sync(ws: Workspace) -> SyncReport:
    """Re-anchor, refresh index.json, and report the notes that went stale since the last sync."""
    from cairn.anchors import Target, check_notes
    from cairn.notes.index_json import write_index_json

    report = SyncReport()
    with sync_lock(ws):
        store = NoteStore(ws)
        loaded = store.load()
        report.invalid = len({e.path for e in loaded.errors})
        by_id = loaded.by_id()
        checked = check_notes(ws, loaded.notes, target=Target.worktree()).to_json()
        stale_now: dict[str, dict[str, Any]] = {}
        for entry in checked.get("notes", []):
            note = by_id.get(entry.get("id"))
            if note is None:
                continue
            verdicts = entry.get("anchors", [])
            if entry.get("state") == "stale":
                stale_now[note.id] = entry
            if any(v.get("status") in ("moved", "reformatted") for v in verdicts):
                try:
                    anchors = reanchored_anchors(ws, note, verdicts)
                    if anchors is not None:
                        store.set_anchors(note.id, note.version, anchors)
                        report.reanchored.append(note.id)
                except ConflictError:
                    report.skipped.append(note.id)
                except CairnError:
                    report.skipped.append(note.id)
        write_index_json(store)
        previous = _read_state(ws)
        # First sync ever: everything stale is news (the hook was just installed or the cache wiped).
        before = previous if previous is not None else set()
        for note_id in sorted(set(stale_now) - before):
            entry = stale_now[note_id]
            messages = [str(v.get("message") or v.get("status")) for v in entry.get("anchors", [])
                        if v.get("status") in ("changed", "deleted")]
            report.newly_stale.append(StaleNote(note_id, str(entry.get("title", "")),
                                                str(entry.get("path", "")), messages))
        report.stale = len(stale_now)
        _write_state(ws, set(stale_now))
    return report


def log_path(ws: Workspace) -> Path:
    return ws.cache_dir() / LOG_FILE


def result_path(ws: Workspace) -> Path:
    return ws.cache_dir() / RESULT_FILE


def run_and_record(ws: Workspace) -> SyncReport:
    """Sync and leave the result where a waiting hook (or the next one) can print it."""
    report = sync(ws)
    atomic_write(result_path(ws), json.dumps({"pid": os.getpid(), **report.to_json()}) + "\n")
    return report
