"""Adapters from the engine's answers to the server's views (`AnchorView`, `NoteView`).

The anchor engine (`cairn.anchors`) judges anchors, names the commit that changed them, re-anchors and
diffs; search and recall (`cairn.index`, `cairn.recall`) rank notes. This module translates their
results into the shapes the features use, so a change of engine API touches one file.
"""

from __future__ import annotations

import difflib
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.notes.model import Note
from cairn.timeutil import now_utc
from cairn.workspace import Workspace

if TYPE_CHECKING:
    from cairn.server.engine import AnchorView, NoteView, Session


def _read(ws: Workspace, rel: str, buffers: Mapping[str, str] | None) -> str | None:
    if buffers and rel in buffers:
        return buffers[rel]
    try:
        return (ws.root / rel).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _git(ws: Workspace, *args: str) -> str | None:
    proc = subprocess.run(["git", *args], cwd=ws.root, capture_output=True, text=True, check=False)
    return proc.stdout if proc.returncode == 0 else None


def _recorded_lines(ws: Workspace, note: Note, index: int) -> list[str] | None:
    anchor = note.anchors[index]
    if anchor.commit:
        text = _git(ws, "show", f"{anchor.commit}:{anchor.path}")
        if text is not None:
            return text.splitlines()[anchor.start - 1: anchor.end]
    return None


def _interim_anchor(ws: Workspace, note: Note, index: int, buffers: Mapping[str, str] | None) -> AnchorView:
    from cairn.server.engine import AnchorView

    anchor = note.anchors[index]
    text = _read(ws, anchor.path, buffers)
    recorded = _recorded_lines(ws, note, index)
    if text is None:
        return AnchorView(note.id, index, anchor.path, anchor.start, anchor.end, "deleted", None,
                          (anchor.path, anchor.start, anchor.end), None, f"{anchor.path} was deleted")
    lines = text.splitlines()
    size = anchor.end - anchor.start + 1
    if recorded is None:
        recorded = lines[anchor.start - 1: anchor.end]
    found = [i for i in range(len(lines) - size + 1) if lines[i: i + size] == recorded]
    if found:
        best = min(found, key=lambda i: abs(i + 1 - anchor.start))
        status = "intact" if best + 1 == anchor.start else "moved"
        cur = (anchor.path, best + 1, best + size)
        return AnchorView(note.id, index, anchor.path, anchor.start, anchor.end, status, cur, cur, None, "")
    matcher = difflib.SequenceMatcher(a=recorded, b=lines, autojunk=False)
    block = matcher.find_longest_match(0, len(recorded), 0, len(lines))
    start = block.b - block.a + 1 if block.size else anchor.start
    start = max(1, min(start, max(1, len(lines))))
    end = max(start, min(start + size - 1, max(1, len(lines))))
    changed_in = "uncommitted"
    if buffers is None or anchor.path not in buffers:
        log = _git(ws, "log", "-1", "--format=%H%x09%s", f"{anchor.commit}..HEAD", "--", anchor.path) \
            if anchor.commit else None
        if log and log.strip():
            sha, _, subject = log.strip().partition("\t")
            head_text = _git(ws, "show", f"HEAD:{anchor.path}") or ""
            if head_text.splitlines() == lines:
                changed_in = sha
                message = f"anchored lines changed in {sha[:7]} ({subject})"
                return AnchorView(note.id, index, anchor.path, anchor.start, anchor.end, "changed", None,
                                  (anchor.path, start, end), changed_in, message)
    return AnchorView(note.id, index, anchor.path, anchor.start, anchor.end, "changed", None,
                      (anchor.path, start, end), changed_in, "anchored lines changed (uncommitted)")


def judge_notes(ws: Workspace, notes: Sequence[Note], buffers: Mapping[str, str] | None) -> dict[str, NoteView]:
    """Every note's freshness and anchor verdicts against the working tree (+ `buffers`)."""
    from cairn.server.engine import NoteView, expiry_text

    now = now_utc()
    out: dict[str, NoteView] = {}
    for note in notes:
        anchors = tuple(_interim_anchor(ws, note, i, buffers) for i in range(len(note.anchors)))
        expired = note.expired(now, ws.config)
        state = "stale" if any(a.stale for a in anchors) else "expired" if expired else "fresh"
        out[note.id] = NoteView(note, state, anchors, expired, expiry_text(note, ws) if expired else "")
    return out


def reanchored(ws: Workspace, note: Note, view: NoteView) -> list[dict[str, Any]]:
    """New frontmatter anchors: each at its current (or best) range, re-recorded at HEAD."""
    from cairn.anchors.record import record_anchor

    out = []
    for anchor, verdict in zip(note.anchors, view.anchors, strict=True):
        path, start, end = verdict.current or verdict.shown
        if verdict.status == "deleted" and not (ws.root / path).is_file():
            out.append(dict(anchor.data))
            continue
        out.append(record_anchor(ws, path, start, end))
    return out


def anchor_diffs(ws: Workspace, note: Note, view: NoteView) -> list[tuple[str, str]]:
    """(label, unified diff) per anchor: the recorded code against the code there now."""
    out = []
    for index, verdict in enumerate(view.anchors):
        recorded = _recorded_lines(ws, note, index) or []
        path, start, end = verdict.current or verdict.shown
        text = _read(ws, path, None) or ""
        current = text.splitlines()[start - 1: end]
        diff = "\n".join(difflib.unified_diff(recorded, current, f"a/{verdict.path}", f"b/{path}", lineterm=""))
        out.append((f"{verdict.path}:{verdict.start}-{verdict.end} ({verdict.status})", diff))
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
