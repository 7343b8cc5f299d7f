"""Git access for the engine: objects, trees, history, and the working tree's file list.

Everything Cairn learns from git goes through `GitRepo`'s named operations (`head()`, `resolve()`,
`blob_at()`, `tree_entry()`, `mainline()`, `first_parent()`, …), so the rest of the engine can be tested
against plain data and so git is spawned as few times as possible: objects come from one persistent
`git cat-file --batch` process (`catfile.py`), trees and blobs are cached per id (they never change), and
history is read with one `git log` per question instead of one process per anchor.

Only `cairn.gitio` runs git (the import contract, tests/test_import_contract.py, checks it): `git_process`
here is the one place a short-lived git process is started, `GitRepo._run` is its package-private use
with the repository's environment, and the modules beside this one (`ranges.py`, `authorship.py`,
`staging.py`) build their named operations on those two.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cairn.errors import CairnError
from cairn.gitio.catfile import CatFile
from cairn.gitio.diffparse import diff_start, parse_files, unquote
from cairn.gitio.files import FILE_MODES, GITLINK_MODE
from cairn.textlines import split_lines

_ZERO = "0" * 40
# Variables that would point git somewhere other than the repository at `root` (a hook's environment
# carries them): `GitRepo` drops them so every question means the repository it was opened for.
_REDIRECTING = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")


def git_process(cwd: Path, args: Sequence[str], env: Mapping[str, str] | None = None,
                input_bytes: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run `git -c core.quotepath=off <args>` in `cwd` and return the finished process (output captured).

    Package-private to `cairn.gitio`: the one place a short-lived git process starts (`catfile.py` keeps
    the one long-lived one). `env` None inherits this process's environment as it is.
    """
    return subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=cwd,
                          env=None if env is None else dict(env), input=input_bytes, capture_output=True,
                          check=False)


def checked_output(proc: subprocess.CompletedProcess[bytes], args: Sequence[str], check: bool) -> bytes:
    """`proc`'s stdout; with `check`, a failed git is one CairnError naming the command and git's first line."""
    if check and proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CairnError(f"git {args[0]} failed: {err[0] if err else proc.returncode}")
    return proc.stdout


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a tree as `git ls-tree` lists it: mode (`100644`, `120000` a symlink, `160000` a
    submodule), kind (`blob`, `tree`, `commit`) and object id."""

    mode: str
    kind: str
    sha: str

    @property
    def is_symlink(self) -> bool:
        return self.mode == "120000"


def blob_id(data: bytes) -> str:
    """The git blob id of `data` (what `git hash-object` prints), computed without spawning git."""
    h = hashlib.sha1(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


@dataclass
class Hunk:
    """One `-U0` hunk: `old_len` lines at `old_start` became `new_len` lines at `new_start` (1-based)."""

    old_start: int
    old_len: int
    new_start: int
    new_len: int


@dataclass
class FileChange:
    """How one commit changed one file (relative to its first parent)."""

    old_path: str | None  # None when the file was added
    new_path: str | None  # None when the file was deleted
    hunks: list[Hunk] = field(default_factory=list)
    binary: bool = False


@dataclass
class LogCommit:
    """One first-parent commit with its file changes, as `git log -p -U0` shows them."""

    sha: str
    subject: str
    changes: list[FileChange] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)  # when the log was asked for them (first parent first)
    # Every file the commit changed: (old path, new path, old blob, new blob), from `--raw`.
    raw: list[tuple[str | None, str | None, str | None, str | None]] = field(default_factory=list)


class _LRU(OrderedDict[str, bytes]):
    """A byte-budgeted LRU for blob contents (blobs are immutable, so entries never go stale)."""

    def __init__(self, budget: int) -> None:
        super().__init__()
        self.budget = budget
        self.size = 0

    def put(self, key: str, value: bytes) -> None:
        if key in self:
            return
        self[key] = value
        self.size += len(value)
        while self.size > self.budget and len(self) > 1:
            _, old = self.popitem(last=False)
            self.size -= len(old)

    def fetch(self, key: str) -> bytes | None:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value


class GitRepo:
    """One repository, opened once and shared by every check in the process."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._cat: CatFile | None = None  # one `git cat-file --batch` child, started on the first object read
        self._lock = threading.RLock()
        self._blobs = _LRU(64 * 1024 * 1024)
        self._trees: dict[str, dict[str, str]] = {}
        self._gitlinks: dict[str, dict[str, str]] = {}
        self._commits: dict[str, str | None] = {}
        self._subjects: dict[str, str] = {}
        self._env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
        for var in _REDIRECTING:
            self._env.pop(var, None)

    # ---- plumbing ---------------------------------------------------------------------------
    def _run(self, args: Sequence[str], check: bool = True, input_bytes: bytes | None = None) -> bytes:
        """Run `git <args>` in the repository and return stdout (bytes). Package-private: only the
        `cairn.gitio` modules call it, to build named operations (the import contract checks)."""
        return checked_output(git_process(self.root, args, self._env, input_bytes), args, check)

    @property
    def _objects(self) -> CatFile:
        """The persistent `git cat-file --batch` child (`cairn.gitio.catfile`), started lazily: a re-check
        that finds every verdict in the cache reads no object."""
        if self._cat is None:
            self._cat = CatFile(self.root, self._env)
        return self._cat

    def close(self) -> None:
        """Stop the persistent git process."""
        with self._lock:
            if self._cat is not None:
                self._cat.close()

    # ---- revisions --------------------------------------------------------------------------
    def head(self) -> str | None:
        """The commit HEAD points at (also when detached); None in a repository with no commits."""
        return self.resolve("HEAD")

    def resolve(self, rev: str) -> str | None:
        """The full sha of the commit `rev` names, or None when it names no commit here."""
        cacheable = len(rev) == 40 and all(c in "0123456789abcdef" for c in rev)
        if cacheable and rev in self._commits:
            return self._commits[rev]
        proc = git_process(self.root, ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
                           self._env)
        sha = proc.stdout.decode().strip() if proc.returncode == 0 else None
        if sha is not None and len(sha) != 40:
            sha = None
        if cacheable:
            self._commits[rev] = sha
        return sha

    def first_parent(self, commit: str) -> str | None:
        """The first parent of `commit` (the commit a merge was made on); None for a root commit."""
        return self.resolve(f"{commit}^1")

    def mainline(self, tip: str) -> list[str]:
        """Every commit on `tip`'s first-parent line, newest first (`tip` itself first); [] when `tip`
        names no commit."""
        out = self._run(["rev-list", "--first-parent", "--end-of-options", tip, "--"], check=False)
        return [line for line in out.decode().split() if len(line) == 40]

    def has_commit(self, sha: str | None) -> bool:
        """Whether the commit is present (not squashed away, not cut off by a shallow clone)."""
        if not sha:
            return False
        info = self.object_header(sha)
        return info is not None and info[1] == "commit"

    def object_header(self, ref: str) -> tuple[str, str, int] | None:
        if not _batch_safe(ref):
            sha = self._path_ref(ref)
            return None if sha is None else self.object_header(sha)
        with self._lock:
            found = self._objects.read(ref)
        if found is None:
            return None
        sha, kind, data = found
        if kind == "blob":
            self._blobs.put(sha, data)  # read_blob asks for the contents next
        return sha, kind, len(data)

    def subject(self, sha: str) -> str:
        """The first line of a commit's message."""
        if sha not in self._subjects:
            data = self.read_object(sha)
            text = data.decode("utf-8", "replace") if data else ""
            _, _, message = text.partition("\n\n")
            self._subjects[sha] = split_lines(message.strip())[0] if message.strip() else ""
        return self._subjects[sha]

    # ---- objects ----------------------------------------------------------------------------
    def read_object(self, ref: str) -> bytes | None:
        """The raw content of an object (`sha`, abbreviated sha, or `commit:path`); None if missing."""
        cached = self._blobs.fetch(ref)
        if cached is not None:
            return cached
        if not _batch_safe(ref):
            sha = self._path_ref(ref)
            return None if sha is None else self.read_object(sha)
        with self._lock:
            found = self._objects.read(ref)
        if found is None:
            return None
        sha, _kind, data = found
        if len(ref) == 40:
            self._blobs.put(ref, data)
        self._blobs.put(sha, data)
        return bytes(data)

    def _path_ref(self, ref: str) -> str | None:
        """The blob id a `rev:path` ref names, looked up in the tree (for paths `cat-file --batch` cannot
        take: its protocol is one ref per line, so a file name with a newline would desynchronise it)."""
        rev, sep, path = ref.partition(":")
        commit = self.resolve(rev) if sep and _batch_safe(rev) else None
        return None if commit is None else self.tree(commit).get(path)

    def prefetch(self, shas: Iterable[str]) -> None:
        """Load many objects into the cache with one `git cat-file --batch` run (bulk checks)."""
        missing = sorted({s for s in shas if len(s) == 40 and self._blobs.fetch(s) is None})
        if len(missing) < 8:
            return
        out = self._run(["cat-file", "--batch"], check=False, input_bytes=("\n".join(missing) + "\n").encode())
        pos = 0
        while pos < len(out):
            nl = out.find(b"\n", pos)
            if nl < 0:
                break
            header = out[pos:nl].split()
            pos = nl + 1
            if len(header) != 3:
                continue  # "<sha> missing"
            size = int(header[2])
            self._blobs.put(header[0].decode(), out[pos:pos + size])
            pos += size + 1

    def read_blob(self, sha: str) -> bytes | None:
        """A blob by (possibly abbreviated) id; None when absent or not a blob."""
        head = self.object_header(sha)
        if head is None or head[1] != "blob":
            return None
        return self.read_object(head[0])

    def tree(self, commit: str) -> dict[str, str]:
        """Every regular file of a commit: repository-relative path → blob id.

        Symlinks (mode 120000: the blob is a link target, never file content) and submodules are left
        out; `gitlinks(commit)` lists the submodules.
        """
        tree = self._trees.get(commit)
        if tree is None:
            out = self._run(["ls-tree", "-r", "-z", "--full-tree", commit])
            tree = {}
            links: dict[str, str] = {}
            for entry in out.split(b"\0"):
                if not entry:
                    continue
                meta, _, path = entry.partition(b"\t")
                parts = meta.split()
                if len(parts) != 3:
                    continue
                name = path.decode("utf-8", "surrogateescape")
                if parts[1] == b"blob" and parts[0].decode() in FILE_MODES:
                    tree[name] = parts[2].decode()
                elif parts[0].decode() == GITLINK_MODE:
                    links[name] = parts[2].decode()
            self._trees[commit] = tree
            self._gitlinks[commit] = links
        return tree

    def gitlinks(self, commit: str) -> dict[str, str]:
        """The submodules of a commit: path → the submodule commit it records (their files live in
        another repository)."""
        if commit not in self._gitlinks:
            self.tree(commit)
        return self._gitlinks.get(commit, {})

    def file_at(self, commit: str, path: str) -> bytes | None:
        """The content of the regular file `path` at `commit`; None when absent, a symlink or a submodule."""
        sha = self.tree(commit).get(path)
        return None if sha is None else self.read_object(sha)

    def tree_entry(self, rev: str, path: str) -> TreeEntry | None:
        """What `path` is at `rev` (mode, kind, object id), read now: `rev` may be a moving name such as
        HEAD, so nothing is cached. None when `rev` or `path` does not exist there."""
        out = self._run(["ls-tree", "-z", "--end-of-options", rev, "--", f":(literal){path}"], check=False)
        meta, tab, name = out.split(b"\0")[0].partition(b"\t")
        parts = meta.split()
        if not tab or len(parts) != 3 or name.decode("utf-8", "surrogateescape") != path:
            return None
        return TreeEntry(parts[0].decode(), parts[1].decode(), parts[2].decode())

    def blob_at(self, rev: str, path: str) -> bytes | None:
        """The bytes of the blob at `path` in `rev` as git stores it (a symlink's blob is its target);
        None when absent or not a blob. Read now, so `rev` may be a moving name such as HEAD."""
        entry = self.tree_entry(rev, path)
        if entry is None or entry.kind != "blob":
            return None
        return self.read_object(entry.sha)

    # ---- working tree -----------------------------------------------------------------------
    def worktree_paths(self) -> list[str]:
        """Tracked and untracked-but-not-ignored files of the working tree (may include deleted ones)."""
        out = self._run(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        seen: dict[str, None] = {}
        for raw in out.split(b"\0"):
            if raw:
                seen[raw.decode("utf-8", "surrogateescape")] = None
        return list(seen)

    # ---- history ----------------------------------------------------------------------------
    def first_parent_chain(self, since: str, until: str) -> list[str]:
        """Commits on `until`'s first-parent chain not reachable from `since`, oldest first."""
        out = self._run(["rev-list", "--first-parent", "--reverse", until, f"^{since}"], check=False)
        return [line for line in out.decode().split() if len(line) == 40]

    def changed_files(self, commit: str) -> list[tuple[str | None, str | None, str | None, str | None]]:
        """What `commit` changed against its first parent: (old path, new path, old blob, new blob)."""
        out = self._run(["diff-tree", "-r", "-z", "--no-abbrev", "-M", "--root", "--no-commit-id",
                        f"{commit}^1" if self.resolve(f"{commit}^1") else commit, commit], check=False)
        fields = out.split(b"\0")
        result: list[tuple[str | None, str | None, str | None, str | None]] = []
        i = 0
        while i < len(fields):
            meta = fields[i]
            if not meta.startswith(b":"):
                i += 1
                continue
            parts = meta[1:].split()
            status = parts[4].decode()[:1] if len(parts) > 4 else "M"
            old_blob: str | None = parts[2].decode() if len(parts) > 2 and _is_file_mode(parts[0]) else _ZERO
            new_blob: str | None = parts[3].decode() if len(parts) > 3 and _is_file_mode(parts[1]) else _ZERO
            old: str | None
            new: str | None
            if status in ("R", "C"):
                old = fields[i + 1].decode("utf-8", "surrogateescape")
                new = fields[i + 2].decode("utf-8", "surrogateescape")
                i += 3
            else:
                old = new = fields[i + 1].decode("utf-8", "surrogateescape")
                i += 2
            if status == "A" or (old_blob and set(old_blob) == {"0"}):
                old, old_blob = None, None
            if status == "D" or (new_blob and set(new_blob) == {"0"}):
                new, new_blob = None, None
            result.append((old, new, old_blob, new_blob))
        return result

    def parents(self, commit: str) -> list[str]:
        """The parents of `commit`, first parent first (more than one: a merge)."""
        out = self._run(["rev-list", "--parents", "-n", "1", commit, "--"], check=False).decode().split()
        return [sha for sha in out[1:] if len(sha) == 40]

    def is_ancestor(self, older: str, newer: str) -> bool:
        """Whether `older` is reachable from `newer` (a commit is its own ancestor)."""
        return git_process(self.root, ["merge-base", "--is-ancestor", older, newer], self._env).returncode == 0

    def first_parent_log(self, since: str, until: str, paths: Iterable[str] | None = None) -> Iterator[LogCommit]:
        """First-parent commits after `since` up to `until`, oldest first, with `-U0` hunks.

        Renames are detected per commit (`-M`); with `paths` only those files are diffed, so a rename
        out of the set shows as a deletion (the caller re-locates the code by content at that commit).
        """
        args = ["log", "--first-parent", "--reverse", "--diff-merges=first-parent", "-p", "--raw", "--no-abbrev",
                "-U0", "-M",
                "--no-color", "--no-ext-diff", "--no-textconv", "--format=%x00%x00%H %P%x01%s", until, f"^{since}"]
        path_list = sorted(set(paths)) if paths is not None else None
        if path_list is not None:
            args += ["--", *[f":(literal){p}" for p in path_list]]
        out = self._run(args, check=False)
        yield from parse_log(out)


    def raw_log(self, since: str, until: str) -> list[LogCommit]:
        """Every commit after `since` up to `until` (side branches too; a merge against its first parent),
        oldest first, with the files each changed and their blob ids (`--raw -M`, no patches)."""
        args = ["log", "--reverse", "--topo-order", "--diff-merges=first-parent", "--raw", "--no-abbrev", "-M",
                "--no-color", "--format=%x00%x00%H %P%x01%s", until, f"^{since}"]
        return list(parse_log(self._run(args, check=False)))


def _batch_safe(ref: str) -> bool:
    return "\n" not in ref and "\r" not in ref and "\0" not in ref


def _is_file_mode(mode: bytes) -> bool:
    """Whether a `--raw` mode names a regular file (000000, an absent side, is handled by the caller)."""
    return mode.decode() in FILE_MODES or set(mode) == {0x30}


def _s(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def parse_log(out: bytes) -> Iterator[LogCommit]:
    """Parse `git log -p -U0 --raw --format=%x00%x00%H %s` output (the diffs by `diffparse.parse_files`).

    With `--format=%x00%x00%H %P%x01%s` the commit's parents are read too.
    """
    for chunk in out.split(b"\0\0"):
        if not chunk.strip():
            continue
        header, _, rest = chunk.partition(b"\n")
        text = header.decode("utf-8", "replace")
        if "\x01" in text:
            shas, _, subject = text.partition("\x01")
            sha, *parents = shas.split()
        else:
            sha, _, subject = text.partition(" ")
            parents = []
        commit = LogCommit(sha=sha, subject=subject, parents=parents)
        start = diff_start(rest)
        # `--raw` lines come before the first `diff --git`.
        for line in (rest if start < 0 else rest[:start]).split(b"\n"):
            if line.startswith(b":"):
                entry = _parse_raw(line)
                if entry is not None:
                    commit.raw.append(entry)
        if start >= 0:
            commit.changes = parse_files(rest, FileChange, Hunk, start=start)
        yield commit


def _parse_raw(line: bytes) -> tuple[str | None, str | None, str | None, str | None] | None:
    """One `--raw` line: `:100644 100644 <old> <new> M\tpath` (R/C carry two paths)."""
    meta, _, paths = line.partition(b"\t")
    parts = meta[1:].split()
    if len(parts) < 5:
        return None
    # A symlink or submodule side is no file: its blob (a link target, a commit) is never read as content.
    old_blob: str | None = parts[2].decode() if _is_file_mode(parts[0]) else _ZERO
    new_blob: str | None = parts[3].decode() if _is_file_mode(parts[1]) else _ZERO
    status = parts[4][:1].decode()
    names = paths.split(b"\t")
    old: str | None = unquote(names[0])
    new: str | None = unquote(names[-1])
    if status == "A" or (old_blob and set(old_blob) == {"0"}):
        old, old_blob = None, None
    if status == "D" or (new_blob and set(new_blob) == {"0"}):
        new, new_blob = None, None
    return old, new, old_blob, new_blob


_REPOS: dict[Path, GitRepo] = {}
_REPOS_LOCK = threading.Lock()


def open_repo(root: Path) -> GitRepo:
    """The shared `GitRepo` for a repository root (one per process, so caches are reused)."""
    key = Path(root).resolve()
    with _REPOS_LOCK:
        repo = _REPOS.get(key)
        if repo is None:
            repo = GitRepo(key)
            _REPOS[key] = repo
        return repo


def forget_repo(root: Path) -> None:
    """Drop the shared instance (tests that rewrite history under the same path)."""
    key = Path(root).resolve()
    with _REPOS_LOCK:
        repo = _REPOS.pop(key, None)
    if repo is not None:
        repo.close()


__all__ = ["_ZERO", "FileChange", "GitRepo", "Hunk", "LogCommit", "TreeEntry", "blob_id", "forget_repo",
           "open_repo", "parse_log"]
