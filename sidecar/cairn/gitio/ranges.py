"""Git questions about ranges of commits: merge bases, diffs between revisions, three-way file merges.

`cairn affected`, `cairn review`, `cairn sync` and the merge driver need to know what changed between two
points (with the hunk text, to show an agent), where a branch forked from the default branch, and how
to merge two versions of a text three-way. These live beside `repo.py` (objects and history for the
anchor engine) and go through the same `GitRepo._run` / `git_process`, so git is only spawned from
`cairn.gitio`; revisions (HEAD too) are resolved by the one `GitRepo.resolve`.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from cairn.errors import CairnError, NotFoundError, UsageError
from cairn.gitio.diffparse import parse_files
from cairn.gitio.repo import GitRepo, git_process, open_repo


@dataclass
class DiffHunk:
    """One hunk of a diff: `old_len` lines at `old_start` became `new_len` lines at `new_start` (1-based).

    `lines` are the hunk's body lines as git prints them (` `, `-` or `+` first), so a person or an
    agent can read what happened; a zero length means a pure insertion or deletion at that point.
    """

    old_start: int
    old_len: int
    new_start: int
    new_len: int
    header: str = ""
    lines: list[str] = field(default_factory=list)

    @property
    def old_range(self) -> tuple[int, int]:
        """Inclusive old-side line range; for a pure insertion, the line it was inserted after."""
        if self.old_len == 0:
            return self.old_start, self.old_start
        return self.old_start, self.old_start + self.old_len - 1

    @property
    def new_range(self) -> tuple[int, int]:
        if self.new_len == 0:
            return self.new_start, self.new_start
        return self.new_start, self.new_start + self.new_len - 1

    def text(self) -> str:
        return "\n".join([self.header, *self.lines])


@dataclass
class FileDiff:
    """How one file changed between two revisions (renames detected)."""

    old_path: str | None  # None when added
    new_path: str | None  # None when deleted
    hunks: list[DiffHunk] = field(default_factory=list)
    binary: bool = False

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""


def repo_for(root: Path) -> GitRepo:
    return open_repo(root)


def resolve_commit(root: Path, rev: str) -> str:
    """The full sha `rev` names; UsageError for a revision that does not exist here."""
    if not rev or rev.startswith("-"):
        raise UsageError(f"{rev!r} is not a revision")
    sha = repo_for(root).resolve(rev)
    if not sha:
        raise UsageError(f"unknown revision {rev!r}")
    return sha


def default_branch(root: Path) -> str | None:
    """The branch a feature branch merges into: origin/HEAD's target, else main, else master."""
    repo = repo_for(root)
    out = repo._run(["symbolic-ref", "-q", "refs/remotes/origin/HEAD"], check=False).decode().strip()
    if out:
        return out.removeprefix("refs/remotes/")
    for name in ("main", "master", "origin/main", "origin/master"):
        if repo.resolve(name):
            return name
    return None


def merge_base(root: Path, a: str, b: str = "HEAD") -> str | None:
    """The best common ancestor of two revisions, or None when they share no history."""
    out = repo_for(root)._run(["merge-base", a, b], check=False).decode().strip()
    return out or None


def default_since(root: Path) -> str:
    """Where "the changes of this branch" start: the merge base of HEAD with the default branch.

    On the default branch itself (merge base == HEAD) that would be an empty range, so the parent of
    HEAD is used: right after a merge or a commit, "what just changed".
    """
    head = resolve_commit(root, "HEAD")
    branch = default_branch(root)
    base = merge_base(root, branch, head) if branch else None
    if base and base != head:
        return base
    parent = repo_for(root).first_parent(head)
    if parent:
        return parent
    raise UsageError("no default branch and no parent commit to compare with; pass --since REV")


def diff_files(root: Path, base: str, head: str | None = "HEAD", paths: list[str] | None = None,
               context: int = 0) -> list[FileDiff]:
    """The diff from `base` to `head` (a revision, or None for the working tree) with rename detection."""
    args = ["diff", "--no-color", "--no-ext-diff", "-M", f"-U{context}", base]
    if head is not None:
        args.append(head)
    args.append("--")
    if paths:
        args.extend(paths)
    return parse_diff(repo_for(root)._run(args))


def parse_diff(out: bytes) -> list[FileDiff]:
    """Parse `git diff` output into files and hunks (with their lines)."""
    return parse_files(out, FileDiff, DiffHunk, keep_text=True)


def changed_paths(root: Path, base: str, head: str | None = "HEAD") -> set[str]:
    """Every path (old and new names) touched between `base` and `head` (None: the working tree)."""
    args = ["diff", "--name-status", "-M", "-z", base]
    if head is not None:
        args.append(head)
    out = repo_for(root)._run(args)
    paths: set[str] = set()
    fields = out.split(b"\0")
    i = 0
    while i < len(fields):
        status = fields[i].decode()
        if not status:
            i += 1
            continue
        if status[:1] in ("R", "C"):
            paths.update(f.decode("utf-8", "surrogateescape") for f in fields[i + 1:i + 3])
            i += 3
        else:
            paths.add(fields[i + 1].decode("utf-8", "surrogateescape"))
            i += 2
    return paths


def merge_file(current: str, base: str, other: str, labels: tuple[str, str, str] = ("ours", "base", "theirs"),
               root: Path | None = None) -> tuple[str, int]:
    """Three-way line merge of texts with `git merge-file`: (merged text, number of conflicts).

    Conflicts are left as the usual `<<<<<<<`/`=======`/`>>>>>>>` markers in the text.
    """
    with tempfile.TemporaryDirectory(prefix="cairn-merge-") as tmp:
        names = []
        for name, text in (("current", current), ("base", base), ("other", other)):
            path = os.path.join(tmp, name)
            with open(path, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
            names.append(path)
        proc = git_process(root or Path(tmp), ["merge-file", "-p", "-L", labels[0], "-L", labels[1], "-L", labels[2],
                                               *names])
    if proc.returncode < 0 or proc.returncode > 127:
        raise CairnError(f"git merge-file failed: {proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout.decode("utf-8", "replace"), proc.returncode


def hooks_dir(root: Path) -> Path:
    """The folder git runs hooks from, honouring `core.hooksPath` (husky and friends set it)."""
    out = repo_for(root)._run(["rev-parse", "--git-path", "hooks"]).decode().strip()
    path = Path(out)
    return path if path.is_absolute() else (root / path)


def config_get(root: Path, key: str, includes: bool = True) -> str | None:
    """A value of the repository's own `.git/config` (`includes=False`: `[include]` files not read)."""
    args = ["config", "--local", *([] if includes else ["--no-includes"]), "--get", key]
    out = repo_for(root)._run(args, check=False).decode().strip()
    return out or None


def config_set(root: Path, key: str, value: str) -> None:
    repo_for(root)._run(["config", "--local", key, value])


def config_unset(root: Path, key: str) -> None:
    repo_for(root)._run(["config", "--local", "--unset-all", key], check=False)


def config_remove_section(root: Path, section: str) -> None:
    repo_for(root)._run(["config", "--local", "--remove-section", section], check=False)


def dirty_paths(root: Path) -> list[str]:
    """Paths that differ from HEAD in the working tree or index, untracked files included (not ignored)."""
    out = repo_for(root)._run(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"])
    paths = []
    for entry in out.split(b"\0"):
        if len(entry) > 3:
            paths.append(entry[3:].decode("utf-8", "surrogateescape"))
    return paths


__all__ = ["DiffHunk", "FileDiff", "NotFoundError", "changed_paths", "config_get", "config_remove_section",
           "config_set", "config_unset", "default_branch", "default_since", "diff_files", "dirty_paths", "hooks_dir",
           "merge_base", "merge_file", "parse_diff", "resolve_commit"]
