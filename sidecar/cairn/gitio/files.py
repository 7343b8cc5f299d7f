"""The one safe way to read a repository's files: regular files inside the root, never through a symlink.

A repository is untrusted input: a pull request can commit a symlink (`src/app.py -> ~/.aws/credentials`)
or turn a folder into one. Following it would put an outside file's content into anchors, relocation
candidates, diffs, review prompts, recall packs and hovers. So every read of a working-tree file by the
engine, the language server and the MCP server goes through this module, which:

- takes a repository-relative path (or an absolute one lexically under the root) and refuses `..`;
- refuses the path when any folder on the way is a symlink (the parent folder's real path must be the
  root's real path plus the same folders);
- opens the file itself with `O_NOFOLLOW` (a symlink there fails to open) and `O_NONBLOCK` (a FIFO
  cannot hang the read), then `fstat`s the open descriptor: only a regular file is read.

Git objects follow the same rule where they are read (`GitRepo.tree`, `file_at`, `--raw` entries):
blobs of mode 120000 are link targets, not file content, and are treated as absent; gitlinks (160000,
submodules) are reported separately. `is_link_mode` / `FILE_MODES` name the modes.

Writes have their own guard, `safe_dir` / `inside_real`, used by the notes store (a committed symlink
as the notes folder must not make Cairn write outside the repository).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from functools import lru_cache
from pathlib import Path, PurePosixPath

FILE_MODES = frozenset({"100644", "100755"})
LINK_MODE = "120000"
GITLINK_MODE = "160000"
# Files above this size are judged by their blob id only (hashing streams; nothing is split or kept).
DEFAULT_MAX_TEXT_BYTES = 5 * 1024 * 1024

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)


def is_link_mode(mode: str | bytes | int) -> bool:
    """Whether a git tree mode names a symlink (its blob is a link target, never file content)."""
    if isinstance(mode, int):
        return mode == 0o120000
    text = mode.decode() if isinstance(mode, bytes) else mode
    return text == LINK_MODE


@lru_cache(maxsize=64)
def _real_root(root: str) -> str:
    return os.path.realpath(root)


def _rel_parts(root: Path | str, path: Path | str, allow_root: bool = False) -> list[str] | None:
    """The clean components of `path` relative to `root` (lexically), or None when it is not under it."""
    if isinstance(path, str) and os.sep == "/" and not path.startswith("/") and "\\" not in path:
        # The common case, a repository-relative POSIX path: what the PurePosixPath route below gives
        # (empty and "." components dropped, ".." refused), without building path objects.
        parts = [part for part in path.split("/") if part not in ("", ".")]
        if (not parts and not allow_root) or ".." in parts:
            return None
        return parts
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.relative_to(root)
        except ValueError:
            real = _real_root(str(root))
            try:
                p = p.relative_to(real)
            except ValueError:
                return None
    text = p.as_posix().replace("\\", "/")
    parts = [part for part in PurePosixPath(text).parts if part not in ("", ".")]
    if (not parts and not allow_root) or ".." in parts or PurePosixPath(text).is_absolute():
        return None
    return parts


def real_path(root: Path | str, path: Path | str) -> str | None:
    """The on-disk path of `path` when no folder on the way is a symlink and it stays inside `root`.

    The last component is not resolved (open it with `O_NOFOLLOW`, or `lstat` it); None otherwise.
    """
    parts = _rel_parts(root, path)
    if parts is None:
        return None
    base = _real_root(str(root))
    full = os.path.join(base, *parts)
    if len(parts) > 1 and not _no_linked_folder(base, parts[:-1]):
        return None
    return full


def _no_linked_folder(base: str, folders: list[str]) -> bool:
    """Whether none of `folders` (below the real path `base`) is a symlink.

    What `os.path.realpath(parent) == parent` answers, with one `lstat` per folder inside the root
    rather than one per component from `/` (the root's real path is known): a folder that does not
    exist ends the walk as it ends realpath's resolution (nothing below it exists to follow).
    """
    current = base
    for name in folders:
        current = os.path.join(current, name)
        try:
            st = os.lstat(current)
        except (OSError, ValueError):
            return True
        if stat.S_ISLNK(st.st_mode):
            return False
    return True


def stat_regular(root: Path | str, path: Path | str) -> os.stat_result | None:
    """`lstat` of a regular file reached without symlinks inside `root`; None for anything else."""
    full = real_path(root, path)
    if full is None:
        return None
    try:
        st = os.lstat(full)
    except (OSError, ValueError):
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def _open(full: str) -> int | None:
    try:
        fd = os.open(full, os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK | _O_CLOEXEC | _O_BINARY)
    except (OSError, ValueError):
        return None
    try:
        st = os.fstat(fd)
    except OSError:
        os.close(fd)
        return None
    if not stat.S_ISREG(st.st_mode) or (not _O_NOFOLLOW and os.path.islink(full)):
        os.close(fd)
        return None
    return fd


def _open_inside(root: Path | str, path: Path | str) -> int | None:
    """A descriptor of the regular file `path` inside `root` (the checks of `real_path` and `_open`)."""
    full = real_path(root, path)
    return None if full is None else _open(full)


def read_regular(root: Path | str, path: Path | str, max_bytes: int | None = None) -> bytes | None:
    """The bytes of a regular file inside `root`, read without following any symlink.

    None when the path leaves the root, passes through a symlink, is a symlink, is not a regular file,
    cannot be read, or is larger than `max_bytes`.
    """
    fd = _open_inside(root, path)
    if fd is None:
        return None
    try:
        if max_bytes is not None and os.fstat(fd).st_size > max_bytes:
            return None
        chunks = []
        total = 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            total += len(chunk)
            if max_bytes is not None and total > max_bytes:  # it grew while being read
                return None
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_regular_text(root: Path | str, path: Path | str, max_bytes: int | None = None) -> str | None:
    """`read_regular` decoded as UTF-8 (undecodable bytes replaced)."""
    data = read_regular(root, path, max_bytes)
    return None if data is None else data.decode("utf-8", "replace")


def hash_regular(root: Path | str, path: Path | str) -> tuple[str, int] | None:
    """(git blob id, size) of a regular file, streamed: a huge file is hashed without holding it."""
    fd = _open_inside(root, path)
    if fd is None:
        return None
    try:
        for _ in range(3):  # a file growing while it is hashed is hashed again (git would store one version)
            os.lseek(fd, 0, os.SEEK_SET)
            size = os.fstat(fd).st_size
            h = hashlib.sha1(b"blob %d\0" % size)
            seen = 0
            while chunk := os.read(fd, 1 << 20):
                seen += len(chunk)
                h.update(chunk)
            if seen == size:
                return h.hexdigest(), size
        return None
    except OSError:
        return None
    finally:
        os.close(fd)


def may_overlay(root: Path | str, path: Path | str) -> bool:
    """Whether an editor buffer for `path` may stand for the file: a regular file reached without
    symlinks, or nothing on disk yet under real folders (an editor shows a symlink's target as its text)."""
    if stat_regular(root, path) is not None:
        return True
    full = real_path(root, path)
    return full is not None and not os.path.lexists(full)


def inside_real(root: Path | str, path: Path | str) -> bool:
    """Whether `path`, with every symlink resolved, is inside the real `root` (the root itself excluded)."""
    base = _real_root(str(root))
    resolved = os.path.realpath(path)
    return resolved != base and resolved.startswith(base.rstrip(os.sep) + os.sep)


def safe_dir(root: Path | str, path: Path | str) -> bool:
    """Whether `path` is a folder inside `root` reached without any symlink (or does not exist yet
    and its nearest existing ancestor is such a folder). Used before writing into it."""
    parts = _rel_parts(root, path, allow_root=True)
    if parts is None:
        return False
    base = _real_root(str(root))
    full = os.path.join(base, *parts)
    probe = full
    while probe != base and not os.path.lexists(probe):
        probe = os.path.dirname(probe)
    if os.path.realpath(probe) != probe:
        return False
    return os.path.isdir(probe)


def refuse_link(path: Path | str) -> None:
    """Raise OSError(ELOOP) when `path` itself is a symlink (before replacing or writing it)."""
    if os.path.islink(path):
        raise OSError(errno.ELOOP, "is a symlink", str(path))


__all__ = ["DEFAULT_MAX_TEXT_BYTES", "FILE_MODES", "GITLINK_MODE", "LINK_MODE", "hash_regular", "inside_real",
           "is_link_mode", "may_overlay", "read_regular", "read_regular_text", "real_path", "refuse_link", "safe_dir",
           "stat_regular"]
