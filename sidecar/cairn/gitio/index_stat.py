"""Blob ids of working-tree files that git's index already vouches for, so they need not be read.

Git writes an index entry's stat data (ctime, mtime, inode, size) only when it knows the file's
content is the entry's blob (after `add`, `checkout`, or a refresh that compared the content). So a
file whose `lstat` still shows exactly those fields has that blob as its content, with two
exceptions that this module rules out rather than guesses at:

- racily clean entries: a file changed within the index file's own timestamp can keep its stat
  data; an entry whose mtime is not older than the index file's is never trusted (git's own rule);
- content filters: with `core.autocrlf`, any gitattributes file (which may name `eol`, `text`,
  `filter`, `ident`, `working-tree-encoding`) the index blob is the *cleaned* content, not the raw
  bytes Cairn hashes; then nothing is trusted at all.

Entries marked assume-unchanged, skip-worktree or intent-to-add, unmerged entries, a split or sparse
index and non-SHA-1 repositories are also left out (the caller reads those files as before). The index
is read directly (the documented `index-format`: versions 2-4), one file read instead of one per
working-tree file.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import NamedTuple

from cairn.gitio.repo import GitRepo


class IndexStat(NamedTuple):
    """The stat fields git recorded for a clean entry, and its blob id."""

    size: int  # truncated to 32 bits, as git stores it
    mtime_ns: int
    ctime_ns: int
    ino: int  # truncated to 32 bits
    sha: str


_ATTR_FILES = ("/etc/gitattributes", "/usr/local/etc/gitattributes")
_REGULAR = (0o100644, 0o100755)


def clean_entries(repo: GitRepo, paths: list[str]) -> dict[str, IndexStat]:
    """Path → recorded stat and blob id for every index entry that may be trusted (see the module
    docstring); {} whenever anything could make the index blob differ from the raw file bytes.

    `paths`: the working-tree listing; a `.gitattributes` in any of its folders applies, also an
    untracked or ignored one, so every folder is looked at (one `lstat` each)."""
    folders = {p.rpartition("/")[0] for p in paths}
    if any(os.path.lexists(os.path.join(repo.root, folder, ".gitattributes")) for folder in folders):
        return {}
    try:
        out = repo._run(["rev-parse", "--absolute-git-dir"], check=False).strip()
        config = repo._run(["config", "-z", "--get-regexp", r"^(core\.autocrlf|core\.attributesfile|"
                            r"extensions\.objectformat|index\.sparse|core\.splitindex)$"], check=False)
    except OSError:
        return {}
    if not out:
        return {}
    git_dir = Path(os.fsdecode(out))
    for item in config.split(b"\0"):
        name, _, value = item.partition(b"\n")
        value = value.strip().lower()
        if name == b"core.autocrlf" and value not in (b"false", b"no", b"off", b"0"):
            return {}
        if name == b"core.attributesfile" and value:
            return {}
        if name == b"extensions.objectformat" and value != b"sha1":
            return {}
        if name in (b"index.sparse", b"core.splitindex") and value in (b"true", b"yes", b"on", b"1"):
            return {}
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    for attr in (str(git_dir / "info" / "attributes"), os.path.join(xdg, "git", "attributes"), *_ATTR_FILES):
        if os.path.exists(attr):
            return {}
    index = git_dir / "index"
    try:
        with open(index, "rb") as fh:
            before = os.fstat(fh.fileno())
            data = fh.read()
    except OSError:
        return {}
    try:
        return parse_index(data, before.st_mtime_ns)
    except (struct.error, ValueError, IndexError):
        return {}


def parse_index(data: bytes, index_mtime_ns: int) -> dict[str, IndexStat]:
    """Trusted entries of an index file's bytes (racily clean ones, those not older than
    `index_mtime_ns`, are left out). Raises ValueError on a format this reader does not know."""
    if data[:4] != b"DIRC":
        raise ValueError("not a git index")
    version, count = struct.unpack_from(">II", data, 4)
    if version not in (2, 3, 4):
        raise ValueError(f"index version {version}")
    pos = 12
    out: dict[str, IndexStat] = {}
    previous = b""
    for _ in range(count):
        (cs, cn, ms, mn, _dev, ino, mode, _uid, _gid, size) = struct.unpack_from(">10I", data, pos)
        sha = data[pos + 40:pos + 60].hex()
        (flags,) = struct.unpack_from(">H", data, pos + 60)
        start = pos
        pos += 62
        extended = 0
        if flags & 0x4000:
            if version < 3:
                raise ValueError("extended flag in a version 2 index")
            (extended,) = struct.unpack_from(">H", data, pos)
            pos += 2
        if version == 4:
            strip, pos = _varint(data, pos)
            end = data.index(b"\0", pos)
            if strip > len(previous):
                raise ValueError("bad path compression")
            name = previous[:len(previous) - strip] + data[pos:end]
            pos = end + 1
        else:
            end = data.index(b"\0", pos)
            name = data[pos:end]
            pos = start + ((end - start) // 8 + 1) * 8  # NUL-padded to a multiple of 8
        previous = name
        if mode == 0o040000:
            raise ValueError("sparse index")
        stage = (flags >> 12) & 3
        if (mode not in _REGULAR or stage != 0 or flags & 0x8000  # assume-unchanged
                or extended & 0x6000):  # skip-worktree, intent-to-add
            continue
        mtime_ns = ms * 1_000_000_000 + mn
        if mtime_ns >= index_mtime_ns:
            continue  # racily clean: the file may have changed after git looked
        out[name.decode("utf-8", "surrogateescape")] = IndexStat(size, mtime_ns, cs * 1_000_000_000 + cn, ino, sha)
    while pos + 8 <= len(data) - 20:  # extensions, then the checksum
        if data[pos:pos + 4] in (b"link", b"sdir"):
            raise ValueError("split or sparse index")
        (length,) = struct.unpack_from(">I", data, pos + 4)
        pos += 8 + length
    return out


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """Git's offset encoding (index v4 path prefix lengths)."""
    byte = data[pos]
    pos += 1
    value = byte & 0x7F
    while byte & 0x80:
        byte = data[pos]
        pos += 1
        value = ((value + 1) << 7) | (byte & 0x7F)
    return value, pos
