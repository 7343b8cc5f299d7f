"""A cache of parsed notes, keyed by each file's size, mtime and inode (and the configuration).

`cairn check`, recall and the server read every note on each run; parsing YAML is most of that time
(about 0.5 ms per note). A note whose file is unchanged since it was parsed is taken from here. Entries
for files modified within the last two seconds are not stored: a write within the timestamp
granularity could leave size and mtime equal while the content changed.

Stored with `marshal` as plain tuples (datetimes as ISO text, durations as day/second/microsecond
triples): at 20,000 notes pickling the `Note` objects cost 4 s to write and 1.4 s to read, the tuples a
fraction of that. A note whose frontmatter holds something marshal cannot store (an explicit
`!!timestamp` value) is simply not cached. The file is private derived data under the git dir; a file
that does not load is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cairn.notes.model import Anchor, Note, NoteError

FILE = "notes-parsed.marshal"
VERSION = 3  # 2: bounded dates and durations, no YAML aliases; 3: marshal tuples instead of a pickle

Result = Note | list[NoteError]
Entry = tuple[int, int, int, Any]  # size, mtime_ns, inode, encoded result


def _stamp(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _unstamp(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def encode(result: Result) -> tuple[Any, ...]:
    """A parse result as marshal-able tuples (`decode` gives back an equal result)."""
    if isinstance(result, list):
        return ("E", tuple((e.path, e.line, e.message, e.note_id) for e in result))
    n = result
    ttl = None if n.ttl is None else (n.ttl.days, n.ttl.seconds, n.ttl.microseconds)
    raw = n.meta.get("anchors")
    # A valid note's anchors are its frontmatter's anchor items in order, each `data` a copy of its
    # item: store that once (None), the copy only when it differs.
    anchors = tuple((a.path, a.start, a.end, a.commit,
                     None if isinstance(raw, list) and i < len(raw) and raw[i] == a.data else a.data,
                     a.line, a.lines_line) for i, a in enumerate(n.anchors))
    return ("N", n.id, n.rel_path, n.title, n.kind, n.tags, n.status, n.supersedes, _stamp(n.created),
            _stamp(n.reviewed), _stamp(n.updated), ttl, anchors, n.meta, n.body, n.version, n.key_lines)


def decode(data: tuple[Any, ...]) -> Result:
    if data[0] == "E":
        return [NoteError(*e) for e in data[1]]
    (_, note_id, rel_path, title, kind, tags, status, supersedes, created, reviewed, updated, ttl, anchors,
     meta, body, version, key_lines) = data
    raw = meta.get("anchors")
    return Note(note_id, rel_path, title, kind, tags, status, supersedes, _unstamp(created), _unstamp(reviewed),
                _unstamp(updated), None if ttl is None else timedelta(*ttl),
                tuple(Anchor(path, start, end, commit, dict(raw[i]) if data is None else data, line, lines_line)
                      for i, (path, start, end, commit, data, line, lines_line) in enumerate(anchors)),
                meta, body, version, key_lines)


class ParseCache:
    def __init__(self, cache_dir: Path | None, config_key: str) -> None:
        self.path = cache_dir / FILE if cache_dir is not None else None
        self.key = hashlib.sha1(f"{VERSION}\0{config_key}".encode()).hexdigest()
        self.entries: dict[str, Entry] = {}
        self.fresh: dict[str, Entry] = {}
        self.dirty = False
        if self.path is None:
            return
        try:
            data: Any = marshal.loads(self.path.read_bytes())
            if isinstance(data, tuple) and len(data) == 2 and data[0] == self.key and isinstance(data[1], dict):
                self.entries = data[1]
        except (OSError, ValueError, EOFError, TypeError):
            self.entries = {}

    def get(self, rel: str, st: os.stat_result) -> Result | None:
        return self.get_signed(rel, st.st_size, st.st_mtime_ns, st.st_ino)

    def get_signed(self, rel: str, size: int, mtime_ns: int, ino: int) -> Result | None:
        """The cached parse of `rel` when its size, mtime and inode are the ones it was parsed at."""
        hit = self.entries.get(rel)
        if hit is not None and hit[0] == size and hit[1] == mtime_ns and hit[2] == ino:
            try:
                result = decode(hit[3])
            except (TypeError, ValueError, IndexError):
                return None
            self.fresh[rel] = hit
            return result
        return None

    def put(self, rel: str, st: os.stat_result, result: Result) -> None:
        self.put_signed(rel, st.st_size, st.st_mtime_ns, st.st_ino, result)

    def put_signed(self, rel: str, size: int, mtime_ns: int, ino: int, result: Result) -> None:
        if time.time_ns() - mtime_ns > 2_000_000_000:
            self.fresh[rel] = (size, mtime_ns, ino, encode(result))
            self.dirty = True

    def save(self) -> None:
        if self.path is None or not (self.dirty or len(self.fresh) != len(self.entries)):
            return
        try:
            data = marshal.dumps((self.key, self.fresh))
        except ValueError:  # something marshal cannot hold (a datetime from `!!timestamp`): leave those out
            keep = {}
            for rel, entry in self.fresh.items():
                with contextlib.suppress(ValueError):
                    marshal.dumps(entry)
                    keep[rel] = entry
            data = marshal.dumps((self.key, keep))
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
