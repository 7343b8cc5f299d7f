"""Git merge drivers for notes and for index.json.

Line-based merging is wrong for a note's frontmatter: two branches that each add a tag to
`tags: [auth]` conflict on one line although both changes are wanted, and two branches that each mark
the note reviewed conflict over a timestamp where "the later one" is the obvious answer. So
`cairn merge-note` merges the frontmatter key by key (union of tags, supersedes and anchors, latest
`reviewed`/`updated`, earliest `created`, one-sided changes taken) and only flags a scalar both sides
changed differently; the body gets an ordinary three-way line merge. A real conflict leaves the usual
markers in the file and exits non-zero, and `parse_note` then reports the note invalid at the marker.

index.json is derived data: `cairn merge-index` merges it entry by entry and re-renders it, so it never
conflicts; `cairn sync` (post-merge hook) regenerates it from the merged notes anyway.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cairn.gitio.ranges import merge_file
from cairn.notes.document import Document, render, split
from cairn.notes.yamlio import HANDLER
from cairn.timeutil import parse_timestamp

_MISSING = object()
LIST_UNION_KEYS = ("tags", "supersedes")
LATEST_KEYS = ("reviewed", "updated")
EARLIEST_KEYS = ("created",)


@dataclass
class MergeResult:
    """The merged text and what could not be merged automatically."""

    text: str
    conflicts: list[str] = field(default_factory=list)  # one line per conflict, for the user

    @property
    def clean(self) -> bool:
        return not self.conflicts


def _load(text: str) -> tuple[Document, dict[str, Any]] | None:
    doc = split(text)
    if not isinstance(doc, Document):
        return None
    try:
        meta = HANDLER.load(doc.fm_text)
    except yaml.YAMLError:
        return None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        return None
    return doc, meta


def _union(base: Any, ours: Any, theirs: Any, key: Any = None) -> list[Any]:
    """Both sides' items, minus those one side removed from the base; order: ours, then theirs' new ones."""
    def as_list(value: Any) -> list[Any]:
        if value is _MISSING or value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    ident = key or (lambda item: json.dumps(item, sort_keys=True, default=str))
    b, o, t = as_list(base), as_list(ours), as_list(theirs)
    base_ids = {ident(x) for x in b}
    ours_ids = {ident(x) for x in o}
    theirs_ids = {ident(x) for x in t}
    result: list[Any] = []
    seen: set[str] = set()
    for item in o + t:
        k = ident(item)
        if k in seen:
            continue
        removed = k in base_ids and (k not in ours_ids or k not in theirs_ids)
        if not removed:
            result.append(item)
            seen.add(k)
    return result


def _anchor_key(item: Any) -> str:
    """Identity of an anchor across branches: its file and code (content hash), else its lines.

    Both branches re-anchoring the same moved code give two mappings with different lines but the same
    fingerprint; keyed by content they merge into one anchor instead of a duplicate.
    """
    if isinstance(item, dict):
        content = item.get("ws") or item.get("hash") or item.get("lines")
        return f"{item.get('path')}#{content}"
    return json.dumps(item, sort_keys=True, default=str)


def _pick_time(values: list[Any], latest: bool) -> Any:
    parsed = []
    for value in values:
        try:
            parsed.append((parse_timestamp(value), value))
        except ValueError:
            return _MISSING
    chosen = max(parsed, key=lambda p: p[0]) if latest else min(parsed, key=lambda p: p[0])
    return chosen[1]


def merge_meta(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]
               ) -> tuple[dict[str, Any], dict[str, tuple[Any, Any]]]:
    """Merge three frontmatter mappings key by key: (merged, {key: (ours, theirs)} still in conflict).

    Conflicting keys hold our value in `merged` (so its key order stays ours).
    """
    merged: dict[str, Any] = {}
    conflicts: dict[str, tuple[Any, Any]] = {}
    keys = list(ours) + [k for k in theirs if k not in ours]
    for key in keys:
        b, o, t = base.get(key, _MISSING), ours.get(key, _MISSING), theirs.get(key, _MISSING)
        if o == t:
            value = o
        elif o == b:
            value = t
        elif t == b:
            value = o
        elif key in LIST_UNION_KEYS:
            value = _union(b, o, t)
        elif key == "anchors":
            value = _union(b, o, t, key=_anchor_key)
        elif key in LATEST_KEYS or key in EARLIEST_KEYS:
            present = [v for v in (o, t) if v is not _MISSING and v is not None]
            value = _pick_time(present, latest=key in LATEST_KEYS) if present else _MISSING
            if value is _MISSING:
                conflicts[key] = (o, t)
                value = o
        else:
            conflicts[key] = (o, t)
            value = o
        if value is not _MISSING:
            merged[key] = copy.deepcopy(value)
    return merged, conflicts


def _dump_key(key: str, value: Any) -> str:
    if value is _MISSING:
        return ""
    return str(HANDLER.export({key: value})) + "\n"


def _render_conflicted(doc: Document, merged: dict[str, Any], conflicts: dict[str, tuple[Any, Any]],
                       body: str, labels: tuple[str, str]) -> str:
    nl = doc.newline
    parts: list[str] = []
    keys = list(merged) + [k for k in conflicts if k not in merged]
    for key in keys:
        if key in conflicts:
            o, t = conflicts[key]
            parts.append(f"<<<<<<< {labels[0]}\n{_dump_key(key, o)}=======\n{_dump_key(key, t)}>>>>>>> {labels[1]}\n")
        else:
            parts.append(_dump_key(key, merged[key]))
    fm_text = "".join(parts)
    if nl != "\n":
        fm_text = fm_text.replace("\n", nl)
    return f"{doc.bom}---{nl}{fm_text}---{nl}{body}"


def merge_note_texts(base: str, ours: str, theirs: str, path: str = "note",
                     labels: tuple[str, str] = ("ours", "theirs")) -> MergeResult:
    """Merge three versions of a note file (see the module docstring)."""
    loaded = [_load(text) for text in (base, ours, theirs)]
    lo, lt = loaded[1], loaded[2]
    if lo is None or lt is None:
        # Not a note we can read on one side: an ordinary line merge is the best we can do.
        text, count = merge_file(ours, base, theirs, (labels[0], "base", labels[1]))
        return MergeResult(text, [f"{path}: not a valid note on both sides; merged line by line"] * bool(count))
    lb = loaded[0]
    base_doc_meta = lb[1] if lb is not None else {}
    base_body = lb[0].body if lb is not None else ""
    (ours_doc, ours_meta), (theirs_doc, theirs_meta) = lo, lt
    merged, conflicts = merge_meta(base_doc_meta, ours_meta, theirs_meta)
    body, body_conflicts = merge_file(ours_doc.body, base_body, theirs_doc.body,
                                      (labels[0], "base", labels[1]))
    messages = [f"{path}: both sides changed `{key}` differently" for key in conflicts]
    if body_conflicts:
        messages.append(f"{path}: {body_conflicts} conflicting change(s) in the body")
    text = _render_conflicted(ours_doc, merged, conflicts, body, labels) if conflicts else render(merged, body, ours)
    return MergeResult(text, messages)


def merge_note_files(base: Path, ours: Path, theirs: Path, path: str) -> MergeResult:
    """The `cairn merge-note %O %A %B %P` driver: merge into `ours` (git reads the result from there)."""
    def read(p: Path) -> str:
        try:
            return p.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    result = merge_note_texts(read(base), read(ours), read(theirs), path)
    ours.write_text(result.text, encoding="utf-8", newline="")
    return result


def merge_index_texts(base: str, ours: str, theirs: str) -> str:
    """Merge three index.json texts entry by entry; never conflicts (the file is derived)."""
    from cairn.notes.index_json import render_index

    def entries(text: str) -> dict[str, Any]:
        try:
            data = json.loads(text)
            notes = data.get("notes")
            return notes if isinstance(notes, dict) else {}
        except (ValueError, AttributeError):
            return {}

    b, o, t = entries(base), entries(ours), entries(theirs)
    merged: dict[str, Any] = {}
    for note_id in sorted(set(o) | set(t)):
        bv, ov, tv = b.get(note_id), o.get(note_id), t.get(note_id)
        if ov == tv or tv == bv:
            value = ov
        elif ov == bv:
            value = tv
        else:
            value = ov  # both changed the note; the note file merge decides, `cairn sync` re-derives
        if value is not None:
            merged[note_id] = value
    return render_index(merged)


def merge_index_files(base: Path, ours: Path, theirs: Path) -> None:
    """The `cairn merge-index %O %A %B` driver."""
    def read(p: Path) -> str:
        try:
            return p.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    ours.write_text(merge_index_texts(read(base), read(ours), read(theirs)), encoding="utf-8", newline="")
