"""The whole-check result cache: `cairn check` on an unchanged repository prints the stored answer.

At monorepo size (20,000 notes, 100,000 anchors) even a re-check that finds every verdict in the
per-anchor cache (`cairn.anchors.cache`) loads and validates 100,000 entries and serialises 100,000
verdicts again. When nothing the answer depends on has changed, the answer is the same bytes, so
this cache keeps the last output (stdout, stderr, exit code) of a whole `cairn check` per output form
and replays it after checking a signature of the inputs, the way git trusts its index for files whose
stat data is unchanged.

Why the key is complete. A check's output is a function of:

- the note files: each one's path, size, mtime (ns) and inode, from the one `notes.files.scan` walk
  (which also decides which files are notes);
- the code the anchors are judged against, i.e. the working tree as `WorktreeSnapshot` sees it: the
  file list (`git ls-files --cached --others --exclude-standard`, so `.gitignore` and the git index are
  covered by running it), plus every anchored path outside that list (ignored or missing files: a note
  may anchor them), each with its lstat signature (mode, size, mtime ns, ctime ns, inode; "absent"
  when missing), and the mode and inode of every folder on the way (a folder swapped for a symlink
  changes them; the engine never reads through one);
- HEAD (commit naming, "uncommitted", the history walked under it);
- the configuration (the parsed `config.toml` as the workspace holds it), the repository root, `GIT_*`
  variables of the environment, and the engine: the Cairn version and the stat data of Cairn's own
  source files (an edited engine is a different engine; the cache format versions live in them);
- the output form (`--json`, whether stdout is a terminal, colour) — `cairn check` with paths,
  `--rev`, `--update` or `--no-cache` never uses this cache;
- the clock, only through expiry: an entry is valid from when it was made until the first moment a
  note that was not expired then expires.

Racily clean files (git's rule): a file whose mtime is within two seconds of when the signature was
taken could change again without its stat data changing, so such a run stores nothing. The signature
is always taken before anything is read, so a file changed during the check makes the next run miss.

Not covered, so never stored: a result with a stale verdict whose commit could not be named (the
recorded commit may be missing from a shallow or squashed clone, and a fetch can bring it back without
moving HEAD).
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cairn
from cairn.gitio import GitRepo
from cairn.notes.files import NoteFile, scan
from cairn.workspace import Workspace

FORMAT = 1
RACY_NS = 2_000_000_000  # a file modified this close to the signature may change again unseen
_KEEP = 8  # stored output forms (json/human × terminal/pipe × colour): a small bounded set


@dataclass(frozen=True)
class StoredResult:
    """What a whole check printed, and until when it holds."""

    stdout: str
    stderr: str
    code: int


def _sig(st: os.stat_result | None) -> str:
    if st is None:
        return "-"
    return f"{st.st_mode:o}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


def _engine_signature() -> str:
    """Cairn's version and the stat data of its source files (cheap: ~150 lstat, no engine import).

    Every format version (the verdict cache's ENGINE_VERSION, the parse cache's VERSION) is a constant
    in one of these files, so a change to any of them, or to any code, changes this signature.
    """
    parts = [f"cairn {cairn.__version__} format {FORMAT}"]
    package = Path(cairn.__file__).parent
    for folder, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                with contextlib.suppress(OSError):
                    st = os.lstat(os.path.join(folder, name))
                    parts.append(f"{folder}/{name}:{st.st_size}:{st.st_mtime_ns}")
    return "\n".join(parts)


class CheckResultCache:
    """One workspace's stored `cairn check` outputs, one per output form.

        cache = CheckResultCache(ws, repo, form="json pipe")
        hit = cache.lookup()              # signs notes and working tree first; None on any change
        ...                               # load notes, then:
        cache.sign_anchored(paths)        # before judging: anchored files outside the listing
        ...                               # check and render, then:
        cache.store(result, valid_until_ns, complete=True)
    """

    def __init__(self, ws: Workspace, repo: GitRepo, form: str) -> None:
        self.ws = ws
        self.repo = repo
        self.folder = ws.cache_dir()
        self.path = self.folder / f"check-result-{hashlib.sha1(form.encode()).hexdigest()[:12]}.bin"
        self.form = form
        self.note_files: list[NoteFile] = []  # the scan the signature holds (load the notes from it)
        self.signed_at = 0
        self.racy = False
        self._base = ""
        self._listed: set[str] = set()
        self._dirs: dict[str, str] = {}
        self._base_dirs: dict[str, str] = {}
        self._base_racy = False
        self._extra: tuple[str, ...] = ()
        self._extra_sigs = ""

    # ---- signing ------------------------------------------------------------------------------
    def _stat_file(self, rel: str) -> str:
        full = os.path.join(self.ws.root, rel)
        try:
            st = os.lstat(full)
        except (OSError, ValueError):
            st = None
        if st is not None and stat.S_ISREG(st.st_mode) and self.signed_at - st.st_mtime_ns < RACY_NS:
            self.racy = True
        folder = rel.rpartition("/")[0]
        while folder and folder not in self._dirs:
            try:
                dst = os.lstat(os.path.join(self.ws.root, folder))
                self._dirs[folder] = f"{dst.st_mode:o}:{dst.st_ino}"
            except (OSError, ValueError):
                self._dirs[folder] = "-"
            folder = folder.rpartition("/")[0]
        return _sig(st)

    def _sign(self, notes: Iterable[NoteFile]) -> None:
        """The signature of everything but the anchored files outside the listing (see the module doc)."""
        self.signed_at = time.time_ns()
        ws = self.ws
        env = sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith("GIT_"))
        parts = [_engine_signature(), f"form {self.form}", f"root {ws.root}", f"config {ws.config!r}",
                 f"env {env}", f"head {self.repo.head()}"]
        for note in notes:
            if self.signed_at - note.mtime_ns < RACY_NS:
                self.racy = True
            parts.append(f"n {note.rel}:{note.size}:{note.mtime_ns}:{note.ino}")
        listed = self.repo.worktree_paths()
        self._listed = set(listed)
        for rel in listed:
            parts.append(f"f {rel}:{self._stat_file(rel)}")
        self._base = "\n".join(parts)
        self._base_dirs, self._base_racy = dict(self._dirs), self.racy

    def sign_anchored(self, paths: Iterable[str]) -> None:
        """Add the anchored files that are not in the working-tree listing (call before judging)."""
        self._dirs, self.racy = dict(self._base_dirs), self._base_racy
        self._extra = tuple(sorted({p for p in paths if p not in self._listed}))
        self._extra_sigs = "\n".join(f"a {rel}:{self._stat_file(rel)}" for rel in self._extra)

    def _key(self) -> str:
        h = hashlib.sha1(self._base.encode("utf-8", "surrogateescape"))
        h.update(b"\nextra\n" + self._extra_sigs.encode("utf-8", "surrogateescape"))
        for folder in sorted(self._dirs):
            h.update(f"\nd {folder}:{self._dirs[folder]}".encode("utf-8", "surrogateescape"))
        return h.hexdigest()

    # ---- reading and writing ------------------------------------------------------------------
    def lookup(self) -> StoredResult | None:
        """The stored output when nothing it depends on changed, else None (and the signature is kept
        for `store`). Raises nothing: an unreadable entry is a miss."""
        self.note_files = scan(self.ws.notes_root)
        self._sign(self.note_files)
        try:
            raw = self.path.read_bytes()
            fmt, key, made_at, valid_until, extra, code, out, err = marshal.loads(raw)
        except (OSError, ValueError, EOFError, TypeError):
            return None
        if fmt != FORMAT or not isinstance(extra, tuple):
            return None
        self.sign_anchored(extra)
        now = time.time_ns()
        if key != self._key() or not made_at <= now or (valid_until is not None and now >= valid_until):
            return None
        return StoredResult(out, err, code)

    def store(self, result: StoredResult, valid_until_ns: int | None, *, complete: bool) -> bool:
        """Keep `result` for the signature taken by `lookup` (+ `sign_anchored`); False when not stored
        (racily clean files, or an answer that depends on something the key does not cover)."""
        if self.racy or not complete or not self._base:
            return False
        data = marshal.dumps((FORMAT, self._key(), self.signed_at, valid_until_ns, self._extra, result.code,
                              result.stdout, result.stderr))
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
            return False
        self._prune()
        return True

    def _prune(self) -> None:
        """At most `_KEEP` output forms (oldest dropped)."""
        try:
            found = sorted(self.folder.glob("check-result-*.bin"), key=lambda p: p.stat().st_mtime_ns)
        except OSError:
            return
        for old in found[:-_KEEP]:
            with contextlib.suppress(OSError):
                old.unlink()


__all__ = ["CheckResultCache", "StoredResult"]
