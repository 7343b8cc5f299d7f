"""Adding and changing notes as the adapters offer it: the rules, written once.

`cairn add`/`cairn update` (the CLI) and the MCP tools `add_note`/`update_note` take the same inputs
in different clothes (flags, JSON arguments). They translate them into `add_note(...)` or a
`NoteChange` and call `update_note(...)`; everything that decides what the file becomes lives here:
how a body is replaced or appended to, how tags are cleaned, how `PATH:START-END` anchors are parsed,
recorded or dropped, which titles and statuses are allowed, what "also mark it reviewed" does (the one
meaning of `cairn.reviewed`), and the JSON shape a note is returned in. The writes are the store's
conditional updates, so a stale version never overwrites anything; an edit also re-records anchors whose
code only moved (`cairn.reviewed.update_following_moves`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cairn.errors import UsageError
from cairn.notes.model import STATUSES, Note, kind_folder
from cairn.notes.store import NoteStore
from cairn.timeutil import format_timestamp
from cairn.workspace import Workspace

# Frontmatter keys `note_json` already shows; the others are returned as `other_fields` by `note_payload`.
SHOWN_FIELDS = frozenset({"title", "kind", "tags", "status", "created", "reviewed", "updated", "anchors"})


def clean_tags(values: Iterable[Any]) -> list[str]:
    """Tags as given (repeated, or comma-separated in one value): stripped, empty ones dropped, no repeats."""
    out: list[str] = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def parse_anchor_spec(spec: str) -> tuple[str, int, int]:
    """`PATH:START-END` (or `PATH:LINE`), as given on the command line and in MCP tool calls."""
    from cairn.notes.document import parse_lines

    if not isinstance(spec, str):
        raise UsageError(f"anchor {spec!r} must be a string PATH:START-END")
    path, sep, lines = spec.rpartition(":")
    if not sep or not path:
        raise UsageError(f"anchor {spec!r} must be PATH:START-END, e.g. src/auth.py:10-42")
    try:
        start, end = parse_lines(lines)
    except ValueError as exc:
        raise UsageError(f"anchor {spec!r}: {exc}") from None
    return path, start, end


def repo_path(ws: Workspace, path: str) -> str:
    """A path argument as a checked repository-relative path (an absolute one must be inside)."""
    if not isinstance(path, str) or not path.strip():
        raise UsageError("path must be a non-empty string")
    if Path(path).is_absolute():
        return ws.check_repo_path(ws.rel(path))
    return ws.check_repo_path(path)


def record_anchors(ws: Workspace, specs: Sequence[str],
                   buffers: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Validate `PATH:START-END` specs and record each at HEAD through the anchor engine; a path in
    `buffers` (an editor's unsaved text, by repository path) is recorded from that text, not the disk."""
    from cairn.anchors.record import record_anchor

    anchors = []
    for spec in specs:
        path, start, end = parse_anchor_spec(spec)
        rel = repo_path(ws, path)
        anchors.append(record_anchor(ws, rel, start, end, text=(buffers or {}).get(rel)))
    return anchors


AnchorDrop = tuple[str, int | None, int | None]  # path, and the exact range or None for every anchor there


def drop_spec(ws: Workspace, spec: str) -> AnchorDrop:
    """`PATH` or `PATH:START-END` of an anchor to remove."""
    if ":" in spec and spec.rpartition(":")[2][:1].isdigit():
        path, start, end = parse_anchor_spec(spec)
        return ws.check_repo_path(path), start, end
    return ws.check_repo_path(spec), None, None


def _drop_matches(anchor: Any, drop: AnchorDrop) -> bool:
    if not isinstance(anchor, dict) or anchor.get("path") != drop[0]:
        return False
    if drop[1] is None:
        return True
    from cairn.notes.document import parse_lines

    try:
        span = parse_lines(anchor.get("lines"))
    except ValueError:
        return False
    return span == (drop[1], drop[2])


def check_notes_folder(ws: Workspace, kind: str) -> None:
    """Refuse to write when the notes root, or the kind's folder, leads outside it (a symlink)."""
    root = ws.notes_root.resolve()
    try:
        root.relative_to(ws.root.resolve())
    except ValueError:
        raise UsageError(f"{ws.notes_root_rel} leads outside the repository; refusing to write notes") from None
    folder = ws.notes_root / kind_folder(kind)
    try:
        folder.resolve().relative_to(root)
    except ValueError:
        raise UsageError(f"{ws.notes_root_rel}/{kind_folder(kind)} leads outside the notes folder; "
                         "refusing to write there") from None


def add_note(ws: Workspace, kind: str, title: str, body: str = "", tags: Iterable[Any] = (),
             anchors: Sequence[str] = (), extra: dict[str, Any] | None = None,
             buffers: Mapping[str, str] | None = None) -> Note:
    """Create a note of `kind` (anchors as `PATH:START-END`, recorded at HEAD); the store picks its id.
    `extra`: more frontmatter (e.g. `author` when an agent writes); `buffers`: see `record_anchors`."""
    if kind in ws.config.kinds:
        check_notes_folder(ws, kind)
    recorded = record_anchors(ws, anchors, buffers)
    return NoteStore(ws).create(kind, title, body, clean_tags(tags), recorded, extra=extra)


def replace_body(old: str, new: str) -> str:
    """`new` as the body, ending in a newline, keeping the blank line after the frontmatter if there was one."""
    text = new if new.endswith("\n") or not new else new + "\n"
    return "\n" + text if old.startswith("\n") and not text.startswith("\n") else text


def append_paragraph(body: str, paragraph: str) -> str:
    """`body` with `paragraph` added at the end, one blank line between them."""
    sep = "\n\n" if body.strip() else "\n"
    return body.rstrip("\n") + sep + paragraph.rstrip("\n") + "\n"


@dataclass(frozen=True)
class NoteChange:
    """What an update asks for; fields left at None (or empty) keep the note as it is."""

    title: str | None = None
    status: str | None = None
    body: str | None = None  # replaces the body
    append: str | None = None  # a paragraph added at the end (after `body`, if both were allowed)
    tags: Sequence[str] | None = None  # replaces the tags
    add_tags: Sequence[str] = ()
    drop_tags: Sequence[str] = ()
    supersedes: Sequence[str] | None = None
    anchors: Sequence[str] | None = None  # replaces the anchors, `PATH:START-END`, recorded at HEAD
    drop_anchors: Sequence[str] = ()  # `PATH` or `PATH:START-END` of anchors to remove
    reviewed: bool = False  # the note is true of the code as it is now (`cairn.reviewed.mark_reviewed`)
    author: str | None = None  # `agent:<name>` when an agent makes the change (provenance)
    reviewed_by: str | None = None  # who a person's review is recorded as

    def validate(self) -> None:
        if self.title is not None and (not self.title.strip() or "\n" in self.title):
            raise UsageError("the title must be one non-empty line")
        if self.status is not None and self.status not in STATUSES:
            raise UsageError(f"unknown status {self.status!r} (expected one of: {', '.join(STATUSES)})")
        if self.body is not None and self.append is not None:
            raise UsageError("give either body or append, not both")

    def apply(self, meta: dict[str, Any], body: str, recorded: list[dict[str, Any]] | None,
              drops: Sequence[AnchorDrop] = ()) -> tuple[dict[str, Any], str]:
        """The frontmatter and body after this change (`recorded`: the new anchors, already recorded;
        `drops`: the parsed `drop_anchors`). Marking reviewed is not done here but by `update_note`."""
        if self.title is not None:
            meta["title"] = self.title.strip()
        if self.status is not None:
            meta["status"] = self.status
        if self.tags is not None:
            meta["tags"] = clean_tags(self.tags)
        add, drop = clean_tags(self.add_tags), set(clean_tags(self.drop_tags))
        if add or drop:
            tags = [t for t in (meta.get("tags") or []) if t not in drop]
            meta["tags"] = tags + [t for t in add if t not in tags]
        if self.supersedes is not None:
            meta["supersedes"] = list(self.supersedes)
        if recorded is not None:
            meta["anchors"] = recorded
        if drops:
            kept = [a for a in (meta.get("anchors") or []) if not any(_drop_matches(a, d) for d in drops)]
            if len(kept) == len(meta.get("anchors") or []):
                raise UsageError(f"drop anchor {self.drop_anchors[0]}: the note has no such anchor")
            meta["anchors"] = kept
        if self.body is not None:
            body = replace_body(body, self.body)
        if self.append is not None:
            body = append_paragraph(body, self.append)
        if self.author and (self.body is not None or self.append is not None or self.title is not None
                            or recorded is not None):
            meta["author"] = self.author  # an agent rewrote it: no person has reviewed this text
            meta.pop("reviewed_by", None)
        return meta, body


def update_note(ws: Workspace, note_id: str, version: str | None, change: NoteChange) -> Note:
    """Apply `change` to the note if it is still at `version` (None: whatever is there); ConflictError if not.

    Anchors whose code only moved are re-recorded in the same write. With `change.reviewed` the note is
    also confirmed against the code as it is now (`cairn.reviewed.mark_reviewed`): in the same write when
    the anchors stay, else after the new or fewer anchors the caller chose are written.
    """
    from cairn.reviewed import mark_reviewed, update_following_moves

    change.validate()
    recorded = record_anchors(ws, change.anchors) if change.anchors is not None else None
    drops = [drop_spec(ws, spec) for spec in change.drop_anchors]
    store = NoteStore(ws)
    for other in change.supersedes or ():
        store.path_of(other)  # refuses ids that are no note ids

    def apply(meta: dict[str, Any], body: str) -> tuple[dict[str, Any], str]:
        return change.apply(meta, body, recorded, drops)

    if change.reviewed and recorded is None and not drops:
        return mark_reviewed(ws, note_id, version, change=apply, reviewed_by=change.reviewed_by)
    if change.reviewed:
        edited = update_following_moves(ws, note_id, version, apply)
        return mark_reviewed(ws, edited.id, edited.version, reviewed_by=change.reviewed_by)
    return update_following_moves(ws, note_id, version, apply)


def note_json(note: Note, with_body: bool = False) -> dict[str, Any]:
    """A note as `cairn show --json` and the MCP tools return it."""
    def stamp(value: Any) -> str | None:
        return format_timestamp(value) if value is not None else None

    data: dict[str, Any] = {
        "id": note.id,
        "path": note.rel_path,
        "title": note.title,
        "kind": note.kind,
        "tags": list(note.tags),
        "status": note.status,
        "created": stamp(note.created),
        "reviewed": stamp(note.reviewed),
        "updated": stamp(note.updated),
        "version": note.version,
        "anchors": [
            {"path": a.path, "lines": [a.start, a.end], "commit": a.commit} for a in note.anchors
        ],
    }
    if with_body:
        data["body"] = note.body
    return data


def note_payload(note: Note, ws: Workspace | None = None) -> dict[str, Any]:
    """`note_json` with the body, its provenance line (given `ws`) and any other frontmatter fields
    (`other_fields`), for agents."""
    data = note_json(note, with_body=True)
    if ws is not None:
        from cairn.recall.provenance import Provenance

        data["provenance"] = Provenance(ws).line(note)
    # The file keeps a blank line after the frontmatter; it is not part of what the note says.
    data["body"] = note.body.lstrip("\r\n")
    extra = {k: v for k, v in note.meta.items() if k not in SHOWN_FIELDS}
    if extra:
        data["other_fields"] = json.loads(json.dumps(extra, default=str))
    return data
