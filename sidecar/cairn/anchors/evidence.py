"""Evidence that code moved to another file, from history (issue 10 §5: never "moved" onto boilerplate).

Finding an anchored block's text in another file is not enough to say the code moved there: `})`, a
`res.end(); });` or a repeated Terraform variable block occur in many files, and a copy added much later
in another file is somebody else's code. So a relocation across files needs a change that did both at
once: one commit (or the uncommitted edits) in which the block left its file and appeared in the other
one, or the file itself was removed and the other added (a rename, also one git detects). This module
lists those changes from one `git log --raw -M` per recorded commit (cached), following each file
through the renames git reports; the judge counts the block in the blobs before and after.

The history walk that names the commits of stale anchors (`history.py`) reads the first-parent
`git log -p -U0 --raw -M` over the same range. When the range has no merge, that log lists exactly the
commits and `--raw` entries the evidence needs, so a bulk check reads history once: it holds evidence
back (`deferring`: `steps` raises `EvidenceDeferred`) until its other anchors are judged, and when enough
of them are stale for the walk to read the whole log, loads that log first (`load_patches`) and serves
the evidence from it, for its first commit and for every later commit on it (anchors recorded at
different commits). Which log answers never changes an answer, only what git is asked.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

from cairn.gitio import GitRepo, LogCommit

Blob = str | None


@dataclass(frozen=True)
class Step:
    """One change touching both files: each side's blob before and after (None: absent)."""

    src_before: Blob
    src_after: Blob
    dst_before: Blob
    dst_after: Blob
    renamed: bool  # git reported src → dst as one rename


class _Log:
    """A raw log indexed by path (which commits touched it) and by renames."""

    def __init__(self, commits: list[LogCommit]) -> None:
        self.commits = commits
        self.by_path: dict[str, list[int]] = {}
        self.renames: list[tuple[int, str, str]] = []
        for i, commit in enumerate(commits):
            for old, new, _ob, _nb in commit.raw:
                for path in {old, new}:
                    if path is not None:
                        self.by_path.setdefault(path, []).append(i)
                if old is not None and new is not None and old != new:
                    self.renames.append((i, old, new))


@dataclass(frozen=True)
class _Linear:
    """A loaded first-parent log without merges: `base`, then `commits` (oldest first), `index` by sha."""

    base: str
    commits: list[LogCommit]
    index: dict[str, int]


class EvidenceDeferred(Exception):
    """Evidence for anchors recorded at `since` was asked for while the history is held back (`deferring`)."""

    def __init__(self, since: str) -> None:
        super().__init__(since)
        self.since = since


class MoveHistory:
    """The changes between recorded commits and one tip, asked "did src → dst happen in one change?"."""

    def __init__(self, repo: GitRepo, tip: str | None, logs: dict[str, _Log] | None = None,
                 linear: list[_Linear] | None = None) -> None:
        self.repo = repo
        self.tip = tip
        self._logs: dict[str, _Log] = logs if logs is not None else {}
        self._patches: dict[str, list[LogCommit]] = {}
        self._linear: list[_Linear] = linear if linear is not None else []
        self._present: dict[str, bool] = {}
        self._held = threading.local()  # per thread: the language server judges files on several

    @property
    def deferring(self) -> bool:
        """While True (in this thread), a question whose log is not read yet raises `EvidenceDeferred`."""
        return bool(getattr(self._held, "on", False))

    @deferring.setter
    def deferring(self, on: bool) -> None:
        self._held.on = on

    def load_patches(self, since: str) -> list[LogCommit]:
        """The first-parent `git log -p -U0 --raw -M` from `since` to the tip (`GitRepo.first_parent_log`
        over every file: what the history walk reads), read once.

        When no commit in it is a merge, the range holds nothing else: it is one chain of commits, and
        for `since` or any commit on it, the commits after that one are exactly what `raw_log` lists
        from there (with the same `--raw` entries). `steps` then answers from it instead of running
        another `git log` per recorded commit."""
        log = self._patches.get(since)
        if log is None:
            log = list(self.repo.first_parent_log(since, self.tip)) if self.tip and since != self.tip else []
            self._patches[since] = log
            if all(len(commit.parents) <= 1 for commit in log):
                self._linear.append(_Linear(since, log, {commit.sha: i for i, commit in enumerate(log)}))
        return log

    def patches(self, since: str) -> list[LogCommit] | None:
        """The log `load_patches` read for `since`, if it was."""
        return self._patches.get(since)

    def sharing(self, tip: str | None) -> MoveHistory:
        """The same cache of logs for another judge of the same tip."""
        same = tip == self.tip
        return MoveHistory(self.repo, tip, self._logs if same else None, self._linear if same else None)

    def has_history(self, commit: str | None) -> bool:
        """Whether history can answer for anchors recorded at `commit` (present, and a tip to walk to)."""
        if not commit or not self.tip:
            return False
        known = self._present.get(commit)
        if known is None:
            known = self._present[commit] = self.repo.has_commit(commit)
        return known

    def _log(self, since: str) -> _Log:
        log = self._logs.get(since)
        if log is None:
            reads = bool(self.tip) and since != self.tip
            log = self._cut(since) if reads else None
            if log is None:
                if reads and self.deferring:
                    raise EvidenceDeferred(since)
                log = _Log(self.repo.raw_log(since, self.tip) if self.tip and reads else [])
            self._logs[since] = log
        return log

    def _cut(self, since: str) -> _Log | None:
        """The commits after `since` taken from a loaded chain that holds it, None when none does."""
        for chain in self._linear:
            if since == chain.base:
                return _Log(chain.commits)
            at = chain.index.get(since)
            if at is not None:
                return _Log(chain.commits[at + 1:])
        return None

    def steps(self, since: str, src: str, dst: str) -> Iterator[Step]:
        """The commits after `since` that changed `src` and `dst` (under any of their names), oldest first."""
        if not self.has_history(since):
            return
        log = self._log(since)
        src_names, dst_names = _lineage(log, src), _lineage(log, dst)
        touched_src = {i for p in src_names for i in log.by_path.get(p, ())}
        touched_dst = {i for p in dst_names for i in log.by_path.get(p, ())}
        for i in sorted(touched_src & touched_dst):
            s_entry = d_entry = None
            for entry in log.commits[i].raw:
                old, new, _ob, _nb = entry
                if old is not None and new is not None and old in src_names and new in dst_names and old != new:
                    yield Step(entry[2], None, None, entry[3], True)
                    s_entry = d_entry = None
                    break
                if s_entry is None and old in src_names:
                    s_entry = entry
                if d_entry is None and new in dst_names:
                    d_entry = entry
            if s_entry is not None and d_entry is not None:
                yield Step(s_entry[2], s_entry[3] if s_entry[1] in src_names else None,
                           d_entry[2] if d_entry[0] in dst_names else None, d_entry[3], False)


def _lineage(log: _Log, path: str) -> set[str]:
    """Every name a file had in the log: the ones it was renamed from and the ones it was renamed to."""
    names = {path}
    for _, before, after in reversed(log.renames):
        if after in names:
            names.add(before)
    for _, before, after in log.renames:
        if before in names:
            names.add(after)
    return names
