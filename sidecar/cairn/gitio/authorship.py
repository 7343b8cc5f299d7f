"""Who last committed each note file, and which note files the default branch holds (provenance).

A note is untrusted input to an agent, so every note that reaches one says who last wrote it and
whether it exists only on this branch. Asking git per note would make recall slow; instead one
`git log --name-only` over the notes folder gives the last commit of every note file at once, one
`git ls-tree` of HEAD gives each file's committed blob (a file whose bytes differ is "uncommitted"), and
one `git ls-tree` of the default branch gives the files that exist there. The result is cached in
`<git dir>/cairn/authorship.json`, keyed by HEAD, the default branch's commit and the notes root, so a
recall pays two small git calls (the key) and a JSON read until a commit moves either.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from cairn.textlines import split_lines

CACHE_FILE = "authorship.json"
FORMAT = 1
# Where a feature branch merges into, in the order `cairn.gitio.ranges.default_branch` tries them.
_DEFAULT_REFS = ("refs/remotes/origin/HEAD", "refs/heads/main", "refs/heads/master",
                 "refs/remotes/origin/main", "refs/remotes/origin/master")


@dataclass
class Authorship:
    """The last commit of every note file at HEAD and the note files of the default branch."""

    head: str | None = None
    default_branch: str | None = None  # short name, e.g. "main" or "origin/main"
    on_default: bool = True  # HEAD is the default branch's tip (or there is no default branch)
    last: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (author name, commit sha)
    blobs: dict[str, str] = field(default_factory=dict)  # path -> blob id at HEAD
    default_files: set[str] = field(default_factory=set)

    def only_on_branch(self, path: str) -> bool:
        """Whether the note file at `path` is missing from the default branch (and we are not on it)."""
        return not self.on_default and path not in self.default_files


def _git(root: Path, *args: str) -> bytes:
    from cairn.gitio.repo import open_repo

    return open_repo(root)._run(args, check=False)


def head_and_default_branch(root: Path, head: str | None = None) -> tuple[str | None, str | None, str | None]:
    """(HEAD sha, default branch short name, its sha) with two git calls (one when `head` is given)."""
    if head is None:
        from cairn.gitio.repo import open_repo

        head = open_repo(root).head()
    out = _git(root, "for-each-ref", "--format=%(refname)%00%(objectname)%00%(symref)", *_DEFAULT_REFS)
    found: dict[str, tuple[str, str]] = {}
    for line in split_lines(out.decode("utf-8", "replace")):
        name, _, rest = line.partition("\0")
        sha, _, symref = rest.partition("\0")
        found[name] = (sha, symref)
    for ref in _DEFAULT_REFS:
        if ref in found:
            sha, symref = found[ref]
            name = symref or ref
            short = name.removeprefix("refs/heads/").removeprefix("refs/remotes/")
            return head, short, sha
    return head, None, None


def _ls_tree(root: Path, rev: str, folder: str) -> dict[str, str]:
    out = _git(root, "ls-tree", "-r", "-z", rev, "--", folder)
    files: dict[str, str] = {}
    for entry in out.split(b"\0"):
        meta, tab, name = entry.partition(b"\t")
        if tab:
            parts = meta.split()
            if len(parts) >= 3:
                files[name.decode("utf-8", "surrogateescape")] = parts[2].decode()
    return files


def _last_commits(root: Path, folder: str) -> dict[str, tuple[str, str]]:
    out = _git(root, "log", "--no-renames", "--format=%x01%H%x00%an", "--name-only", "HEAD", "--", folder)
    last: dict[str, tuple[str, str]] = {}
    sha = author = ""
    for line in split_lines(out.decode("utf-8", "surrogateescape")):
        if line.startswith("\x01"):
            sha, _, author = line[1:].partition("\0")
        elif line and line not in last:
            last[line] = (author, sha)
    return last


def authorship(root: Path, cache_dir: Path | None, notes_root: str,
               refs: tuple[str | None, str | None, str | None] | None = None) -> Authorship:
    """The provenance facts of the notes folder at HEAD (cached by HEAD and default-branch commit).

    `refs`: `head_and_default_branch(root)` when the caller already asked (saves two git calls).
    """
    head, branch, branch_sha = refs or head_and_default_branch(root)
    if head is None:
        return Authorship(default_branch=branch)
    key = [FORMAT, head, branch, branch_sha, notes_root]
    path = cache_dir / CACHE_FILE if cache_dir is not None else None
    if path is not None:
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("key") == key:
                return Authorship(head, branch, bool(data["on_default"]),
                                  {p: (a, s) for p, (a, s) in data["last"].items()}, dict(data["blobs"]),
                                  set(data["default_files"]))
    on_default = branch_sha is None or branch_sha == head
    result = Authorship(head, branch, on_default, _last_commits(root, notes_root), _ls_tree(root, head, notes_root))
    if not on_default and branch_sha is not None:
        result.default_files = set(_ls_tree(root, branch_sha, notes_root))
    if path is not None:
        data = {"key": key, "on_default": on_default, "last": result.last, "blobs": result.blobs,
                "default_files": sorted(result.default_files)}
        with contextlib.suppress(OSError):
            tmp = path.with_name(f".{CACHE_FILE}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
    return result


def user_name(root: Path) -> str | None:
    """`git config user.name` of this repository (who a person's review is recorded as)."""
    return _git(root, "config", "--get", "user.name").decode("utf-8", "replace").strip() or None


__all__ = ["Authorship", "authorship", "head_and_default_branch", "user_name"]
