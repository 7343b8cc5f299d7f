"""A small map of every note (file, kind, status, last review, anchored files) for the agent hooks.

A hook runs on every file edit, so it must not pay for the search index: a refresh there re-indexes
the notes of a code file that just changed (a Tantivy commit, ~100 ms). This map answers the hooks'
only questions (which notes are anchored in this file, which are the latest session notes, which were
reviewed most recently) from `<git dir>/cairn/agent-notes.json`, kept current by one directory scan:
note files whose size or mtime changed are parsed again (by the note store's parser), the others are
taken from the map. Notes that do not parse are left out, as recall leaves them out.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from cairn.notes.files import NoteFile
    from cairn.workspace import Workspace

MAP_FILE = "agent-notes.json"
FORMAT = 1


@dataclass
class MapEntry:
    id: str
    rel_path: str
    kind: str
    status: str
    reviewed: str  # ISO timestamp of the last review (or creation); "" when unknown
    files: list[str]  # repository-relative paths of its anchors


class NoteMap:
    """The notes of one workspace as the hooks need them (see the module docstring).

    `files`: where `refresh()` learns which note files exist and their stat, as for the search index: a
    warm process (`cairn daemon`) passes its inotify watch's `files` (cairn.notes.watch), so a refresh
    re-stats only what changed; it answers None when it cannot, and then the folder is scanned. A map
    kept by such a process refreshes from its own memory, not from the map file."""

    def __init__(self, ws: Workspace, files: Callable[[], list[NoteFile] | None] | None = None) -> None:
        self.ws = ws
        self.path = ws.cache_dir() / MAP_FILE
        self._files = files
        self._key = [FORMAT, str(ws.notes_root), repr(ws.config)]
        self._entries: dict[str, list[Any]] | None = None  # rel → [mtime_ns, size, info or None]
        self._info: dict[str, list[Any]] = {}  # id → [id, rel_path, kind, status, reviewed, files]
        self._by_file: dict[str, list[str]] | None = None
        self.refresh()

    def _read_map_file(self) -> dict[str, list[Any]]:
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("key") == self._key and isinstance(data.get("notes"), dict):
                notes: dict[str, list[Any]] = data["notes"]
                return notes
        return {}

    def _stamps(self) -> dict[str, tuple[int, int]]:
        """rel path → (mtime_ns, size) of every note file, the stat key the map is refreshed on: from the
        `files` source, else from the one shared scan (cairn.notes.files)."""
        listed = self._files() if self._files is not None else None
        if listed is None:
            from cairn.notes.files import scan

            listed = scan(self.ws.notes_root)
        return {f.rel: (f.mtime_ns, f.size) for f in listed}

    def refresh(self) -> None:
        """Bring the map up to the note files on disk: parse again only those whose stat changed."""
        root = self.ws.notes_root
        cached = self._entries if self._entries is not None else self._read_map_file()
        files = self._stamps()
        out: dict[str, list[Any]] = {}
        changed = len(files) != len(cached)
        store = None
        for rel, stamp in files.items():
            old = cached.get(rel)
            if old is not None and old[0] == stamp[0] and old[1] == stamp[1]:
                out[rel] = old
                continue
            changed = True
            if store is None:
                from cairn.notes.store import NoteStore

                store = NoteStore(self.ws)
            note = store.read_file(root / rel)
            if isinstance(note, list):
                out[rel] = [stamp[0], stamp[1], None]
                continue
            reviewed = note.last_reviewed.isoformat() if note.last_reviewed else ""
            out[rel] = [stamp[0], stamp[1], [note.id, note.rel_path, note.kind, note.status, reviewed,
                                              sorted({a.path for a in note.anchors})]]
        self._entries = out
        if not changed and self._info:
            return
        if changed:
            with contextlib.suppress(OSError):
                tmp = self.path.with_name(f".{MAP_FILE}.{os.getpid()}.tmp")
                tmp.write_text(json.dumps({"key": self._key, "notes": out}, ensure_ascii=False), encoding="utf-8")
                os.replace(tmp, self.path)
        self._info = {value[2][0]: value[2] for value in out.values() if value[2]}
        self._by_file = None

    def modified_since(self, since_ns: int) -> bool:
        """Whether any note file was modified at or after `since_ns`, by the stat data of the last refresh
        (as cairn.notes.files.modified_since answers from the disk)."""
        return any(value[0] >= since_ns for value in (self._entries or {}).values())

    def entry(self, note_id: str) -> MapEntry | None:
        info = self._info.get(note_id)
        return MapEntry(info[0], info[1], info[2], info[3], info[4], list(info[5])) if info else None

    def __len__(self) -> int:
        return len(self._info)

    def anchored_in(self, rel: str) -> list[str]:
        """Ids of the notes with an anchor recorded in the file `rel`."""
        if self._by_file is None:
            self._by_file = {}
            for info in self._info.values():
                for path in info[5]:
                    self._by_file.setdefault(path, []).append(info[0])
        return sorted(self._by_file.get(rel, ()))

    def latest(self, kind: str | None = None, limit: int = 10) -> list[str]:
        """Ids of active notes (of `kind`), most recently reviewed first."""
        chosen = [i for i in self._info.values() if i[3] == "active" and (kind is None or i[2] == kind)]
        chosen.sort(key=lambda i: (i[4], i[0]), reverse=True)
        return [i[0] for i in chosen[:limit]]

    def note(self, note_id: str) -> Any:
        """The parsed note (None when it no longer parses)."""
        from cairn.notes.store import NoteStore

        entry = self.entry(note_id)
        if entry is None:
            return None
        result = NoteStore(self.ws).read_file(self.ws.root / entry.rel_path)
        return None if isinstance(result, list) else result


__all__ = ["MapEntry", "NoteMap"]
