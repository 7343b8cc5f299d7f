"""A cache of parsed notes, keyed by each file's size, mtime and inode (and the configuration).

`cairn check`, recall and the server read every note on each run; parsing YAML is most of that time
(about 1 ms per note). A note whose file is unchanged since it was parsed is taken from here. Entries
for files modified within the last two seconds are not stored: a write within the timestamp
granularity could leave size and mtime equal while the content changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import time
from pathlib import Path
from typing import Any

from cairn.notes.model import Note, NoteError

FILE = "notes-parsed.pickle"
VERSION = 2  # 2: bounded dates and durations, no YAML aliases

Result = Note | list[NoteError]


class ParseCache:
    def __init__(self, cache_dir: Path | None, config_key: str) -> None:
        self.path = cache_dir / FILE if cache_dir is not None else None
        self.key = hashlib.sha1(f"{VERSION}\0{config_key}".encode()).hexdigest()
        self.entries: dict[str, tuple[int, int, int, Result]] = {}
        self.fresh: dict[str, tuple[int, int, int, Result]] = {}
        self.dirty = False
        if self.path is None:
            return
        try:
            with self.path.open("rb") as fh:
                data: Any = pickle.load(fh)
            if isinstance(data, dict) and data.get("key") == self.key:
                self.entries = data["entries"]
        except (OSError, pickle.PickleError, EOFError, AttributeError, KeyError, TypeError, ImportError):
            self.entries = {}

    def get(self, rel: str, st: os.stat_result) -> Result | None:
        hit = self.entries.get(rel)
        if hit is not None and hit[:3] == (st.st_size, st.st_mtime_ns, st.st_ino):
            self.fresh[rel] = hit
            return hit[3]
        return None

    def put(self, rel: str, st: os.stat_result, result: Result) -> None:
        if time.time_ns() - st.st_mtime_ns > 2_000_000_000:
            self.fresh[rel] = (st.st_size, st.st_mtime_ns, st.st_ino, result)
            self.dirty = True

    def save(self) -> None:
        if self.path is None or not (self.dirty or len(self.fresh) != len(self.entries)):
            return
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        try:
            with tmp.open("wb") as fh:
                pickle.dump({"key": self.key, "entries": self.fresh}, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except (OSError, pickle.PickleError):
            with contextlib.suppress(OSError):
                tmp.unlink()
