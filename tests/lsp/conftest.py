"""End-to-end fixtures: `cairn serve` in a subprocess, driven by pytest-lsp's real client.

Each test builds a throwaway git repository (never this repository's history) with code and notes
anchored to it, starts the server on it and talks LSP. Waiting is always on notifications
(`publishDiagnostics`, `cairn/statusChanged`) with a predicate and a deadline, never on sleeps.

The client matrix: tests marked `client_matrix` (the feature tests: hover, diagnostics, code actions,
code lens, links, symbols, commands, custom requests) run once per
client in CLIENTS, the server initialized with that client's capabilities as pytest-lsp recorded them
from the real editor (`pytest_lsp.client_capabilities`); pytest-lsp then also checks that what the
server sends fits what that client said it supports. Other tests run as VS Code.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Union

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client

SERVER = [sys.executable, "-m", "cairn", "serve"]
# Recorded capabilities shipped by pytest-lsp: VS Code (utf-16, registers file watchers), Neovim 0.11 (asks
# utf-8 first, shows documents, no dynamic watchers), Emacs 29's eglot (asks utf-32 first). Neovim 0.7
# (Debian bookworm's) is covered by test_clients.py and by the real one in test_neovim.py.
CLIENTS = ("visual-studio-code", "neovim", "emacs")
DEFAULT_CLIENT = "visual-studio-code"
TIMEOUT = 15.0

APP_PY = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(1, 11))  # 30 lines, f1 at line 1


def make_client() -> LanguageClient:
    """pytest-lsp's client, also recording `cairn/statusChanged` and answering code-lens refreshes."""
    client = make_test_lsp_client()
    client.cairn_status = []  # type: ignore[attr-defined]

    @client.feature("cairn/statusChanged")
    def status_changed(ls: LanguageClient, params: Any) -> None:
        ls.cairn_status.append(params)  # type: ignore[attr-defined]

    # lsprotocol's converter reads every `Command | CodeAction` item as a Command (both have `title` and
    # `command`), mangling code actions on the client side; decide by the shape of `command` instead.
    converter = client.protocol._converter

    def command_or_action(obj: Any, _: Any) -> Any:
        if isinstance(obj.get("command"), dict) or {"kind", "edit", "diagnostics", "isPreferred"} & set(obj):
            return converter.structure(obj, types.CodeAction)
        return converter.structure(obj, types.Command)

    converter.register_structure_hook(Union[types.Command, types.CodeAction], command_or_action)  # noqa: UP007

    client.registrations = []  # type: ignore[attr-defined]
    client.unregistrations = []  # type: ignore[attr-defined]
    client.registry_changed = asyncio.Event()  # type: ignore[attr-defined]

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(ls: LanguageClient, params: types.RegistrationParams) -> None:
        ls.registrations.extend(params.registrations)  # type: ignore[attr-defined]
        ls.registry_changed.set()  # type: ignore[attr-defined]

    @client.feature(types.CLIENT_UNREGISTER_CAPABILITY)
    def unregister(ls: LanguageClient, params: types.UnregistrationParams) -> None:
        ls.unregistrations.extend(params.unregisterations)  # type: ignore[attr-defined]
        ls.registry_changed.set()  # type: ignore[attr-defined]

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def lens_refresh(ls: LanguageClient, params: Any) -> None:
        return None

    return client


CONFIG = ClientServerConfig(server_command=SERVER, client_factory=make_client,
                            server_env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"})


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "client" in metafunc.fixturenames and metafunc.definition.get_closest_marker("client_matrix"):
        # `client` (a pytest-lsp fixture) asks for `client_name` at run time, which pytest cannot see
        if "client_name" not in metafunc.fixturenames:
            metafunc.fixturenames.append("client_name")
        metafunc.parametrize("client_name", CLIENTS, indirect=True)


@pytest.fixture
def client_name(request: pytest.FixtureRequest) -> str:
    """The recorded client whose capabilities `start` announces (see CLIENTS)."""
    return str(getattr(request, "param", DEFAULT_CLIENT))


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest) -> Any:
    try:  # modules that import `client` without `client_name` (tests/security) run as VS Code
        name = request.getfixturevalue("client_name")
    except pytest.FixtureLookupError:
        name = DEFAULT_CLIENT
    lsp_client.cairn_client = name  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


class Workspace:
    """A git repository with code and anchored notes, written through Cairn's own store."""

    def __init__(self, repo: Any) -> None:
        self.repo = repo
        self.root: Path = repo.root

    def uri(self, rel: str) -> str:
        return (self.root / rel).as_uri()

    def note(self, title: str, anchors: Sequence[tuple[str, int, int]], kind: str = "decision",
             body: str = "Body of the note.\n", reviewed: str | None = None, **extra: Any) -> str:
        from cairn.anchors.record import record_anchor
        from cairn.notes.store import NoteStore
        from cairn.workspace import Workspace as Ws

        ws = Ws.at(self.root)
        store = NoteStore(ws)
        recorded = [record_anchor(ws, path, start, end) for path, start, end in anchors]
        note = store.create(kind, title, body, [], recorded, extra=extra or None)
        if reviewed is not None:
            def change(meta: dict[str, Any], text: str) -> tuple[dict[str, Any], str]:
                meta["reviewed"] = meta["created"] = reviewed
                return meta, text

            store.update(note.id, None, change, touch=False)
        return note.id

    def note_path(self, note_id: str) -> Path:
        return self.root / "agent-context" / f"{note_id}.md"


@pytest.fixture
def ws(repo: Any) -> Workspace:
    """A repository with `src/app.py` committed and the notes folders created."""
    repo.write("src/app.py", APP_PY)
    for folder in ("decisions", "patterns", "gotchas"):
        (repo.root / "agent-context" / folder).mkdir(parents=True, exist_ok=True)
    repo.commit("Initial code")
    return Workspace(repo)


def capabilities(client: LanguageClient) -> types.ClientCapabilities:
    """The recorded capabilities of the client this test runs as."""
    return client_capabilities(getattr(client, "cairn_client", DEFAULT_CLIENT))


def position_encoding(client: LanguageClient) -> str:
    """The encoding the server chose (set by `start`): columns in positions count these units."""
    return str(getattr(client, "cairn_encoding", "utf-16"))


def columns(text: str, encoding: str) -> int:
    """The length of `text` in the units of a negotiated position encoding."""
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-32":
        return len(text)
    return len(text.encode("utf-16-le")) // 2


async def start(client: LanguageClient, root: Path, options: dict[str, Any] | None = None,
                folders: bool = True, wait: bool = True,
                caps: types.ClientCapabilities | None = None) -> types.InitializeResult:
    caps = caps or capabilities(client)
    params = types.InitializeParams(
        capabilities=caps, root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)] if folders else None,
        initialization_options=options,
    )
    result = await client.initialize_session(params)
    encoding = result.capabilities.position_encoding
    client.cairn_encoding = str(getattr(encoding, "value", encoding) or "utf-16")  # type: ignore[attr-defined]
    if wait:
        # The server announces its first counts once the notes are loaded and diagnostics published.
        await wait_for(client, "cairn/statusChanged", lambda: bool(client.cairn_status),  # type: ignore[attr-defined]
                       what="the first cairn/statusChanged")
    return result


def open_doc(client: LanguageClient, uri: str, text: str, version: int = 1, language: str = "python") -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id=language, version=version, text=text)))


def replace_all(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def wait_for(client: LanguageClient, method: str, predicate: Callable[[], bool],
                   timeout: float = TIMEOUT, what: str = "") -> None:
    """Wait for notifications of `method` until `predicate()` holds (checked before each wait)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        future = client.protocol.wait_for_notification_async(method)
        if predicate():
            return
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"timed out after {timeout}s waiting for {method}: {what}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(future, min(remaining, 2.0))


async def wait_registrations(client: LanguageClient, predicate: Callable[[], bool], timeout: float = TIMEOUT,
                             what: str = "") -> None:
    """Wait for client/registerCapability and unregisterCapability requests until `predicate()` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    event: asyncio.Event = client.registry_changed  # type: ignore[attr-defined]
    while not predicate():
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"timed out after {timeout}s waiting for registrations: {what}")
        event.clear()
        if predicate():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), remaining)


async def wait_diagnostics(client: LanguageClient, uri: str,
                           predicate: Callable[[Sequence[types.Diagnostic]], bool],
                           timeout: float = TIMEOUT) -> Sequence[types.Diagnostic]:
    def check() -> bool:
        return uri in client.diagnostics and predicate(client.diagnostics[uri])

    await wait_for(client, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, check, timeout,
                   f"diagnostics of {uri}; last: {client.diagnostics.get(uri)}")
    return client.diagnostics[uri]


def codes(diagnostics: Sequence[types.Diagnostic] | None) -> list[str]:
    return sorted(str(d.code) for d in diagnostics or [])


async def hover_text(client: LanguageClient, uri: str, line: int) -> str:
    """Markdown of the hover at 1-based `line` ('' when there is none)."""
    result = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line - 1, character=2)))
    if result is None:
        return ""
    assert isinstance(result.contents, types.MarkupContent)
    assert result.contents.kind == types.MarkupKind.Markdown
    return result.contents.value
