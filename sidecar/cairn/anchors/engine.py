"""The anchor engine's public face: verdicts for notes, reports, re-anchoring and diffs.

Used by every adapter (CLI `cairn check`, language server, MCP, recall); knows nothing about them.

    report = check_notes(ws, notes, Target.worktree())      # or Target.at_rev("v1"), Target.with_buffers({...})
    report.to_json()                                        # the `cairn check --json` object
    verdicts_for_file(ws, notes, "src/a.py", text=buffer)   # the server's per-file fast path
    reanchor(ws, anchor, verdict)                           # updated anchor mapping at the current place
    anchor_diff(ws, anchor, verdict)                        # unified diff of the code since it was anchored
"""

from __future__ import annotations

import contextlib
import gc
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from difflib import unified_diff
from typing import Any

from cairn.anchors.cache import VerdictCache, anchor_key
from cairn.anchors.evidence import EvidenceDeferred, MoveHistory
from cairn.anchors.fingerprint import KEYS as FP_KEYS
from cairn.anchors.history import WHOLE_LOG_MIN_TRACKERS, HistoryWalker
from cairn.anchors.judge import BLANK, FRESH, Judge, Placement
from cairn.anchors.record import anchor_mapping
from cairn.anchors.target import (
    OverlaySnapshot,
    Snapshot,
    Target,
    TreeSnapshot,
    WorktreeSnapshot,
)
from cairn.anchors.text import decode, is_binary, split_lines
from cairn.errors import CairnError, UsageError
from cairn.gitio import GitRepo, open_repo
from cairn.gitio.files import may_overlay, read_regular_text
from cairn.notes import Anchor, Note, NoteError
from cairn.timeutil import now_utc
from cairn.workspace import Workspace

STATES = ("fresh", "stale", "expired", "invalid")

# (tip, anchor) → (the commit that changed it, the merge that brought it in or None); ("", None) when no
# commit holds the anchored text; None unnamed.
_WALK_MEMO: dict[tuple[str, str], tuple[str, str | None] | None] = {}


# Bulk checks pause Python's cyclic garbage collector (see `_collector_paused`).
_GC_LOCK = threading.Lock()
_GC_PAUSES = [0, False]  # pauses in progress, whether the collector was enabled before the first one
BULK = 8  # more anchors than this to judge in one call: read objects in one batch, pause the collector


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while many anchors are judged.

    Judging 10,000 anchors allocates millions of short-lived, acyclic objects (split lines, hashes,
    windows); each allocation burst triggers collections that traverse every live object, including
    all the loaded notes: about a fifth of a cold `cairn check`'s CPU. Reference counting still frees
    all that memory at once; only garbage in reference cycles waits until the pause ends, when the
    collector runs as usual. Nested or concurrent pauses (the language server's threads) are counted:
    the collector is re-enabled by the last one to end, and only if it was enabled when the first began
    (a caller that disabled it itself keeps it disabled).
    """
    with _GC_LOCK:
        if _GC_PAUSES[0] == 0:
            _GC_PAUSES[1] = gc.isenabled()
            gc.disable()
        _GC_PAUSES[0] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_PAUSES[0] -= 1
            if _GC_PAUSES[0] == 0 and _GC_PAUSES[1]:
                gc.enable()


def where(recorded: tuple[str, int, int], now: tuple[str, int, int] | None) -> str:
    """A location as every surface shows it: where the code is now first, the recorded place second.

    `src/a.py:14-20 (recorded 10-16)`, `src/b.py:3-9 (recorded src/a.py:10-16)`, or just the one range
    when both are the same (or nothing is there now).
    """
    path, start, end = recorded
    if now is None or now == recorded:
        return f"{path}:{start}-{end}"
    was = f"{start}-{end}" if now[0] == path else f"{path}:{start}-{end}"
    return f"{now[0]}:{now[1]}-{now[2]} (recorded {was})"


@dataclass(frozen=True)
class AnchorVerdict:
    """The verdict on one anchor. Lines are 1-based inclusive.

    `current_*` is where the code is now (None when stale); `best_*` is, for a stale anchor, the
    code that replaced it (what "re-anchor to the current lines" would use), None when deleted.
    """

    anchor: Anchor
    status: str  # intact | moved | reformatted | changed | deleted
    current_path: str | None
    current_start: int | None
    current_end: int | None
    best_path: str | None
    best_start: int | None
    best_end: int | None
    changed_in: str | None  # full sha | "uncommitted" | None
    subject: str | None
    message: str
    merged_in: str | None = None  # the merge that brought `changed_in` onto the first-parent line

    @property
    def fresh(self) -> bool:
        return self.status in FRESH

    @property
    def stale(self) -> bool:
        return not self.fresh

    @property
    def path(self) -> str:
        return self.anchor.path

    @property
    def lines(self) -> tuple[int, int]:
        return self.anchor.start, self.anchor.end

    @property
    def current(self) -> tuple[str, int, int] | None:
        if self.current_path is None or self.current_start is None or self.current_end is None:
            return None
        return self.current_path, self.current_start, self.current_end

    @property
    def best(self) -> tuple[str, int, int] | None:
        """Where the code is now, or (stale) what replaced it; None when there is nothing."""
        if self.current is not None:
            return self.current
        if self.best_path is None or self.best_start is None or self.best_end is None:
            return None
        return self.best_path, self.best_start, self.best_end

    @property
    def location(self) -> tuple[str, int, int]:
        """Where to show this verdict: the best current place, else the recorded one."""
        return self.best or (self.anchor.path, self.anchor.start, self.anchor.end)

    @property
    def where(self) -> str:
        """`src/a.py:14-20 (recorded 10-16)`: the place now first, the recorded one second."""
        return where((self.anchor.path, self.anchor.start, self.anchor.end),
                     None if self.status == "deleted" else self.best)

    def to_json(self) -> dict[str, Any]:
        current = self.current
        return {
            "path": self.anchor.path,
            "lines": [self.anchor.start, self.anchor.end],
            "status": self.status,
            "current": {"path": current[0], "lines": [current[1], current[2]]} if current else None,
            "changed_in": self.changed_in,
            "merged_in": self.merged_in,
            "message": self.message,
        }

    def to_cache(self) -> dict[str, Any]:
        return {"s": self.status, "c": [self.current_path, self.current_start, self.current_end],
                "b": [self.best_path, self.best_start, self.best_end], "ci": self.changed_in,
                "su": self.subject, "m": self.message, "mi": self.merged_in}

    @classmethod
    def from_cache(cls, anchor: Anchor, d: dict[str, Any]) -> AnchorVerdict:
        c, b = d["c"], d["b"]
        return cls(anchor, d["s"], c[0], c[1], c[2], b[0], b[1], b[2], d["ci"], d["su"], d["m"], d.get("mi"))


@dataclass
class NoteCheck:
    """One note's result: its state and a verdict per anchor (or the problems that make it invalid)."""

    id: str
    path: str
    title: str
    state: str  # fresh | stale | expired | invalid
    anchors: list[AnchorVerdict] = field(default_factory=list)
    expired: bool = False
    note: Note | None = None
    errors: list[NoteError] = field(default_factory=list)

    @property
    def stale_anchors(self) -> list[AnchorVerdict]:
        return [v for v in self.anchors if v.stale]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "path": self.path, "title": self.title, "state": self.state,
                               "anchors": [v.to_json() for v in self.anchors]}
        if self.errors:
            out["error"] = str(self.errors[0])
        return out


@dataclass
class CheckReport:
    notes: list[NoteCheck]
    target: Target = field(default_factory=Target.worktree)

    @property
    def stale(self) -> list[NoteCheck]:
        return [n for n in self.notes if n.state == "stale"]

    @property
    def expired(self) -> list[NoteCheck]:
        return [n for n in self.notes if n.expired and n.state != "invalid"]

    @property
    def invalid(self) -> list[NoteCheck]:
        return [n for n in self.notes if n.state == "invalid"]

    @property
    def exit_code(self) -> int:
        """0 nothing stale, 1 something stale (the exit code of `cairn check`)."""
        return 1 if self.stale else 0

    def counts(self) -> dict[str, int]:
        return {"notes": len(self.notes), "stale": len(self.stale), "expired": len(self.expired),
                "invalid": len(self.invalid)}

    def by_id(self) -> dict[str, NoteCheck]:
        return {n.id: n for n in self.notes}

    def to_json(self) -> dict[str, Any]:
        """The `cairn check --json` object (a dict per note and anchor: the collector is paused meanwhile)."""
        with _collector_paused():
            return {"notes": [n.to_json() for n in self.notes]}


# ---- the checker ------------------------------------------------------------------------------
class Checker:
    """Judges anchors against one target; reuse it for many anchors (files and alignments are cached).

    Call `close()` (or use it as a context manager) to persist the verdict cache.

    Options for long-lived callers (the language server), all keyword-only:

    - `cache`: a `VerdictCache` to read and write instead of opening one (`use_cache` is then ignored);
      share one between checkers made one after another. `close()` saves it (a no-op without a folder).
    - `name_commits=False`: do not name the commit that changed stale code (no history walk: stale
      verdicts get `changed_in=None`). Such incomplete verdicts are never written to the cache; complete
      cached ones are still used. `verdicts()` and `check()` take the same option per call.
    - `base`: for `Target.with_buffers`, another checker of the working tree (`Target.worktree()`)
      whose view the buffers are laid over: its snapshot (files read, stat cache), repository, HEAD and
      snapshot identity are reused, so checking a buffer per keystroke neither lists nor hashes the
      repository again. It sees the working tree as `base` does (replace both after files change).
    """

    def __init__(self, ws: Workspace, target: Target | None = None, use_cache: bool = True, *,
                 cache: VerdictCache | None = None, name_commits: bool = True, base: Checker | None = None) -> None:
        self.ws = ws
        self.target = target or Target.worktree()
        if base is not None and (self.target.kind != "buffers" or base.target.kind != "worktree"):
            raise UsageError("Checker(base=...) lays buffers over a working-tree checker: "
                             "use Target.with_buffers and a Target.worktree() base")
        self._base = base
        self.name_commits = name_commits
        self.repo: GitRepo | None
        self.head: str | None
        if base is not None:
            self.repo, self.head = base.repo, base.head
        else:
            self.repo = open_repo(ws.root) if ws.git_dir is not None else None
            self.head = self.repo.head() if self.repo is not None else None
        self.snapshot = self._snapshot()
        # Code found in another file counts as moved there only with evidence from history (judge.py).
        moves = MoveHistory(self.repo, self.tip or None) if self.repo is not None else None
        self.judge = Judge(self.repo, self.snapshot, moves=moves, require_evidence=True,
                           uncommitted_from=self.head if self.target.kind != "rev" else None)
        persist = use_cache and self.target.kind != "buffers"
        self.cache = cache if cache is not None else VerdictCache(ws.cache_dir() if persist else None)
        self._identity: str | None = None
        self._head_judge: Judge | None = None
        self._dirty_paths: set[str] | None = None

    def _snapshot(self) -> Snapshot:
        kind = self.target.kind
        if kind == "rev":
            if self.repo is None:
                raise UsageError("--rev needs a git repository")
            sha = self.repo.resolve(self.target.rev or "")
            if sha is None:
                raise UsageError(f"unknown revision {self.target.rev!r}")
            self.tip = sha
            return TreeSnapshot(self.repo, sha, self.ws.config.max_file_bytes)
        self.tip = self.head or ""
        if self._base is not None and isinstance(self._base.snapshot, WorktreeSnapshot):
            base = self._base.snapshot
        else:
            base = WorktreeSnapshot(self.ws.root, self.repo, self.ws.cache_dir(), skip=self.ws.notes_root_rel,
                                    max_bytes=self.ws.config.max_file_bytes)
        if kind == "buffers":
            # An editor shows a symlink's target as the file's text: such a buffer is never laid over
            # the working tree (a file that does not exist yet, an unsaved new file, is fine).
            buffers = {rel: text for rel, text in ((self.ws.check_repo_path(p), t)
                                                   for p, t in self.target.buffers.items())
                       if may_overlay(self.ws.root, rel)}
            return OverlaySnapshot(base, buffers)
        return base

    def __enter__(self) -> Checker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.cache.save()
        if isinstance(self.snapshot, WorktreeSnapshot):
            self.snapshot.save()
        elif isinstance(self.snapshot, OverlaySnapshot) and isinstance(self.snapshot.base, WorktreeSnapshot):
            self.snapshot.base.save()

    # ---- verdicts -----------------------------------------------------------------------------
    def identity(self) -> str:
        """The identity of the whole target (what repository-wide verdicts depend on), computed once."""
        if self._identity is None:
            if self._base is not None and isinstance(self.snapshot, OverlaySnapshot):
                # As OverlaySnapshot.identity(), over the base checker's identity (already computed once).
                import hashlib

                h = hashlib.sha1(self._base.identity().encode())
                for path in sorted(self.snapshot.buffers):
                    h.update(f"{path}\0{self.snapshot.key(path)}\n".encode("utf-8", "surrogateescape"))
                self._identity = "overlay:" + h.hexdigest()
            else:
                self._identity = self.snapshot.identity()
        return self._identity

    def _valid(self, entry: dict[str, Any]) -> bool:
        for path, key in entry["deps"].items():
            if self.snapshot.key(path) != key:
                return False
        if entry.get("head") is not None and entry["head"] != (self.tip or None):
            return False
        return not (entry.get("snap") is not None and entry["snap"] != self.identity())

    def verdicts(self, anchors: Sequence[Anchor], *, name_commits: bool | None = None) -> list[AnchorVerdict]:
        """Verdicts for `anchors`, in order (cached ones reused, the rest judged and named).

        `name_commits` (default: the checker's option): False leaves stale verdicts unnamed and uncached.
        """
        if len(anchors) > BULK:
            with _collector_paused():
                return self._verdicts(anchors, name_commits)
        return self._verdicts(anchors, name_commits)

    def _verdicts(self, anchors: Sequence[Anchor], name_commits: bool | None) -> list[AnchorVerdict]:
        naming = self.name_commits if name_commits is None else name_commits
        out: list[AnchorVerdict | None] = [None] * len(anchors)
        keys: list[str] = []
        todo: list[int] = []
        for i, anchor in enumerate(anchors):
            key = anchor_key(anchor.data, self.target.kind)
            keys.append(key)
            entry = self.cache.get(key)
            if entry is not None and self._valid(entry):
                out[i] = AnchorVerdict.from_cache(anchor, entry["v"])
            else:
                todo.append(i)
        if len(todo) > BULK:
            worktree = self.snapshot.base if isinstance(self.snapshot, OverlaySnapshot) else self.snapshot
            if isinstance(worktree, WorktreeSnapshot):
                worktree.trust_index()  # blob ids git already knows: unchanged files are not read
            self.judge.prefetch(anchors[i] for i in todo)
        placements = self._placements(anchors, todo, naming)
        stale = [(i, anchors[i], placements[i]) for i in todo
                 if not placements[i].fresh and not placements[i].by_blob_only]
        named = self._name(stale) if naming else {}
        for i in todo:
            anchor, placement = anchors[i], placements[i]
            verdict = self._verdict(anchor, placement, named.get(i))
            out[i] = verdict
            if not naming and not placement.fresh:
                continue  # incomplete (unnamed): a later naming check must judge it again
            deps = {anchor.path: self.snapshot.key(anchor.path)}
            if placement.path:
                deps[placement.path] = self.snapshot.key(placement.path)
            entry = {"deps": deps, "v": verdict.to_cache(),
                     "snap": self.identity() if placement.global_deps or not placement.fresh else None,
                     "head": (self.tip or None) if not placement.fresh else None}
            self.cache.put(keys[i], entry)
        return [v for v in out if v is not None]

    def verdict(self, anchor: Anchor) -> AnchorVerdict:
        return self.verdicts([anchor])[0]

    def _placements(self, anchors: Sequence[Anchor], todo: list[int], naming: bool) -> dict[int, Placement]:
        """Judge `anchors[i]` for each i in `todo`, reading history once in a bulk check.

        A relocation to another file needs evidence from history (`evidence.py`), and naming the commits
        of stale anchors walks history again with patches. In a bulk check that names commits, anchors
        whose evidence is not read yet are set aside; when the others hold enough stale anchors for the
        walk to read the whole first-parent log (`HistoryWalker.whole_log_start`), that log is read first
        and also answers the evidence (when its range has no merge); otherwise the evidence log is read
        as usual. The set-aside anchors are then judged again from the start; the judge's caches hold
        files, alignments and indexes, never a verdict, so they get the answers one pass gives (up to
        the judge's own order effect: its rename search scans every new file for the first few renames
        and uses a line index after, whichever anchors come first).
        """
        moves = self.judge.moves
        if moves is None or not naming or len(todo) <= BULK or moves.deferring:
            return {i: self._place(anchors[i]) for i in todo}
        placements: dict[int, Placement] = {}
        held: list[int] = []
        moves.deferring = True
        try:
            for i in todo:
                try:
                    placements[i] = self._place(anchors[i])
                except EvidenceDeferred:
                    held.append(i)
        finally:
            moves.deferring = False
        if held:
            stale: dict[str, int] = {}
            for i, placement in placements.items():
                commit = anchors[i].commit
                if commit and not placement.fresh and not placement.by_blob_only:
                    stale[commit] = stale.get(commit, 0) + 1
            if self.repo is not None and self.tip and sum(stale.values()) >= WHOLE_LOG_MIN_TRACKERS:
                start = HistoryWalker(self.repo, self.tip).whole_log_start(stale)
                if start is not None:
                    moves.load_patches(start)
            for i in held:
                placements[i] = self._place(anchors[i])
        return {i: placements[i] for i in todo}

    def _place(self, anchor: Anchor) -> Placement:
        try:
            return self.judge.judge(anchor)
        except CairnError:
            return Placement("deleted", None, None, None, True)

    def _name(self, stale: list[tuple[int, Anchor, Placement]]) -> dict[int, tuple[str | None, str, str | None]]:
        """changed_in, the reason text and merged_in for each stale anchor (index → (changed_in, why, merged_in))."""
        result: dict[int, tuple[str | None, str, str | None]] = {}
        walk: dict[int, Anchor] = {}
        repo = self.repo
        for i, anchor, placement in stale:
            commit = anchor.commit
            if repo is None:
                result[i] = (None, "no git history to name the change", None)
            elif commit and not repo.has_commit(commit):
                result[i] = (None, f"the recorded commit {commit[:7]} is not in this repository (squashed, rebased "
                                   "or a shallow clone), so the change cannot be named", None)
            elif self.target.kind != "rev" and (not self.head or commit == self.head
                                                or self._fresh_at_head(anchor, placement)):
                result[i] = ("uncommitted", "", None)
            elif not commit:
                result[i] = (None, "it was anchored before the first commit, so the change cannot be named", None)
            else:
                walk[i] = anchor
        if walk and repo is not None and self.tip:
            # History does not change under a given tip: remember answers across checks (the server
            # re-checks on every edit of a buffer).
            memo_keys = {i: (self.tip, anchor_key(a.data, "walk")) for i, a in walk.items()}
            for key in memo_keys.values():
                stored = self.cache.walks.get(key)  # named by an earlier process under the same tip
                if stored is not None and key not in _WALK_MEMO:
                    _WALK_MEMO[key] = (stored[0], stored[1])
            todo = {i: a for i, a in walk.items() if memo_keys[i] not in _WALK_MEMO}
            if todo:
                moves = self.judge.moves
                walker = HistoryWalker(repo, self.tip, moves.patches if moves is not None and moves.tip == self.tip
                                       else None)
                names = walker.name(todo)
                for i in todo:
                    sha = names.get(i)
                    _WALK_MEMO[memo_keys[i]] = ((sha, walker.merged.get(i)) if sha else
                                                ("", None) if i in walker.never_committed else None)
                    if sha:
                        self.cache.put_walk(memo_keys[i], (sha, walker.merged.get(i)))
                while len(_WALK_MEMO) > 50_000:
                    _WALK_MEMO.pop(next(iter(_WALK_MEMO)))
            for i in walk:
                got = _WALK_MEMO.get(memo_keys[i])
                if got is not None and got[0]:
                    result[i] = (got[0], "", got[1])
                elif got is not None and self.target.kind != "rev":
                    result[i] = ("uncommitted", "", None)
                else:
                    result[i] = (None, "the commit that changed them could not be named", None)
        return result

    def _dirty(self) -> set[str]:
        """Files whose content in the target differs from HEAD (uncommitted edits, unsaved buffers)."""
        if self._dirty_paths is None:
            head_tree = self.repo.tree(self.head) if self.repo is not None and self.head else {}
            paths = set(self.snapshot.paths()) | set(head_tree)
            self._dirty_paths = {p for p in paths if self.snapshot.key(p) != head_tree.get(p)}
        return self._dirty_paths

    def _fresh_at_head(self, anchor: Anchor, placement: Placement) -> bool:
        """Whether the anchor is still fresh in HEAD, i.e. only uncommitted edits made it stale."""
        if self.repo is None or not self.head:
            return False
        dirty = self._dirty()
        if not dirty or (not placement.global_deps and anchor.path not in dirty
                         and (placement.path is None or placement.path not in dirty)):
            return False  # the target is HEAD where this verdict looked: same verdict there
        if self._head_judge is None:
            moves = self.judge.moves.sharing(self.head) if self.judge.moves is not None else None
            self._head_judge = Judge(self.repo, TreeSnapshot(self.repo, self.head), moves=moves, require_evidence=True)
        try:
            return self._head_judge.judge(anchor).fresh
        except CairnError:
            return False

    def _verdict(self, anchor: Anchor, p: Placement,
                 named: tuple[str | None, str, str | None] | None) -> AnchorVerdict:
        recorded = (anchor.path, anchor.start, anchor.end)
        if p.fresh:
            if p.status == "intact":
                message = "anchored lines unchanged" + (f" ({p.note})" if p.note else "")
            else:
                now = (p.path, p.start, p.end) if p.path and p.start and p.end else None
                what = "moved" if p.status == "moved" else "reformatted (whitespace only)"
                message = f"anchored lines {what}: now {where(recorded, now)}"
            return AnchorVerdict(anchor, p.status, p.path, p.start, p.end, None, None, None, None, None, message)
        changed_in, why, merged_in = named or (None, "", None)
        verb = "changed" if p.status == "changed" else "deleted"
        subject: str | None = None
        if changed_in == "uncommitted":
            message = f"anchored lines {verb} in uncommitted edits"
        elif changed_in:
            subject = self.repo.subject(changed_in) if self.repo is not None else ""
            message = f"anchored lines {verb} in {changed_in[:7]} ({subject})"
            if merged_in:
                merge_subject = self.repo.subject(merged_in) if self.repo is not None else ""
                message += f", merged in {merged_in[:7]} ({merge_subject})"
        else:
            message = f"anchored lines {verb}" + (f"; {why}" if why else "")
        if p.note:
            message += f" ({p.note})"
        if p.status == "changed" and p.path and p.start and p.end:
            message += f": now {where(recorded, (p.path, p.start, p.end))}"
        else:
            message += f": was {where(recorded, None)}"
        return AnchorVerdict(anchor, p.status, None, None, None, p.path, p.start, p.end, changed_in, subject, message,
                             merged_in)

    # ---- notes --------------------------------------------------------------------------------
    def check(self, notes: Iterable[Note], errors: Iterable[NoteError] = (), now: datetime | None = None,
              paths: Sequence[str] | None = None, *, name_commits: bool | None = None) -> CheckReport:
        chosen = [n for n in notes if paths is None or _note_matches(n, paths)]
        flat = [a for n in chosen for a in n.anchors]
        if len(flat) > BULK:
            with _collector_paused():  # the verdicts and a result per note
                return self._check(chosen, flat, errors, now, paths, name_commits)
        return self._check(chosen, flat, errors, now, paths, name_commits)

    def _check(self, chosen: list[Note], flat: list[Anchor], errors: Iterable[NoteError], now: datetime | None,
               paths: Sequence[str] | None, name_commits: bool | None) -> CheckReport:
        when = now or now_utc()
        verdicts = iter(self.verdicts(flat, name_commits=name_commits))
        results: list[NoteCheck] = []
        for note in chosen:
            got = [next(verdicts) for _ in note.anchors]
            expired = note.expired(when, self.ws.config)
            state = "stale" if any(v.stale for v in got) else "expired" if expired else "fresh"
            results.append(NoteCheck(note.id, note.rel_path, note.title, state, got, expired, note))
        grouped: dict[str, list[NoteError]] = {}
        for err in errors:
            grouped.setdefault(err.path, []).append(err)
        for path, errs in grouped.items():
            if paths is not None and not any(_under(path, p) for p in paths):
                continue
            note_id = errs[0].note_id or path
            results.append(NoteCheck(note_id, path, _title_of(self.ws, path), "invalid", [], False, None, errs))
        results.sort(key=lambda r: r.path)
        return CheckReport(results, self.target)


def _under(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/")
    return prefix in ("", ".") or path == prefix or path.startswith(prefix + "/")


def _note_matches(note: Note, paths: Sequence[str]) -> bool:
    return any(_under(note.rel_path, p) for p in paths) or any(
        _under(a.path, p) for a in note.anchors for p in paths)


def _title_of(ws: Workspace, rel: str) -> str:
    text = read_regular_text(ws.root, rel)
    if text is None:
        return ""
    match = re.search(r"^title:\s*(.+?)\s*$", text, re.MULTILINE)
    return match.group(1).strip("'\"") if match else ""


def check_notes(ws: Workspace, notes: Iterable[Note], target: Target | None = None,
                paths: Sequence[str] | None = None, errors: Iterable[NoteError] = (),
                now: datetime | None = None, use_cache: bool = True) -> CheckReport:
    """Verdicts for `notes` (only those anchored in, or living in, `paths` when given)."""
    with Checker(ws, target, use_cache) as checker:
        return checker.check(notes, errors, now, paths)


def check_workspace(ws: Workspace, target: Target | None = None, paths: Sequence[str] | None = None,
                    now: datetime | None = None, use_cache: bool = True) -> CheckReport:
    """Load every note of the workspace (invalid ones reported as such) and check them."""
    from cairn.notes import NoteStore

    loaded = NoteStore(ws).load()
    return check_notes(ws, loaded.notes, target, paths, loaded.errors, now, use_cache)


def verdicts_for_file(ws: Workspace, notes: Iterable[Note], path: str, text: str | None = None,
                      checker: Checker | None = None) -> list[tuple[Note, AnchorVerdict]]:
    """Every anchor whose code is (or was) in `path`, judged against `text` (an editor buffer) if given.

    Includes anchors recorded in other files whose code now lives in `path` (moved or renamed).
    """
    rel = ws.check_repo_path(path)
    own = checker or Checker(ws, Target.with_buffers({rel: text}) if text is not None else Target.worktree())
    try:
        pairs = [(n, a) for n in notes for a in n.anchors]
        mine = [(n, a) for n, a in pairs if a.path == rel]
        # Anchors of files that are gone may have moved here; only those sharing a line with this file.
        here = own.judge.target_file(rel)
        hashes = {here.hash_at(i) for i in here.nb_lines} if here is not None else set()
        elsewhere = [(n, a) for n, a in pairs if a.path != rel and own.snapshot.key(a.path) is None
                     and _shares_a_line(a, hashes)]
        out: list[tuple[Note, AnchorVerdict]] = []
        for (note, _), verdict in zip(mine, own.verdicts([a for _, a in mine]), strict=True):
            out.append((note, verdict))
        if elsewhere:
            # Only "did it move here?": judge them against this one file, not the whole repository.
            local = Judge(own.repo, _OneFile(own.snapshot, rel), moves=own.judge.moves, require_evidence=True,
                          uncommitted_from=own.judge.uncommitted_from)
            for note, anchor in elsewhere:
                try:
                    placement = local.judge(anchor)
                except CairnError:
                    continue
                if placement.fresh and placement.path == rel:
                    out.append((note, own._verdict(anchor, placement, None)))
        return out
    finally:
        if checker is None:
            own.close()


class _OneFile:
    """A snapshot that holds a single file of another (to ask whether code moved into that file)."""

    def __init__(self, base: Snapshot, path: str) -> None:
        self.base = base
        self.path = path

    def key(self, path: str) -> str | None:
        return self.base.key(path) if path == self.path else None

    def read(self, path: str) -> bytes | None:
        return self.base.read(path) if path == self.path else None

    def paths(self) -> list[str]:
        return [self.path] if self.base.key(self.path) is not None else []

    def identity(self) -> str:
        return f"one:{self.path}:{self.base.key(self.path)}"


def _shares_a_line(anchor: Anchor, hashes: set[str]) -> bool:
    """Whether every line of an anchor occurs in a file (else its code has not moved there intact)."""
    from cairn.anchors.fingerprint import Fingerprint

    fp = Fingerprint.from_data(anchor.data)
    keys = [h for h in fp.line_hashes if h != BLANK]
    if not keys:
        return not fp.line_hashes  # no fingerprint: cannot rule it out
    return all(h in hashes for h in keys)


# ---- re-anchoring and diffs ------------------------------------------------------------------
def _current_content(ws: Workspace, checker: Checker, path: str) -> tuple[list[str], bytes]:
    data = checker.snapshot.read(path)
    if data is None or is_binary(data):
        raise CairnError(f"{path}: cannot re-anchor: the file is missing or binary")
    return split_lines(decode(data)), data


def reanchor(ws: Workspace, anchor: Anchor, verdict: AnchorVerdict, checker: Checker | None = None,
             allow_stale: bool = False) -> dict[str, Any] | None:
    """The anchor mapping re-recorded at the code's current place (HEAD commit, fresh fingerprint).

    For a stale anchor only when `allow_stale` (a person asked to re-anchor to the current lines) and
    there is a best current range; returns None when there is nothing to anchor to. Keys of the old
    mapping that are not path/lines/commit/fingerprint are kept.
    """
    place = verdict.current or (verdict.best if allow_stale else None)
    if place is None:
        return None
    own = checker or Checker(ws)
    path, start, end = place
    lines, data = _current_content(ws, own, path)
    end = min(end, len(lines))
    if start > end:
        return None
    fresh = anchor_mapping(path, start, end, own.head, lines, data)
    for key, value in anchor.data.items():
        if key not in fresh and key not in ("path", "lines", "commit", *FP_KEYS):
            fresh[key] = value
    return fresh


def recorded_text(ws: Workspace, anchor: Anchor, checker: Checker | None = None) -> list[str] | None:
    """The anchored lines as recorded, when the recorded file is still in the object store."""
    from cairn.anchors.fingerprint import Fingerprint

    own = checker or Checker(ws)
    rec, _ = own.judge.recorded_file(anchor, Fingerprint.from_data(anchor.data))
    if rec is None:
        return None
    return rec.lines[anchor.start - 1:anchor.end]


def anchor_diff(ws: Workspace, anchor: Anchor, verdict: AnchorVerdict | None = None,
                checker: Checker | None = None) -> str:
    """A unified diff of the anchored code from the recorded version to the target's current one."""
    own = checker or Checker(ws)
    v = verdict or own.verdict(anchor)
    commit = anchor.commit[:7] if anchor.commit else "uncommitted"
    old = recorded_text(ws, anchor, own)
    place = v.best
    new: list[str] = []
    if place is not None:
        data = own.snapshot.read(place[0])
        if data is not None and not is_binary(data):
            new = split_lines(decode(data))[place[1] - 1:place[2]]
    if old is None:
        return (f"(the text recorded at {commit} for {anchor.path}:{anchor.start}-{anchor.end} is not available: "
                "only its hashes were stored)\n" + "".join(f"+{line}\n" for line in new))
    to_name = f"b/{place[0]}" if place else "/dev/null"
    diff = unified_diff(old, new, f"a/{anchor.path} (lines {anchor.start}-{anchor.end} at {commit})",
                        f"{to_name} (now" + (f", lines {place[1]}-{place[2]})" if place else ")"), lineterm="", n=3)
    text = "\n".join(diff)
    return text + "\n" if text else ""


def update_anchors(ws: Workspace, report: CheckReport, checker: Checker | None = None) -> list[str]:
    """Rewrite moved/reformatted anchors at their current place (never stale ones); ids updated.

    Conditional writes: a note changed since it was read is skipped (ConflictError is not raised).
    """
    from cairn.errors import ConflictError
    from cairn.notes import NoteStore

    store = NoteStore(ws)
    own = checker or Checker(ws, report.target)
    updated: list[str] = []
    try:
        for result in report.notes:
            note = result.note
            if note is None or not any(v.status in ("moved", "reformatted") for v in result.anchors):
                continue
            anchors: list[dict[str, Any]] = []
            for anchor, v in zip(note.anchors, result.anchors, strict=True):
                fresh = reanchor(ws, anchor, v, own) if v.status in ("moved", "reformatted") else None
                anchors.append(fresh if fresh is not None else dict(anchor.data))
            try:
                store.set_anchors(note.id, note.version, anchors)
            except ConflictError:
                continue
            updated.append(note.id)
    finally:
        if checker is None:
            own.close()
    return updated


def reanchor_note(ws: Workspace, note_id: str, expected_version: str | None = None,
                  mark_reviewed: bool = True, target: Target | None = None) -> Note:
    """Re-anchor every anchor of a note to its current (or best current) lines and mark it reviewed.

    The language server's "Re-anchor to the current lines and mark reviewed" action. Anchors whose code
    is gone entirely are kept as they are. `target`: e.g. `Target.with_buffers` for an editor's unsaved
    text (the anchors are recorded from it); the working tree by default.
    """
    from cairn.notes import NoteStore
    from cairn.timeutil import format_timestamp

    store = NoteStore(ws)
    note = store.get(note_id)
    with Checker(ws, target) as checker:
        verdicts = checker.verdicts(list(note.anchors))
        anchors = []
        for anchor, v in zip(note.anchors, verdicts, strict=True):
            fresh = None if v.status == "intact" else reanchor(ws, anchor, v, checker, allow_stale=True)
            anchors.append(fresh if fresh is not None else dict(anchor.data))

    def change(meta: dict[str, Any], body: str) -> tuple[dict[str, Any], str]:
        if anchors:
            meta["anchors"] = anchors
        if mark_reviewed:
            meta["reviewed"] = format_timestamp(now_utc())
        return meta, body

    return store.update(note.id, expected_version or note.version, change)


__all__ = [
    "STATES",
    "AnchorVerdict",
    "CheckReport",
    "Checker",
    "NoteCheck",
    "Target",
    "anchor_diff",
    "check_notes",
    "check_workspace",
    "reanchor",
    "reanchor_note",
    "recorded_text",
    "update_anchors",
    "verdicts_for_file",
]
