"""The server's commands (`workspace/executeCommand`), as docs/ARCHITECTURE.md lists them.

Each takes one object argument and returns a JSON object. User errors (an unknown note, a conflicting
write, a bad argument) become a ResponseError with the one-line message, plus a window/showMessage so a
person clicking a code action sees why nothing happened.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from lsprotocol import types

from cairn.errors import CairnError, ConflictError, UsageError
from cairn.server import documents, note_writes
from cairn.server.convert import path_to_uri, to_plain, uri_to_path
from cairn.server.draft_update import draft_update as build_draft
from cairn.server.protocol import CommandError
from cairn.server.session import Session
from cairn.server.state import ServerState


def _arg(args: Sequence[Any]) -> dict[str, Any]:
    if not args:
        raise UsageError("missing argument object")
    value = to_plain(args[0])
    if not isinstance(value, dict):
        raise UsageError("the argument must be an object")
    return value


def _session_for_note(state: ServerState, arg: dict[str, Any]) -> Session:
    note_id = arg.get("id")
    if not isinstance(note_id, str) or not note_id.strip():
        raise UsageError("missing note id")
    uri = arg.get("uri")
    if isinstance(uri, str) and (path := uri_to_path(uri)) is not None:
        session = state.session_for_path(path)
        if session is not None:
            return session
    for session in state.sessions.values():
        if note_id in session.published.notes:
            return session
    for session in state.sessions.values():
        try:
            if session.store.path_of(note_id).is_file():
                return session
        except CairnError:
            continue
    raise UsageError(f"no note {note_id!r} in this workspace")


async def _after_write(state: ServerState, session: Session) -> None:
    from cairn.server.watcher import after_refresh

    await after_refresh(state, session)


async def _write_note(state: ServerState, arg: dict[str, Any], write: Callable[..., Any]) -> dict[str, Any]:
    """Run a conditional note write of the session (`reanchor`, `mark_reviewed`), then republish."""
    session = _session_for_note(state, arg)
    version = arg.get("version") if isinstance(arg.get("version"), str) else None
    note = await state.run(write, session, arg["id"], version)
    await _after_write(state, session)
    return {"id": note.id, "version": note.version}


async def reanchor(state: ServerState, arg: dict[str, Any]) -> dict[str, Any]:
    session = _session_for_note(state, arg)
    buffers = state.unsaved_buffers(session)  # the code as the editor shows it, not as last saved

    def write(session: Session, note_id: str, version: str | None) -> Any:
        return note_writes.reanchor(session, note_id, version, buffers)

    return await _write_note(state, arg, write)


async def mark_reviewed(state: ServerState, arg: dict[str, Any]) -> dict[str, Any]:
    return await _write_note(state, arg, note_writes.mark_reviewed)


async def draft_update(state: ServerState, arg: dict[str, Any]) -> dict[str, Any]:
    """`{text}` for the VS Code extension; other clients also get the draft as a file, shown to them
    when they can show documents (see documents.py)."""
    session = _session_for_note(state, arg)
    text = await state.run(build_draft, session, arg["id"])
    if documents.client_opens_documents(state):
        return {"text": text}
    path = await state.run(documents.write_draft, session, arg["id"], text)
    uri = path_to_uri(path)
    if documents.can_show(state):
        documents.show(state, uri)
    return {"text": text, "path": str(path), "uri": uri}


async def open_note(state: ServerState, arg: dict[str, Any]) -> dict[str, Any]:
    """`{uri}`; clients that can show documents and do not open it themselves are asked to show it."""
    session = _session_for_note(state, arg)
    path = session.store.path_of(arg["id"])
    if not path.is_file():
        raise UsageError(f"no note {arg['id']!r} (looked for {session.store.rel_path(path)})")
    uri = path_to_uri(path)
    if documents.can_show(state):
        documents.show(state, uri)
    return {"uri": uri}


def _line_span(rng: Any) -> tuple[int, int]:
    """1-based inclusive lines of an LSP range (an end at column 0 of a later line excludes that line)."""
    try:
        start = int(rng["start"]["line"]) + 1
        end_line = int(rng["end"]["line"])
        end_char = int(rng["end"].get("character", 0))
    except (KeyError, TypeError, ValueError):
        raise UsageError("range must be {start: {line, character}, end: {line, character}}") from None
    end = end_line + 1
    if end_char == 0 and end_line + 1 > start:
        end -= 1
    if start < 1 or end < start:
        raise UsageError("the range is empty or reversed")
    return start, end


async def new_note(state: ServerState, arg: dict[str, Any]) -> dict[str, Any]:
    uri = arg.get("uri")
    path = uri_to_path(uri) if isinstance(uri, str) else None
    if path is None:
        raise UsageError("uri must be a file: URI of a file in the workspace")
    ref = state.resolve(str(uri))
    if ref is None:
        raise UsageError(f"{path} is outside every workspace repository")
    start, end = _line_span(arg.get("range"))
    kind, title = arg.get("kind"), arg.get("title")
    if not isinstance(kind, str) or not isinstance(title, str):
        raise UsageError("kind and title are required")
    body = arg.get("body") if isinstance(arg.get("body"), str) else ""
    tags = [t for t in arg.get("tags") or [] if isinstance(t, str)]
    doc = state.document(str(uri))
    note = await state.run(note_writes.new_note, ref.session, ref.rel, start, end, kind, title, body or "", tags,
                           doc[1] if doc is not None else None)
    await _after_write(state, ref.session)
    return {"id": note.id, "path": note.rel_path, "uri": path_to_uri(ref.session.root / note.rel_path)}


COMMANDS: dict[str, Callable[[ServerState, dict[str, Any]], Awaitable[dict[str, Any]]]] = {
    "cairn.newNote": new_note,
    "cairn.reanchor": reanchor,
    "cairn.markReviewed": mark_reviewed,
    "cairn.draftUpdate": draft_update,
    "cairn.openNote": open_note,
}


async def execute(state: ServerState, name: str, args: Sequence[Any]) -> dict[str, Any]:
    """Run one command; turn user errors into a ResponseError with a one-line message."""
    try:
        return await COMMANDS[name](state, _arg(args))
    except ConflictError as exc:
        message = f"{name}: {exc} — nothing was written"
    except CairnError as exc:
        message = f"{name}: {exc}"
    state.log(message, types.MessageType.Warning)
    state.server.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))
    raise CommandError(message)
