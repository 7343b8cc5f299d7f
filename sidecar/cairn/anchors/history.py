"""Naming the commit that made an anchor stale (`changed_in`).

The verdict itself never depends on history (it is one direct comparison); history only answers
"which commit did it?". All stale anchors recorded at the same commit are tracked together through ONE
`git log --first-parent -p -U0` from the recorded commit to the tip: each commit's hunks shift the
tracked range; when a hunk touches it, the anchor is judged across just that commit (parent → commit,
only the files that commit changed, so a move to another file or a rename is still recognised). A
whitespace-only edit or a move keeps tracking at the new place; anything else names the commit.

When that commit is a merge (a branch merged with `--no-ff`), the merged branch's own first-parent
commits are walked from where it forked (hunks only) to name the first commit on the branch that touched
the lines; the merge is then reported as `merged_in`. Squash merges and rebased branches are ordinary
mainline commits and are named directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from cairn.anchors.fingerprint import Fingerprint
from cairn.anchors.judge import Judge, Placement
from cairn.anchors.target import TreeSnapshot
from cairn.anchors.text import block_hash, decode, is_binary, split_lines
from cairn.gitio import FileChange, GitRepo, LogCommit
from cairn.notes import Anchor

RawChanges = list[tuple[str | None, str | None, str | None, str | None]]
MAX_ROUNDS = 8
# Up to this many commits since the recorded one, one `git log` over all files is cheaper than
# following files by name (no second round for code that moved to another file).
WHOLE_LOG_LIMIT = 3000
WHOLE_LOG_MIN_TRACKERS = 20  # fewer anchors to name: their files' log only


@dataclass
class _Tracker:
    key: int
    anchor: Anchor
    path: str
    start: int
    end: int
    named: str | None = None
    merged: str | None = None  # the merge that brought `named` onto the first-parent line
    started: bool = True  # False until the anchored text is seen in a commit (anchored uncommitted)
    since: int = -1  # position of the recorded commit on the mainline (tracking starts after it)


@dataclass
class _PartialSnapshot:
    """The files one commit changed, on one side of its diff (`blobs`: path → blob id)."""

    repo: GitRepo
    blobs: dict[str, str] = field(default_factory=dict)

    def key(self, path: str) -> str | None:
        return self.blobs.get(path)

    def read(self, path: str) -> bytes | None:
        sha = self.blobs.get(path)
        return None if sha is None else self.repo.read_object(sha)

    def paths(self) -> Iterable[str]:
        return sorted(self.blobs)

    def identity(self) -> str:
        return "partial"


def _touches(change: FileChange, start: int, end: int) -> bool:
    for h in change.hunks:
        if h.old_len == 0:
            if start <= h.old_start < end:
                return True
        elif h.old_start <= end and h.old_start + h.old_len - 1 >= start:
            return True
    return False


def _shift(change: FileChange, line: int) -> int:
    delta = 0
    for h in change.hunks:
        last_old = h.old_start if h.old_len == 0 else h.old_start + h.old_len - 1
        if last_old < line:
            delta += h.new_len - h.old_len
    return line + delta


class HistoryWalker:
    """Names the commits that made anchors stale, for one repository and one tip."""

    def __init__(self, repo: GitRepo, tip: str,
                 patches: Callable[[str], list[LogCommit] | None] | None = None) -> None:
        """`patches(since)`: the whole first-parent log from `since` to `tip` when it was already read
        (`MoveHistory.load_patches`, for the same tip), else None (read here)."""
        self.repo = repo
        self.tip = tip
        self._loaded = patches
        self.never_committed: set[int] = set()  # anchored text that no commit up to the tip contains
        self.merged: dict[int, str] = {}  # key → the merge that brought the named commit in
        # Merged branches, shared by every anchor a merge changed: merge → [(branch tip, fork point)],
        # and each branch's log of one file (per fork, tip and path).
        self._branches: dict[str, list[tuple[str, str]]] = {}
        self._branch_logs: dict[tuple[str, str, str], list[LogCommit]] = {}
        self._whole = False
        self._positions: dict[str, int] = {}

    def name(self, items: Mapping[int, Anchor]) -> dict[int, str]:
        """For each key → anchor (recorded commit present), the sha that changed it (when found)."""
        by_commit: dict[str, list[_Tracker]] = {}
        for key, anchor in items.items():
            if anchor.commit:
                by_commit.setdefault(anchor.commit, []).append(
                    _Tracker(key, anchor, anchor.path, anchor.start, anchor.end))
        out: dict[int, str] = {}
        groups: list[tuple[str, list[_Tracker]]] = list(by_commit.items())
        if len(by_commit) > 1:
            # Anchors recorded at different mainline commits share one walk from the oldest of them.
            mainline = self.repo.mainline(self.tip)
            self._positions = {sha: i for i, sha in enumerate(reversed(mainline))}
            on = {c: ts for c, ts in by_commit.items() if c in self._positions}
            if len(on) > 1:
                oldest = min(on, key=lambda c: self._positions[c])
                merged = []
                for c, ts in on.items():
                    for t in ts:
                        t.since = self._positions[c]
                        merged.append(t)
                groups = [(oldest, merged)] + [(c, ts) for c, ts in by_commit.items() if c not in on]
        for commit, trackers in groups:
            self._walk(commit, trackers)
            for t in trackers:
                if t.named:
                    out[t.key] = t.named
                    if t.merged:
                        self.merged[t.key] = t.merged
                elif not t.started:
                    self.never_committed.add(t.key)
        return out

    def whole_log_start(self, recorded: Mapping[str, int]) -> str | None:
        """Where `name` would read the whole first-parent log from, for stale anchors recorded at these
        commits (commit → how many), or None when it would follow their files instead (few anchors, a
        long history) or start on a side branch. Lets a check read that log before it needs the walk."""
        if not recorded:
            return None
        start, trackers = max(recorded.items(), key=lambda kv: (kv[1], kv[0]))
        if len(recorded) > 1:
            positions = {sha: i for i, sha in enumerate(reversed(self.repo.mainline(self.tip)))}
            on = {c: n for c, n in recorded.items() if c in positions}
            if len(on) > 1:  # walked together from the oldest (see `name`)
                start, trackers = min(on, key=positions.__getitem__), sum(on.values())
        if trackers < WHOLE_LOG_MIN_TRACKERS:
            return None
        chain = self.repo.first_parent_chain(start, self.tip)
        if not chain or len(chain) > WHOLE_LOG_LIMIT or self.repo.first_parent(chain[0]) != start:
            return None
        return start

    def _walk(self, commit: str, trackers: list[_Tracker]) -> None:
        start = commit
        chain = self.repo.first_parent_chain(commit, self.tip)
        if not chain:
            return
        if self.repo.first_parent(chain[0]) != commit:
            # The recorded commit sits on a side branch: start at the first mainline commit containing it.
            entry = self._first_containing(commit, chain)
            if entry is None:
                return
            judge = Judge(self.repo, TreeSnapshot(self.repo, entry))
            for t in trackers:
                self._reseed(t, judge.judge(t.anchor), entry)
            start = entry
        for t in trackers:
            own_start = start if t.since < 0 or t.anchor.commit == commit else t.anchor.commit or start
            if not t.named and not self._verified(own_start, t):
                t.started = False
        # Many anchors: one log over every file. A few: follow their files only (a smaller log).
        self._whole = len(chain) <= WHOLE_LOG_LIMIT and len(trackers) >= WHOLE_LOG_MIN_TRACKERS
        pending: dict[str, list[_Tracker]] = {start: [t for t in trackers if not t.named]}
        for _ in range(MAX_ROUNDS):
            if not pending:
                break
            next_round: dict[str, list[_Tracker]] = {}
            for since, group in pending.items():
                for moved_at, t in self._run_log(since, group):
                    next_round.setdefault(moved_at, []).append(t)
            pending = next_round

    def _verified(self, commit: str, t: _Tracker) -> bool:
        """Whether the anchored text is at the tracked place in `commit` (else it was anchored uncommitted)."""
        want = Fingerprint.from_data(t.anchor.data).hash
        if not want:
            return True
        data = self.repo.file_at(commit, t.path)
        if data is None or is_binary(data):
            return False
        lines = split_lines(decode(data))
        return t.end <= len(lines) and block_hash(lines[t.start - 1:t.end]) == want

    def _first_containing(self, commit: str, chain: list[str]) -> str | None:
        lo, hi = 0, len(chain) - 1
        found = None
        while lo <= hi:
            mid = (lo + hi) // 2
            if self.repo.is_ancestor(commit, chain[mid]):
                found = chain[mid]
                hi = mid - 1
            else:
                lo = mid + 1
        return found

    @staticmethod
    def _reseed(t: _Tracker, placement: Placement, at: str) -> None:
        if placement.fresh and placement.path and placement.start and placement.end:
            t.path, t.start, t.end = placement.path, placement.start, placement.end
        else:
            t.named = at

    def _run_log(self, since: str, group: list[_Tracker]) -> list[tuple[str, _Tracker]]:
        """Track `group` from `since` to the tip; returns trackers that moved to files outside the log."""
        whole = self._whole
        paths = {t.path for t in group}
        active = [t for t in group if not t.named]
        moved_out: list[tuple[str, _Tracker]] = []
        loaded = self._loaded(since) if whole and self._loaded is not None else None
        log = loaded if loaded is not None else self.repo.first_parent_log(since, self.tip, None if whole else paths)
        for commit in log:
            if not active:
                break
            by_old = {c.old_path: c for c in commit.changes if c.old_path}
            touched = by_old.keys() | {c.new_path for c in commit.changes if c.new_path}
            hit: list[_Tracker] = []
            position = self._positions.get(commit.sha, -1)
            for t in active:
                if 0 <= position <= t.since:
                    continue  # recorded at a later commit than this one: not tracking yet
                if not t.started:
                    if t.path in touched:
                        placement = Judge(self.repo, TreeSnapshot(self.repo, commit.sha)).judge(t.anchor)
                        if placement.fresh and placement.path and placement.start and placement.end:
                            t.path, t.start, t.end, t.started = placement.path, placement.start, placement.end, True
                    continue
                change = by_old.get(t.path)
                if change is None:
                    continue
                if change.new_path is None or change.binary or _touches(change, t.start, t.end):
                    hit.append(t)
                else:
                    t.start, t.end = _shift(change, t.start), _shift(change, t.end)
                    t.path = change.new_path
            if not hit:
                continue
            for t in hit:
                placement = self._judge_across(commit.sha, commit.raw if whole else None, t)
                if not placement.fresh and len(commit.parents) > 1:
                    side = self._on_merged_branch(commit.sha, commit.parents, t)
                    if side is not None:
                        t.named, t.merged = side, commit.sha
                        continue
                self._reseed(t, placement, commit.sha)
                if not t.named and not whole and t.path not in paths:
                    moved_out.append((commit.sha, t))
            active = [t for t in active if not t.named and (whole or t.path in paths)]
        return moved_out

    def _on_merged_branch(self, merge: str, parents: list[str], t: _Tracker) -> str | None:
        """The commit on a merged branch that changed the tracked lines (as they are in the merge's first
        parent), or None when no branch commit did (the merge resolution itself, or code the branch
        never had)."""
        header = self.repo.object_header(f"{parents[0]}:{t.path}")
        blob = header[0] if header else None
        anchor = self._block_anchor(blob, t)
        if anchor is None or blob is None:
            return None
        if merge not in self._branches:
            branches = []
            for side in parents[1:]:
                chain = self.repo.first_parent_chain(parents[0], side)
                fork = self.repo.parents(chain[0]) if chain else []
                if fork:
                    branches.append((side, fork[0]))
            self._branches[merge] = branches
        for side, fork_point in self._branches[merge]:
            fork = [fork_point]
            # Where the lines were when the branch forked (found by content in the same file).
            at_fork = self.repo.object_header(f"{fork[0]}:{t.path}")
            if at_fork is None:
                continue
            judge = Judge(self.repo, _PartialSnapshot(self.repo, {t.path: at_fork[0]}), recorded_tree={t.path: blob})
            placement = judge.judge(anchor)
            if not (placement.fresh and placement.path and placement.start and placement.end):
                continue
            on = _Tracker(t.key, anchor, placement.path, placement.start, placement.end)
            log_key = (fork[0], side, on.path)
            if log_key not in self._branch_logs:
                self._branch_logs[log_key] = list(self.repo.first_parent_log(fork[0], side, {on.path}))
            for commit in self._branch_logs[log_key]:
                change = next((c for c in commit.changes if c.old_path == on.path), None)
                if change is None:
                    continue
                if change.new_path is not None and not change.binary and not _touches(change, on.start, on.end):
                    on.start, on.end, on.path = _shift(change, on.start), _shift(change, on.end), change.new_path
                    continue
                # The first branch commit whose diff touches the lines: the merge already showed that they
                # changed, so no judging here (a merge's branch is walked for every anchor it changed).
                return commit.sha
        return None

    def _block_anchor(self, old_blob: str | None, t: _Tracker) -> Anchor | None:
        """The tracked lines of blob `old_blob` as an anchor (fingerprinted from that blob), None if unreadable."""
        data = self.repo.read_object(old_blob) if old_blob else None
        if data is None or is_binary(data):
            return None
        lines = split_lines(decode(data))
        if t.end > len(lines):
            return None
        fp = Fingerprint.of(lines, t.start, t.end, old_blob).to_data()
        return Anchor(t.path, t.start, t.end, None, {"path": t.path, "lines": f"{t.start}-{t.end}", **fp})

    def _judge_across(self, sha: str, raw: RawChanges | None, t: _Tracker) -> Placement:
        """Judge the tracked range across one commit, looking only at the files it changed."""
        old_side = _PartialSnapshot(self.repo)
        new_side = _PartialSnapshot(self.repo)
        for old_path, new_path, old_sha, new_sha in (raw if raw is not None else self.repo.changed_files(sha)):
            if old_path and old_sha:
                old_side.blobs[old_path] = old_sha
            if new_path and new_sha:
                new_side.blobs[new_path] = new_sha
        old_blob = old_side.blobs.get(t.path)
        data = self.repo.read_object(old_blob) if old_blob else None
        if data is None or is_binary(data):
            return Placement("deleted", None, None, None)
        anchor = self._block_anchor(old_blob, t)
        if anchor is None:
            return Placement("changed", None, None, None)
        judge = Judge(self.repo, new_side, recorded_tree=old_side.blobs, require_evidence=True, one_change=True)
        return judge.judge(anchor)
