"""What one open document shows: a code file's anchors (`FileView`), a note file's problems (`NoteFileView`).

Why per file and apart from the session: the editor asks about the document it shows, often with unsaved
text; a buffer the same as the disk reads the session's published verdicts, an edited one is judged by a
throwaway checker over the session's working-tree view, without naming commits on every keystroke.
"""

from __future__ import annotations

from pathlib import Path

from cairn.gitio.files import read_regular, stat_regular
from cairn.server.session import Session
from cairn.server.views import AnchorView, FileView, NoteFileView, NoteView, PublishedState
from cairn.textlines import split_lines


def file_view(session: Session, rel: str, text: str | None) -> FileView:
    """Anchors shown in `rel`, judged against `text` (an unsaved buffer) or the working tree."""
    with session.lock:
        published = session.published
        line_count = len(split_lines(text)) if text is not None else 0
        notes = session.notes_touching(rel)
        if not notes:
            return FileView(rel, (), {}, published.generation, line_count)
        if text is None or same_as_disk(session, rel, text):
            views = {n.id: published.notes[n.id] for n in notes if n.id in published.notes}
        else:
            views = _name_from_worktree(session.checkers.judge(notes, {rel: text}, name=False), published)
        anchors = tuple(a for v in views.values() for a in v.anchors if a.shown[0] == rel)
        return FileView(rel, anchors, views, published.generation, line_count)


def _name_from_worktree(views: dict[str, NoteView], published: PublishedState) -> dict[str, NoteView]:
    """Name what made buffer verdicts stale without walking history on every keystroke.

    An anchor stale in the buffer but not on disk was broken by the unsaved edit (`uncommitted`, as
    the engine says for working-tree edits); one already stale on disk keeps the working tree's
    commit and message.
    """
    from cairn.anchors.engine import where

    out: dict[str, NoteView] = {}
    for note_id, view in views.items():
        disk = published.notes.get(note_id)
        anchors = []
        for anchor in view.anchors:
            if anchor.stale and anchor.changed_in is None:
                before = disk.anchors[anchor.index] if disk is not None and anchor.index < len(disk.anchors) \
                    else None
                merged_in = None
                if before is not None and before.stale and before.changed_in not in (None, "uncommitted"):
                    changed_in, message, merged_in = before.changed_in, before.message, before.merged_in
                else:
                    verb = "deleted" if anchor.status == "deleted" else "changed"
                    recorded = (anchor.path, anchor.start, anchor.end)
                    place = (f"was {where(recorded, None)}" if anchor.status == "deleted"
                             else f"now {where(recorded, anchor.shown)}")
                    changed_in, message = "uncommitted", f"anchored lines {verb} in uncommitted edits: {place}"
                anchor = AnchorView(anchor.note_id, anchor.index, anchor.path, anchor.start, anchor.end,
                                    anchor.status, anchor.current, anchor.shown, changed_in, message, merged_in)
            anchors.append(anchor)
        out[note_id] = NoteView(view.note, view.state, tuple(anchors), view.expired, view.age)
    return out


def same_as_disk(session: Session, rel: str, text: str) -> bool:
    """Whether an editor buffer holds exactly the file's content on disk."""
    data = read_regular(session.ws.root, rel)
    return data is not None and data == text.encode("utf-8", "surrogateescape")


def note_file_view(session: Session, path: Path, text: str | None) -> NoteFileView:
    """Problems of a note file (from its buffer when open): parse errors or broken anchors."""
    store = session.store
    rel = store.rel_path(path)
    result = store.read_file(path) if text is None else store.parse_text(path, text.encode("utf-8", "surrogateescape"))
    if isinstance(result, list):
        return NoteFileView(rel, None, tuple(result), ())
    note = result
    view = session.published.notes.get(note.id)
    if view is None or view.note.version != note.version:
        view = session.checkers.judge([note], None).get(note.id)
    broken: list[tuple[int, str]] = []
    if view is not None:
        for anchor_view in view.anchors:
            reason = _broken(session, anchor_view)
            if reason:
                recorded = note.anchors[anchor_view.index]
                line = recorded.line or note.line_of("anchors")
                broken.append((line, f"broken anchor {recorded.label()}: {reason}"))
    return NoteFileView(rel, note, (), tuple(broken))


def _broken(session: Session, anchor: AnchorView) -> str | None:
    """Why an anchor points at nothing (file gone, lines past the end), or None."""
    if anchor.status == "deleted":
        return anchor.message or "the anchored code no longer exists"
    if not anchor.stale:
        return None
    ws = session.ws
    data = read_regular(ws.root, anchor.path, ws.config.max_file_bytes)
    if data is None:
        return None if stat_regular(ws.root, anchor.path) else f"{anchor.path} no longer exists"
    count = len(data.splitlines())
    if anchor.start > count:
        return f"{anchor.path} has only {count} lines"
    return None
