"""Code lens above each anchored range: `2 notes · 1 stale` (click: open the first note)."""

from __future__ import annotations

from lsprotocol import types

from cairn.server.state import ServerState
from cairn.server.views import AnchorView, NoteView


def lens_title(views: list[NoteView]) -> str:
    count = len(views)
    stale = sum(1 for v in views if v.state == "stale")
    expired = sum(1 for v in views if v.state == "expired")
    parts = [f"{count} note{'s' if count != 1 else ''}"]
    if stale:
        parts.append(f"{stale} stale")
    if expired:
        parts.append(f"{expired} expired")
    if not stale and not expired:
        parts.append("fresh")
    if count == 1:
        parts.append(" ".join(views[0].note.title.split())[:80])
    return " · ".join(parts)


def lenses(groups: dict[tuple[int, int], list[tuple[NoteView, AnchorView]]]) -> list[types.CodeLens]:
    out = []
    for (start, _end), pairs in sorted(groups.items()):
        views: list[NoteView] = []
        for view, _ in sorted(pairs, key=lambda p: p[0].sort_key()):
            if view not in views:
                views.append(view)
        pos = types.Position(line=start - 1, character=0)
        out.append(types.CodeLens(
            range=types.Range(start=pos, end=pos),
            command=types.Command(title=lens_title(views), command="cairn.openNote",
                                  arguments=[{"id": views[0].id}]),
        ))
    return out


async def code_lens(state: ServerState, params: types.CodeLensParams) -> list[types.CodeLens] | None:
    uri = params.text_document.uri
    view = state.cached_view(uri)
    if view is None:
        got = await state.file_view(uri)
        if got is None:
            return None
        view = got[1]
    groups: dict[tuple[int, int], list[tuple[NoteView, AnchorView]]] = {}
    for anchor in view.anchors:
        note = view.notes.get(anchor.note_id)
        if note is not None:
            groups.setdefault((anchor.shown[1], anchor.shown[2]), []).append((note, anchor))
    return lenses(groups)
