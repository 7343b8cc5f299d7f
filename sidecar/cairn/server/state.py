"""What the features share: sessions per workspace, per-document caches, one engine thread.

Why one engine thread: git plumbing and the engine's caches are not meant for concurrent use, and
serialising engine calls keeps every published state consistent. The asyncio loop (pygls' message loop) never
blocks on git: features await `run()`, and anything cheap (a cached view for the document version the
editor has) is answered on the loop directly, which keeps hover and code lens in the microseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote

from lsprotocol import types

from cairn.errors import CairnError
from cairn.server import file_views
from cairn.server.convert import uri_to_path
from cairn.server.options import InitializationOptions
from cairn.server.session import Session
from cairn.server.views import FileView, NoteFileView

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

    from cairn.server.watcher import ClientWatcher

log = logging.getLogger("cairn.server")
T = TypeVar("T")
MAX_FILE_BYTES = 2 * 1024 * 1024  # an open document larger than this is not judged from its buffer


@dataclass(frozen=True)
class DocRef:
    """An editor document resolved to its workspace: the session, the file and its repository path."""

    uri: str
    session: Session
    path: Path
    rel: str
    is_note: bool


class ServerState:
    """Mutable server-wide state; only touched from the asyncio loop (engine work goes to `run`)."""

    def __init__(self, server: LanguageServer) -> None:
        self.server = server
        self.sessions: dict[Path, Session] = {}
        self.options = InitializationOptions()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cairn-engine")
        self.views: dict[str, tuple[int | None, int, FileView]] = {}
        self.note_views: dict[str, tuple[int | None, int, NoteFileView]] = {}
        self.published: dict[str, tuple[tuple[object, ...], ...]] = {}  # uri → what was last published
        self.last_status: dict[str, int] | None = None
        self._warned: set[str] = set()
        self._refs: dict[str, DocRef | None] = {}
        self._doc_tasks: dict[str, asyncio.Task[None]] = {}
        self._doc_dirty: set[str] = set()
        self.client_watcher: ClientWatcher | None = None  # the client's file watcher registration (watcher.py)
        self._loading = 0  # workspaces opened but not loaded yet
        self._loaded = asyncio.Event()
        self._loaded.set()
        self._session_loaded: dict[Path, asyncio.Event] = {}  # workspace root → set once it has loaded

    # ---- logging ---------------------------------------------------------------------------
    def log(self, message: str, level: types.MessageType = types.MessageType.Info, once: str | None = None) -> None:
        """One line to the client's output (window/logMessage); errors also to stderr.

        Editors show the server's stderr in the same output channel, so info and warnings go there only
        at debug level (CAIRN_LOG=debug) instead of appearing twice.
        """
        if once is not None:
            if once in self._warned:
                return
            self._warned.add(once)
        log.log(logging.ERROR if level == types.MessageType.Error else logging.DEBUG, "%s", message)
        with contextlib.suppress(Exception):
            self.server.window_log_message(types.LogMessageParams(type=level, message=f"cairn: {message}"))

    @property
    def encoding(self) -> str:
        """The position encoding negotiated at initialize (pygls picks the client's first of utf-8,
        utf-16, utf-32): every column the server sends or reads counts its units (convert.columns)."""
        try:
            chosen = self.server.workspace.position_encoding
        except RuntimeError:  # before initialize
            return "utf-16"
        return str(getattr(chosen, "value", chosen) or "utf-16")

    # ---- the engine thread -----------------------------------------------------------------
    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, fn, *args)

    # ---- sessions --------------------------------------------------------------------------
    def add_session(self, session: Session) -> None:
        self.sessions[session.root] = session
        self._refs.clear()

    def begin_loading(self, session: Session) -> None:
        """A workspace was opened; its notes are not loaded yet (counts would read zero, views be empty)."""
        self._loading += 1
        self._loaded.clear()
        self._session_loaded[session.root] = asyncio.Event()

    def end_loading(self, session: Session) -> None:
        """A workspace finished its first load (or failed it): status requests and its views may answer."""
        self._loading = max(0, self._loading - 1)
        if not self._loading:
            self._loaded.set()
        event = self._session_loaded.pop(session.root, None)
        if event is not None:
            event.set()

    async def session_loaded(self, session: Session) -> None:
        """Wait until `session` has been loaded once: its views before that would show no notes (the
        start-up's first phase publishes the open documents' diagnostics without publishing a state)."""
        event = self._session_loaded.get(session.root)
        if event is not None:
            await event.wait()

    async def loaded(self) -> None:
        """Wait until every opened workspace has been loaded once."""
        await self._loaded.wait()

    def forget_caches(self) -> None:
        """A workspace folder went away: forget resolutions that may point into it."""
        self._refs.clear()
        self.views.clear()
        self.note_views.clear()

    def session_for_path(self, path: Path) -> Session | None:
        best: Session | None = None
        for root, session in self.sessions.items():
            inside = path == root or root in path.parents
            if inside and (best is None or len(str(root)) > len(str(best.root))):
                best = session
        return best

    def resolve(self, uri: str, quiet: bool = False) -> DocRef | None:
        """The workspace of an editor document, or None (logged once) when it belongs to none.

        Cached per URI (sessions are fixed after initialize): the hover path does no path arithmetic.
        """
        if uri in self._refs:
            ref = self._refs[uri]
            if ref is None and not quiet:
                self._resolve(uri, quiet)
            return ref
        ref = self._resolve(uri, quiet)
        if len(self._refs) > 10_000:
            self._refs.clear()
        self._refs[uri] = ref
        return ref

    def _resolve(self, uri: str, quiet: bool) -> DocRef | None:
        path = uri_to_path(uri)
        if path is None:
            if not quiet:
                self.log(f"{uri}: not a file on disk; no notes for it", once=f"scheme:{uri}")
            return None
        path = Path(path)
        session = self.session_for_path(path)
        if session is None:
            if not quiet:
                self.log(f"{path}: outside every workspace repository; no notes for it", once=f"outside:{path}")
            return None
        try:
            rel = path.relative_to(session.root).as_posix()
        except ValueError:
            return None
        if rel.split("/", 1)[0] == ".git":
            return None
        return DocRef(uri, session, path, rel, session.store.is_note_file(path))

    # ---- documents -------------------------------------------------------------------------
    def document(self, uri: str) -> tuple[int | None, str] | None:
        """(version, text) of an open document, or None when the editor has not opened it.

        pygls keys open documents by the percent-decoded uri (`caf%C3%A9.py` and `my%20file.py` are
        stored as `café.py` and `my file.py`), so look them up the same way.
        """
        docs = self.server.workspace.text_documents
        doc = docs.get(unquote(uri))
        if doc is None:
            return None
        return doc.version, doc.source

    def open_uris(self) -> list[str]:
        """The uris of the open documents as the client spells them (what diagnostics are published to)."""
        return [doc.uri for doc in list(self.server.workspace.text_documents.values())]

    def unsaved_buffers(self, session: Any) -> dict[str, str]:
        """The code files of `session` open in the editor whose text differs from the disk (rel → text)."""
        out: dict[str, str] = {}
        for doc in list(self.server.workspace.text_documents.values()):
            ref = self.resolve(doc.uri, quiet=True)  # the client's spelling (pygls keys are percent-decoded)
            if ref is None or ref.session is not session or ref.is_note:
                continue
            if not file_views.same_as_disk(session, ref.rel, doc.source):
                out[ref.rel] = doc.source
        return out

    def too_big(self, ref: DocRef, text: str | None) -> bool:
        size = len(text.encode("utf-8", "surrogateescape")) if text is not None else _file_size(ref.path)
        if size > MAX_FILE_BYTES:
            self.log(f"{ref.rel}: {size // 1024} KiB is over the {MAX_FILE_BYTES // (1024 * 1024)} MiB limit; "
                     "skipped", once=f"big:{ref.uri}:{size}")
            return True
        return False

    async def file_view(self, uri: str, quiet: bool = False) -> tuple[DocRef, FileView] | None:
        """The anchors of a code document for the version the editor has (cached per version)."""
        ref = self.resolve(uri, quiet)
        if ref is None or ref.is_note:
            return None
        await self.session_loaded(ref.session)
        doc = self.document(uri)
        version, text = (doc[0], doc[1]) if doc else (None, None)
        generation = ref.session.published.generation
        cached = self.views.get(uri)
        if cached is not None and doc is not None and cached[0] == version and cached[1] == generation:
            return ref, cached[2]
        if doc is None and cached is None and not quiet:
            self.log(f"{ref.rel}: not open in the editor; answering from the working tree", once=f"closed:{uri}")
        if self.too_big(ref, text):
            return None
        try:
            view = await self.run(file_views.file_view, ref.session, ref.rel, text)
        except CairnError as exc:
            self.log(f"{ref.rel}: {exc}", types.MessageType.Warning)
            return None
        if doc is not None:
            current = self.document(uri)
            if current is not None and current[0] == version:
                self.views[uri] = (version, view.generation, view)
        return ref, view

    def carry_forward(self, uri: str, generation: int) -> None:
        """Mark a document's cached views as valid for a newer published state that changed nothing it shows."""
        cached = self.views.get(uri)
        if cached is not None:
            self.views[uri] = (cached[0], generation, cached[2])
        cached_note = self.note_views.get(uri)
        if cached_note is not None:
            self.note_views[uri] = (cached_note[0], generation, cached_note[2])

    def cached_view(self, uri: str) -> FileView | None:
        """The cached view if it is for the document's current version and the current published state."""
        cached = self.views.get(uri)
        doc = self.document(uri)
        if cached is None or doc is None or cached[0] != doc[0]:
            return None
        ref = self.resolve(uri, quiet=True)
        if ref is None or cached[1] != ref.session.published.generation:
            return None
        return cached[2]

    async def note_file_view(self, uri: str) -> tuple[DocRef, NoteFileView] | None:
        ref = self.resolve(uri, quiet=True)
        if ref is None or not ref.is_note:
            return None
        await self.session_loaded(ref.session)
        doc = self.document(uri)
        version, text = (doc[0], doc[1]) if doc else (None, None)
        generation = ref.session.published.generation
        cached = self.note_views.get(uri)
        if cached is not None and doc is not None and cached[0] == version and cached[1] == generation:
            return ref, cached[2]
        if self.too_big(ref, text):
            return None
        try:
            view = await self.run(file_views.note_file_view, ref.session, ref.path, text)
        except CairnError as exc:
            self.log(f"{ref.rel}: {exc}", types.MessageType.Warning)
            return None
        if doc is not None:
            self.note_views[uri] = (version, generation, view)
        return ref, view

    def forget(self, uri: str) -> None:
        self.views.pop(uri, None)
        self.note_views.pop(uri, None)

    # ---- coalesced per-document work -------------------------------------------------------
    def schedule(self, uri: str, job: Callable[[str], Any]) -> None:
        """Run `job(uri)` (a coroutine function) now, or once more after the running one finishes."""
        task = self._doc_tasks.get(uri)
        if task is not None and not task.done():
            self._doc_dirty.add(uri)
            return

        async def runner() -> None:
            try:
                while True:
                    self._doc_dirty.discard(uri)
                    try:
                        await job(uri)
                    except Exception as exc:
                        self.log(f"{uri}: {type(exc).__name__}: {exc}", types.MessageType.Error)
                    if uri not in self._doc_dirty:
                        break
            finally:
                self._doc_tasks.pop(uri, None)

        self._doc_tasks[uri] = asyncio.ensure_future(runner())

    async def idle(self) -> None:
        """Wait for scheduled document work (tests and the benchmark use it through requests)."""
        while self._doc_tasks:
            await asyncio.gather(*list(self._doc_tasks.values()), return_exceptions=True)


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
