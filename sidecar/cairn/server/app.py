"""The pygls server: capabilities and thin handlers that call the feature modules.

Every handler catches what it does not expect, logs one line and answers empty: a broken note, an odd
file or a bug in one feature must never take the server (and every other feature) down with it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from cairn import __version__
from cairn.errors import CairnError
from cairn.server import code_actions, code_lens, commands, diagnostics, document_links, file_views, hover, requests
from cairn.server import workspace_symbols as symbols
from cairn.server.convert import to_plain, uri_to_path
from cairn.server.framing import GuardedStdin
from cairn.server.options import read_options
from cairn.server.progress import reported
from cairn.server.protocol import CairnProtocol
from cairn.server.session import Session
from cairn.server.state import MAX_FILE_BYTES, ServerState
from cairn.server.watcher import (
    RefreshQueue,
    Watcher,
    after_refresh,
    did_change_watched_files,
    register_client_watcher,
)
from cairn.textlines import split_lines

log = logging.getLogger("cairn.server")
R = TypeVar("R")


class CairnServer(LanguageServer):
    """The language server with its shared state attached."""

    def __init__(self) -> None:
        super().__init__("cairn", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         protocol_cls=CairnProtocol)
        self.state = ServerState(self)
        self.queues: dict[Path, RefreshQueue] = {}
        self.watchers: list[Watcher] = []
        self.background: list[asyncio.Future[None]] = []

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run a coroutine in the background, keeping a reference until it is done."""
        self.background = [f for f in self.background if not f.done()]
        self.background.append(asyncio.ensure_future(coro))


def guarded(name: str, empty: Any = None) -> Callable[[Callable[..., Awaitable[R]]], Callable[..., Awaitable[Any]]]:
    """Wrap a feature: unexpected errors become one log line and an empty answer."""

    def wrap(fn: Callable[..., Awaitable[R]]) -> Callable[..., Awaitable[Any]]:
        async def run(ls: CairnServer, params: Any) -> Any:
            try:
                return await fn(ls.state, params)
            except JsonRpcException:
                raise
            except CairnError as exc:
                ls.state.log(f"{name}: {exc}", types.MessageType.Warning)
            except Exception as exc:
                log.exception("%s failed", name)
                ls.state.log(f"{name} failed: {type(exc).__name__}: {exc}", types.MessageType.Error)
            return empty

        run.__name__ = run.__qualname__ = f"cairn_{fn.__name__}"
        return run

    return wrap


def _roots(params: types.InitializeParams) -> list[Path]:
    roots: list[Path] = []
    for folder in params.workspace_folders or []:
        path = uri_to_path(folder.uri)
        if path is not None:
            roots.append(path)
    if not roots and params.root_uri:
        path = uri_to_path(params.root_uri)
        if path is not None:
            roots.append(path)
    if not roots and params.root_path:
        roots.append(Path(params.root_path))
    return roots


def build_server() -> CairnServer:
    server = CairnServer()
    state = server.state

    def _open_session(root: Path) -> Session | None:
        from cairn.workspace import Workspace

        try:
            ws = Workspace.discover(root, state.options.notes_root)
        except CairnError as exc:
            state.log(f"{root}: {exc}; Cairn is inactive for this folder", types.MessageType.Warning)
            return None
        if ws.root in state.sessions:
            return None
        session = Session(ws, state.options.recall_budget)
        state.add_session(session)
        state.begin_loading(session)  # until `_activate` has loaded it, status requests and views wait
        return session

    async def _activate(ls: CairnServer, session: Session) -> None:
        """Load a workspace, start watching it, publish its diagnostics."""
        try:
            async with reported(state, "Cairn", f"loading the notes of {session.root.name}") as closing:
                await state.run(session.preload)
                await _publish_open_first(session)
                await state.run(session.refresh)
                counts = session.status()
                closing.append(f"{counts['notes']} note{'' if counts['notes'] == 1 else 's'}, {counts['stale']} stale")
        except Exception as exc:
            state.log(f"{session.root}: cannot load notes: {type(exc).__name__}: {exc}", types.MessageType.Error)
            return
        finally:
            state.end_loading(session)
        state.log(f"{session.root}: {counts['notes']} notes ({counts['stale']} stale, {counts['expired']} "
                  f"expired, {counts['invalid']} invalid)")
        queue = RefreshQueue(state, session)
        ls.queues[session.root] = queue
        watcher = Watcher(state, session, queue)
        watcher.start()
        ls.watchers.append(watcher)
        await diagnostics.publish_all(state, session)
        ls.spawn(_after_start(session))

    async def _publish_open_first(session: Session) -> None:
        """The diagnostics of the code documents open in the editor, before the workspace is judged.

        Only documents whose text is the file on disk (the common case when an editor restores its
        tabs); an edited buffer waits for the full load like everything else.
        """
        docs: dict[str, tuple[str, int | None, str]] = {}  # rel → (uri, version, text)
        for uri in state.open_uris():
            ref = state.resolve(uri, quiet=True)
            doc = state.document(uri)
            if ref is not None and ref.session is session and not ref.is_note and doc is not None \
                    and len(doc[1]) <= MAX_FILE_BYTES:
                docs[ref.rel] = (uri, doc[0], doc[1])
        if not docs:
            return
        views = await state.run(session.first_views, [rel for rel, (_, _, text) in docs.items()
                                                      if file_views.same_as_disk(session, rel, text)])
        for rel, view in views.items():
            uri, version, text = docs[rel]
            current = state.document(uri)
            if current is not None and current[0] == version:  # not edited meanwhile
                diagnostics.publish_first(state, uri, diagnostics.code_diagnostics(
                    session, view, split_lines(text), state.encoding), version)

    @server.feature(types.INITIALIZE)
    def initialize(ls: CairnServer, params: types.InitializeParams) -> None:
        state.options, problem = read_options(to_plain(params.initialization_options))
        if problem:
            state.log(problem, types.MessageType.Warning)
        for root in _roots(params):
            _open_session(root)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: CairnServer, params: types.InitializedParams) -> None:
        for session in list(state.sessions.values()):
            await _activate(ls, session)
        requests.notify_status(state)
        if state.sessions:
            ls.spawn(register_client_watcher(state))

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def folders_changed(ls: CairnServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        remaining = [p for f in ls.workspace.folders.values() if (p := uri_to_path(f.uri)) is not None]
        for folder in params.event.removed:
            path = uri_to_path(folder.uri)
            session = state.session_for_path(path.resolve()) if path is not None else None
            if session is None or any(state.session_for_path(p.resolve()) is session for p in remaining):
                continue
            state.sessions.pop(session.root, None)
            state.forget_caches()
            for watcher in [w for w in ls.watchers if w.session is session]:
                ls.watchers.remove(watcher)
                await watcher.close()
            ls.queues.pop(session.root, None)
            for uri in [u for u in state.published if u.startswith(session.root.as_uri() + "/")]:
                ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
                state.published.pop(uri, None)
        for folder in params.event.added:
            path = uri_to_path(folder.uri)
            added = _open_session(path) if path is not None else None
            if added is not None:
                await _activate(ls, added)
        requests.notify_status(state)
        if state.sessions:
            ls.spawn(register_client_watcher(state))  # watch what the folders now hold

    async def _after_start(session: Session) -> None:
        """After the first diagnostics: save the state for the next start, open the search index."""
        try:
            await state.run(session.save_state)
        except Exception as exc:
            state.log(f"cannot save the server state: {type(exc).__name__}: {exc}", types.MessageType.Warning)
        try:
            await asyncio.to_thread(session.index)
        except Exception as exc:
            state.log(f"search index unavailable: {type(exc).__name__}: {exc}", types.MessageType.Warning)

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: CairnServer, params: Any) -> None:
        for watcher in ls.watchers:
            await watcher.close()
        for session in list(state.sessions.values()):
            try:
                await state.run(session.save_state)
            except Exception as exc:
                log.info("cannot save the server state: %s", exc)

    # ---- documents -------------------------------------------------------------------------
    async def _publish(uri: str) -> None:
        await diagnostics.publish_document(state, uri)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: CairnServer, params: types.DidOpenTextDocumentParams) -> None:
        state.schedule(params.text_document.uri, _publish)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: CairnServer, params: types.DidChangeTextDocumentParams) -> None:
        state.schedule(params.text_document.uri, _publish)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: CairnServer, params: types.DidSaveTextDocumentParams) -> None:
        ref = state.resolve(params.text_document.uri, quiet=True)
        if ref is None:
            return
        queue = ls.queues.get(ref.session.root)
        if queue is not None:
            if ref.is_note:
                queue.add(notes=[ref.path])
            else:
                queue.add(code=[ref.rel])

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: CairnServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        state.forget(uri)
        ref = state.resolve(uri, quiet=True)
        if ref is not None:
            # The file now shows what the working tree says (saves were already judged): republish it.
            ref.session.touch(notes=[ref.rel] if ref.is_note else [], code=[] if ref.is_note else [ref.rel])
            ls.spawn(after_refresh(state, ref.session))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: CairnServer, params: types.DidChangeWatchedFilesParams) -> None:
        did_change_watched_files(state, ls.queues, params)

    # ---- features --------------------------------------------------------------------------
    server.feature(types.TEXT_DOCUMENT_HOVER)(guarded("hover")(hover.hover))
    server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))(
        guarded("code lens", [])(code_lens.code_lens))
    server.feature(types.TEXT_DOCUMENT_DOCUMENT_LINK, types.DocumentLinkOptions(resolve_provider=False))(
        guarded("document links", [])(document_links.document_links))
    server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.Empty]))(
        guarded("code actions", [])(code_actions.code_actions))
    server.feature(types.WORKSPACE_SYMBOL)(guarded("workspace symbols", [])(symbols.workspace_symbols))

    for method, handler in requests.REQUESTS.items():
        server.feature(method)(guarded(method)(handler))
    if isinstance(server.protocol, CairnProtocol):
        server.protocol.no_arguments = requests.NO_ARGUMENTS

    for name in commands.COMMANDS:
        def make(command: str) -> Callable[..., Awaitable[Any]]:
            async def run(ls: CairnServer, *args: Any) -> Any:
                try:
                    return await commands.execute(state, command, args)
                except JsonRpcException:
                    raise
                except Exception as exc:
                    log.exception("%s failed", command)
                    message = f"{command} failed: {type(exc).__name__}: {exc}"
                    state.log(message, types.MessageType.Error)
                    raise commands.CommandError(message) from None

            return run

        server.command(name)(make(name))

    return server


def configure_logging() -> None:
    """Our one-line logs to stderr (stdout is the protocol); pygls' own chatter only when debugging."""
    handler = logging.StreamHandler(sys.stderr)
    debug = os.environ.get("CAIRN_DEBUG") or os.environ.get("CAIRN_LOG") == "debug"
    handler.setFormatter(logging.Formatter("cairn serve: %(created).3f %(levelname)s %(message)s" if debug
                                           else "cairn serve: %(levelname)s %(message)s"))
    ours = logging.getLogger("cairn")
    ours.addHandler(handler)
    ours.setLevel(logging.DEBUG if debug else logging.INFO)
    ours.propagate = False
    if not os.environ.get("CAIRN_DEBUG"):
        logging.getLogger("pygls").setLevel(logging.CRITICAL)


def main() -> int:
    """`cairn serve`: the language server on stdio."""
    configure_logging()
    # Our git calls must never rewrite .git/index (the watcher would see it and refresh in a loop).
    os.environ.setdefault("GIT_OPTIONAL_LOCKS", "0")
    # Requests cross threads (stdin is read on a reader thread, engine work runs on the engine thread, the
    # search index opens on another): while one of them runs Python, a hover waits for the GIL up to the
    # switch interval at each crossing. 1 ms instead of 5 keeps hovers fast during background work.
    sys.setswitchinterval(0.001)
    server = build_server()
    server.start_io(stdin=GuardedStdin(sys.stdin.buffer))  # type: ignore[arg-type]
    return 0
