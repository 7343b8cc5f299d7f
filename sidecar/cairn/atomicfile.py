"""Writing a file so that readers see the old or the new content, never a partial one.

Notes, index.json, agent instruction files, hooks and the sync state are all written this way: the text
goes to a temporary file (in `<git dir>/cairn/tmp` when that is on the same file system, so a killed
writer leaves nothing `git status` shows; else beside the target) with the target's mode, is flushed to
disk, and is renamed (or hard-linked, for a create that must not overwrite) into place. Nothing here knows
about notes, so every layer may use it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import threading
import time
from pathlib import Path

from cairn.workspace import find_git_dir

STALE_TEMP_SECONDS = 3600  # a temporary file this old belongs to a writer that was killed


def _umask() -> int:
    """The process umask, read without changing it where possible (os.umask is not thread-safe)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


_UMASK_LOCK = threading.Lock()


def _new_mode(path: Path) -> int:
    """The mode a rewritten file gets: the existing file's, else what `open()` would give (0666 & ~umask)."""
    try:
        st = os.lstat(path)
        if stat.S_ISREG(st.st_mode):
            return stat.S_IMODE(st.st_mode)
    except OSError:
        pass
    return 0o666 & ~_umask()


def _temp_dir(path: Path) -> Path:
    """Where the temporary file for `path` is written: `<git dir>/cairn/tmp` when it is on the same file
    system (invisible to `git status` even if the writer is killed), else beside `path`."""
    folder = path.parent
    for candidate in (folder, *folder.parents):
        git_dir = find_git_dir(candidate / ".git")
        if git_dir is None:
            continue
        tmp = git_dir / "cairn" / "tmp"
        try:
            tmp.mkdir(parents=True, exist_ok=True)
            if os.stat(tmp).st_dev == os.stat(folder).st_dev:
                return tmp
        except OSError:
            pass
        break
    return folder


def _clean_stale_temps(folder: Path, prefix: str) -> None:
    """Remove temporary files a killed writer left in `folder` (older than STALE_TEMP_SECONDS)."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(prefix) and entry.name.endswith(".tmp"):
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)


def _write_temp(path: Path, text: str) -> str:
    """Write `text` to a new temporary file for `path` (see `_temp_dir`), flushed to disk; return its name.

    The file already has the mode `path` will have (`_new_mode`), so the rename changes no permission.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = _temp_dir(path)
    if folder != path.parent:
        _clean_stale_temps(folder, ".")
    _clean_stale_temps(path.parent, f".{path.name}.")  # left beside it by a killed writer (or an older Cairn)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, _new_mode(path))
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` so readers see the old or the new file, never a partial one."""
    tmp = _write_temp(path, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_create(path: Path, text: str) -> bool:
    """Create `path` with `text` atomically; False (nothing written) if it already exists.

    The content is written to a temporary file and hard-linked into place, which fails when the name
    is taken: a reader never sees a half-written file and a concurrent creator is never overwritten.
    """
    tmp = _write_temp(path, text)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return True
