"""What anchors are judged against: the working tree, a commit, or editor buffers over the working tree.

A `Snapshot` answers three questions about the target: which files exist, the identity of a file's
content (a git blob id, so "unchanged since recorded" is a string comparison and verdicts can be cached
by it), and the file's bytes. The working tree keeps a small stat cache (size, mtime, inode → blob id)
under the workspace cache so a re-check does not re-read unchanged files.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cairn.gitio import GitRepo, blob_id
from cairn.gitio.files import DEFAULT_MAX_TEXT_BYTES, hash_regular, read_regular, stat_regular
from cairn.gitio.index_stat import IndexStat, clean_entries

log = logging.getLogger("cairn.anchors")


@dataclass(frozen=True)
class Target:
    """Where to judge anchors: `Target.worktree()`, `Target.at_rev("v1.2")`, `Target.with_buffers({...})`."""

    kind: str = "worktree"  # worktree | rev | buffers
    rev: str | None = None
    buffers: Mapping[str, str] = field(default_factory=dict)

    @staticmethod
    def worktree() -> Target:
        return Target("worktree")

    @staticmethod
    def at_rev(rev: str) -> Target:
        return Target("rev", rev=rev)

    @staticmethod
    def with_buffers(buffers: Mapping[str, str]) -> Target:
        """Unsaved editor buffers (repository-relative path → text) over the working tree."""
        return Target("buffers", buffers=dict(buffers))


class Snapshot(Protocol):
    def key(self, path: str) -> str | None:
        """The blob id of the file's content, or None when the file does not exist."""

    def read(self, path: str) -> bytes | None:
        """The file's bytes, or None when it does not exist."""

    def paths(self) -> Iterable[str]:
        """Every file of the snapshot."""

    def identity(self) -> str:
        """One id for the whole snapshot (changes when any file does)."""


class TreeSnapshot:
    """A commit's files, read from the object store."""

    def __init__(self, repo: GitRepo, commit: str, max_bytes: int = DEFAULT_MAX_TEXT_BYTES) -> None:
        self.repo = repo
        self.commit = commit
        self.files = repo.tree(commit)  # regular files only: symlinks and submodules are left out
        self.max_bytes = max_bytes

    def key(self, path: str) -> str | None:
        return self.files.get(path)

    def read(self, path: str) -> bytes | None:
        size = self.size(path)
        if size is None or size > self.max_bytes:
            return None
        return self.repo.read_object(self.files[path])

    def size(self, path: str) -> int | None:
        sha = self.files.get(path)
        head = self.repo.object_header(sha) if sha is not None else None
        return None if head is None else head[2]

    def submodule_of(self, path: str) -> tuple[str, str] | None:
        """(submodule path, its recorded commit) when `path` lies in a submodule at this commit, else None."""
        return submodule_of(self.repo, self.commit, path)


    def paths(self) -> Iterable[str]:
        return self.files.keys()

    def identity(self) -> str:
        return f"commit:{self.commit}"


def submodule_of(repo: GitRepo, commit: str, path: str) -> tuple[str, str] | None:
    """(submodule path, recorded submodule commit) of the submodule holding `path` at `commit`, or None."""
    for link, sha in repo.gitlinks(commit).items():
        if path.startswith(link + "/"):
            return link, sha
    return None


_STAT_CACHE = "worktree-stat.json"


class WorktreeSnapshot:
    """The working tree: tracked and untracked (not ignored) files as they are on disk now."""

    def __init__(self, root: Path, repo: GitRepo | None, cache_dir: Path | None, skip: str | None = None,
                 max_bytes: int = DEFAULT_MAX_TEXT_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.repo = repo
        self._cache_path = cache_dir / _STAT_CACHE if cache_dir else None
        self._stat: dict[str, list[int | str]] = {}
        self._dirty = False
        self._skip = skip
        self._listed_cache: list[str] | None = None
        self._keys: dict[str, str | None] = {}
        self._sizes: dict[str, int] = {}  # from the same `lstat` as the key: one stat per file and snapshot
        self._data: dict[str, bytes] = {}
        self._all_keyed = False
        self._index: dict[str, IndexStat] | None = None
        self._bulk = False  # many files will be keyed: worth reading git's index (`trust_index`)
        self._load_stat_cache()

    @property
    def _listed(self) -> list[str]:
        """The file list, asked of git only when a verdict needs more than the anchored file."""
        if self._listed_cache is None:
            if self.repo is not None:
                self._listed_cache = self.repo.worktree_paths()
            else:
                self._listed_cache = _walk(self.root, self._skip)
        return self._listed_cache

    def trust_index(self) -> None:
        """Before keying many files: take the blob ids git's index vouches for (`gitio.index_stat`),
        so a cold check does not read and hash unchanged files (an anchor whose file is still the
        recorded blob is then judged without reading it). Not done for a single key (reading the index
        and the listing costs more than reading one file): `paths()`, `identity()` and a bulk check
        (`Checker`) call it."""
        self._bulk = True

    def _index_entries(self) -> dict[str, IndexStat]:
        """The trusted index entries, read on the first file the stat cache does not know (a re-check
        whose files are all in the stat cache does not read the index)."""
        if self._index is None:
            self._index = clean_entries(self.repo, self._listed) if self.repo is not None else {}
        return self._index

    def _load_stat_cache(self) -> None:
        if self._cache_path is None:
            return
        try:
            self._stat = json.loads(self._cache_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self._stat = {}

    def save(self) -> None:
        """Persist the stat cache (only entries old enough not to be racy)."""
        if self._cache_path is None or not self._dirty:
            return
        tmp = self._cache_path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(self._stat, separators=(",", ":")), encoding="utf-8")
            os.replace(tmp, self._cache_path)
        except OSError as exc:  # only a cache: the next run stats the files again
            log.debug("cannot save the working-tree stat cache %s: %s", self._cache_path, exc)
        self._dirty = False

    def key(self, path: str) -> str | None:
        if path in self._keys:
            return self._keys[path]
        # Regular files only, never through a symlink (cairn.gitio.files): a committed link to an
        # outside file is no file of the working tree.
        st = stat_regular(self.root, path)
        if st is None:
            self._keys[path] = None
            return None
        self._sizes[path] = st.st_size
        entry = self._stat.get(path)
        if entry and entry[0] == st.st_size and entry[1] == st.st_mtime_ns and entry[2] == st.st_ino:
            sha = str(entry[3])
        elif (self._bulk and (got := self._index_entries().get(path)) is not None
              and got.size == st.st_size & 0xFFFFFFFF and got.mtime_ns == st.st_mtime_ns
              and got.ctime_ns == st.st_ctime_ns and got.ino == st.st_ino & 0xFFFFFFFF):
            sha = got.sha  # the content git recorded, unchanged since (stat data and ctime match)
            if time.time_ns() - st.st_mtime_ns > 2_000_000_000:
                self._stat[path] = [st.st_size, st.st_mtime_ns, st.st_ino, sha]
                self._dirty = True
        elif st.st_size > self.max_bytes:
            hashed = hash_regular(self.root, path)  # streamed: a huge file is judged by blob id only
            if hashed is None:
                self._keys[path] = None
                return None
            sha = hashed[0]
        else:
            data = read_regular(self.root, path)
            if data is None:
                self._keys[path] = None
                return None
            sha = blob_id(data)
            self._data[path] = data
            # A file modified within the timestamp granularity of now could change again unseen.
            if time.time_ns() - st.st_mtime_ns > 2_000_000_000:
                self._stat[path] = [st.st_size, st.st_mtime_ns, st.st_ino, sha]
                self._dirty = True
        self._keys[path] = sha
        return sha

    def read(self, path: str) -> bytes | None:
        if path in self._data:
            return self._data[path]
        return read_regular(self.root, path, self.max_bytes)

    def size(self, path: str) -> int | None:
        """The file's size as of the stat its key came from (the snapshot's one view of the file)."""
        if self.key(path) is None:
            return None
        return self._sizes.get(path)

    def paths(self) -> Iterable[str]:
        self.trust_index()
        return [p for p in self._listed if self.key(p) is not None]

    def identity(self) -> str:
        import hashlib

        self.trust_index()
        h = hashlib.sha1()
        for path in sorted(self._listed):
            sha = self.key(path)
            if sha is not None:
                h.update(f"{path}\0{sha}\n".encode("utf-8", "surrogateescape"))
        return "worktree:" + h.hexdigest()


class OverlaySnapshot:
    """Editor buffers laid over another snapshot (the language server's view)."""

    def __init__(self, base: WorktreeSnapshot | TreeSnapshot, buffers: Mapping[str, str]) -> None:
        self.base = base
        self.buffers = {path: text.encode("utf-8", "surrogateescape") for path, text in buffers.items()}
        self._keys = {path: blob_id(data) for path, data in self.buffers.items()}

    def key(self, path: str) -> str | None:
        if path in self._keys:
            return self._keys[path]
        return self.base.key(path)

    def read(self, path: str) -> bytes | None:
        if path in self.buffers:
            return self.buffers[path]
        return self.base.read(path)

    @property
    def max_bytes(self) -> int:
        return self.base.max_bytes

    def size(self, path: str) -> int | None:
        if path in self.buffers:
            return len(self.buffers[path])
        return self.base.size(path)

    def paths(self) -> Iterable[str]:
        seen = dict.fromkeys(self.base.paths())
        seen.update(dict.fromkeys(self.buffers))
        return list(seen)

    def identity(self) -> str:
        import hashlib

        h = hashlib.sha1(self.base.identity().encode())
        for path in sorted(self._keys):
            h.update(f"{path}\0{self._keys[path]}\n".encode("utf-8", "surrogateescape"))
        return "overlay:" + h.hexdigest()


def _walk(root: Path, skip: str | None) -> list[str]:
    """Files under `root` when there is no git (hidden folders and the notes root left out)."""
    out: list[str] = []
    for folder, dirs, files in os.walk(root):
        rel_folder = Path(folder).relative_to(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("node_modules", "__pycache__")
                         and (rel_folder / d).as_posix() != skip)
        for name in sorted(files):
            out.append((rel_folder / name).as_posix())
    return out
