"""Which files under the notes root are notes, and what their ids are: answered here and nowhere else.

A note file ends in `.md`, has no hidden part (`.git`, `.drafts/`, `.x.md`) in its path below the
notes root, and is not the notes root's own `README.md` (the folder's readme for people; a README.md
in a subfolder is a note). Its id is that path without `.md`. Ids that differ only in letter case
would be one file on a case-insensitive file system, so the second such file (in path order) is an
error rather than a second note.

The store, the search index and the language server (its session, watcher and diagnostics) all ask
these functions, so they never disagree about what is a note. `scan()` walks the folder once with
`os.scandir` (no `Path` objects, no per-file `resolve()`: about 20 ms for 10,000 files). Symlinks are
never followed: a symlinked folder is not entered and a symlinked file is no note (a note is read only
from a regular file, so a committed link cannot make Cairn read outside the repository).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cairn.notes.model import NoteError

NOTE_SUFFIX = ".md"
SKIPPED_FILES = frozenset({"README.md"})


def note_id_for(rel: str) -> str | None:
    """The id of the file at `rel` (a `/`-separated path below the notes root); None when it is no note."""
    if not rel.endswith(NOTE_SUFFIX):
        return None
    parts = rel.split("/")
    if any(not part or part.startswith(".") for part in parts):
        return None
    if len(parts) == 1 and parts[0] in SKIPPED_FILES:
        return None
    return rel[: -len(NOTE_SUFFIX)]


@dataclass(frozen=True, slots=True)
class NoteFile:
    """One note file found by `scan()`, with the stat fields callers key their caches on."""

    path: str  # absolute path as found (not resolved)
    rel: str  # below the notes root, e.g. "decisions/use-jwt.md"
    id: str
    size: int
    mtime_ns: int
    ino: int


def scan(root: Path | str, on_folder: Callable[[str, str], None] | None = None) -> list[NoteFile]:
    """Every note file under `root`, in path order (by folder, then name); [] when `root` is no folder.

    `on_folder(path, prefix)` is called for each folder entered, before it is listed (prefix: its path
    below `root` with a trailing `/`, "" for `root`): `cairn.notes.watch` adds its watch there, so a file
    created after the listing still shows as an event. It may raise to abort the scan.
    """
    found = [NoteFile(entry.path, rel, note_id, st.st_size, st.st_mtime_ns, st.st_ino)
             for entry, rel, note_id, st in _walk(root, on_folder)]
    found.sort(key=lambda f: f.rel.split("/"))
    return found


def modified_since(root: Path | str, since_ns: int) -> bool:
    """Whether any note file under `root` (as `scan()` lists them) was modified at or after `since_ns`;
    stops at the first one (no list, no order: the agent's Stop hook asks this once per turn)."""
    return any(st.st_mtime_ns >= since_ns for _entry, _rel, _id, st in _walk(root, None))


def _walk(root: Path | str,
          on_folder: Callable[[str, str], None] | None) -> Iterator[tuple[os.DirEntry[str], str, str, os.stat_result]]:
    """(entry, rel path, id, lstat) of each note file under `root`, folder by folder, unsorted."""
    top = os.fspath(root)
    if not os.path.isdir(top):
        return
    stack = [(top, "")]
    while stack:
        folder, prefix = stack.pop()
        if on_folder is not None:
            on_folder(folder, prefix)
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, f"{prefix}{name}/"))
                    continue
            except OSError:
                continue
            note_id = note_id_for(prefix + name)
            if note_id is None:
                continue
            try:
                if entry.is_symlink():
                    continue
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            yield entry, prefix + name, note_id, st


def stat_note(root: Path | str, rel: str) -> NoteFile | None:
    """The note file at `rel` below `root` exactly as `scan()` would report it; None when scan() would
    not list it (no note name, gone, a symlink, a folder)."""
    note_id = note_id_for(rel)
    if note_id is None:
        return None
    path = os.path.join(os.fspath(root), *rel.split("/"))
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISLNK(st.st_mode) or stat.S_ISDIR(st.st_mode):
        return None
    return NoteFile(path, rel, note_id, st.st_size, st.st_mtime_ns, st.st_ino)


class IdClaims:
    """The ids taken so far in one pass over the notes; a later file with the same id up to case loses."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def claim(self, note_id: str, rel_path: str) -> NoteError | None:
        """None when `note_id` is free (it is now taken by `rel_path`), else the error for `rel_path`."""
        folded = note_id.casefold()
        first = self._seen.get(folded)
        if first is not None:
            return NoteError(rel_path, 1, f"duplicate id {note_id!r}: {first} has the same id "
                                          "(ids must differ by more than letter case)", note_id)
        self._seen[folded] = rel_path
        return None
