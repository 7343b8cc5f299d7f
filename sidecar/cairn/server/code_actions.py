"""Code actions on cairn diagnostics and on any anchored range.

Every action is a server command (see commands.py), so each write goes through the note store and is
conditional on the note version the editor was shown: a note changed meanwhile is never overwritten.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lsprotocol import types

from cairn.server.state import ServerState
from cairn.server.views import NoteView


def actions_for(view: NoteView, diagnostics: list[types.Diagnostic], several: bool) -> list[types.CodeAction]:
    suffix = f" — {' '.join(view.note.title.split())[:60]}" if several else ""
    ref: dict[str, Any] = {"id": view.id, "version": view.note.version}
    out = []
    if view.state == "stale" or any(a.status in ("moved", "reformatted") for a in view.anchors):
        out.append(types.CodeAction(
            title=f"Re-anchor to the current lines and mark reviewed{suffix}",
            kind=types.CodeActionKind.QuickFix, diagnostics=diagnostics or None,
            is_preferred=view.state == "stale",
            command=types.Command(title="Re-anchor and mark reviewed", command="cairn.reanchor", arguments=[ref])))
    out.append(types.CodeAction(
        title=f"Open note{suffix}", kind=types.CodeActionKind.Empty,
        command=types.Command(title="Open note", command="cairn.openNote", arguments=[{"id": view.id}])))
    out.append(types.CodeAction(
        title=f"Mark reviewed{suffix}", kind=types.CodeActionKind.QuickFix if view.state == "expired"
        else types.CodeActionKind.Empty, diagnostics=diagnostics or None,
        command=types.Command(title="Mark reviewed", command="cairn.markReviewed", arguments=[ref])))
    out.append(types.CodeAction(
        title=f"Draft an update for an agent{suffix}", kind=types.CodeActionKind.Empty,
        command=types.Command(title="Draft an update", command="cairn.draftUpdate", arguments=[{"id": view.id}])))
    return out


async def code_actions(state: ServerState, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    uri = params.text_document.uri
    ref = state.resolve(uri, quiet=True)
    if ref is None:
        return None
    session = ref.session
    by_note: dict[str, list[types.Diagnostic]] = {}
    for diag in params.context.diagnostics:
        data = diag.data if isinstance(diag.data, dict) else None
        if diag.source == "cairn" and data and isinstance(data.get("noteId"), str):
            by_note.setdefault(data["noteId"], []).append(diag)
    views: dict[str, NoteView] = {}
    if ref.is_note:
        got_note = await state.note_file_view(uri)
        if got_note is not None and got_note[1].note is not None:
            note_view = session.published.notes.get(got_note[1].note.id)
            if note_view is not None:
                views[note_view.id] = note_view
    else:
        view = state.cached_view(uri)
        if view is None:
            got = await state.file_view(uri)
            view = got[1] if got else None
        if view is not None:
            first, last = params.range.start.line + 1, params.range.end.line + 1
            for note_view, _ in view.overlapping(first, last):
                views.setdefault(note_view.id, note_view)
            for note_id in by_note:
                if note_id in view.notes:
                    views.setdefault(note_id, view.notes[note_id])
    for note_id in by_note:
        if note_id not in views and note_id in session.published.notes:
            views[note_id] = session.published.notes[note_id]
    several = len(views) > 1
    out: list[types.CodeAction] = []
    for note_view in sorted(views.values(), key=lambda v: v.sort_key()):
        out.extend(actions_for(note_view, by_note.get(note_view.id, []), several))
    only = params.context.only
    return [a for a in out if wanted(a.kind, only)] if only else out


def wanted(kind: str | None, only: Sequence[str]) -> bool:
    """Whether an action of `kind` is among the kinds a client asked for (`context.only`).

    Kinds are hierarchical: asking for `quickfix` also gets `quickfix.cairn`; the empty kind asks for all.
    """
    value = _text(kind)
    return any(not o or value == o or value.startswith(f"{o}.") for o in map(_text, only))


def _text(kind: Any) -> str:
    """A kind as its wire string (lsprotocol hands known kinds over as enum members, others as str)."""
    return str(kind.value) if isinstance(kind, types.CodeActionKind) else str(kind or "")
