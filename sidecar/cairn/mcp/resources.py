"""The notes as MCP resources: `cairn://notes/{id}`, one per note, with its freshness in the description.

MCP clients show resources to people (a picker of attachable context) and let agents read them by URI,
so every note is listed with its title, and a description that says what it is and whether it can be
trusted right now (the same freshness line recall prints: fresh / expired / STALE with the commit).
The template `cairn://notes/{+id}` lets a client read a note it learned the id of elsewhere (a search
hit, a recall pack) without listing. Reading returns the note as markdown (frontmatter and body): the
note's own text, untrusted like any committed file, which the client treats as data.

Listing judges every note's anchors with the anchor engine (through its verdict cache, as `cairn
check` does), so the states are those of the working tree at the moment of the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cairn.workspace import Workspace

SCHEME = "cairn://notes/"
TEMPLATE = SCHEME + "{+id}"
MIME = "text/markdown"
TEMPLATE_DESC = ("A Cairn note by id (e.g. cairn://notes/decisions/use-jwt): its markdown file, frontmatter "
                 "(kind, tags, anchors, review dates) and body. Find ids with the `search` or `recall` tools.")


@dataclass(eq=False)
class NoteResource:
    """One listed note."""

    uri: str
    name: str  # the note id
    title: str
    description: str


def note_uri(note_id: str) -> str:
    return SCHEME + note_id


def list_notes(ws: Workspace) -> list[NoteResource]:
    """Every valid note, ordered by id, described by kind, freshness and anchors."""
    from cairn.anchors.engine import Checker
    from cairn.notes.store import NoteStore
    from cairn.recall.freshness import Assessor
    from cairn.timeutil import now_utc

    notes = NoteStore(ws).load().notes
    if not notes:
        return []
    assessor = Assessor(ws, checker=Checker(ws))
    try:
        fresh = assessor.assess(notes, now_utc())
    finally:
        assessor.checker.close()
    out = []
    for note in sorted(notes, key=lambda n: n.id):
        info = fresh.get(note.id)
        state = info.line if info is not None else "freshness unknown"
        where = ""
        if note.anchors:
            first = note.anchors[0]
            more = f" and {len(note.anchors) - 1} more" if len(note.anchors) > 1 else ""
            where = f" · anchored at {first.path}:{first.start}-{first.end}{more}"
        status = f" ({note.status})" if note.status != "active" else ""
        out.append(NoteResource(note_uri(note.id), note.id, note.title, f"{note.kind}{status} · {state}{where}"))
    return out


def read_note(ws: Workspace, note_id: str) -> str:
    """The note as markdown with its frontmatter, from the parsed note (the note must parse: an invalid
    note is an error naming its problem; nothing is read twice or through a link)."""
    from cairn.notes.document import render
    from cairn.notes.store import NoteStore

    note = NoteStore(ws).get(note_id)
    return render(note.meta, note.body)
