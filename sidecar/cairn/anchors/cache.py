"""A persistent cache of verdicts, keyed by the anchor and the blob ids its verdict depended on.

A verdict is reusable exactly when the content it was computed from is unchanged: the anchor's own
mapping (path, lines, commit, fingerprint), and the blob id of every file the verdict looked at. When
the verdict needed the rest of the repository (a search for moved code, a stale verdict that might turn
into "moved" if the code reappears) it also depends on the identity of the whole snapshot, and a
stale verdict's `changed_in` on HEAD. So an unchanged repository re-checks without reading a file.

The file also keeps the commits history walks named for stale anchors (`walks`: (tip, anchor) → (commit,
merge or None)): history under a given tip does not change, so an edit elsewhere (one note) that
invalidates stale verdicts does not walk history again to name the same commits. Only named answers are
kept (an unnamed one may become nameable when a shallow clone is deepened under the same tip).

Stored with `marshal` (plain dicts, lists and strings): at 100,000 anchors the JSON file took about a
second each to read and to write. The file is private derived data under the git dir; one that does
not load is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
from pathlib import Path
from typing import Any

ENGINE_VERSION = 6
FILE = "verdicts.marshal"


_JUDGED_KEYS = ("path", "lines", "commit", "blob", "hash", "ws", "lh", "ctx")


def anchor_key(data: dict[str, Any], target_kind: str) -> str:
    """What a verdict depends on in the anchor itself: the keys the judge reads (cheap: 10,000 per check)."""
    text = "\x1f".join(str(data.get(k, "")) for k in _JUDGED_KEYS)
    return hashlib.sha1(f"{ENGINE_VERSION}\0{target_kind}\0{text}".encode()).hexdigest()


class VerdictCache:
    """Entries: key → {"deps": {path: blob|None}, "snap": identity|None, "head": sha|None, "v": {...}}."""

    def __init__(self, folder: Path | None) -> None:
        self.path = folder / FILE if folder is not None else None
        self.entries: dict[str, dict[str, Any]] = {}
        self.walks: dict[tuple[str, str], tuple[str, str | None]] = {}
        self.used: set[str] = set()
        self.dirty = False
        if self.path is not None:
            try:
                raw = marshal.loads(self.path.read_bytes())
                if raw.get("version") == ENGINE_VERSION and isinstance(raw.get("entries"), dict):
                    self.entries = raw["entries"]
                    walks = raw.get("walks")
                    self.walks = walks if isinstance(walks, dict) else {}
            except (OSError, ValueError, EOFError, TypeError, AttributeError):
                self.entries, self.walks = {}, {}

    def put_walk(self, key: tuple[str, str], named: tuple[str, str | None]) -> None:
        """Remember a named commit (and merge) for (tip, anchor); bounded to the most recent 50,000."""
        self.walks[key] = named
        while len(self.walks) > 50_000:
            self.walks.pop(next(iter(self.walks)))
        self.dirty = True

    def get(self, key: str) -> dict[str, Any] | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.used.add(key)
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        self.entries[key] = entry
        self.used.add(key)
        self.dirty = True

    def save(self) -> None:
        """Write the cache back, keeping what this run used plus recent others (bounded)."""
        if self.path is None or not self.dirty:
            return
        keep = {k: v for k, v in self.entries.items() if k in self.used}
        for k, v in self.entries.items():
            if len(keep) >= max(50_000, 2 * len(self.used)):
                break
            keep.setdefault(k, v)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        try:
            tmp.write_bytes(marshal.dumps({"version": ENGINE_VERSION, "entries": keep, "walks": self.walks}))
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
        self.dirty = False
