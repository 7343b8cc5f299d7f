"""One workspace as the language server sees it: the state machine that keeps its notes' verdicts current.

Why a session: the editor asks many small questions per keystroke (hover, lens, diagnostics), the
engine answers big ones (judge these notes against that target). The session asks the engine once per
event (a note written, a git change, a buffer edited), publishes the answer as an immutable
`PublishedState` (`views.py`), and the features read that without touching git. The anchor engine is
driven through `checkers.py`, search and recall through `search_index.py`, the saved state through
`saved_state.py`; it imports nothing from pygls: every line number here is 1-based.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import CairnError, UsageError
from cairn.notes.files import IdClaims, scan
from cairn.notes.model import Note, NoteError
from cairn.notes.store import NoteStore
from cairn.server import saved_state, search_index
from cairn.server.checkers import SessionCheckers
from cairn.server.search_index import SessionIndex
from cairn.server.views import AnchorView, FileView, NoteView, PublishedState, expiry_text
from cairn.timeutil import now_utc
from cairn.workspace import Workspace

if TYPE_CHECKING:
    from cairn.index import NoteIndex

log = logging.getLogger("cairn.server")

STATE_FILE = "server-state.bin"
QUICK_ABOVE = 100  # a git change re-judging more notes than this publishes first, names commits after


class Session:
    """One workspace's notes and verdicts, with the `published` state the features read.

    Thread-safety: `lock` serialises every engine call and every swap of `published`; readers take the
    current `published` reference without locking (it is immutable).
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
        self._parsed = 0  # note files parsed (not restored) by the last full load
        self._loaded = False  # the first full refresh is done (a later full refresh is a configuration reload)
        self._preloaded = False  # `preload` read the notes; the next full refresh starts from them
        self._unchecked: set[str] = set()  # restored notes whose anchored paths `preload` has not checked yet
        self._affected: set[str] | None = None  # code files to republish; None: all of them
        self._note_files_affected: set[str] = set()
        self.search_index = SessionIndex()
        self.checkers = SessionCheckers(ws)
        self.published = PublishedState(0, None, {}, (), {})

    # ---- loading and judging ---------------------------------------------------------------
    @property
    def root(self) -> Path:
        return self.ws.root

    def refresh(self, note_files: Iterable[Path] | None = None, code: bool | Iterable[str] = False) -> PublishedState:
        """Bring the published state up to date after an event, doing only the work the event needs.

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
            full = note_files is None and code is False
            if not full:
                return self._refresh(note_files, code)
            # Start-up allocates a few million long-lived objects: no collections meanwhile (each would
            # walk all of them), and afterwards they are moved out of the collector's way (gc.freeze) so
            # later pauses, e.g. during a hover, stay short.
            gc.disable()
            try:
                return self._refresh(None, True, full=True)
            finally:
                gc.enable()

    def _refresh(self, note_files: Iterable[Path] | None, code: bool | Iterable[str], full: bool = False) \
            -> PublishedState:
        """`refresh`'s work, under the lock (and, for a full one, with the collector paused)."""
        started = time.perf_counter()
        if full:
            reloading = self._loaded
            if reloading:
                self._reload_config()
            if self._preloaded and not reloading:
                self._check_deferred(sorted(self._unchecked))
            else:
                self._read_notes(restore=not reloading)  # a reload: notes parse differently now
            self._preloaded = False
            self._loaded = True
            if self._parsed:
                gc.enable()  # a cold start parses and judges everything: let the collector keep up
        changed: set[str] = set()
        for path in note_files or ():
            changed.update(self._reload_note_file(path))
        if code is not False:
            if not full:
                self.checkers.code_changed()
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
            judged = self.checkers.judge(todo, None, name=not quick)
            log.debug("judge %d notes (quick=%s): %.0f ms", len(todo), quick,
                      (time.perf_counter() - t_judge) * 1000)
            self._views.update(judged)
            self._unnamed.difference_update(judged)
            if quick:
                self._unnamed.update(i for i, v in judged.items() if v.state == "stale")
        errors_before = set(self._errors)
        self._generation += 1
        t_build = time.perf_counter()
        self.published = self._build(None if full else changed, recheck_expiry=code is not False)
        log.debug("build: %.0f ms", (time.perf_counter() - t_build) * 1000)
        if not full:
            self._note_files_affected.update(set(self._errors) ^ errors_before)
            self._note_files_affected.update(set(self._errors) & {self.store.rel_path(p) for p in note_files or ()})
        log.debug("refresh: %d notes judged in %.0f ms", len(todo), (time.perf_counter() - started) * 1000)
        # Applied by the next search or recall (a Tantivy commit is not free).
        self.search_index.note_files_changed(note_files or (), scan=code is not False or note_files is None)
        if todo or note_files or not self._restored:
            self._dirty_state = True
        if full:
            self._settle_memory()
            _release_memory()
        return self.published

    def _settle_memory(self) -> None:
        """After a bulk load: collect only if notes were parsed (parsing leaves cyclic garbage; restoring
        from marshal leaves none to find), then freeze what is alive out of the collector's way."""
        if self._parsed:
            gc.collect()
        gc.freeze()

    def _reload_config(self) -> None:
        """config.toml changed (kinds, ttl, budget): a fresh workspace view; every note is judged again."""
        try:
            ws = Workspace.at(self.ws.root, self.ws.config.notes_root)
        except CairnError as exc:
            log.warning("configuration not reloaded: %s", exc)
            return
        self.checkers.code_changed()
        self.ws, self.store, self.checkers = ws, NoteStore(ws), SessionCheckers(ws)
        self._views, self._keys, self._stats = {}, {}, {}

    def has_unnamed(self) -> bool:
        return bool(self._unnamed)

    def name_pending(self, batch: int = 8) -> PublishedState:
        """Second pass after a big git change: name the commits that made notes stale, a batch at a time
        (so editor requests and new events get the engine thread in between)."""
        with self.lock:
            ids = [i for i in sorted(self._unnamed)[:batch]]
            self._unnamed.difference_update(ids)
            todo = [self._raw[i] for i in ids if i in self._raw]
            if not todo:
                return self.published
            self._views.update(self.checkers.judge(todo, None))
            self._generation += 1
            self.published = self._build({n.id for n in todo}, recheck_expiry=False)
            self._dirty_state = True
            return self.published

    # ---- start-up: the open documents first ---------------------------------------------------
    def preload(self) -> None:
        """Start-up, first step: the saved state restored and every note file read (no verdict yet).

        Split from the first `refresh()` so the server can publish the diagnostics of the documents open
        in the editor (`first_views`) before the whole workspace is judged. The anchored-path check of
        restored notes is deferred (`_check_deferred`): `first_views` runs it for its notes, the
        following `refresh()` for the rest.
        """
        with self.lock:
            if self._loaded or self._preloaded:
                return
            gc.disable()
            try:
                self._read_notes(restore=True, defer_checks=True)
                self._settle_memory()
            finally:
                gc.enable()
            self._preloaded = True

    def first_views(self, rels: Iterable[str]) -> dict[str, FileView]:
        """Start-up, second step: the views of the files open in the editor, judged before the rest.

        Every note touching one of `rels` (an anchor recorded there, or shown there by the saved state)
        has its paths checked, and keeps its saved verdict only when the content ids of all its files and
        HEAD are what they were (the rule `refresh` applies), is not stale from a HEAD that moved and did
        not follow its code into another file; every other one is judged now, with commit naming. Nothing
        is published or kept: the following `refresh()` judges the workspace (these verdicts come from
        the engine's cache then) and publishes it. A note whose code moved into an open file while the
        server was down shows there only after that refresh.
        """
        with self.lock:
            wanted = set(rels)
            if not self._preloaded or not wanted:
                return {}
            ids = {n.id for n in self._raw.values() if any(a.path in wanted for a in n.anchors)}
            ids.update(v.id for v in self._views.values() if any(a.shown[0] in wanted for a in v.anchors))
            self._check_deferred(sorted(ids))
            checker = self.checkers.worktree()
            snapshot, head = checker.snapshot, checker.head
            views: dict[str, NoteView] = {}
            todo: list[Note] = []
            now = now_utc()
            for note_id in sorted(ids):
                note = self._raw.get(note_id)
                if note is None:
                    continue
                view = self._views.get(note_id)
                if view is not None and view.note.version == note.version and \
                        not (head != self._head and view.state == "stale") and \
                        not any(a.current is not None and a.current[0] != a.path for a in view.anchors) and \
                        all(self._keys.get(p, "?") == snapshot.key(p)
                            for p in {a.path for a in note.anchors} | {a.shown[0] for a in view.anchors}):
                    views[note_id] = self._expiry_now(view, now) or view
                else:
                    todo.append(note)
            views.update(self.checkers.judge(todo, None))
            return {rel: FileView(rel, tuple(a for v in views.values() for a in v.anchors if a.shown[0] == rel),
                                  views, 0) for rel in wanted}

    def _expiry_now(self, view: NoteView, now: datetime) -> NoteView | None:
        """The view with its expiry as of `now`, or None when that did not change (only time moved)."""
        expired = view.note.expired(now, self.ws.config)
        if expired == view.expired:
            return None
        state = "stale" if view.stale_anchors() else "expired" if expired else "fresh"
        return NoteView(view.note, state, view.anchors, expired, expiry_text(view.note) if expired else "")

    def _check_deferred(self, ids: Iterable[str]) -> None:
        """The anchored-path check `preload` deferred, for these restored notes (see `_paths_still_files`);
        a note that fails it becomes its file's error, as when `_load_notes` checks it."""
        files: dict[str, bool] = {}
        checked: dict[str, str | None] = {}
        for note_id in ids:
            if note_id not in self._unchecked:
                continue
            self._unchecked.discard(note_id)
            note = self._raw.get(note_id)
            if note is None or self._paths_still_files(note, files):
                continue
            problems = self.store.check_anchor_paths(note, checked)
            if problems:
                del self._raw[note_id]
                self._errors[note.rel_path] = problems

    # ---- notes on disk ---------------------------------------------------------------------
    def _read_notes(self, restore: bool, defer_checks: bool = False) -> None:
        """The saved state (`restore`) and every note file, on a new working-tree view."""
        restored = self._restore() if restore else {}
        self.checkers.code_changed()  # before loading: the restored notes' paths are checked on it
        self._load_notes(restored, defer_checks)

    def _load_notes(self, restored: dict[str, tuple[tuple[int, int, int], Note | list[NoteError]]],
                    defer_checks: bool = False) -> None:
        """Every note file, re-parsed only when its (size, mtime, inode) changed since the saved state;
        `defer_checks`: restored notes keep their anchored-path check for `_check_deferred`."""
        self._raw, self._errors, self._stats = {}, {}, {}
        self._unchecked = set()
        self._parsed = 0
        claims = IdClaims()
        checked: dict[str, str | None] = {}
        files: dict[str, bool] = {}
        prefix = self.ws.notes_root_rel + "/"
        for found in scan(self.store.root):  # the one note-file scan (`cairn.notes.files`), one directory walk
            rel, note_id = prefix + found.rel, found.id
            stat = (found.size, found.mtime_ns, found.ino)
            cached = restored.get(rel)
            if cached is not None and cached[0] == stat:
                result = cached[1]
                if isinstance(result, Note) and defer_checks:
                    self._unchecked.add(result.id)
                elif isinstance(result, Note) and not self._paths_still_files(result, files):
                    # keyed on the note file: its anchored paths may have changed (a folder now a symlink)
                    result = self.store.check_anchor_paths(result, checked) or result
            else:
                result = self.store.read_file(Path(found.path))
                self._parsed += 1
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

    def _paths_still_files(self, note: Note, memo: dict[str, bool]) -> bool:
        """Whether every anchored path of a restored note is still a regular file reached without symlinks.

        A restored note passed `NoteStore.check_anchor_paths` when it was saved (it is how a note enters
        the session), and the lexical part of that check depends only on the path string, which is part of
        the saved note. The part that can change on disk (a symlink leading outside) cannot fail for a
        path the working tree still sees as a regular file inside the repository with no symlink on the
        way (`WorktreeSnapshot.key`, not None): for those the full check is skipped; it runs for every
        other note (a file gone or turned into a link). The key is the one the verdicts use next
        (`_changed_by_code`), so the check costs no extra stat. Only paths already in normal form
        qualify (the check normalises; the key looks the string up as given).
        """
        snapshot = self.checkers.worktree().snapshot
        for anchor in note.anchors:
            path = anchor.path
            ok = memo.get(path)
            if ok is None:
                normal = "\\" not in path and path == path.strip() and \
                    "/".join(p for p in path.split("/") if p not in ("", ".")) == path
                ok = memo[path] = normal and snapshot.key(path) is not None
            if not ok:
                return False
        return True

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
        checker = self.checkers.worktree()
        snapshot = checker.snapshot
        if paths is None:  # every file a note has an anchor recorded in or shown in
            paths = list({a.path for n in self._raw.values() for a in n.anchors}
                         | {a.shown[0] for v in self._views.values() for a in v.anchors})
        keys = {p: snapshot.key(p) for p in paths}
        changed_paths = {p for p, k in keys.items() if self._keys.get(p, "?") != k}
        self._keys.update(keys)
        head = checker.head
        ids: set[str] = set()
        if changed_paths:  # the notes touching them: an anchor recorded there, or shown there
            ids.update(n.id for n in self._raw.values() if any(a.path in changed_paths for a in n.anchors))
            ids.update(v.id for v in self._views.values() if any(a.shown[0] in changed_paths for a in v.anchors))
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
        loaded = saved_state.load(self._state_file(), str(self.ws.root))
        if loaded is None:
            return {}
        notes, self._views, self._keys, self._head = loaded
        self._restored = True
        self.checkers.warm = True
        return notes

    def save_state(self) -> None:
        """Persist what the next start needs (called once events are quiet, and at shutdown)."""
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
                saved_state.save(self._state_file(), str(self.ws.root), notes, self._views, self._keys, self._head)
            except (OSError, ValueError) as exc:
                log.info("cannot save the server state: %s", exc)
            self.checkers.persist()
            self._dirty_state = False

    def _build(self, changed: set[str] | None, recheck_expiry: bool = True) -> PublishedState:
        """The next published state: from scratch (`changed=None`), or updating only what `changed` notes touch.

        Also records which code files and note files may now need other diagnostics (`take_affected`),
        so a note written by an agent republishes a handful of files, not the workspace.
        """
        old = self.published
        views = self._views
        flipped: set[str] = set()
        if recheck_expiry or changed is None:
            now = now_utc()
            for note_id, view in list(views.items()):
                moved = self._expiry_now(view, now)
                if moved is not None:  # time passed (or a restored state): only the expiry moves
                    views[note_id] = moved
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
            return PublishedState(self._generation, self._head, dict(views), errors,
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
        return PublishedState(self._generation, self._head, dict(views), errors, new_by_path)

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

    # ---- what the features ask --------------------------------------------------------------------
    def notes_touching(self, rel: str) -> list[Note]:
        """Notes with an anchor recorded in `rel` or currently shown there."""
        snap = self.published
        ids = {a.note_id for a in snap.by_path.get(rel, ())}
        ids.update(self._recorded.get(rel, ()))
        return [self._raw[i] for i in sorted(ids) if i in self._raw]

    def is_anchored(self, rel: str) -> bool:
        """Whether some note has an anchor recorded in, or currently shown in, `rel`."""
        return rel in self._recorded or rel in self.published.by_path

    def anchored_paths(self) -> set[str]:
        """Every file some note has an anchor recorded in or currently shown in (what to watch)."""
        with self.lock:
            return {rel for rel, ids in self._recorded.items() if ids} | set(self.published.by_path)

    # ---- search and recall -----------------------------------------------------------------
    def index(self) -> NoteIndex:
        """The long-lived search index (`search_index.SessionIndex`), opened or updated on first use."""
        return self.search_index.get(self.ws)

    def search(self, query: str, limit: int) -> list[dict[str, Any]]:
        if not query.strip():
            raise UsageError("empty search query")
        with self.lock:
            return search_index.search(self.ws, self.index(), self.checkers.worktree(), query, limit)

    def recall(self, rel: str, line: int | None, query: str | None, budget: int | None,
               buffers: Mapping[str, str] | None, heading_level: int = 1) -> tuple[str, dict[str, Any]]:
        with self.lock:
            checker = None if buffers else self.checkers.worktree()
            return search_index.recall(self.ws, self.index(), checker, rel, line, query,
                                       budget or self.recall_budget, buffers, heading_level)

    def status(self) -> dict[str, int]:
        return self.published.counts()


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
