"""Showing a note or a draft to the person, whichever editor they use.

`cairn.openNote` and `cairn.draftUpdate` answer with a uri or a text for the client to open. The VS Code
extension does that itself and says so with the initialization option `opensDocuments: true`. Other
clients (Neovim, Emacs, Helix, …) run the command from a code lens or code action and ignore what it
returns, so for them the server opens the document through `window/showDocument` when the client
advertises `window.showDocument.support`. A draft is text, not a file: for those clients it is written
to `<git dir>/cairn/drafts/<note id>.md` (never committed, replaced atomically on the next draft) and that
file is shown, or its path returned to clients that cannot be asked to show a document.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from lsprotocol import types

from cairn.errors import UsageError
from cairn.notes.store import atomic_write
from cairn.server.session import Session
from cairn.server.state import ServerState

log = logging.getLogger("cairn.server")
DRAFTS = "drafts"


def client_opens_documents(state: ServerState) -> bool:
    """True for the VS Code extension, which opens returned uris and texts itself."""
    return state.options.opens_documents


def can_show(state: ServerState) -> bool:
    """Whether the server should ask the client to show documents (`window/showDocument`)."""
    if client_opens_documents(state):
        return False
    window = state.server.client_capabilities.window
    return bool(window and window.show_document and window.show_document.support)


def show(state: ServerState, uri: str) -> None:
    """Ask the client to open `uri` and take focus.

    The request is sent before the command's answer (so the client sees it first) but not awaited: a
    client that runs commands synchronously may only answer it after it has the command's result. A
    refusal is logged.
    """
    sent = state.server.window_show_document(types.ShowDocumentParams(uri=uri, take_focus=True))  # sent now

    async def report() -> None:
        try:
            result = await asyncio.wrap_future(sent)
            if not (result and result.success):
                state.log(f"the editor did not open {uri}", types.MessageType.Warning)
        except Exception as exc:
            state.log(f"the editor did not open {uri}: {exc}", types.MessageType.Warning)

    task = asyncio.ensure_future(report())
    _pending.add(task)
    task.add_done_callback(_pending.discard)


_pending: set[asyncio.Future[None]] = set()


def write_draft(session: Session, note_id: str, text: str) -> Path:
    """Write a note's update draft to `<git dir>/cairn/drafts/<note id>.md` (atomically) and return it."""
    folder = session.ws.cache_dir() / DRAFTS
    path = folder / f"{note_id}.md"
    if folder not in path.parents or ".." in Path(note_id).parts:
        raise UsageError(f"note id {note_id!r} cannot name a draft file")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text)
    return path
