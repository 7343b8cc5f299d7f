"""The workspace: one repository, its notes root, its configuration and its private cache.

Every adapter (CLI, language server, MCP) starts by discovering a `Workspace` and hands it to the
engine. It is also the single guard against paths that escape the repository: anything that turns a
user- or note-supplied path into a file on disk goes through `resolve_repo_path` or `rel`.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cairn.config import Config, load_config
from cairn.errors import UsageError


def _find_git_dir(dot_git: Path) -> Path | None:
    """The git directory behind a `.git` entry (a folder, or a `gitdir:` file in worktrees)."""
    if dot_git.is_dir():
        return dot_git
    if dot_git.is_file():
        try:
            text = dot_git.read_text(encoding="utf-8").strip()
        except OSError:
            return None
        if text.startswith("gitdir:"):
            target = Path(text[len("gitdir:"):].strip())
            if not target.is_absolute():
                target = (dot_git.parent / target).resolve()
            return target if target.is_dir() else None
    return None


@dataclass(frozen=True)
class Workspace:
    """A repository root, where its notes live, and how it is configured."""

    root: Path
    git_dir: Path | None
    config: Config

    @classmethod
    def discover(cls, start: Path | str | None = None, notes_root: str | None = None) -> Workspace:
        """The workspace containing `start` (default: the current directory).

        The repository root is the nearest folder upwards with a `.git`; failing that, the nearest
        one holding a notes folder. Raises UsageError when neither exists.
        """
        here = Path(start or os.getcwd()).resolve()
        if here.is_file():
            here = here.parent
        for folder in (here, *here.parents):
            git_dir = _find_git_dir(folder / ".git")
            if git_dir is not None:
                return cls(root=folder, git_dir=git_dir, config=load_config(folder, notes_root))
        for folder in (here, *here.parents):
            if (folder / (notes_root or "agent-context")).is_dir():
                return cls(root=folder, git_dir=None, config=load_config(folder, notes_root))
        raise UsageError(f"{here} is not inside a git repository (run `git init` there first)")

    @classmethod
    def at(cls, root: Path | str, notes_root: str | None = None) -> Workspace:
        """The workspace rooted exactly at `root` (tests, the server's workspace folder)."""
        folder = Path(root).resolve()
        return cls(root=folder, git_dir=_find_git_dir(folder / ".git"), config=load_config(folder, notes_root))

    @property
    def notes_root(self) -> Path:
        return self.root / self.config.notes_root

    @property
    def notes_root_rel(self) -> str:
        return self.config.notes_root

    def cache_dir(self) -> Path:
        """A private, writable folder for derived data (search index, verdict cache).

        Under the git directory so it is never committed and disappears with the clone; without git,
        under the user's cache folder keyed by the root's path.
        """
        if self.git_dir is not None:
            path = self.git_dir / "cairn"
        else:
            base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
            path = base / "cairn" / hashlib.sha256(str(self.root).encode()).hexdigest()[:16]
        path.mkdir(parents=True, exist_ok=True)
        return path

    def rel(self, path: Path | str) -> str:
        """The repository-relative POSIX path of `path` (absolute, or relative to the cwd).

        Raises UsageError when it lies outside the repository, also through symlinks.
        """
        candidate = Path(path)
        if not candidate.is_absolute():
            candidate = Path(os.getcwd()) / candidate
        resolved = candidate.resolve()
        try:
            rel = resolved.relative_to(self.root)
        except ValueError:
            raise UsageError(f"{path}: outside the repository {self.root}") from None
        return rel.as_posix() if rel.parts else "."

    def check_repo_path(self, rel: str) -> str:
        """Validate a repository-relative path given by a note or a tool call; return it normalised.

        Refuses absolute paths, `..` components, and symlinks that lead outside the repository.
        """
        if not isinstance(rel, str) or not rel.strip():
            raise UsageError("empty path")
        text = rel.strip().replace("\\", "/")
        pure = PurePosixPath(text)
        if pure.is_absolute() or text.startswith("~") or (len(text) > 1 and text[1] == ":"):
            raise UsageError(f"{rel}: absolute paths are not allowed; give a path inside the repository")
        if ".." in pure.parts:
            raise UsageError(f"{rel}: path escapes the repository ('..')")
        parts = [p for p in pure.parts if p not in ("", ".")]
        if not parts:
            raise UsageError(f"{rel}: not a file path")
        if parts[0] == ".git":
            raise UsageError(f"{rel}: paths inside .git are not allowed")
        normal = "/".join(parts)
        resolved = (self.root / normal).resolve()
        try:
            resolved.relative_to(self.root)
        except ValueError:
            raise UsageError(f"{rel}: path leads outside the repository through a symlink") from None
        return normal

    def resolve_repo_path(self, rel: str) -> Path:
        """The file on disk for a repository-relative path, after `check_repo_path`."""
        return self.root / self.check_repo_path(rel)
