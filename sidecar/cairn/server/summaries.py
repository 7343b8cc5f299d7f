"""Whole-workspace listings for the custom requests `cairn/stale` and `cairn/notes`.

Plain data (JSON-ready dicts with 1-based lines and file URIs) read from a session's published state;
they never call the engine, so they answer from the loop without waiting for a refresh in progress.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cairn.server.views import PublishedState


def stale_notes(root: Path, published: PublishedState) -> list[dict[str, Any]]:
    """Every note with a stale anchor, by id, with where its code is now."""
    out = []
    for view in sorted(published.notes.values(), key=lambda v: v.id):
        stale = view.stale_anchors()
        if not stale:
            continue
        out.append({
            "id": view.id, "path": view.note.rel_path, "uri": (root / view.note.rel_path).as_uri(),
            "title": view.note.title,
            "anchors": [{"path": a.path, "lines": [a.start, a.end], "message": a.message,
                         "changed_in": a.changed_in, "merged_in": a.merged_in,
                         "current": {"path": a.shown[0], "lines": [a.shown[1], a.shown[2]]}
                         if a.status == "changed" else None} for a in stale],
        })
    return out


def notes_list(root: Path, published: PublishedState) -> dict[str, Any]:
    """Every note with its freshness and anchors (where the code is now first), for the notes view."""
    out = []
    attention = {"stale": 0, "expired": 1}  # what needs a person first, then the rest by title
    views = sorted(published.notes.values(), key=lambda v: (attention.get(v.state, 2), v.note.title, v.id))
    for view in views:
        out.append({
            "id": view.id, "path": view.note.rel_path, "uri": (root / view.note.rel_path).as_uri(),
            "title": view.note.title, "kind": view.note.kind, "state": view.state, "badge": view.badge,
            "anchors": [{
                "path": a.shown[0], "lines": [a.shown[1], a.shown[2]],
                "uri": (root / a.shown[0]).as_uri(),
                "recorded": {"path": a.path, "lines": [a.start, a.end]},
                "status": a.status,
            } for a in view.anchors],
        })
    invalid = [{"path": e.path, "uri": (root / e.path).as_uri(), "line": e.line, "message": e.message}
               for e in published.errors]
    return {"notes": out, "invalid": invalid}
