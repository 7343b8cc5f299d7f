"""Live updates: notes written by other processes and git operations, without a restart.

Two `watchfiles.awatch` tasks per workspace run on the server's event loop: one recursive over the notes
folder and `.git/refs`, one flat over the git directory for `HEAD`, `index`, `packed-refs` and the
merge/rebase markers (git replaces those files by rename, which a watch on the file itself would lose).
watchfiles batches bursts itself (a checkout is one batch). Events, and `workspace/didChangeWatchedFiles`
from clients that send it, feed one coalescing queue per workspace: note files are re-read and only
their notes re-judged; a git change re-judges everything (cheap for unchanged files, the engine caches
by blob id). Then diagnostics are republished and `cairn/statusChanged` sent when counts changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Iterable
from pathlib import Path

from lsprotocol import types
from watchfiles import awatch

from cairn.notes.files import note_id_for
from cairn.server.convert import uri_to_path
from cairn.server.progress import reported
from cairn.server.session import Session
from cairn.server.state import ServerState

log = logging.getLogger("cairn.server")
SAVE_DELAY = 5.0
NAMING_DELAY = 0.3
GIT_TOP = frozenset({"HEAD", "index", "packed-refs", "MERGE_HEAD", "ORIG_HEAD", "REBASE_HEAD", "CHERRY_PICK_HEAD"})


class RefreshQueue:
    """Pending events of one workspace, applied in one engine call per round."""

    def __init__(self, state: ServerState, session: Session) -> None:
        self.state = state
        self.session = session
        self.notes: set[Path] = set()
        self.code: set[str] = set()
        self.git = False
        self.reload = False
        self._task: asyncio.Task[None] | None = None
        self._saver: asyncio.Future[None] | None = None
        self._wake = asyncio.Event()
        self.watching = False  # our watchfiles tasks run (set by Watcher.start)
        self.rounds = 0

    def add(self, notes: Iterable[Path] = (), code: Iterable[str] = (), git: bool = False,
            reload: bool = False) -> None:
        self.notes.update(notes)
        self.code.update(code)
        self.git = self.git or git
        self.reload = self.reload or reload
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while True:
            await self._events()
            if not self.session.has_unnamed():
                break
            # Name the commits behind stale verdicts once events pause (an agent writing ten notes gets
            # ten quick diagnostics first), one batch per round so new events always go first.
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), NAMING_DELAY)
            if self.notes or self.code or self.git or self.reload:
                continue
            try:
                await self.state.run(self.session.name_pending)
                await after_refresh(self.state, self.session)
            except Exception as exc:
                self.state.log(f"naming commits failed: {type(exc).__name__}: {exc}", types.MessageType.Error)
                break
        self.save_later()

    async def _events(self) -> None:
        while self.notes or self.code or self.git or self.reload:
            notes, code, git, reload = sorted(self.notes), sorted(self.code), self.git, self.reload
            self.notes, self.code, self.git, self.reload = set(), set(), False, False
            started = time.perf_counter()
            try:
                if reload or git:
                    # A checkout, pull or rebase can re-judge every note: shown as progress in the editor.
                    async with reported(self.state, "Cairn", "re-checking notes after a git change"):
                        if reload:
                            await self.state.run(self.session.refresh)
                        else:
                            await self.state.run(self.session.refresh, notes, True)
                else:
                    await self.state.run(self.session.refresh, notes, code)
                self.rounds += 1
                judged = time.perf_counter()
                await after_refresh(self.state, self.session)
                log.debug("refresh round (notes=%d code=%d git=%s): %.0f ms judging, %.0f ms publishing", len(notes),
                          len(code), git, (judged - started) * 1000, (time.perf_counter() - judged) * 1000)
            except Exception as exc:
                self.state.log(f"refresh failed: {type(exc).__name__}: {exc}", types.MessageType.Error)

    def save_later(self, delay: float = SAVE_DELAY) -> None:
        """Save the session's state once events have been quiet for `delay` seconds (it takes a while)."""
        if self._saver is not None and not self._saver.done():
            self._saver.cancel()

        async def save() -> None:
            await asyncio.sleep(delay)
            try:
                await self.state.run(self.session.save_state)
            except Exception as exc:
                self.state.log(f"cannot save the server state: {type(exc).__name__}: {exc}",
                               types.MessageType.Warning)

        self._saver = asyncio.ensure_future(save())


async def after_refresh(state: ServerState, session: Session) -> None:
    """Republish diagnostics, announce changed counts, ask the client to re-query lenses."""
    from cairn.server.diagnostics import publish_all
    from cairn.server.requests import notify_status

    await publish_all(state, session)
    notify_status(state)
    if state.client_watcher is not None:
        state.client_watcher.schedule()
    caps = state.server.client_capabilities.workspace
    if caps and caps.code_lens and caps.code_lens.refresh_support:
        with contextlib.suppress(Exception):
            state.server.workspace_code_lens_refresh(None)


def classify(session: Session, paths: Iterable[Path]) -> tuple[set[Path], set[str], bool, bool]:
    """(note files, code files, git changed, configuration changed) among changed paths."""
    notes: set[Path] = set()
    code: set[str] = set()
    git = reload = False
    notes_root = session.ws.notes_root
    git_dir = session.ws.git_dir
    for path in paths:
        if git_dir is not None and (path == git_dir or git_dir in path.parents):
            rel_git = path.relative_to(git_dir)
            relevant = bool(rel_git.parts) and (rel_git.parts[0] == "refs" or rel_git.name in GIT_TOP)
            if relevant and not rel_git.name.endswith(".lock"):
                git = True
            continue
        if path == notes_root or notes_root in path.parents:
            if path.name == "config.toml":
                reload = True
            elif note_id_for(path.relative_to(notes_root).as_posix()) is not None:
                notes.add(path)
            continue
        try:
            rel = path.relative_to(session.root).as_posix()
        except ValueError:
            continue
        code.add(rel)
    return notes, code, git, reload


class Watcher:
    """The watchfiles tasks of one workspace."""

    def __init__(self, state: ServerState, session: Session, queue: RefreshQueue) -> None:
        self.state = state
        self.session = session
        self.queue = queue
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start watching (CAIRN_WATCH=0 turns it off: the client's didChangeWatchedFiles then drives updates)."""
        if os.environ.get("CAIRN_WATCH") == "0":
            self.state.log("file watching is off (CAIRN_WATCH=0); relying on workspace/didChangeWatchedFiles")
            return
        ws = self.session.ws
        deep = [p for p in (ws.notes_root, ws.git_dir / "refs" if ws.git_dir else None) if p is not None and p.is_dir()]
        flat = [ws.git_dir] if ws.git_dir is not None else []
        if not ws.notes_root.is_dir():
            flat.append(ws.root)  # see the notes folder appear (`cairn init`), then watch inside it
        self.queue.watching = True
        if deep:
            self.tasks.append(asyncio.ensure_future(self._watch(deep, True)))
        if flat:
            self.tasks.append(asyncio.ensure_future(self._watch(flat, False)))

    async def _watch(self, paths: list[Path], recursive: bool) -> None:
        ws = self.session.ws
        try:
            async for changes in awatch(*paths, recursive=recursive, stop_event=self.stop, debounce=1600,
                                        step=30, rust_timeout=1000, yield_on_timeout=False,
                                        watch_filter=None, ignore_permission_denied=True):
                changed = [Path(p) for _, p in changes]
                log.debug("watcher: %d changes, e.g. %s", len(changed), changed[0] if changed else "")
                notes, code, git, reload = classify(self.session, changed)
                if not recursive and any(p == ws.notes_root for p in changed) and ws.notes_root.is_dir():
                    reload = True
                    self.tasks.append(asyncio.ensure_future(self._watch([ws.notes_root], True)))
                code = set()  # only the flat git-dir and notes watches feed here; code files come via the editor
                if notes or git or reload:
                    self.queue.add(notes, code, git, reload)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.state.log(f"file watcher stopped: {type(exc).__name__}: {exc} (changes on disk will be seen "
                           "after the next editor event)", types.MessageType.Warning)

    async def close(self) -> None:
        self.stop.set()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):  # `_watch` logs anything else itself
                await task


def did_change_watched_files(state: ServerState, queues: dict[Path, RefreshQueue],
                             params: types.DidChangeWatchedFilesParams) -> None:
    """Clients that watch files for us (VS Code with a file watcher registration) report here."""
    by_session: dict[Path, list[Path]] = {}
    for change in params.changes:
        path = uri_to_path(change.uri)
        if path is None:
            continue
        session = state.session_for_path(path)
        if session is not None:
            by_session.setdefault(session.root, []).append(path)
    for root, paths in by_session.items():
        queue = queues.get(root)
        if queue is None:
            continue
        notes, code, git, reload = classify(queue.session, paths)
        open_rels = {ref.rel for uri in state.open_uris()
                     if (ref := state.resolve(uri, quiet=True)) is not None}
        if queue.watching:  # our own watcher already reports notes and git; the client adds code files
            notes, git, reload = set(), False, False
        code = {rel for rel in code if queue.session.is_anchored(rel)}  # build output etc. changes nothing
        if notes or code - open_rels or git or reload:
            queue.add(notes, code - open_rels, git, reload)


MAX_FILE_WATCHERS = 200  # more anchored files than this: watch their folders instead


def glob_escape(text: str) -> str:
    """`text` as a literal in an LSP glob pattern (`*?[]{}` are pattern syntax there)."""
    return "".join(f"[{c}]" if c in "*?[]{}" else c for c in text)


def _collapse(paths: set[str]) -> list[str]:
    """Glob patterns (relative) for the anchored files: one per file, or per folder when there are many."""
    if len(paths) <= MAX_FILE_WATCHERS:
        return sorted(glob_escape(p) for p in paths)
    folders = {p.rsplit("/", 1)[0] if "/" in p else "" for p in paths}
    if len(folders) <= MAX_FILE_WATCHERS:
        return sorted(f"{glob_escape(f)}/*" if f else "*" for f in folders)
    tops = {p.split("/", 1)[0] for p in paths if "/" in p}
    return sorted(f"{glob_escape(t)}/**" for t in tops) + (["*"] if any("/" not in p for p in paths) else [])


def watch_patterns(session: Session, anchored: set[str], relative: bool) -> list[types.FileSystemWatcher]:
    """What Cairn needs to hear about in one workspace, as the client's file watchers.

    Note files and the notes folder's config, the anchored files (code an agent or a script edits on
    disk), and git's HEAD, index, refs and merge/rebase markers. With `relative` (the client supports
    `relativePatternSupport`) the patterns are exact, relative to the workspace root or the git dir;
    otherwise they are `**/`-prefixed relative paths, which every client matches whether it compares
    globs with absolute paths or with workspace-relative ones (a same-named file elsewhere is filtered
    out by `classify`).
    """
    ws = session.ws
    root = session.root
    notes = ws.notes_root_rel.strip("/")
    notes_glob = f"{glob_escape(notes)}/" if notes and notes != "." else ""
    in_root = [f"{notes_glob}**/*.md", f"{notes_glob}config.toml", *_collapse(anchored)]
    git_dir = ws.git_dir
    git_names = ["refs/**", *sorted(GIT_TOP)]
    out: list[types.FileSystemWatcher] = []
    if relative:
        base = root.as_uri()
        out += [types.FileSystemWatcher(glob_pattern=types.RelativePattern(base_uri=base, pattern=p))
                for p in in_root]
        if git_dir is not None:
            out += [types.FileSystemWatcher(glob_pattern=types.RelativePattern(base_uri=git_dir.as_uri(), pattern=p))
                    for p in git_names]
        return out
    out += [types.FileSystemWatcher(glob_pattern=f"**/{p}") for p in in_root]
    if git_dir is not None:
        try:
            git_prefix = "**/" + glob_escape(git_dir.relative_to(root).as_posix())
        except ValueError:  # a worktree's or submodule's git dir lives elsewhere: its absolute path
            git_prefix = glob_escape(git_dir.as_posix())
        out += [types.FileSystemWatcher(glob_pattern=f"{git_prefix}/{p}") for p in git_names]
    return out


class ClientWatcher:
    """The `workspace/didChangeWatchedFiles` registration, kept in step with the anchored files.

    Registering `**/*` makes some clients watch (and send) every file of a big repository; Cairn only
    needs the files in `watch_patterns`. When the set of anchored files changes (a note anchored to a
    new file), the old registration is replaced. Updates are serialised and coalesced.
    """

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.registered: tuple[str, list[types.FileSystemWatcher]] | None = None
        self.serial = 0
        self._lock = asyncio.Lock()
        self._pending = False
        self._task: asyncio.Future[None] | None = None

    def supported(self) -> bool:
        caps = self.state.server.client_capabilities.workspace
        watched = caps.did_change_watched_files if caps else None
        return bool(watched and watched.dynamic_registration)

    def relative(self) -> bool:
        caps = self.state.server.client_capabilities.workspace
        watched = caps.did_change_watched_files if caps else None
        return bool(watched and watched.relative_pattern_support)

    def schedule(self) -> None:
        """Update in the background (a command's answer never waits for the client's registration)."""
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self.update())
        else:
            self._pending = True

    async def update(self) -> None:
        """Register (or re-register) the watchers when what Cairn needs to watch changed."""
        if not self.supported():
            return
        if self._lock.locked():
            self._pending = True  # the running update will go round once more
            return
        async with self._lock:
            while True:
                self._pending = False
                await self._update_once()
                if not self._pending:
                    break

    async def _update_once(self) -> None:
        watchers: list[types.FileSystemWatcher] = []
        for session in list(self.state.sessions.values()):
            anchored = await self.state.run(session.anchored_paths)
            watchers.extend(watch_patterns(session, anchored, self.relative()))
        if self.registered is not None and self.registered[1] == watchers:
            return
        server = self.state.server
        try:
            if self.registered is not None:
                await server.client_unregister_capability_async(types.UnregistrationParams(unregisterations=[
                    types.Unregistration(id=self.registered[0], method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES)]))
                self.registered = None
            self.serial += 1
            reg_id = f"cairn-files-{self.serial}"
            options = types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers)
            await server.client_register_capability_async(types.RegistrationParams(registrations=[
                types.Registration(id=reg_id, method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                   register_options=options)]))
            self.registered = (reg_id, watchers)
        except Exception as exc:
            self.state.log(f"the client did not accept a file watcher ({exc}); code edited outside the editor is "
                           "seen at the next git change", types.MessageType.Warning, once="client-watcher")


async def register_client_watcher(state: ServerState) -> None:
    """Ask the client to report changes of the files Cairn needs (code edited on disk by an agent or a
    script, which our own watcher on the notes and git folders does not see), when it supports dynamic
    registration; `after_refresh` keeps the registration in step with the anchored files."""
    if state.client_watcher is None:
        state.client_watcher = ClientWatcher(state)
    await state.client_watcher.update()
