"""Where is an anchor's code now, and is it still the same code?

Two ways to answer, chosen per anchor:

* **With the recorded file** (its blob is in the object store, found by the fingerprint's `blob` or by
  `commit:path`, and verified against the stored block hash): one direct alignment from the recorded
  file to the target file (the same path, or the file it was renamed to, recognised by content). If
  every anchored line maps, in order and without insertions, the anchor is `intact`, `moved` or
  `reformatted`. Otherwise the anchored lines are looked for by content: in lines of the same file that
  are *new* (not the image of other recorded lines: a pre-existing duplicate is somebody else's code),
  then in the files that changed since the recorded commit (moves to another file, renames with heavy
  edits). Remaining evidence of an in-place edit wins over a copy found elsewhere.
* **By fingerprint only** (commit squashed away, shallow clone, anchored uncommitted text): the
  stored line hashes and context are aligned against the target file; candidates are scored by
  context and by distance from where the block should be, never "first occurrence".

Code found in *another* file counts as moved there only with evidence from history (`evidence.py`):
one change in which the block left its file and appeared in the other, or the file was removed and
the other added (a rename). Without history to ask (no repository, the recorded commit gone), only
long text that occurs exactly once is relocated on content alone; short or repeated text (`})`, a
boilerplate block) never is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import partial
from itertools import repeat

from cairn.anchors.align import align
from cairn.anchors.evidence import MoveHistory
from cairn.anchors.fingerprint import CONTEXT_LINES, Fingerprint
from cairn.anchors.target import Snapshot, TreeSnapshot, submodule_of
from cairn.anchors.text import (
    block_hash,
    decode,
    is_binary,
    line_hash,
    nonblank_neighbours,
    norm,
    split_lines,
    ws_hash,
)
from cairn.gitio import GitRepo
from cairn.notes import Anchor

FRESH = ("intact", "moved", "reformatted")
STALE = ("changed", "deleted")
BLANK = line_hash("")
SEARCH_MAX_BYTES = 2_000_000
SCAN_BEFORE_INDEX = 3  # searches done by scanning files before one index of every line is built
# Text relocated to another file on content alone (no history to ask) must be at least this long.
DISTINCTIVE_LINES = 3
DISTINCTIVE_CHARS = 40
# A block this short (`})`, `return None`) moved to another file only if a line next to it came along,
# and the two together hold some text (`};` with `}` is still punctuation).
SHORT_LINES = 2
SHORT_WITH_NEIGHBOUR_CHARS = 16


@dataclass(frozen=True)
class Placement:
    """The engine's answer for one anchor (lines 1-based inclusive).

    For stale anchors `path/start/end` is the best guess of where the code that replaced it is (used to
    re-anchor on request and to put diagnostics somewhere sensible); None when there is none.
    `global_deps` is True when the answer depended on files other than the anchored one.
    """

    status: str
    path: str | None
    start: int | None
    end: int | None
    global_deps: bool = False
    by_content: bool = False  # judged from the fingerprint alone (no recorded file available)
    note: str = ""  # extra explanation for the message
    by_blob_only: bool = False  # the file is over the size limit: compared by blob id, never read

    @property
    def fresh(self) -> bool:
        return self.status in FRESH


class FileText:
    """A text file of the target, split and normalised once, hashed lazily."""

    __slots__ = ("_counts", "_hash_memo", "_hashes", "_indexes", "_nb_lines", "_norm_set", "key", "lines", "norms",
                 "path")

    def __init__(self, path: str, key: str | None, lines: list[str]) -> None:
        self.path = path
        self.key = key
        self.lines = lines
        self.norms = ["".join(line.split()) for line in lines]  # `norm` inlined: every line of every file read
        self._hashes: list[str] | None = None
        self._hash_memo: dict[int, str] = {}
        self._indexes: dict[bool, dict[str, list[int]]] = {}
        self._nb_lines: list[int] | None = None
        self._norm_set: frozenset[str] | None = None
        self._counts: dict[str, int] | None = None

    @property
    def counts(self) -> dict[str, int]:
        """How often each non-blank line occurs in the file."""
        if self._counts is None:
            counts: dict[str, int] = {}
            for n in self.norms:
                if n:
                    counts[n] = counts.get(n, 0) + 1
            self._counts = counts
        return self._counts

    @property
    def norm_set(self) -> frozenset[str]:
        """The distinct non-blank lines (whitespace removed), for file similarity."""
        if self._norm_set is None:
            self._norm_set = frozenset(n for n in self.norms if n)
        return self._norm_set

    @property
    def hashes(self) -> list[str]:
        """Every line's short hash (only judging by fingerprint needs them all)."""
        if self._hashes is None:
            self._hashes = [line_hash(line) if n else BLANK for line, n in zip(self.lines, self.norms, strict=True)]
        return self._hashes

    def hash_at(self, i: int) -> str:
        if self._hashes is not None:
            return self._hashes[i]
        h = self._hash_memo.get(i)
        if h is None:
            h = line_hash(self.lines[i]) if self.norms[i] else BLANK
            self._hash_memo[i] = h
        return h

    def keys(self, by_norm: bool) -> list[str]:
        """Per line, what blocks are matched by: the normalised text itself, or its short hash."""
        return self.norms if by_norm else self.hashes

    def nonblank(self, by_norm: bool = False) -> tuple[list[int], dict[str, list[int]]]:
        """Indices of non-blank lines and, per key, where they are in that list."""
        index = self._indexes.get(by_norm)
        if index is None:
            keys = self.keys(by_norm)
            index = {}
            for p, i in enumerate(self.nb_lines):
                index.setdefault(keys[i], []).append(p)
            self._indexes[by_norm] = index
        return self.nb_lines, index

    @property
    def nb_lines(self) -> list[int]:
        if self._nb_lines is None:
            self._nb_lines = [i for i, n in enumerate(self.norms) if n]
        return self._nb_lines


@dataclass(frozen=True)
class Window:
    path: str
    start: int  # 0-based inclusive
    end: int
    exact: bool


class Judge:
    """Judges anchors against one target snapshot; caches files, alignments and the search index."""

    def __init__(self, repo: GitRepo | None, snapshot: Snapshot,
                 recorded_tree: dict[str, str] | None = None, *, moves: MoveHistory | None = None,
                 uncommitted_from: str | None = None, require_evidence: bool = False,
                 one_change: bool = False) -> None:
        """`require_evidence`: a relocation to another file needs a change that did both (see the module
        docstring), looked up in `moves`; `uncommitted_from`: the commit whose tree the target's
        uncommitted edits start from (HEAD of a working tree), itself such a change. `one_change`: the
        recorded tree and the snapshot are the two sides of one commit (the history walk), which is the
        only change to look at."""
        self.repo = repo
        self.snap = snapshot
        self.moves = moves
        self.require_evidence = require_evidence
        self.uncommitted_from = uncommitted_from
        self.one_change = one_change
        self._evidence: dict[tuple[str | None, str, str, tuple[str, ...] | None], bool] = {}
        self._tree_override = recorded_tree
        self._files: dict[str, FileText | None] = {}
        self._recorded: dict[str, FileText | None] = {}
        self._alignments: dict[tuple[str, str], list[int]] = {}
        self._trees: dict[str, dict[str, str] | None] = {}
        self._search_cache: dict[int, list[str]] = {}
        self._rename_cache: dict[tuple[str, str | None], str | None] = {}
        self._line_index: dict[tuple[int, bool], dict[str, list[tuple[str, int]]]] = {}
        self._new_files: dict[int, list[str]] = {}
        self._searches = 0
        self._renames = 0

    # ---- inputs -----------------------------------------------------------------------------
    def target_file(self, path: str, search: bool = False) -> FileText | None:
        """The target's text of `path`; None when absent or binary.

        `search`: the file is only being searched for moved code; very large files (generated, data)
        are skipped rather than split and normalised.
        """
        if path not in self._files:
            key = self.snap.key(path)
            data = self.snap.read(path) if key is not None else None
            if data is not None and search and len(data) > SEARCH_MAX_BYTES:
                return None
            if data is None or is_binary(data):
                self._files[path] = None
            else:
                self._files[path] = FileText(path, key, split_lines(decode(data)))
        return self._files[path]

    def recorded_tree(self, commit: str | None) -> dict[str, str] | None:
        if self._tree_override is not None:
            return self._tree_override
        if not commit or self.repo is None:
            return None
        if commit not in self._trees:
            self._trees[commit] = self.repo.tree(commit) if self.repo.has_commit(commit) else None
        return self._trees[commit]

    def _blob_text(self, ref: str) -> FileText | None:
        if ref not in self._recorded:
            data = self.repo.read_object(ref) if self.repo is not None else None
            if data is None or is_binary(data):
                self._recorded[ref] = None
            else:
                self._recorded[ref] = FileText(ref, ref, split_lines(decode(data)))
        return self._recorded[ref]

    def recorded_file(self, anchor: Anchor, fp: Fingerprint) -> tuple[FileText | None, str | None]:
        """The file as it was when the anchor was recorded, verified against the stored block hash."""
        refs: list[str] = []
        tree = self.recorded_tree(anchor.commit)
        if tree is not None and anchor.path in tree:
            refs.append(tree[anchor.path])
        if fp.blob and not (refs and refs[0].startswith(fp.blob)):
            refs.append(fp.blob)
        for ref in refs:
            text = self._blob_text(ref)
            if text is None or anchor.end > len(text.lines):
                continue
            if fp.hash and block_hash(text.lines[anchor.start - 1:anchor.end]) != fp.hash:
                continue
            return text, ref
        return None, None

    def alignment(self, old: FileText, new: FileText) -> list[int]:
        key = (str(old.key), f"{new.path}\0{new.key}")
        a2b = self._alignments.get(key)
        if a2b is None:
            a2b = align(old.norms, new.norms)
            self._alignments[key] = a2b
        return a2b

    # ---- entry point --------------------------------------------------------------------------
    def prefetch(self, anchors: Iterable[Anchor]) -> None:
        """Read the recorded files of many anchors from git in one go (one process, not one per file)."""
        if self.repo is None:
            return
        wanted: set[str] = set()
        for anchor in anchors:
            tree = self.recorded_tree(anchor.commit)
            if tree is not None and anchor.path in tree:
                wanted.add(tree[anchor.path])
            if isinstance(self.snap, TreeSnapshot):
                key = self.snap.key(anchor.path)
                if key:
                    wanted.add(key)
        self.repo.prefetch(wanted)

    def judge(self, anchor: Anchor) -> Placement:
        fp = Fingerprint.from_data(anchor.data)
        key = self.snap.key(anchor.path)
        if fp.blob and key is not None and key.startswith(fp.blob):
            return Placement("intact", anchor.path, anchor.start, anchor.end)
        if key is None and isinstance(self.snap, TreeSnapshot) and self.repo is not None:
            placed = self._in_submodule(anchor)
            if placed is not None:
                return placed
        limit = _over_limit(self.snap, anchor.path) if key is not None else None
        if limit is not None:
            return Placement("changed", anchor.path, anchor.start, anchor.end, by_blob_only=True,
                             note=f"{anchor.path} is larger than {_mb(limit)}: judged by blob id only, "
                                  "and its blob changed")
        recorded, ref = self.recorded_file(anchor, fp)
        if recorded is not None:
            if key is not None and key == ref:
                return Placement("intact", anchor.path, anchor.start, anchor.end)
            return self._judge_with_file(anchor, recorded)
        if fp.usable:
            return self._judge_by_fingerprint(anchor, fp)
        return self._judge_by_position(anchor)

    def _in_submodule(self, anchor: Anchor) -> Placement | None:
        """An anchor in a submodule at a commit: its files are in another repository, so it is judged by
        the submodule commit (the gitlink) the superproject records, now and when anchored."""
        assert isinstance(self.snap, TreeSnapshot) and self.repo is not None
        now = self.snap.submodule_of(anchor.path)
        if now is None:
            return None
        link, sha = now
        then = submodule_of(self.repo, anchor.commit, anchor.path) if anchor.commit and \
            self.repo.has_commit(anchor.commit) else None
        if then is not None and then == now:
            return Placement("intact", anchor.path, anchor.start, anchor.end, global_deps=True, by_blob_only=True,
                             note=f"in submodule {link}, unchanged at {sha[:7]}; not checked line by line")
        was = f"{then[1][:7]} → " if then is not None else ""
        return Placement("changed", anchor.path, anchor.start, anchor.end, global_deps=True, by_blob_only=True,
                         note=f"in submodule {link}, now at {was}{sha[:7]}; not checked line by line")

    # ---- no content at all: position only ----------------------------------------------------
    def _judge_by_position(self, anchor: Anchor) -> Placement:
        text = self.target_file(anchor.path)
        if text is None or anchor.end > len(text.lines):
            return Placement("deleted", None, None, None, by_content=True,
                             note="no fingerprint was recorded and the lines no longer exist")
        return Placement("intact", anchor.path, anchor.start, anchor.end, by_content=True,
                         note="no fingerprint was recorded; judged by position only")

    # ---- with the recorded file --------------------------------------------------------------
    def _judge_with_file(self, anchor: Anchor, rec: FileText) -> Placement:
        s0, e0 = anchor.start - 1, anchor.end - 1
        block = rec.lines[s0:e0 + 1]
        tree = self.recorded_tree(anchor.commit)
        primary_path: str | None = anchor.path
        global_deps = False
        target = self.target_file(anchor.path)
        if target is None:
            global_deps = True
            primary_path = self._find_rename(anchor.path, rec, tree, anchor.commit)
            target = self.target_file(primary_path) if primary_path else None
        span: tuple[int, int] | None = None
        in_place = False
        expected = s0
        if target is not None:
            a2b = self.alignment(rec, target)
            mapped = [a2b[i] for i in range(s0, e0 + 1)]
            if (all(j >= 0 for j in mapped) and all(mapped[k + 1] == mapped[k] + 1 for k in range(len(mapped) - 1))
                    and _supported(a2b, rec, s0, e0)):
                j0, j1 = mapped[0], mapped[-1]
                exact = target.lines[j0:j1 + 1] == block
                return self._fresh(anchor, target.path, j0, j1, exact, global_deps)
            fp = Fingerprint.of(rec.lines, anchor.start, anchor.end, None)  # only needed from here on
            span = _span(a2b, s0, e0, len(target.lines))
            expected = span[0]
            if span[0] <= span[1] and ws_hash(target.lines[span[0]:span[1] + 1]) == fp.ws:
                return self._fresh(anchor, target.path, span[0], span[1], False, global_deps)
            outside = {j for i, j in enumerate(a2b) if j >= 0 and not s0 <= i <= e0}
            own = {j for j in mapped if j >= 0}
            found = self._windows(target, fp, norms=rec.norms[s0:e0 + 1])
            windows = [w for w in found if _eligible(w, target, outside)]
            # The block itself where it should be (the alignment merely paired some of its lines elsewhere).
            near = self._best([w for w in found if w.start <= span[1] + 1 and w.end >= span[0] - 1
                               and (w in windows or _owned(w, target, own, outside))],
                              fp, target.path, expected)
            if near is not None:
                return self._fresh(anchor, near.path, near.start, near.end, near.exact, global_deps)
            in_place = _edited_in_place(block, rec.norms[s0:e0 + 1], mapped, target, span)
            if not in_place:
                unique = all(rec.counts.get(n, 0) == 1 for n in rec.norms[s0:e0 + 1] if n)
                best = self._best(windows, fp, target.path, expected, far=True,
                                  unique=unique and len(found) == 1)
                if best is not None:
                    return self._fresh(anchor, best.path, best.start, best.end, best.exact, global_deps)
        if not in_place:
            fp = Fingerprint.of(rec.lines, anchor.start, anchor.end, None)
            unique = all(rec.counts.get(n, 0) == 1 for n in rec.norms[s0:e0 + 1] if n)
            best = self._search_elsewhere(fp, exclude=primary_path, tree=tree, norms=rec.norms[s0:e0 + 1],
                                          unique=unique, moved_from=_Origin(anchor.commit, primary_path or anchor.path,
                                                                            _around(rec, s0, e0)))
            if best is not None:
                return self._fresh(anchor, best.path, best.start, best.end, best.exact, True)
            global_deps = True
        if target is not None and span is not None and span[0] <= span[1]:
            status = "changed" if in_place or _similar(block, target.lines[span[0]:span[1] + 1]) else "deleted"
            if status == "changed":
                return Placement(status, target.path, span[0] + 1, span[1] + 1, global_deps)
        if not in_place:
            # Moved and edited: most of its lines, in a cluster, in a file that changed.
            moved = self._fuzzy_elsewhere(block, rec.norms[s0:e0 + 1], tree)
            if moved is not None and self.require_evidence and self._has_history(anchor.commit) \
                    and not self._changed_together(anchor.commit, primary_path or anchor.path, moved[0]):
                moved = None  # somebody else's similar code, not this block moved and edited
            if moved is not None:
                return Placement("changed", moved[0], moved[1] + 1, moved[2] + 1, True)
        if target is not None and span is not None and span[0] <= span[1]:
            return Placement("deleted", target.path, span[0] + 1, span[1] + 1, global_deps)
        return Placement("deleted", None, None, None, global_deps)

    def _fuzzy_elsewhere(self, block: Sequence[str], norms: Sequence[str],
                         tree: dict[str, str] | None) -> tuple[str, int, int] | None:
        """Where most of a block's distinctive lines sit together now (0-based), if anywhere."""
        keys = [n for n in norms if n]
        if len(keys) < 3:
            return None
        index = self._index(tree, True)
        votes: dict[tuple[str, int], int] = {}
        for k, key in enumerate(keys):
            hits = index.get(key, ())
            if len(hits) > 5:
                continue  # common lines say nothing about where the block went
            for where, p in hits:
                bucket = (where, (p - k) // 4)
                votes[bucket] = votes.get(bucket, 0) + 1
        if not votes:
            return None
        (path, _), count = max(votes.items(), key=lambda kv: (kv[1], kv[0]))
        if count * 2 < len(keys):
            return None
        text = self.target_file(path)
        if text is None:
            return None
        nb = text.nb_lines
        wanted = set(keys)
        lines_at = [i for i in nb if text.norms[i] in wanted]
        # The densest run of lines_at: the block's new home.
        best: tuple[int, int, int] | None = None
        for a in range(len(lines_at)):
            b = a
            while b + 1 < len(lines_at) and lines_at[b + 1] - lines_at[b] <= 4:
                b += 1
            if best is None or b - a > best[0]:
                best = (b - a, lines_at[a], lines_at[b])
        if best is None or (best[0] + 1) * 2 < len(keys):
            return None
        start, end = best[1], best[2]
        if not _similar(block, text.lines[start:end + 1]):
            return None
        return path, start, end

    def _fresh(self, anchor: Anchor, path: str, j0: int, j1: int, exact: bool, global_deps: bool) -> Placement:
        if not exact:
            status = "reformatted"
        elif path == anchor.path and j0 + 1 == anchor.start and j1 + 1 == anchor.end:
            status = "intact"
        else:
            status = "moved"
        return Placement(status, path, j0 + 1, j1 + 1, global_deps)

    def _find_rename(self, path: str, rec: FileText, tree: dict[str, str] | None,
                     commit: str | None = None) -> str | None:
        """The target file the recorded file most likely became (content similarity, name as tie-break),
        when a change removed the one and added the other (evidence; see the module docstring)."""
        key = (path, rec.key)
        if key not in self._rename_cache:
            self._rename_cache[key] = self._rename_of(path, rec, tree)
        found = self._rename_cache[key]
        if found is None or not self.require_evidence:
            return found
        if self._moved_together(commit, path, found, None):
            return found
        return None if self._has_history(commit) else found

    def _rename_of(self, path: str, rec: FileText, tree: dict[str, str] | None) -> str | None:
        wanted = rec.norm_set
        if not wanted:
            return None
        base = path.rsplit("/", 1)[-1]
        best: tuple[float, str] | None = None
        key = id(tree)
        if key not in self._new_files:
            # An existing file is not where a renamed one went.
            self._new_files[key] = [p for p in self._search_paths(tree, None) if tree is None or p not in tree]
        new_files = set(self._new_files[key])
        self._renames += 1
        index = self._line_index.get((key, True))
        if index is None and self._renames > SCAN_BEFORE_INDEX:
            index = self._index(tree, True)
        if index is None:
            shortlist = sorted(new_files)
        else:
            # Many renames to find (a full check): shortlist by the recorded file's rarest lines.
            votes: dict[str, int] = {}
            rare = sorted(wanted, key=lambda n: len(index.get(n, ())))[:40]
            for n in rare:
                for other, _ in index.get(n, ())[:50]:
                    if other in new_files:
                        votes[other] = votes.get(other, 0) + 1
            shortlist = sorted(votes, key=lambda o: (-votes[o], o))[:5]
            shortlist += [o for o in sorted(new_files) if o.rsplit("/", 1)[-1] == base and o not in shortlist]
        for other in shortlist:
            if other == path:
                continue
            text = self.target_file(other, search=True)
            if text is None:
                continue
            score = len(wanted & text.norm_set) / len(wanted)
            if other.rsplit("/", 1)[-1] == base:
                score += 0.2
            if score >= 0.5 and (best is None or score > best[0]):
                best = (score, other)
        return best[1] if best else None

    def _search_paths(self, tree: dict[str, str] | None, exclude: str | None) -> list[str]:
        """Files where moved code may be: those that differ from the recorded tree (or all of them)."""
        key = id(tree)
        if key not in self._search_cache:
            out = []
            for path in self.snap.paths():
                if tree is not None and tree.get(path) == self.snap.key(path):
                    continue
                out.append(path)
            self._search_cache[key] = sorted(out)
        return [p for p in self._search_cache[key] if p != exclude]

    def _index(self, tree: dict[str, str] | None, by_norm: bool) -> dict[str, list[tuple[str, int]]]:
        """Line key → (path, index among non-blank lines) over every file moved code may be in."""
        key = (id(tree), by_norm)
        index = self._line_index.get(key)
        if index is None:
            index = {}
            for path in self._search_paths(tree, None):
                text = self.target_file(path, search=True)
                if text is None:
                    continue
                _, per_file = text.nonblank(by_norm)
                for h, positions in per_file.items():
                    bucket = index.setdefault(h, [])
                    bucket.extend(zip(repeat(path), positions))
            self._line_index[key] = index
        return index

    def _search_elsewhere(self, fp: Fingerprint, exclude: str | None, tree: dict[str, str] | None,
                          norms: Sequence[str] | None = None, unique: bool = False,
                          moved_from: _Origin | None = None) -> Window | None:
        """The block in another file that changed since the recorded commit (moves, renames).

        `unique`: the block's lines occurred once in the recorded file; if exactly one copy is found,
        it is the block, whatever its surroundings became. `moved_from`: with `require_evidence`, only
        a copy that appeared in the change that removed the block from that file counts.
        """
        by_norm = norms is not None
        keys = [n for n in norms if n] if norms is not None else [h for h in fp.line_hashes if h != BLANK]
        if not keys:
            return None
        starts: dict[str, list[int]] = {}
        self._searches += 1
        if self._searches <= SCAN_BEFORE_INDEX and (id(tree), by_norm) not in self._line_index:
            # A few searches (the language server judging one file): scanning beats indexing.
            for path in self._search_paths(tree, exclude):
                text = self.target_file(path, search=True)
                if text is not None and (keys[0] in text.norm_set if by_norm else True):
                    hits = text.nonblank(by_norm)[1].get(keys[0])
                    if hits:
                        starts[path] = list(hits)
        else:
            for path, p in self._index(tree, by_norm).get(keys[0], ()):
                if path != exclude:
                    starts.setdefault(path, []).append(p)
        candidates: list[Window] = []
        for path in sorted(starts):
            text = self.target_file(path)
            if text is None:
                continue
            windows = self._windows(text, fp, starts[path], norms)
            if not windows:
                continue
            old = self._blob_text(tree[path]) if tree is not None and path in tree else None
            if old is not None:
                pre = {j for j in self.alignment(old, text) if j >= 0}
                windows = [w for w in windows if _eligible(w, text, pre)]
            candidates.extend(windows)
        # Text that occurs once (then, as far as known, and now): what content alone may relocate.
        single = (unique or norms is None) and len(candidates) == 1
        if self.require_evidence and moved_from is not None and candidates:
            block = tuple(keys)
            blocks = [block]
            if len(block) <= SHORT_LINES:
                # Short text (`})`, `return None`) says something only with a line next to it.
                up, down = moved_from.around
                blocks = [b for b in ((up, *block) if up else (), (*block, down) if down else ())
                          if b and (not by_norm or sum(len(k) for k in b) >= SHORT_WITH_NEIGHBOUR_CHARS)]
            unique = unique and len(candidates) == 1
            # The best copy by context first; history is asked about it alone (then the next best, if refused).
            while candidates:
                best = self._best(candidates, fp, None, 0, far=True, unique=unique)
                if best is None or self._may_relocate(moved_from.commit, moved_from.path, best.path, block, blocks,
                                                      by_norm, single):
                    return best
                candidates = [w for w in candidates if w.path != best.path]
            return None
        return self._best(candidates, fp, None, 0, far=True, unique=unique)

    # ---- evidence for a relocation to another file --------------------------------------------
    def _changed_together(self, commit: str | None, src: str, dst: str) -> bool:
        """Whether one change after `commit` (or the uncommitted edits) touched both files."""
        if self.one_change and self._tree_override is not None:
            return self._tree_override.get(src) != self.snap.key(src) and \
                self._tree_override.get(dst) != self.snap.key(dst)
        if self.moves is not None and commit and next(iter(self.moves.steps(commit, src, dst)), None):
            return True
        head = self.recorded_tree(self.uncommitted_from) if self.uncommitted_from and self._tree_override is None \
            else None
        return head is not None and head.get(src) != self.snap.key(src) and head.get(dst) != self.snap.key(dst)

    def _has_history(self, commit: str | None) -> bool:
        return self.one_change or (self.moves is not None and self.moves.has_history(commit))

    def _may_relocate(self, commit: str | None, src: str, dst: str, block: tuple[str, ...],
                      blocks: list[tuple[str, ...]], by_norm: bool, unique: bool) -> bool:
        """Whether the block may be said to have moved from `src` to `dst` (see the module docstring):
        one of `blocks` (the block, or a short block with a neighbouring line) left and arrived in one
        change; or, with no history to ask, the block is distinctive text found once."""
        if any(self._moved_together(commit, src, dst, b, by_norm) for b in blocks):
            return True
        if self._has_history(commit):
            return False  # history had its say: the block did not leave and arrive in one change
        return unique and _distinctive(block, by_norm)

    def _moved_together(self, commit: str | None, src: str, dst: str, block: tuple[str, ...] | None,
                        by_norm: bool = True) -> bool:
        """Whether one change removed the block from `src` and added it to `dst` (`block` None: removed
        the file `src` and added `dst`, or git saw a rename), committed after `commit` or uncommitted."""
        key = (commit, src, dst, block)
        got = self._evidence.get(key)
        if got is not None:
            return got

        def count(blob: str | None) -> int:
            text = self._blob_text(blob) if blob else None
            return -1 if text is None else _occurrences(text, block, by_norm) if block else 1

        def now(path: str) -> int:
            text = self.target_file(path) if self.snap.key(path) is not None else None
            return -1 if text is None else _occurrences(text, block, by_norm) if block else 1

        def moved(src_before: Callable[[], int], src_after: Callable[[], int], dst_before: Callable[[], int],
                  dst_after: Callable[[], int]) -> bool:
            # Lazily, cheapest refusal first: most changes touching both files leave the block where it was.
            before = src_before()
            if before <= 0 or before <= src_after():
                return False
            after = dst_after()
            return after > 0 and after > dst_before()

        found = False
        if self.one_change and self._tree_override is not None:
            old = self._tree_override
            found = moved(lambda: count(old.get(src)), lambda: now(src), lambda: count(old.get(dst)),
                          lambda: now(dst))
        if self.moves is not None and commit:
            for step in self.moves.steps(commit, src, dst):
                if step.renamed or moved(partial(count, step.src_before), partial(count, step.src_after),
                                         partial(count, step.dst_before), partial(count, step.dst_after)):
                    found = True
                    break
        if not found and self.uncommitted_from and self.repo is not None:
            head = self.recorded_tree(self.uncommitted_from) if self._tree_override is None else None
            if head is not None and (head.get(src) != self.snap.key(src) and head.get(dst) != self.snap.key(dst)):
                found = moved(lambda: count(head.get(src)), lambda: now(src), lambda: count(head.get(dst)),
                              lambda: now(dst))
        self._evidence[key] = found
        return found

    def _windows(self, text: FileText, fp: Fingerprint, starts: Sequence[int] | None = None,
                 norms: Sequence[str] | None = None) -> list[Window]:
        """Places in `text` whose lines equal the block's, ignoring whitespace (verified by hash).

        `norms`: the block's own normalised lines when the recorded text is at hand (no hashing of
        the target needed); otherwise the stored line hashes are matched.
        """
        by_norm = norms is not None
        block_keys = list(norms) if norms is not None else list(fp.line_hashes)
        blank = "" if by_norm else BLANK
        keys = [k for k in block_keys if k != blank]
        if not keys:
            return []
        nb, index = text.nonblank(by_norm)
        if starts is None:
            starts = index.get(keys[0], [])
        out: list[Window] = []
        line_keys = text.keys(by_norm)
        m = len(keys)
        lead = _leading(block_keys, blank)
        trail = _leading(block_keys[::-1], blank)
        for p in starts:
            if p + m > len(nb):
                continue
            if any(line_keys[nb[p + k]] != keys[k] for k in range(1, m)):
                continue
            start, end = nb[p], nb[p + m - 1]
            # Give back the block's own leading/trailing blank lines where the file has them.
            k = 0
            while k < lead and start > 0 and not text.norms[start - 1]:
                start -= 1
                k += 1
            k = 0
            while k < trail and end + 1 < len(text.lines) and not text.norms[end + 1]:
                end += 1
                k += 1
            window = text.lines[start:end + 1]
            if fp.ws and ws_hash(window) != fp.ws:
                continue
            out.append(Window(text.path, start, end, bool(fp.hash) and block_hash(window) == fp.hash))
        return out

    def _best(self, windows: Iterable[Window], fp: Fingerprint, near_path: str | None, expected: int,
              far: bool = False, unique: bool = False) -> Window | None:
        """The candidate whose surroundings match best; ties go to the nearest to where it should be.

        `far`: candidates away from where the block was. A block of one or two short lines is common
        text (`return None`, `}`), so a copy of it elsewhere only counts when its surroundings agree too.
        """
        nonblank = sum(1 for h in fp.line_hashes if h != BLANK)
        need = (2 if nonblank <= 1 else 1 if nonblank == 2 else 0) if far else 0
        windows = list(windows)
        if unique and len(windows) == 1:
            need = 0  # text that occurred once then and occurs once now: no twin to confuse it with
        best: tuple[tuple[int, int, int, int], Window] | None = None
        for w in windows:
            text = self.target_file(w.path)
            if text is None:
                continue
            score = _context_score(text, w, fp)
            if score < need or (need and not _adjacent_context(text, w, fp)):
                continue
            same = 1 if w.path == near_path else 0
            dist = abs(w.start - expected) if same else 0
            rank = (score, same, int(w.exact), -dist)
            if best is None or rank > best[0]:
                best = (rank, w)
        return best[1] if best else None

    # ---- fingerprint only --------------------------------------------------------------------
    def _judge_by_fingerprint(self, anchor: Anchor, fp: Fingerprint) -> Placement:
        s0 = anchor.start - 1
        target = self.target_file(anchor.path)
        global_deps = False
        span: tuple[int, int] | None = None
        in_place = strong = False
        if target is not None:
            span, evidence, frame = _locate_by_hashes(target, fp, s0)
            in_place, strong = evidence >= 1, evidence >= 2
            expected = span[0] if span is not None else s0
            nonblank = sum(1 for h in fp.line_hashes if h != BLANK)
            need = 2 if nonblank <= 1 else 1 if nonblank == 2 else 0
            ranked = []
            for w in self._windows(target, fp):
                near = span is not None and w.start <= span[1] + 1 and w.end >= span[0] - 1
                dist = min(abs(w.start - s0), abs(w.start - expected))
                ranked.append((_context_score(target, w, fp), -dist, near, w.start, w))
            if ranked:
                score, _, near, _, w = max(ranked, key=lambda r: r[:4])
                # Surroundings decide between copies; a copy away from where the block was must beat
                # the evidence that the block is still there, edited (unless it sits exactly where the
                # block was recorded: then nothing moved and the "edited" evidence came from a twin).
                if near or w.start == s0 or (score >= need and (not in_place or score > frame)):
                    return self._fresh(anchor, w.path, w.start, w.end, w.exact, global_deps)
        if not strong:
            # Only surroundings suggest an in-place edit: a copy elsewhere that brought some of its
            # own surroundings along is the better explanation (the block moved).
            global_deps = True
            tree = self.recorded_tree(anchor.commit)
            around = (fp.above[-1] if fp.above else "", fp.below[0] if fp.below else "")
            best = self._search_elsewhere(fp, exclude=anchor.path, tree=tree,
                                          moved_from=_Origin(anchor.commit, anchor.path, around))
            if best is not None:
                best_text = self.target_file(best.path)
                score = _context_score(best_text, best, fp) if best_text is not None else 0
                if not in_place or score >= 1:
                    return self._fresh(anchor, best.path, best.start, best.end, best.exact, True)
        if target is not None and span is not None and span[0] <= span[1]:
            return Placement("changed" if in_place else "deleted", target.path, span[0] + 1, span[1] + 1,
                             global_deps, by_content=True)
        return Placement("deleted", None, None, None, global_deps, by_content=True)


@dataclass(frozen=True)
class _Origin:
    """Where a block searched for elsewhere came from: recorded commit, its file, and the nearest
    non-blank recorded line above and below it ("" at the file's edge), as the search keys them."""

    commit: str | None
    path: str
    around: tuple[str, str]


def _around(rec: FileText, s0: int, e0: int) -> tuple[str, str]:
    up, down = nonblank_neighbours(rec.lines, s0, e0, 1)
    return (rec.norms[up[-1]] if up else "", rec.norms[down[0]] if down else "")


def _occurrences(text: FileText, block: Sequence[str], by_norm: bool) -> int:
    """How often the block's non-blank lines occur consecutively (blank lines aside) in `text`."""
    keys = [k for k in block if k and k != BLANK]
    if not keys:
        return 0
    nb, index = text.nonblank(by_norm)
    line_keys = text.keys(by_norm)
    m = len(keys)
    return sum(1 for p in index.get(keys[0], ()) if p + m <= len(nb)
               and all(line_keys[nb[p + k]] == keys[k] for k in range(1, m)))


def _distinctive(block: Sequence[str], by_norm: bool) -> bool:
    """Long enough to be relocated on content alone: several lines and more than a few tokens of text."""
    keys = [k for k in block if k and k != BLANK]
    if len(keys) < DISTINCTIVE_LINES:
        return False
    return not by_norm or sum(len(k) for k in keys) >= DISTINCTIVE_CHARS


def _over_limit(snap: Snapshot, path: str) -> int | None:
    """The snapshot's size limit when `path` is larger than it (such files are never read), else None."""
    limit = getattr(snap, "max_bytes", None)
    size_of = getattr(snap, "size", None)
    if limit is None or size_of is None:
        return None
    size = size_of(path)
    return limit if size is not None and size > limit else None


def _mb(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB"


def _leading(keys: Sequence[str], blank: str) -> int:
    n = 0
    for k in keys:
        if k != blank:
            break
        n += 1
    return n


def _supported(a2b: Sequence[int], rec: FileText, s0: int, e0: int) -> bool:
    """Whether a block's mapping can be trusted on its own.

    The alignment pairs a short, common block (`assert not result.exception`, `return None`) with a
    twin almost arbitrarily once the code around it changed. Such a mapping counts only when a
    neighbouring line maps alongside it; otherwise the block is located by content and context.
    """
    block = [n for n in rec.norms[s0:e0 + 1] if n]
    if len(block) > 2 or all(rec.counts.get(n, 0) <= 1 for n in block):
        return True
    j0, j1 = a2b[s0], a2b[e0]
    for d in (1, 2):
        if s0 - d >= 0 and a2b[s0 - d] == j0 - d:
            return True
        if e0 + d < len(a2b) and a2b[e0 + d] == j1 + d:
            return True
    return False


def _span(a2b: Sequence[int], s0: int, e0: int, n_target: int) -> tuple[int, int]:
    """Where recorded lines s0..e0 ended up in the target, bounded by the nearest mapped lines around them.

    Lines of the block that still map pin the ends; otherwise the nearest mapped line above/below
    the block bounds the span. May be empty (start > end) when the block was deleted outright.
    """
    start = a2b[s0]
    if start < 0:
        start = 0
        for i in range(s0 - 1, -1, -1):
            if a2b[i] >= 0:
                start = a2b[i] + 1
                break
    end = a2b[e0]
    if end < 0:
        end = n_target - 1
        for i in range(e0 + 1, len(a2b)):
            if a2b[i] >= 0:
                end = a2b[i] - 1
                break
    return start, end


def _similar(a: Sequence[str], b: Sequence[str]) -> bool:
    x = "\n".join(norm(line) for line in a if line.strip())
    y = "\n".join(norm(line) for line in b if line.strip())
    if not x or not y:
        return False
    return SequenceMatcher(None, x, y, autojunk=False).ratio() >= 0.5


def _edited_in_place(block: Sequence[str], block_norms: Sequence[str], mapped: Sequence[int], target: FileText,
                     span: tuple[int, int]) -> bool:
    """Whether the recorded lines are still (mostly) where they were, i.e. edited rather than moved away."""
    nonblank = [k for k, n in enumerate(block_norms) if n]
    if nonblank:
        kept = sum(1 for k in nonblank if mapped[k] >= 0)
        if kept * 2 >= len(nonblank):
            return True
    if span[0] > span[1]:
        return False
    return _similar(block, target.lines[span[0]:span[1] + 1])


def _eligible(w: Window, text: FileText, pre_existing: set[int]) -> bool:
    """A window is somebody else's code when most of its lines are images of other recorded lines."""
    lines = [i for i in range(w.start, w.end + 1) if text.norms[i]]
    if not lines:
        return False
    old = sum(1 for i in lines if i in pre_existing)
    return old * 2 < len(lines)


def _owned(w: Window, text: FileText, own: set[int], pre_existing: set[int]) -> bool:
    """More of the window's lines are images of the anchor's own lines than of other recorded lines."""
    lines = [i for i in range(w.start, w.end + 1) if text.norms[i]]
    mine = sum(1 for i in lines if i in own)
    return mine > 0 and mine >= sum(1 for i in lines if i in pre_existing)


def _adjacent_context(text: FileText, w: Window, fp: Fingerprint) -> bool:
    """Whether the nearest non-blank line above or below matches the recorded one."""
    up, down = nonblank_neighbours(text.lines, w.start, w.end, 1)
    return bool((up and fp.above and text.hash_at(up[-1]) == fp.above[-1])
                or (down and fp.below and text.hash_at(down[0]) == fp.below[0]))


def _context_score(text: FileText, w: Window, fp: Fingerprint) -> int:
    up, down = nonblank_neighbours(text.lines, w.start, w.end, CONTEXT_LINES)
    score = 0
    for got, want in zip(reversed([text.hash_at(i) for i in up]), reversed(fp.above), strict=False):
        score += got == want
    for got, want in zip([text.hash_at(i) for i in down], fp.below, strict=False):
        score += got == want
    return score


def _locate_by_hashes(text: FileText, fp: Fingerprint, s0: int) -> tuple[tuple[int, int] | None, int, int]:
    """Where the block sits in `text` judging by its stored line hashes and context.

    Returns the span (0-based, may be empty when the block was removed between intact context), the
    evidence that the block is still there but edited (2: most of its lines are; 1: only its
    surroundings frame the place; 0: none), and how many context lines sit right around the span.
    """
    pattern = list(fp.above) + list(fp.line_hashes) + list(fp.below)
    na, nbk = len(fp.above), len(fp.line_hashes)
    hashes = text.hashes
    n = len(hashes)
    radius = 3 * nbk + 200
    lo, hi = max(0, s0 - radius), min(n, s0 + nbk + radius)
    if n <= 5000:
        lo, hi = 0, n
    sm = SequenceMatcher(None, pattern, hashes[lo:hi], autojunk=False)
    pos: dict[int, int] = {}
    for i, j, size in sm.get_matching_blocks():
        for k in range(size):
            pos[i + k] = lo + j + k
    block_hits = [(k - na, pos[k]) for k in range(na, na + nbk) if k in pos and fp.line_hashes[k - na] != BLANK]
    above_hits = [pos[k] for k in range(na) if k in pos]
    below_hits = [pos[k] for k in range(na + nbk, len(pattern)) if k in pos]
    if block_hits:
        start = block_hits[0][1] - block_hits[0][0]
        end = block_hits[-1][1] + (nbk - 1 - block_hits[-1][0])
    else:
        start = end = -1
    if above_hits:
        start = above_hits[-1] + 1 if not block_hits else max(start, above_hits[-1] + 1)
    if below_hits:
        end = below_hits[0] - 1 if not block_hits else min(end, below_hits[0] - 1)
    if start < 0 or end < -1 or (not above_hits and not block_hits) or (not below_hits and not block_hits):
        return None, 0, 0
    start, end = max(0, start), min(n - 1, end)
    # Trim blank lines the block did not start/end with (context skips blank lines).
    if fp.line_hashes and fp.line_hashes[0] != BLANK:
        while start <= end and not text.norms[start]:
            start += 1
    if fp.line_hashes and fp.line_hashes[-1] != BLANK:
        while end >= start and not text.norms[end]:
            end -= 1
    nonblank = sum(1 for h in fp.line_hashes if h != BLANK)
    mostly_there = bool(nonblank) and len(block_hits) * 2 >= nonblank
    # Context only vouches for this place when it sits right next to it (blank lines aside).
    up = bool(above_hits) and all(not text.norms[i] for i in range(above_hits[-1] + 1, start))
    down = bool(below_hits) and all(not text.norms[i] for i in range(end + 1, below_hits[0]))
    frame = (len(above_hits) if up else 0) + (len(below_hits) if down else 0)
    framed = up and down and end - start + 1 <= 2 * nbk + 10
    evidence = 0 if start > end else 2 if mostly_there else 1 if framed else 0
    return (start, end), evidence, frame
