"""Writing a file so that readers see the old or the new content, never a partial one.

Notes, index.json, agent instruction files, hooks and the sync state are all written this way: the text
goes to a temporary file beside the target, is flushed to disk, and is renamed (or hard-linked, for a
create that must not overwrite) into place. Nothing here knows about notes, so every layer may use it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def _write_temp(path: Path, text: str) -> str:
    """Write `text` to a new temporary file beside `path`, flushed to disk; return its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
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
