"""`cairn sync`: bring the memory up to date after git moved the working tree (merge, checkout, rebase).

Run by the git hooks. It judges every note against the working tree, silently re-anchors anchors whose
code only moved or was reformatted (through the store's conditional writes, so a concurrent edit of
the note is never overwritten: that note is simply re-anchored next time), regenerates index.json, and
reports the notes that *just* went stale: the set of stale notes is remembered in the workspace cache
between runs, so a checkout that does not change anything says nothing.
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
from cairn.terminal import safe_text
from cairn.workspace import Workspace

STATE_FILE = "stale.json"
LOCK_FILE = "sync.lock"
LOG_FILE = "sync.log"
RESULT_FILE = "sync-result.json"
NEWS_FILE = "sync-news.txt"


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
    head: str | None = None
    superseded: bool = False  # git moved the tree while we looked: a newer sync has the real answer

    def to_json(self) -> dict[str, Any]:
        return {"head": self.head, "superseded": self.superseded,
                "reanchored": self.reanchored, "newly_stale": [n.to_json() for n in self.newly_stale],
                "stale": self.stale, "invalid": self.invalid, "skipped": self.skipped}

    def to_text(self) -> str:
        if self.superseded:
            return ""
        lines = []
        for note in self.newly_stale:
            lines.append(f"cairn: note went stale: {note.id} — {note.title}")
            lines.extend(f"    {m}" for m in note.messages)
        if self.reanchored:
            lines.append(f"cairn: re-anchored {len(self.reanchored)} note(s) whose code moved")
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


def sync(ws: Workspace) -> SyncReport:
    """Re-anchor, refresh index.json, and report the notes that went stale since the last sync."""
    from cairn.anchors import Checker, Target, update_anchors
    from cairn.notes.index_json import write_index_json

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
            moving = [n.id for n in checked.notes
                      if n.note is not None and any(v.status in ("moved", "reformatted") for v in n.anchors)]
            report.reanchored = update_anchors(ws, checked, checker)
        report.skipped = [i for i in moving if i not in report.reanchored]
        report.invalid = len(checked.invalid)
        stale_now = {n.id: n for n in checked.stale}
        if store.root.is_dir():  # never create the notes folder from a hook
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
    return report


def _head(ws: Workspace) -> str | None:
    from cairn.gitio.ranges import repo_for

    if ws.git_dir is None:
        return None
    out = repo_for(ws.root).run(["rev-parse", "--verify", "-q", "HEAD"], check=False).decode().strip()
    return out or None


def _tree_moved(ws: Workspace, head: str | None) -> bool:
    """Whether git is changing the working tree now (index.lock held) or moved HEAD since `head`."""
    if ws.git_dir is None:
        return False
    return (ws.git_dir / "index.lock").exists() or _head(ws) != head


def report_from_json(data: dict[str, Any]) -> SyncReport:
    return SyncReport(reanchored=list(data.get("reanchored", [])), stale=int(data.get("stale", 0)),
                      head=data.get("head"), superseded=bool(data.get("superseded")),
                      invalid=int(data.get("invalid", 0)), skipped=list(data.get("skipped", [])),
                      newly_stale=[StaleNote(n["id"], n["title"], n["path"], list(n.get("messages", [])))
                                   for n in data.get("newly_stale", [])])


def log_path(ws: Workspace) -> Path:
    return ws.cache_dir() / LOG_FILE


def result_path(ws: Workspace) -> Path:
    return ws.cache_dir() / RESULT_FILE


def run_and_record(ws: Workspace) -> SyncReport:
    """Sync and leave the news (notes that just went stale) where the waiting hook, or the next one, shows it.

    The news file's first line is the HEAD the sync judged, so a hook on another commit drops it.
    """
    report = sync(ws)
    atomic_write(result_path(ws), json.dumps({"pid": os.getpid(), **report.to_json()}) + "\n")
    text = report.to_text()
    if report.newly_stale and text and report.head:
        # The post-checkout hook prints this file with `cat`: terminal-safe text only.
        atomic_write(ws.cache_dir() / NEWS_FILE, f"{report.head}\n{safe_text(text)}")
    return report
