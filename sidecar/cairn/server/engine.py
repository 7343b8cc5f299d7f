"""One workspace as the language server sees it: a cached snapshot of notes and their verdicts.

Why a session: the editor asks many small questions per keystroke (hover, lens, diagnostics), the
engine answers big ones (judge these notes against that target). The session asks the engine once per
event (a note written, a git change, a buffer edited), keeps the answer as an immutable `Snapshot` or
`FileView`, and the features read those without touching git. Judging, search and recall go through
`judge.py`, which this module drives; it imports nothing from pygls: every line number here is 1-based.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cairn.errors import CairnError, UsageError
from cairn.gitio.files import read_regular, stat_regular
from cairn.notes.files import IdClaims, scan
from cairn.notes.model import Note, NoteError
from cairn.notes.store import NoteStore
from cairn.timeutil import format_age, now_utc
from cairn.workspace import Workspace

log = logging.getLogger("cairn.server")

STALE = frozenset({"changed", "deleted"})
# Order in which notes are listed on one line: freshest first.
STATE_ORDER = {"fresh": 0, "expired": 1, "stale": 2}
MAX_FILE_BYTES = 2 * 1024 * 1024
STATE_FILE = "server-state.bin"
QUICK_ABOVE = 100  # a git change re-judging more notes than this publishes first, names commits after


@dataclass(frozen=True)
class AnchorView:
    """One anchor's verdict, and where the editor should show it (1-based, inclusive)."""

    note_id: str
    index: int
    path: str  # as recorded
    start: int
    end: int
    status: str  # intact | moved | reformatted | changed | deleted
    current: tuple[str, int, int] | None  # where the code is now (None when stale)
    shown: tuple[str, int, int]  # current place, else the best guess for stale code, else as recorded
    changed_in: str | None
    message: str
    merged_in: str | None = None  # the merge that brought `changed_in` onto the first-parent line

    @property
    def stale(self) -> bool:
        return self.status in STALE

    def covers(self, line: int) -> bool:
        return self.shown[1] <= line <= self.shown[2]


@dataclass(frozen=True)
class NoteView:
    """A valid note with its freshness: `fresh`, `stale` (an anchor changed/deleted) or `expired`."""

    note: Note
    state: str
    anchors: tuple[AnchorView, ...]
    expired: bool = False
    age: str = ""

    @property
    def id(self) -> str:
        return self.note.id

    def stale_anchors(self) -> list[AnchorView]:
        return [a for a in self.anchors if a.stale]

    @property
    def badge(self) -> str:
        """`fresh`, `stale since 3f2c1ab`, `stale (uncommitted change)` or `expired`."""
        if self.state == "stale":
            for anchor in self.stale_anchors():
                if anchor.changed_in == "uncommitted":
                    return "stale (uncommitted change)"
                if anchor.changed_in:
                    return f"stale since {anchor.changed_in[:7]}"
            return "stale"
        return self.state

    def sort_key(self) -> tuple[int, float]:
        reviewed = self.note.last_reviewed
        return (STATE_ORDER.get(self.state, 3), -(reviewed.timestamp() if reviewed else 0.0))


@dataclass(frozen=True)
class Snapshot:
    """Every note of the workspace judged against the working tree, indexed for the features."""

    generation: int
    head: str | None
    notes: Mapping[str, NoteView]
    errors: tuple[NoteError, ...]
    by_path: Mapping[str, tuple[AnchorView, ...]]  # shown path → anchors shown there

    def flagged_paths(self) -> set[str]:
        """Files showing an anchor of a stale or expired note (the ones with code diagnostics)."""
        return {a.shown[0] for v in self.notes.values() if v.state != "fresh" for a in v.anchors}

    def counts(self) -> dict[str, int]:
        invalid = len({e.path for e in self.errors})
        return {
            "notes": len(self.notes) + invalid,
            "stale": sum(1 for v in self.notes.values() if v.state == "stale"),
            "expired": sum(1 for v in self.notes.values() if v.state == "expired"),
            "invalid": invalid,
        }


@dataclass(frozen=True)
class FileView:
    """The anchors shown in one file (its buffer or its working-tree content) and their notes' state."""

    path: str
    anchors: tuple[AnchorView, ...]
    notes: Mapping[str, NoteView]
    generation: int
    line_count: int = 0

    def at_line(self, line: int) -> list[tuple[NoteView, AnchorView]]:
        """(note, anchor) pairs covering a 1-based line, freshest note first."""
        hits = [(self.notes[a.note_id], a) for a in self.anchors if a.covers(line) and a.note_id in self.notes]
        hits.sort(key=lambda pair: pair[0].sort_key())
        return hits

    def overlapping(self, first: int, last: int) -> list[tuple[NoteView, AnchorView]]:
        hits = [(self.notes[a.note_id], a) for a in self.anchors
                if a.shown[1] <= last and first <= a.shown[2] and a.note_id in self.notes]
        hits.sort(key=lambda pair: pair[0].sort_key())
        return hits


@dataclass(frozen=True)
class NoteFileView:
    """A note file (its buffer or disk content): parse problems and broken anchors."""

    path: str
    note: Note | None
    errors: tuple[NoteError, ...]
    broken: tuple[tuple[int, str], ...]  # (1-based line in the note file, message)


class Session:
    """The engine for one workspace, with the snapshot the features read.

    Thread-safety: `lock` serialises every engine call and snapshot swap; readers take the current
    `snapshot` reference without locking (it is immutable).
    """

    def __init__(self, ws: Workspace, recall_budget: int | None = None) -> None:
        self.ws = ws
        self.store = NoteStore(ws)
        self.recall_budget = recall_budget
        self.lock = threading.RLock()
        self._generation = 0
        self._raw: dict[str, Note] = {}  # note id → note as read
        self._errors: dict[str, list[NoteError]] = {}  # note file rel path → its problems
        self._views: dict[str, NoteView] = {}
        self._recorded: dict[str, set[str]] = {}  # recorded anchor path → note ids
        self._stats: dict[str, tuple[int, int, int]] = {}  # note file → (size, mtime_ns, inode) when read
        self._keys: dict[str, str | None] = {}  # anchored file → blob id when last judged
        self._head: str | None = None
        self._dirty_state = False
        self._restored = False
        self._unnamed: set[str] = set()  # stale notes judged without naming the commit (see refresh)
        self._affected: set[str] | None = None  # code files to republish; None: all of them
        self._note_files_affected: set[str] = set()
        self._index: Any = None
        self._index_lock = threading.Lock()
        self._index_pending: set[Path] = set()  # note files changed since the index was last updated
        self._index_scan = False  # whether a full (stat-only) scan is due
        from cairn.server.judge import Judging

        self.judging = Judging(ws)
        self.snapshot = Snapshot(0, None, {}, (), {})

    # ---- loading and judging ---------------------------------------------------------------
    @property
    def root(self) -> Path:
        return self.ws.root

    def refresh(self, note_files: Iterable[Path] | None = None, code: bool | Iterable[str] = False) -> Snapshot:
        """Bring the snapshot up to date after an event, doing only the work the event needs.

        - `refresh()`: start-up. Restores the state saved by the last run (notes whose files did not
          change are not re-parsed), then continues as for a git change; without saved state, reads and
          judges everything.
        - `refresh(note_files)`: those note files were written (an agent, `git pull`): re-read them and
          judge only their notes, against the same working-tree view (no git call).
        - `refresh(code=True)`: a checkout, commit, merge or rebase: compare the content id (blob id) of
          every anchored file with the last one seen, and re-judge only the notes touching changed files,
          the stale ones when HEAD moved (their `changed_in` depends on it) and those that followed
          their code into another file (their verdict depended on the rest of the tree).
        - `refresh(code=[paths])`: those files were saved: the same, restricted to those paths.
        """
        with self.lock:
            started = time.perf_counter()
            full = note_files is None and code is False
            reloading = full and self._generation > 0
            if reloading:
                self._reload_config()
            if full:
                # Start-up allocates a few hundred thousand long-lived objects: no collections meanwhile,
                # and afterwards they are moved out of the collector's way (gc.freeze) so later pauses,
                # e.g. during a hover, stay short.
                gc.disable()
                try:
                    restored = {} if reloading else self._restore()  # notes parse differently now
                    self._load_notes(restored)
                finally:
                    gc.enable()
                code = True
            changed: set[str] = set()
            for path in note_files or ():
                changed.update(self._reload_note_file(path))
            if code is not False:
                self.judging.code_changed()
                changed.update(self._changed_by_code(None if code is True else list(code)))
            changed.update(i for i in self._raw if i not in self._views)
            for note_id in changed:
                self._views.pop(note_id, None)
            todo = [self._raw[i] for i in sorted(changed) if i in self._raw]
            if todo:
                # Naming the commit that made a note stale walks history (a git log, alignments): publish
                # the verdicts first and name in a second pass, for notes written by others (one note's
                # naming is a few hundred ms) and for big git changes (a thousand anchors: seconds).
                quick = not full and (bool(note_files) or (code is not False and len(todo) > QUICK_ABOVE))
                t_judge = time.perf_counter()
                judged = self.judging.judge(todo, None, name=not quick)
                log.debug("judge %d notes (quick=%s): %.0f ms", len(todo), quick,
                          (time.perf_counter() - t_judge) * 1000)
                self._views.update(judged)
                self._unnamed.difference_update(judged)
                if quick:
                    self._unnamed.update(i for i, v in judged.items() if v.state == "stale")
            errors_before = set(self._errors)
            self._generation += 1
            t_build = time.perf_counter()
            self.snapshot = self._build(None if full else changed, recheck_expiry=code is not False)
            log.debug("build: %.0f ms", (time.perf_counter() - t_build) * 1000)
            if not full:
                self._note_files_affected.update(set(self._errors) ^ errors_before)
                self._note_files_affected.update(set(self._errors) & {self.store.rel_path(p) for p in note_files or ()})
            log.debug("refresh: %d notes judged in %.0f ms", len(todo), (time.perf_counter() - started) * 1000)
            with self._index_lock:  # applied by the next search or recall (a Tantivy commit is not free)
                if code is not False or note_files is None:
                    self._index_scan = True
                self._index_pending.update(note_files or ())
            if todo or note_files or not self._restored:
                self._dirty_state = True
            if full:
                gc.collect()
                gc.freeze()
                _release_memory()
            return self.snapshot

    def _reload_config(self) -> None:
        """config.toml changed (kinds, ttl, budget): a fresh workspace view; every note is judged again."""
        from cairn.server.judge import Judging
        from cairn.workspace import Workspace

        try:
            ws = Workspace.at(self.ws.root, self.ws.config.notes_root)
        except CairnError as exc:
            log.warning("configuration not reloaded: %s", exc)
            return
        self.judging.code_changed()
        self.ws, self.store, self.judging = ws, NoteStore(ws), Judging(ws)
        self._views, self._keys, self._stats = {}, {}, {}

    def has_unnamed(self) -> bool:
        return bool(self._unnamed)

    def name_pending(self, batch: int = 8) -> Snapshot:
        """Second pass after a big git change: name the commits that made notes stale, a batch at a time
        (so editor requests and new events get the engine thread in between)."""
        with self.lock:
            ids = [i for i in sorted(self._unnamed)[:batch]]
            self._unnamed.difference_update(ids)
            todo = [self._raw[i] for i in ids if i in self._raw]
            if not todo:
                return self.snapshot
            self._views.update(self._judge(todo, None))
            self._generation += 1
            self.snapshot = self._build({n.id for n in todo}, recheck_expiry=False)
            self._dirty_state = True
            return self.snapshot

    # ---- notes on disk ---------------------------------------------------------------------
    def _note_files(self) -> list[tuple[Path, str, str, tuple[int, int, int]]]:
        """(path, rel path, id, stat) of every note file (`cairn.notes.files.scan`, one directory walk)."""
        prefix = self.ws.notes_root_rel + "/"
        return [(Path(f.path), prefix + f.rel, f.id, (f.size, f.mtime_ns, f.ino)) for f in scan(self.store.root)]

    def _load_notes(self, restored: dict[str, tuple[tuple[int, int, int], Note | list[NoteError]]]) -> None:
        """Every note file, re-parsed only when its (size, mtime, inode) changed since the saved state."""
        self._raw, self._errors, self._stats = {}, {}, {}
        claims = IdClaims()
        checked: dict[str, str | None] = {}
        for path, rel, note_id, stat in self._note_files():
            cached = restored.get(rel)
            if cached is not None and cached[0] == stat:
                result = cached[1]
                if isinstance(result, Note):  # keyed on the note file: its anchored paths may have changed
                    result = self.store.check_anchor_paths(result, checked) or result
            else:
                result = self.store.read_file(path)
                self._views.pop(note_id, None)
            duplicate = claims.claim(note_id, rel)
            if duplicate is not None:
                self._errors[rel] = [duplicate]
                continue
            self._stats[rel] = stat
            if isinstance(result, Note):
                self._raw[result.id] = result
            else:
                self._errors[rel] = list(result)
        outdated = [i for i, v in self._views.items() if i not in self._raw or self._raw[i].version != v.note.version]
        for note_id in outdated:
            self._views.pop(note_id, None)

    def _reload_note_file(self, path: Path) -> set[str]:
        """Re-read one note file; the ids whose verdicts must be recomputed."""
        try:
            note_id = self.store.note_id(path)
            rel = self.store.rel_path(path)
        except ValueError:
            return set()
        self._errors.pop(rel, None)
        self._raw.pop(note_id, None)
        self._stats.pop(rel, None)
        if not path.is_file() or not self.store.is_note_file(path):
            return {note_id}
        stat = _stat(path)
        result = self.store.read_file(path)
        if stat is not None:
            self._stats[rel] = stat
        if isinstance(result, Note):
            self._raw[result.id] = result
        else:
            self._errors[rel] = list(result)
        return {note_id}

    # ---- code changes ----------------------------------------------------------------------
    def _changed_by_code(self, paths: list[str] | None) -> set[str]:
        """Ids of the notes whose verdicts may differ now that files (or HEAD) changed."""
        checker = self.judging.worktree()
        snapshot = checker.snapshot
        touching: dict[str, set[str]] = {}
        for note in self._raw.values():
            for anchor in note.anchors:
                touching.setdefault(anchor.path, set()).add(note.id)
        for view in self._views.values():
            for anchor_view in view.anchors:
                touching.setdefault(anchor_view.shown[0], set()).add(view.id)
        keys = {p: snapshot.key(p) for p in (touching if paths is None else paths)}
        changed_paths = {p for p, k in keys.items() if self._keys.get(p, "?") != k}
        self._keys.update(keys)
        head = checker.head
        ids: set[str] = set()
        for path in changed_paths:
            ids.update(touching.get(path, ()))
        if head != self._head:
            ids.update(i for i, v in self._views.items() if v.state == "stale")
        if changed_paths or head != self._head:
            ids.update(i for i, v in self._views.items()
                       if any(a.current is not None and a.current[0] != a.path for a in v.anchors))
        self._head = head
        return ids

    # ---- saved state -----------------------------------------------------------------------
    def _state_file(self) -> Path:
        return self.ws.cache_dir() / STATE_FILE

    def _restore(self) -> dict[str, tuple[tuple[int, int, int], Note | list[NoteError]]]:
        """The state saved by the last server run: parsed notes by file, views, content ids, HEAD.

        A private file under the git directory (never committed, written only by us); anything odd about
        it (other format, unreadable) simply means a cold start.
        """
        from cairn.server import persist

        loaded = persist.load(self._state_file(), str(self.ws.root))
        if loaded is None:
            return {}
        notes, self._views, self._keys, self._head = loaded
        self._restored = True
        self.judging.warm = True
        return notes

    def save_state(self) -> None:
        """Persist what the next start needs (called once events are quiet, and at shutdown)."""
        from cairn.server import persist

        with self.lock:
            if not self._dirty_state:
                return
            notes: dict[str, tuple[tuple[int, int, int], Note | list[NoteError]]] = {}
            for note in self._raw.values():
                if note.rel_path in self._stats:
                    notes[note.rel_path] = (self._stats[note.rel_path], note)
            for rel, errors in self._errors.items():
                if rel in self._stats:
                    notes[rel] = (self._stats[rel], errors)
            try:
                persist.save(self._state_file(), str(self.ws.root), notes, self._views, self._keys, self._head)
            except (OSError, ValueError) as exc:
                log.info("cannot save the server state: %s", exc)
            self.judging.persist()
            self._dirty_state = False

    def _build(self, changed: set[str] | None, recheck_expiry: bool = True) -> Snapshot:
        """The next snapshot: from scratch (`changed=None`), or updating only what `changed` notes touch.

        Also records which code files and note files may now need other diagnostics (`take_affected`),
        so a note written by an agent republishes a handful of files, not the workspace.
        """
        old = self.snapshot
        views = self._views
        flipped: set[str] = set()
        if recheck_expiry or changed is None:
            now = now_utc()
            for note_id, view in list(views.items()):
                expired = view.note.expired(now, self.ws.config)
                if expired != view.expired:  # time passed (or a restored state): only the expiry moves
                    state = "stale" if view.stale_anchors() else "expired" if expired else "fresh"
                    views[note_id] = NoteView(view.note, state, view.anchors, expired,
                                              expiry_text(view.note, self.ws) if expired else "")
                    flipped.add(note_id)
        errors = tuple(e for errs in self._errors.values() for e in errs)
        if changed is None:
            by_path: dict[str, list[AnchorView]] = {}
            for view in views.values():
                for anchor in view.anchors:
                    by_path.setdefault(anchor.shown[0], []).append(anchor)
            recorded: dict[str, set[str]] = {}
            for note in self._raw.values():
                for recorded_anchor in note.anchors:
                    recorded.setdefault(recorded_anchor.path, set()).add(note.id)
            self._recorded = recorded
            self._affected = None
            self._note_files_affected = set()
            return Snapshot(self._generation, self._head, dict(views), errors,
                            {path: tuple(items) for path, items in by_path.items()})
        paths: set[str] = set()
        for note_id in changed | flipped:
            for either in (old.notes.get(note_id), views.get(note_id)):
                if either is not None:
                    paths.update(a.shown[0] for a in either.anchors)
                    self._note_files_affected.add(either.note.rel_path)
        new_by_path = dict(old.by_path)
        added: dict[str, list[AnchorView]] = {}
        for note_id in changed:
            new_view = views.get(note_id)
            for anchor_view in new_view.anchors if new_view is not None else ():
                added.setdefault(anchor_view.shown[0], []).append(anchor_view)
        for path in paths:
            items = [a for a in new_by_path.get(path, ()) if a.note_id not in changed]
            items.extend(added.get(path, ()))
            if items:
                new_by_path[path] = tuple(items)
            else:
                new_by_path.pop(path, None)
        for note_id in changed:
            old_view = old.notes.get(note_id)
            for old_anchor in old_view.note.anchors if old_view is not None else ():
                self._recorded.get(old_anchor.path, set()).discard(note_id)
            raw = self._raw.get(note_id)
            for new_anchor in raw.anchors if raw is not None else ():
                self._recorded.setdefault(new_anchor.path, set()).add(note_id)
        if self._affected is not None:
            self._affected.update(paths)
        return Snapshot(self._generation, self._head, dict(views), errors, new_by_path)

    def touch(self, code: Iterable[str] = (), notes: Iterable[str] = ()) -> None:
        """Mark files whose diagnostics must be republished although no verdict changed (a closed editor)."""
        with self.lock:
            if self._affected is not None:
                self._affected.update(code)
                self._note_files_affected.update(notes)

    def take_affected(self) -> tuple[set[str] | None, set[str] | None]:
        """(code files, note files) whose diagnostics may have changed since the last call (None: all)."""
        with self.lock:
            code, notes = self._affected, (None if self._affected is None else self._note_files_affected)
            self._affected, self._note_files_affected = set(), set()
            return code, notes

    def _judge(self, notes: Sequence[Note], buffers: Mapping[str, str] | None) -> dict[str, NoteView]:
        """Verdicts for `notes` against the working tree, with `buffers` (path → text) laid over it."""
        return self.judging.judge(notes, buffers)

    # ---- per-file views --------------------------------------------------------------------
    def notes_touching(self, rel: str) -> list[Note]:
        """Notes with an anchor recorded in `rel` or currently shown there."""
        snap = self.snapshot
        ids = {a.note_id for a in snap.by_path.get(rel, ())}
        ids.update(self._recorded.get(rel, ()))
        return [self._raw[i] for i in sorted(ids) if i in self._raw]

    def is_anchored(self, rel: str) -> bool:
        """Whether some note has an anchor recorded in, or currently shown in, `rel`."""
        return rel in self._recorded or rel in self.snapshot.by_path

    def anchored_paths(self) -> set[str]:
        """Every file some note has an anchor recorded in or currently shown in (what to watch)."""
        with self.lock:
            return {rel for rel, ids in self._recorded.items() if ids} | set(self.snapshot.by_path)

    def file_view(self, rel: str, text: str | None) -> FileView:
        """Anchors shown in `rel`, judged against `text` (an unsaved buffer) or the working tree."""
        with self.lock:
            snap = self.snapshot
            line_count = len(text.splitlines()) if text is not None else 0
            notes = self.notes_touching(rel)
            if not notes:
                return FileView(rel, (), {}, snap.generation, line_count)
            if text is None or self.same_as_disk(rel, text):
                views = {n.id: snap.notes[n.id] for n in notes if n.id in snap.notes}
            else:
                views = self._name_from_worktree(self.judging.judge(notes, {rel: text}, name=False), snap)
            anchors = tuple(a for v in views.values() for a in v.anchors if a.shown[0] == rel)
            return FileView(rel, anchors, views, snap.generation, line_count)

    @staticmethod
    def _name_from_worktree(views: dict[str, NoteView], snap: Snapshot) -> dict[str, NoteView]:
        """Name what made buffer verdicts stale without walking history on every keystroke.

        An anchor stale in the buffer but not on disk was broken by the unsaved edit (`uncommitted`, as
        the engine says for working-tree edits); one already stale on disk keeps the working tree's
        commit and message.
        """
        from cairn.anchors.engine import where

        out: dict[str, NoteView] = {}
        for note_id, view in views.items():
            disk = snap.notes.get(note_id)
            anchors = []
            for anchor in view.anchors:
                if anchor.stale and anchor.changed_in is None:
                    before = disk.anchors[anchor.index] if disk is not None and anchor.index < len(disk.anchors) \
                        else None
                    merged_in = None
                    if before is not None and before.stale and before.changed_in not in (None, "uncommitted"):
                        changed_in, message, merged_in = before.changed_in, before.message, before.merged_in
                    else:
                        verb = "deleted" if anchor.status == "deleted" else "changed"
                        recorded = (anchor.path, anchor.start, anchor.end)
                        place = (f"was {where(recorded, None)}" if anchor.status == "deleted"
                                 else f"now {where(recorded, anchor.shown)}")
                        changed_in, message = "uncommitted", f"anchored lines {verb} in uncommitted edits: {place}"
                    anchor = AnchorView(anchor.note_id, anchor.index, anchor.path, anchor.start, anchor.end,
                                        anchor.status, anchor.current, anchor.shown, changed_in, message, merged_in)
                anchors.append(anchor)
            out[note_id] = NoteView(view.note, view.state, tuple(anchors), view.expired, view.age)
        return out

    def same_as_disk(self, rel: str, text: str) -> bool:
        data = read_regular(self.ws.root, rel)
        return data is not None and data == text.encode("utf-8", "surrogateescape")

    def note_file_view(self, path: Path, text: str | None) -> NoteFileView:
        """Problems of a note file (from its buffer when open): parse errors or broken anchors."""
        rel = self.store.rel_path(path)
        if text is None:
            result = self.store.read_file(path)
        else:
            result = self.store.parse_text(path, text.encode("utf-8", "surrogateescape"))
        if isinstance(result, list):
            return NoteFileView(rel, None, tuple(result), ())
        note = result
        view = self.snapshot.notes.get(note.id)
        if view is None or view.note.version != note.version:
            view = self._judge([note], None).get(note.id)
        broken: list[tuple[int, str]] = []
        if view is not None:
            for anchor_view in view.anchors:
                reason = self._broken(anchor_view)
                if reason:
                    recorded = note.anchors[anchor_view.index]
                    line = recorded.line or note.line_of("anchors")
                    broken.append((line, f"broken anchor {recorded.label()}: {reason}"))
        return NoteFileView(rel, note, (), tuple(broken))

    def _broken(self, anchor: AnchorView) -> str | None:
        """Why an anchor points at nothing (file gone, lines past the end), or None."""
        if anchor.status == "deleted":
            return anchor.message or "the anchored code no longer exists"
        if not anchor.stale:
            return None
        data = read_regular(self.ws.root, anchor.path, self.ws.config.max_file_bytes)
        if data is None:
            return None if stat_regular(self.ws.root, anchor.path) else f"{anchor.path} no longer exists"
        count = len(data.splitlines())
        if anchor.start > count:
            return f"{anchor.path} has only {count} lines"
        return None

    # ---- writes ----------------------------------------------------------------------------
    def reanchor(self, note_id: str, version: str | None, buffers: Mapping[str, str] | None = None) -> Note:
        """Point every anchor at its code as it is now and mark the note reviewed, in one conditional write.

        `buffers` (path → unsaved editor text): the code is read from them rather than from the disk.

        The anchor engine re-records moved/reformatted anchors at their current place and stale ones at
        the best range for the code that replaced them. The write is conditional on `version` (the one
        the editor showed): ConflictError, nothing written, if the file changed since.
        """
        with self.lock:
            updated = self.judging.reanchor(note_id, version, buffers)
            self.refresh([self.store.path_of(note_id)])
            return updated

    def mark_reviewed(self, note_id: str, version: str | None) -> Note:
        """The engine's one meaning of "reviewed" (`cairn.reviewed.mark_reviewed`): the same as `reanchor`."""
        from cairn.reviewed import mark_reviewed

        with self.lock:
            from cairn.gitio.authorship import user_name

            # The editor's Mark reviewed is a person's review: recorded for provenance.
            updated = mark_reviewed(self.ws, note_id, version, reviewed_by=user_name(self.ws.root) or "a person")
            self.refresh([self.store.path_of(note_id)])
            return updated

    def new_note(self, rel: str, start: int, end: int, kind: str, title: str, body: str,
                 tags: Sequence[str], text: str | None = None) -> Note:
        """A new note anchored at `start..end` of `rel`, recorded from `text` (the editor's buffer) if given."""
        from cairn.anchors.record import record_anchor
        from cairn.notes.edit import clean_tags

        with self.lock:
            path = self.ws.check_repo_path(rel)
            anchor = record_anchor(self.ws, path, start, end, text=text)
            note = self.store.create(kind, title, body, clean_tags(tags), [anchor])
            self.refresh([self.store.path_of(note.id)])
            return note

    def draft_update(self, note_id: str) -> str:
        """The note, the diff of its anchored code since it was recorded, and an instruction for an agent
        (`cairn.update_prompt`, the same prompt `cairn review` writes)."""
        from cairn.update_prompt import AnchorChange, update_prompt

        with self.lock:
            note = self.store.get(note_id)
            view = self._judge([note], None)[note.id]
            diffs = self.judging.diffs(note)
        changes = [AnchorChange(f"{label}: {status}", diff) for label, status, diff in diffs]
        why = f"The note is {view.badge}; below is how its anchored code changed since the note was written."
        return update_prompt(self.ws, note, changes, why)

    # ---- search and recall -----------------------------------------------------------------
    def index(self) -> Any:
        """The long-lived search index, opened (built or updated) on first use.

        Opened under its own lock, not the session's: building it for a large workspace takes seconds
        and must not hold up verdicts and diagnostics (the server opens it in the background at start).
        """
        from cairn.server import judge

        with self._index_lock:
            if self._index is None:
                self._index = judge.open_index(self.ws)
                self._index_scan, self._index_pending = False, set()
            elif self._index_scan or self._index_pending:
                paths = None if self._index_scan else sorted(self._index_pending)
                self._index_scan, self._index_pending = False, set()
                try:
                    judge.update_index(self, self._index, paths)
                except CairnError as exc:
                    log.warning("search index update failed: %s", exc)
            return self._index

    def search(self, query: str, limit: int) -> list[dict[str, Any]]:
        from cairn.server import judge

        if not query.strip():
            raise UsageError("empty search query")
        with self.lock:
            return judge.search(self, query, limit)

    def recall(self, rel: str, line: int | None, query: str | None, budget: int | None,
               buffers: Mapping[str, str] | None, heading_level: int = 1) -> tuple[str, dict[str, Any]]:
        from cairn.server import judge

        with self.lock:
            return judge.recall(self, rel, line, query, budget or self.recall_budget, buffers, heading_level)

    # ---- summaries -------------------------------------------------------------------------
    def status(self) -> dict[str, int]:
        return self.snapshot.counts()

    def stale(self) -> list[dict[str, Any]]:
        out = []
        for view in sorted(self.snapshot.notes.values(), key=lambda v: v.id):
            stale = view.stale_anchors()
            if not stale:
                continue
            out.append({
                "id": view.id, "path": view.note.rel_path, "uri": (self.ws.root / view.note.rel_path).as_uri(),
                "title": view.note.title,
                "anchors": [{"path": a.path, "lines": [a.start, a.end], "message": a.message,
                             "changed_in": a.changed_in, "merged_in": a.merged_in,
                             "current": {"path": a.shown[0], "lines": [a.shown[1], a.shown[2]]}
                             if a.status == "changed" else None} for a in stale],
            })
        return out


    def notes_list(self) -> dict[str, Any]:
        """Every note with its freshness and anchors (where the code is now first), for the notes view."""
        out = []
        attention = {"stale": 0, "expired": 1}  # what needs a person first, then the rest by title
        views = sorted(self.snapshot.notes.values(), key=lambda v: (attention.get(v.state, 2), v.note.title, v.id))
        for view in views:
            out.append({
                "id": view.id, "path": view.note.rel_path, "uri": (self.ws.root / view.note.rel_path).as_uri(),
                "title": view.note.title, "kind": view.note.kind, "state": view.state, "badge": view.badge,
                "anchors": [{
                    "path": a.shown[0], "lines": [a.shown[1], a.shown[2]],
                    "uri": (self.ws.root / a.shown[0]).as_uri(),
                    "recorded": {"path": a.path, "lines": [a.start, a.end]},
                    "status": a.status,
                } for a in view.anchors],
            })
        invalid = [{"path": e.path, "uri": (self.ws.root / e.path).as_uri(), "line": e.line, "message": e.message}
                   for e in self.snapshot.errors]
        return {"notes": out, "invalid": invalid}


def _release_memory() -> None:
    """Give the start-up's transient memory (the decoded saved state) back to the system (glibc only)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino


def expiry_text(note: Note, ws: Workspace) -> str:
    """`last reviewed 210 days ago` (for expired notes)."""
    reviewed = note.last_reviewed
    if reviewed is None:
        return "never reviewed"
    return f"last reviewed {format_age(now_utc() - reviewed)}"

