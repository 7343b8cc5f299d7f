"""The index git commits from, and commits made from it: what the pre-commit hook reads and stages, and
the few history-writing steps the demo repository is built with.

Unlike `GitRepo`, which drops `GIT_INDEX_FILE`, `GIT_DIR` and `GIT_WORK_TREE` so that a question always
means the repository at its root, these run git with the process's environment as it is: inside a
pre-commit hook `GIT_INDEX_FILE` names the index being committed (`git commit -a` and `git commit PATH`
commit a temporary one), and the hook must read from and stage into exactly that index.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from cairn.gitio.repo import checked_output, git_process


def _git(root: Path, *args: str, check: bool = True, env: dict[str, str] | None = None) -> bytes:
    """git in `root` with this process's environment (plus `env`); CairnError when `check` and it fails."""
    return checked_output(git_process(root, args, {**os.environ, **env} if env else None), args, check)


def _names(out: bytes) -> set[str]:
    return {p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p}


def staged_paths(root: Path) -> set[str]:
    """Paths whose staged content differs from HEAD (what the commit being made changes); renames are
    a deletion and an addition, so both names are in the set."""
    return _names(_git(root, "diff", "--cached", "--name-only", "-z", "--no-renames"))


def unstaged_paths(root: Path) -> set[str]:
    """Tracked paths whose working-tree content differs from the index (edits not staged)."""
    return _names(_git(root, "diff", "--name-only", "-z", "--no-renames"))


def staged_blob(root: Path, path: str) -> bytes | None:
    """The staged bytes of `path` (`:path`); None when the index has no such file."""
    proc = git_process(root, ["cat-file", "blob", f":{path}"])
    return proc.stdout if proc.returncode == 0 else None


def in_index(root: Path, path: str) -> bool:
    """Whether the index holds `path`."""
    return bool(_git(root, "ls-files", "--", f":(literal){path}", check=False).strip())


def stage(root: Path, paths: Iterable[str]) -> None:
    """Stage the working-tree content of `paths` (`git add`)."""
    names = list(paths)
    if names:
        _git(root, "add", "--", *[f":(literal){p}" for p in names])


# ---- building a repository (the demo) ----------------------------------------------------------------
def init_repository(root: Path, branch: str) -> None:
    """`git init` a new repository at `root` whose first branch is `branch`."""
    _git(root, "init", "-q", "-b", branch)


def stage_all(root: Path) -> None:
    """Stage every change of the working tree, new and deleted files too (`git add -A`)."""
    _git(root, "add", "-A")


def move(root: Path, old: str, new: str) -> None:
    """Rename a tracked file and stage the rename (`git mv`)."""
    _git(root, "mv", "--", old, new)


def commit(root: Path, message: str, *, author: tuple[str, str] | None = None, date: str | None = None,
           all_tracked: bool = False) -> None:
    """Commit the index (`all_tracked`: every tracked file's changes, as `git commit -a`), as `author`
    (name, email; also the committer) at `date` (ISO 8601; both dates) when given."""
    env: dict[str, str] = {}
    if author is not None:
        env.update({"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
                    "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1]})
    if date is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    _git(root, "commit", "-q", *(["-a"] if all_tracked else []), "-m", message, env=env)


__all__ = ["commit", "in_index", "init_repository", "move", "stage", "stage_all", "staged_blob", "staged_paths",
           "unstaged_paths"]
