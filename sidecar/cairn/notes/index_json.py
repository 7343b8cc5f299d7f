"""`agent-context/index.json`: a derived, deterministic summary of the notes.

It holds each note's kind, title, tags, status, anchors and freshness timestamps, and a tag → notes
index, so tools without a YAML parser (CI scripts, dashboards, other agents) can read the memory at a
glance. It is derived data: `cairn index` regenerates it from the notes, and the same notes always give
byte-identical output (sorted keys, fixed formatting, no generation time), so two branches that hold
the same notes never conflict over it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.atomicfile import atomic_write
from cairn.notes.model import Note
from cairn.timeutil import format_timestamp

if TYPE_CHECKING:
    from cairn.notes.store import NoteStore

INDEX_FILE = "index.json"
FORMAT_VERSION = 1


def index_path(store: NoteStore) -> Path:
    return store.root / INDEX_FILE


def note_entry(note: Note) -> dict[str, Any]:
    def stamp(value: Any) -> str | None:
        return format_timestamp(value) if value is not None else None

    return {
        "anchors": [anchor.label() for anchor in note.anchors],
        "created": stamp(note.created),
        "kind": note.kind,
        "path": note.rel_path,
        "reviewed": stamp(note.reviewed),
        "status": note.status,
        "tags": sorted(set(note.tags)),
        "title": note.title,
        "updated": stamp(note.updated or note.reviewed or note.created),
    }


def render_index(entries: dict[str, dict[str, Any]]) -> str:
    tags: dict[str, list[str]] = {}
    for note_id, entry in entries.items():
        for tag in entry.get("tags", []):
            tags.setdefault(tag, []).append(note_id)
    data = {
        "generator": "cairn",
        "notes": entries,
        "tags": {tag: sorted(ids) for tag, ids in tags.items()},
        "version": FORMAT_VERSION,
    }
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def build_index_text(notes: Iterable[Note]) -> str:
    return render_index({note.id: note_entry(note) for note in notes})


def write_index_json(store: NoteStore) -> Path:
    """Regenerate index.json from every valid note (the `cairn index` command)."""
    path = index_path(store)
    text = build_index_text(store.load().notes)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        atomic_write(path, text)
    return path


def update_index_json(store: NoteStore, changed: Iterable[Note]) -> None:
    """Refresh the entries of `changed` notes; rebuild everything when the file is missing or odd.

    Called by the store after each write, already under the store's write lock.
    """
    path = index_path(store)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != FORMAT_VERSION or not isinstance(data.get("notes"), dict):
            raise ValueError("old format")
        entries: dict[str, dict[str, Any]] = data["notes"]
    except (OSError, ValueError, AttributeError):
        write_index_json(store)
        return
    for note in changed:
        entries[note.id] = note_entry(note)
    atomic_write(path, render_index(entries))
