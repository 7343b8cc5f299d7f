"""The session's saved state (`server-state.bin` under the git dir) in a form that loads fast: tuples for `marshal`.

Why not pickle: 10,000 notes and 50,000 verdicts as dataclasses take seconds to unpickle; the same data
as tuples of strings and numbers loads in a fraction of that, which is most of the start-up time of a
warm server. Only what the server reads is kept (a restored `Note` has an empty `meta`: nothing in the
server or the engine paths it calls reads it; every write re-reads the file through the store).
"""

from __future__ import annotations

import marshal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cairn import __version__
from cairn.notes.model import Anchor, Note, NoteError
from cairn.server.views import AnchorView, NoteView

FORMAT = 4  # 4: strings interned when saved (marshal keeps the flag), nothing re-interned on load


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def _i(text: str | None) -> str | None:
    """Interned: the same path, commit or kind in 100,000 anchors is one string in memory, and marshal
    writes it once and loads it interned (`marshal` keeps the interned flag and shares repeated objects)."""
    return sys.intern(text) if isinstance(text, str) else text


def _anchor_data(data: dict[Any, Any]) -> dict[str, Any]:
    return {sys.intern(str(k)): (sys.intern(v) if k in ("path", "commit") and isinstance(v, str) else v)
            for k, v in data.items()}


def note_to_tuple(note: Note) -> tuple[Any, ...]:
    anchors = tuple((_i(a.path), a.start, a.end, _i(a.commit), _anchor_data(a.data), a.line, a.lines_line)
                    for a in note.anchors)
    return (note.id, note.rel_path, note.title, _i(note.kind), note.tags, _i(note.status), note.supersedes,
            _ts(note.created), _ts(note.reviewed), _ts(note.updated),
            note.ttl.total_seconds() if note.ttl is not None else None, anchors, note.body, note.version,
            dict(note.key_lines))


def note_from_tuple(t: tuple[Any, ...]) -> Note:
    anchors = tuple(Anchor(p, s, e, c, d, line, ll) for p, s, e, c, d, line, ll in t[11])
    return Note(id=t[0], rel_path=t[1], title=t[2], kind=t[3], tags=tuple(t[4]), status=t[5], supersedes=tuple(t[6]),
                created=_dt(t[7]), reviewed=_dt(t[8]), updated=_dt(t[9]),
                ttl=timedelta(seconds=t[10]) if t[10] is not None else None, anchors=anchors, meta={},
                body=t[12], version=t[13], key_lines=t[14])


def view_to_tuple(view: NoteView) -> tuple[Any, ...]:
    anchors = tuple((a.index, _i(a.status), (_i(a.current[0]), a.current[1], a.current[2]) if a.current else None,
                     (_i(a.shown[0]), a.shown[1], a.shown[2]), _i(a.changed_in), a.message, _i(a.merged_in))
                    for a in view.anchors)
    return (view.note.id, _i(view.state), anchors, view.expired, view.age)


def view_from_tuple(t: tuple[Any, ...], note: Note) -> NoteView | None:
    if len(t[2]) != len(note.anchors):
        return None
    note_id = note.id
    anchors = tuple(AnchorView(note_id, index, anchor.path, anchor.start, anchor.end, status, current, shown,
                               changed_in, message, merged_in)
                    for (index, status, current, shown, changed_in, message, merged_in), anchor
                    in zip(t[2], note.anchors, strict=True))
    return NoteView(note, t[1], anchors, t[3], t[4])


def save(path: Path, root: str, notes: dict[str, tuple[tuple[int, int, int], Note | list[NoteError]]],
         views: dict[str, NoteView], keys: dict[str, str | None], head: str | None) -> None:
    """Write the state atomically (temporary file + rename)."""
    import os

    encoded_notes = {}
    for rel, (stat, result) in notes.items():
        if isinstance(result, Note):
            encoded_notes[rel] = (stat, 1, note_to_tuple(result))
        else:
            encoded_notes[rel] = (stat, 0, tuple((e.path, e.line, e.message, e.note_id) for e in result))
    data = (FORMAT, __version__, root, encoded_notes, tuple(view_to_tuple(v) for v in views.values()), keys, head)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        tmp.write_bytes(marshal.dumps(data))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def load(path: Path, root: str) -> tuple[dict[str, tuple[tuple[int, int, int], Note | list[NoteError]]],
                                        dict[str, NoteView], dict[str, str | None], str | None] | None:
    """The saved state, or None (missing, other format or Cairn version, other root, damaged: a cold start)."""
    try:
        data = marshal.loads(path.read_bytes())
        fmt, version, saved_root, encoded_notes, encoded_views, keys, head = data
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if fmt != FORMAT or version != __version__ or saved_root != root:  # the rules that made it may differ
        return None
    notes: dict[str, tuple[tuple[int, int, int], Note | list[NoteError]]] = {}
    by_id: dict[str, Note] = {}
    for rel, (stat, ok, payload) in encoded_notes.items():
        if ok:
            note = note_from_tuple(payload)
            notes[rel] = ((stat[0], stat[1], stat[2]), note)
            by_id[note.id] = note
        else:
            notes[rel] = ((stat[0], stat[1], stat[2]), [NoteError(*e) for e in payload])
    views: dict[str, NoteView] = {}
    for t in encoded_views:
        owner = by_id.get(t[0])
        view = view_from_tuple(t, owner) if owner is not None else None
        if view is not None:
            views[view.id] = view
    return notes, views, dict(keys), head
