"""What "reviewed" means, on every surface: a person read the note against the code as it is now.

`mark_reviewed` is the one engine call behind `cairn review-done` (alias `cairn mark-reviewed`), MCP
`mark_reviewed`, the language server's `cairn.markReviewed` / `cairn.reanchor` and the post-merge review
flow (`cairn review --run`). In one conditional write (refused, nothing written, when the note changed
since the version the caller read) it

- re-records every anchor at the code's current lines, fingerprints included: moved or reformatted code
  where it is now, changed code at the range that replaced it, an anchor whose `lines:` someone edited by
  hand at the lines written there;
- sets `reviewed` to now.

Afterwards `cairn check` finds the note fresh. An anchor whose code was deleted cannot be confirmed: the
call refuses in one line (`ReviewRefused`), naming the note and the anchor, and writes nothing.

`follow_moved` is the smaller rule for any other edit of a note (`cairn update`, MCP `update_note`):
anchors whose code only moved or was reformatted are re-recorded where the code is now, in the same
write; stale anchors are left for a person to review.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cairn.errors import UsageError

if TYPE_CHECKING:
    from cairn.anchors import AnchorVerdict, Checker
    from cairn.notes import Anchor, Note
    from cairn.workspace import Workspace

MOVING = ("moved", "reformatted")
MetaChange = Callable[[dict[str, Any], str], tuple[dict[str, Any], str]]


class ReviewRefused(UsageError):
    """A note cannot be marked reviewed as it is (its anchored code was deleted)."""


def _lines_edited_by_hand(checker: Checker, anchor: Anchor) -> bool:
    """Whether `lines:` was changed by hand: the fingerprint does not describe the recorded lines.

    Known only when the fingerprint is complete and the recorded file is still in the object store.
    """
    from cairn.anchors.fingerprint import Fingerprint
    from cairn.anchors.text import block_hash, decode, is_binary, split_lines

    fp = Fingerprint.from_data(anchor.data)
    if not fp.usable:
        return False
    if len(fp.line_hashes) != anchor.end - anchor.start + 1:
        return True
    rec, _ = checker.judge.recorded_file(anchor, fp)
    if rec is not None or checker.repo is None:
        return False
    # Only the very file the anchor was recorded from can tell (an anchor recorded over uncommitted
    # edits has a blob its commit does not contain).
    if fp.blob:
        refs = [fp.blob]
    else:
        tree = checker.judge.recorded_tree(anchor.commit)
        refs = [tree[anchor.path]] if tree is not None and anchor.path in tree else []
    for ref in refs:
        data = checker.repo.read_object(ref)
        if data is None or is_binary(data):
            continue
        lines = split_lines(decode(data))
        # The recorded file is there, but the recorded block is not at these lines.
        return block_hash(lines[anchor.start - 1:anchor.end]) != fp.hash
    return False


def _record_here(checker: Checker, note: Note, anchor: Anchor) -> dict[str, Any]:
    """The anchor re-recorded at the lines written in the note, over the checker's current content."""
    from cairn.anchors.fingerprint import KEYS
    from cairn.anchors.record import anchor_mapping
    from cairn.anchors.text import decode, is_binary, split_lines

    data = checker.snapshot.read(anchor.path)
    if data is None or is_binary(data):
        raise ReviewRefused(f"note {note.id}: anchor {anchor.label()}: {anchor.path} is missing or binary; "
                            "re-anchor it with --anchor or remove the anchor")
    lines = split_lines(decode(data))
    if anchor.end > len(lines):
        raise ReviewRefused(f"note {note.id}: anchor {anchor.label()}: {anchor.path} has only {len(lines)} "
                            "lines; re-anchor it with --anchor or remove the anchor")
    fresh = anchor_mapping(anchor.path, anchor.start, anchor.end, checker.head, lines, data)
    for key, value in anchor.data.items():
        if key not in fresh and key not in ("path", "lines", "commit", *KEYS):
            fresh[key] = value
    return fresh


def confirmed_anchors(ws: Workspace, note: Note, checker: Checker) -> list[dict[str, Any]]:
    """Every anchor of `note` re-recorded at its code's current lines; ReviewRefused when code was deleted."""
    from cairn.anchors import reanchor

    verdicts = checker.verdicts(list(note.anchors))
    out: list[dict[str, Any]] = []
    for anchor, verdict in zip(note.anchors, verdicts, strict=True):
        if _lines_edited_by_hand(checker, anchor):
            out.append(_record_here(checker, note, anchor))
            continue
        fresh = None if verdict.status == "deleted" else reanchor(ws, anchor, verdict, checker, allow_stale=True)
        if fresh is None:
            raise ReviewRefused(f"note {note.id}: anchor {anchor.label()}: anchored code was deleted; "
                                "re-anchor it with --anchor or remove the anchor")
        out.append(fresh)
    return out


def mark_reviewed(ws: Workspace, note_id: str, expected_version: str | None = None, *,
                  checker: Checker | None = None, change: MetaChange | None = None,
                  reviewed_by: str | None = None) -> Note:
    """Confirm a note against the code as it is now (see the module docstring); returns the written note.

    `checker` (e.g. one over the editor's buffers) is what "now" means, default the working tree.
    `change` is applied first in the same write (an edit made together with the review). Raises
    ConflictError when the note is no longer at `expected_version`, ReviewRefused for deleted code.
    `reviewed_by` names the person who reviewed it (agents show it as provenance, `cairn.recall.provenance`);
    an agent's confirmation (MCP, `cairn review --run`) passes nothing.
    """
    from cairn.anchors import Checker as _Checker
    from cairn.notes import NoteStore
    from cairn.timeutil import format_timestamp, now_utc

    store = NoteStore(ws)
    note = store.get(note_id)
    own = checker or _Checker(ws)
    try:
        anchors = confirmed_anchors(ws, note, own)
    finally:
        if checker is None:
            own.close()

    def write(meta: dict[str, Any], body: str) -> tuple[dict[str, Any], str]:
        if change is not None:
            meta, body = change(meta, body)
        if anchors:
            meta["anchors"] = anchors
        meta["reviewed"] = format_timestamp(now_utc())
        if reviewed_by:
            meta["reviewed_by"] = reviewed_by
        return meta, body

    # Conditional on what the anchors were computed from: `expected_version` when given (it must also
    # be what we read, else the store refuses), else the version just read.
    return store.update(note.id, expected_version or note.version, write, touch=change is not None)


def moved_anchors(ws: Workspace, note: Note, checker: Checker | None = None) -> list[dict[str, Any]] | None:
    """The note's anchors with moved/reformatted ones re-recorded where the code is now; None when none moved."""
    from cairn.anchors import Checker as _Checker
    from cairn.anchors import reanchor

    if not note.anchors:
        return None
    own = checker or _Checker(ws)
    try:
        verdicts: list[AnchorVerdict] = own.verdicts(list(note.anchors))
        if not any(v.status in MOVING for v in verdicts):
            return None
        out: list[dict[str, Any]] = []
        for anchor, verdict in zip(note.anchors, verdicts, strict=True):
            fresh = reanchor(ws, anchor, verdict, own) if verdict.status in MOVING else None
            out.append(fresh if fresh is not None else dict(anchor.data))
        return out
    finally:
        if checker is None:
            own.close()


def update_following_moves(ws: Workspace, note_id: str, expected_version: str | None, change: MetaChange) -> Note:
    """`change` a note, re-recording its moved anchors in the same conditional write (any edit of a note).

    A `change` that sets `anchors` itself wins. Without `expected_version`, a note that changes between
    reading its anchors and writing is read again once (never overwritten).
    """
    from cairn.errors import ConflictError
    from cairn.notes import NoteStore

    store = NoteStore(ws)
    for attempt in range(2):
        note = store.get(note_id)
        if expected_version is not None and note.version != expected_version:
            return store.update(note.id, expected_version, change)  # raises the conflict, with both versions
        moved = moved_anchors(ws, note)

        def write(meta: dict[str, Any], body: str, moved: list[dict[str, Any]] | None = moved
                  ) -> tuple[dict[str, Any], str]:
            before = meta.get("anchors")
            meta, body = change(meta, body)
            if moved is not None and meta.get("anchors") == before:
                meta["anchors"] = moved
            return meta, body

        try:
            return store.update(note.id, note.version, write)
        except ConflictError:
            if expected_version is not None or attempt:
                raise
    raise AssertionError("unreachable")


__all__ = ["ReviewRefused", "confirmed_anchors", "mark_reviewed", "moved_anchors", "update_following_moves"]
