"""Hover: a card per note anchored at the hovered line, freshest first.

The card is built from untrusted note content, so every piece of it goes through `markdown.escape`;
the only link is the server's own `file:` link to the note (never a `command:` link).
"""

from __future__ import annotations

from lsprotocol import types

from cairn.anchors.engine import where
from cairn.server import markdown
from cairn.server.convert import path_to_uri
from cairn.server.session import Session
from cairn.server.state import ServerState
from cairn.server.views import AnchorView, NoteView


def card(session: Session, view: NoteView, anchor: AnchorView) -> str:
    """One note as markdown: title, kind, badge, the start of the body, the range and a link to the file."""
    note = view.note
    uri = path_to_uri(session.root / note.rel_path)
    parts = [f"**{markdown.escape_line(note.title)}** · {markdown.escape_line(note.kind)} · "
             f"`{view.badge}`"]
    if anchor.stale and anchor.message:
        parts.append(f"*{markdown.escape_line(anchor.message)}*")
    elif view.state == "expired" and view.age:
        parts.append(f"*{markdown.escape_line(view.age)}*")
    body = markdown.excerpt(note.body)
    if body:
        parts.append(markdown.escaped_block(body))
    # The place now first, the recorded one second (as `cairn check`, recall and the diagnostics say it).
    place = where((anchor.path, anchor.start, anchor.end), None if anchor.status == "deleted" else anchor.shown)
    parts.append(f"{markdown.escape_line(place)} · [{markdown.escape_line(note.rel_path)}]({uri})")
    return "\n\n".join(parts)


def render(session: Session, hits: list[tuple[NoteView, AnchorView]]) -> str:
    seen: set[str] = set()
    cards = []
    for view, anchor in hits:
        if view.id in seen:
            continue
        seen.add(view.id)
        cards.append(card(session, view, anchor))
    return "\n\n---\n\n".join(cards)


async def hover(state: ServerState, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    view = state.cached_view(uri)
    ref = state.resolve(uri, quiet=True)
    if view is None:
        got = await state.file_view(uri)
        if got is None:
            return None
        ref, view = got
    if ref is None:
        return None
    line = params.position.line + 1
    hits = view.at_line(line)
    if not hits:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=render(ref.session, hits)))
