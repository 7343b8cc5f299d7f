"""The language server's note writes, through the engine's one edit path (as the CLI and MCP write).

A new note goes through `cairn.notes.edit.add_note`, a re-anchor and a mark-reviewed through
`cairn.reviewed.mark_reviewed`: the rules for what a write records live there, not here. What the
server adds is the editor: the code is read from its unsaved buffers when it has them, the reviewer is
the person at the editor, and the session re-reads the written note before the features see it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cairn import reviewed
from cairn.gitio.authorship import user_name
from cairn.notes import edit
from cairn.notes.model import Note
from cairn.server.session import Session


def _reviewer(session: Session) -> str:
    """The editor's re-anchor and Mark reviewed are a person's review: recorded for provenance."""
    return user_name(session.ws.root) or "a person"


def reanchor(session: Session, note_id: str, version: str | None, buffers: Mapping[str, str] | None = None) -> Note:
    """Point every anchor at its code as it is now and mark the note reviewed, in one conditional write.

    `buffers` (path → unsaved editor text): "now" is the code as the editor shows it, laid over the
    working tree the session already sees. The anchor engine re-records moved/reformatted anchors at their
    current place and stale ones at the best range for the code that replaced them. The write is
    conditional on `version` (the one the editor showed): ConflictError, nothing written, if the file
    changed since.
    """
    with session.lock:
        checker = session.checkers.over_buffers(buffers) if buffers else None
        updated = reviewed.mark_reviewed(session.ws, note_id, version, checker=checker, reviewed_by=_reviewer(session))
        session.refresh([session.store.path_of(note_id)])
        return updated


def mark_reviewed(session: Session, note_id: str, version: str | None) -> Note:
    """The engine's one meaning of "reviewed" (`cairn.reviewed.mark_reviewed`): the same as `reanchor`."""
    return reanchor(session, note_id, version)


def new_note(session: Session, rel: str, start: int, end: int, kind: str, title: str, body: str,
             tags: Sequence[str], text: str | None = None) -> Note:
    """A new note anchored at `start..end` of `rel`, recorded from `text` (the editor's buffer) if given."""
    with session.lock:
        note = edit.add_note(session.ws, kind, title, body, tags, [f"{rel}:{start}-{end}"],
                        buffers={rel: text} if text is not None else None)
        session.refresh([session.store.path_of(note.id)])
        return note
