"""The workspace: one repository, its notes root, its configuration and its private cache.

Every adapter (CLI, language server, MCP) starts by discovering a `Workspace` and hands it to the
engine. It is also the single guard against paths that escape the repository: anything that turns a
user- or note-supplied path into a file on disk goes through `resolve_repo_path` or `rel`.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cairn.config import Config, load_config
from cairn.errors import UsageError
from cairn.gitio.files import safe_dir

# (notes root path, git dir) -> (when checked, problem or None); re-checked after a second, so a
# long-running server notices a `git pull` that turned the folder into a symlink.
_ROOT_CHECKS: dict[tuple[str, str], tuple[float, str | None]] = {}
_ROOT_CHECK_TTL = 1.0


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


find_git_dir = _find_git_dir


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
        """The notes folder; raises UsageError (one line) when it is not a safe place to read or write.

        A pull request can turn `agent-context` into a symlink to an outside folder: then Cairn would
        read outside `.md` files as notes and write notes and `index.json` out there. The folder, with
        every symlink resolved, must be inside the repository, not the repository itself, not reached
        through a symlink, and not in the git directory (see `notes_root_problem`).
        """
        path = self.root / self.config.notes_root
        key = (str(path), str(self.git_dir))
        now = time.monotonic()
        known = _ROOT_CHECKS.get(key)
        if known is None or now - known[0] > _ROOT_CHECK_TTL:
            known = (now, self.notes_root_problem())
            _ROOT_CHECKS[key] = known
        if known[1]:
            raise UsageError(known[1])
        return path

    def notes_root_problem(self) -> str | None:
        """Why the notes root is refused (one line), or None when it is safe."""
        rel = self.config.notes_root
        parts = [p for p in PurePosixPath(rel).parts if p not in ("", ".")]
        path = self.root / rel
        if not parts:
            return f"notes root {rel!r} is the repository itself; set notes_root to a folder inside it"
        if parts[0] == ".git":
            return f"notes root {rel!r} is inside .git; set notes_root to a folder of the working tree"
        if not safe_dir(self.root, path):
            return (f"notes root {rel!r} is a symlink or leads outside the repository {self.root}; "
                    "refusing to read or write notes there")
        if self.git_dir is not None:
            real = Path(os.path.realpath(path))
            git_dir = Path(os.path.realpath(self.git_dir))
            if real == git_dir or git_dir in real.parents:
                return f"notes root {rel!r} is inside the git directory; refusing to use it"
        return None

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
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot use Cairn's cache folder {path}: {exc.strerror or exc} "
                             "(remove what is there or make it writable)") from None
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
        # os.path.realpath on strings (what Path.resolve does, without building Path objects): a note
        # load checks every anchor path once, 10,000 of them in a monorepo.
        root = str(self.root)
        resolved = os.path.realpath(os.path.join(root, normal))
        if resolved != root and not resolved.startswith(root.rstrip(os.sep) + os.sep):
            raise UsageError(f"{rel}: path leads outside the repository through a symlink")
        return normal

    def resolve_repo_path(self, rel: str) -> Path:
        """The file on disk for a repository-relative path, after `check_repo_path`."""
        return self.root / self.check_repo_path(rel)
