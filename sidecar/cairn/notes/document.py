"""A note file as text: splitting, parsing, validating and writing it back.

Parsing never raises for bad content: it returns the note or the list of one-line problems, each at the
line of the file where it is, so one broken note never stops the others and the editor can underline
the exact key. Writing is lossless: an unchanged frontmatter is written back exactly as it was read,
and the body is never touched unless the caller changed it.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import yaml

from cairn.config import Config
from cairn.limits import MAX_LINE
from cairn.notes.model import STATUSES, Anchor, Note, NoteError
from cairn.notes.yamlio import HANDLER, UnsafeYAML, load_plain, load_with_nodes
from cairn.textlines import split_lines
from cairn.timeutil import parse_duration, parse_timestamp

_DELIMITER = re.compile(r"^---[ \t]*$")
_CLOSERS = ("---", "...")
_LINES = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")
_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")
BOM = "\ufeff"


def content_version(data: bytes) -> str:
    """The version token of a note: a short hash of its bytes."""
    return hashlib.sha256(data).hexdigest()[:16]


@dataclass(frozen=True)
class Document:
    """A note file split into its parts, exactly as written."""

    bom: str
    newline: str
    opener: str  # the first line, e.g. "---\n"
    fm_text: str
    closer: str  # the closing delimiter line
    body: str


def split(text: str) -> Document | NoteError:
    bom = BOM if text.startswith(BOM) else ""
    raw = text[len(bom):]
    lines = split_lines(raw, keepends=True)
    if not lines or not _DELIMITER.match(lines[0].rstrip("\r\n")):
        return NoteError("", 1, "missing frontmatter: a note must start with a '---' line")
    newline = "\r\n" if lines[0].endswith("\r\n") else "\n"
    for i in range(1, len(lines)):
        if lines[i].rstrip("\r\n").rstrip() in _CLOSERS:
            return Document(bom, newline, lines[0], "".join(lines[1:i]), lines[i], "".join(lines[i + 1:]))
    return NoteError("", 1, "frontmatter is not closed: add a '---' line after it")


def _key_lines(node: yaml.Node | None) -> tuple[dict[str, int], list[dict[str, int]]]:
    """Lines (1-based, in the file) of top-level keys and of each anchor item's keys."""
    top: dict[str, int] = {}
    anchors: list[dict[str, int]] = []
    if not isinstance(node, yaml.MappingNode):
        return top, anchors
    for key_node, value_node in node.value:
        key = str(key_node.value)
        top[key] = key_node.start_mark.line + 2
        if key == "anchors" and isinstance(value_node, yaml.SequenceNode):
            for item in value_node.value:
                where = {"": item.start_mark.line + 2}
                if isinstance(item, yaml.MappingNode):
                    for k, v in item.value:
                        where[str(k.value)] = k.start_mark.line + 2
                        where[f"{k.value}="] = v.start_mark.line + 2
                anchors.append(where)
    return top, anchors


def parse_lines(value: object) -> tuple[int, int]:
    """`START-END` (or a single line number) to a 1-based inclusive pair; ValueError otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, str):
        text = value
    else:
        raise ValueError(f"lines must be START-END, got {value!r}")
    match = _LINES.match(text)
    if not match:
        raise ValueError(f"lines must be START-END with 1-based line numbers, got {text[:40]!r}")
    if max(len(match.group(1)), len(match.group(2) or "")) > len(str(MAX_LINE)) or \
            int(match.group(2) or match.group(1)) > MAX_LINE:
        raise ValueError(f"lines {text[:40]!r}: line numbers go up to {MAX_LINE}")
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) is not None else start
    if start < 1:
        raise ValueError(f"lines start at 1, got {text!r}")
    if start > end:
        raise ValueError(f"lines {text!r}: start is after end")
    return start, end


_DRIVE = re.compile(r"[A-Za-z]:")


def _is_plain(value: str) -> bool:
    """Relative, already normal and allowed: no surrounding space, backslash, leading `/` or `~`, drive
    letter, empty, `.` or `..` part, and not under `.git` (so `check_anchor_path` returns it as it is)."""
    if value != value.strip() or "\\" in value or value[0] in "/~" or _DRIVE.match(value):
        return False
    parts = value.split("/")
    return parts[0] != ".git" and all(part and part != "." and part != ".." for part in parts)


def check_anchor_path(value: object) -> str:
    """A repository-relative anchor path, or ValueError (absolute, `..`, not a string)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("anchor path must be a non-empty string")
    if _is_plain(value):
        return value  # the common case (100,000 per monorepo load): what the rules below would return
    text = value.strip().replace("\\", "/")
    pure = PurePosixPath(text)
    if pure.is_absolute() or text.startswith("~") or re.match(r"^[A-Za-z]:", text):
        raise ValueError(f"anchor path {value!r} is absolute; use a path relative to the repository root")
    if ".." in pure.parts:
        raise ValueError(f"anchor path {value!r} escapes the repository ('..')")
    if pure.parts and pure.parts[0] == ".git":
        raise ValueError(f"anchor path {value!r} points inside .git")
    return "/".join(p for p in pure.parts if p not in ("", "."))


class _Collector:
    def __init__(self, rel_path: str, note_id: str) -> None:
        self.rel_path = rel_path
        self.note_id = note_id
        self.errors: list[NoteError] = []

    def add(self, line: int, message: str) -> None:
        self.errors.append(NoteError(self.rel_path, line, message, self.note_id))


_CONFLICT_OPEN = re.compile(r"^<{7}(?: |$)")
_CONFLICT_CLOSE = re.compile(r"^>{7}(?: |$)")


def find_conflict_markers(text: str) -> tuple[int, str] | None:
    """The first unresolved merge conflict (`<<<<<<<` ... `>>>>>>>`) as (line, message), or None.

    A merge that could not be resolved (by git or `cairn merge-note`) leaves these markers; the note
    must then show as invalid, at the marker's line, until someone resolves it. A lone `=======` is
    not enough (it is also a markdown heading underline), so both outer markers are required.
    """
    if "<<<<<<<" not in text:
        return None  # no opening marker, so no conflict (the common case, without splitting lines)
    start = None
    for number, line in enumerate(split_lines(text), start=1):
        if start is None and _CONFLICT_OPEN.match(line):
            start = number
        elif start is not None and _CONFLICT_CLOSE.match(line):
            _, fm_end = _frontmatter_span(text)
            where = "frontmatter" if fm_end is not None and start <= fm_end else "body"
            return start, (f"unresolved merge conflict in the {where} (lines {start}-{number}): "
                           "keep the right text and remove the <<<<<<< ======= >>>>>>> markers")
    return None


def _frontmatter_span(text: str) -> tuple[int, int | None]:
    """1-based line of the frontmatter's closing delimiter (None when not closed)."""
    lines = split_lines(text.lstrip(BOM))
    if not lines or not _DELIMITER.match(lines[0]):
        return 1, None
    for i in range(1, len(lines)):
        if lines[i].rstrip() in _CLOSERS:
            return 1, i + 1
    return 1, None


def parse_note(
    text: str, rel_path: str, note_id: str, config: Config, version: str | None = None
) -> Note | list[NoteError]:
    """Parse and validate one note. Returns the `Note` or every problem found, each at its line."""
    errors = _Collector(rel_path, note_id)
    version = version or content_version(text.encode("utf-8"))
    conflict = find_conflict_markers(text)
    if conflict is not None:
        return [NoteError(rel_path, conflict[0], conflict[1], note_id)]
    doc = split(text)
    if isinstance(doc, NoteError):
        return [NoteError(rel_path, doc.line, doc.message, note_id)]
    try:
        plain = load_plain(doc.fm_text)  # the common layout without a YAML parser; None otherwise
        if plain is not None:
            meta, top, anchor_lines = plain
        else:
            meta, node = load_with_nodes(doc.fm_text)
            top, anchor_lines = _key_lines(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark is not None else 2
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if isinstance(exc, UnsafeYAML):
            return [NoteError(rel_path, line, str(problem), note_id)]
        return [NoteError(rel_path, line, f"malformed YAML in frontmatter: {problem}", note_id)]
    if meta is None:
        return [NoteError(rel_path, 1, "frontmatter is empty: missing title and kind", note_id)]
    if not isinstance(meta, dict):
        return [NoteError(rel_path, 2, "frontmatter must be a mapping of keys to values", note_id)]

    def at(key: str) -> int:
        return top.get(key, 1)

    title = meta.get("title")
    if title is None or (isinstance(title, str) and not title.strip()):
        errors.add(at("title"), "missing title")
    elif not isinstance(title, str | int | float):
        errors.add(at("title"), "title must be text")
    kinds = sorted(config.kinds)
    kind = meta.get("kind")
    if kind is None:
        errors.add(at("kind") if "kind" in meta else 1, f"missing kind (one of: {', '.join(kinds)})")
    elif not isinstance(kind, str) or kind not in config.kinds:
        errors.add(at("kind"),
                   f"unknown kind {kind!r} (expected one of: {', '.join(kinds)}; kinds are set in config.toml)")
    tags = meta.get("tags", [])
    if tags is None:
        tags = []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    if not isinstance(tags, list) or not all(isinstance(t, str | int) for t in tags):
        errors.add(at("tags"), "tags must be a list of words, e.g. [auth, security]")
        tags = []
    status = meta.get("status", "active")
    if status not in STATUSES:
        errors.add(at("status"), f"unknown status {status!r} (expected one of: {', '.join(STATUSES)})")
    supersedes = meta.get("supersedes", []) or []
    if isinstance(supersedes, str):
        supersedes = [supersedes]
    if not isinstance(supersedes, list) or not all(isinstance(s, str) for s in supersedes):
        errors.add(at("supersedes"), "supersedes must be a list of note ids")
        supersedes = []
    stamps: dict[str, Any] = {}
    for key in ("created", "reviewed", "updated"):
        if meta.get(key) is None:
            stamps[key] = None
            continue
        try:
            stamps[key] = parse_timestamp(meta[key])
        except ValueError as exc:
            errors.add(at(key), f"bad {key} date: {exc}")
            stamps[key] = None
    ttl = None
    if meta.get("ttl") is not None:
        try:
            ttl = parse_duration(meta["ttl"])
        except ValueError as exc:
            errors.add(at("ttl"), f"bad ttl: {exc}")
    anchors: list[Anchor] = []
    raw_anchors = meta.get("anchors", []) or []
    if not isinstance(raw_anchors, list):
        errors.add(at("anchors"), "anchors must be a list of {path, lines} items")
        raw_anchors = []
    for index, item in enumerate(raw_anchors):
        where = anchor_lines[index] if index < len(anchor_lines) else {}
        item_line = where.get("", at("anchors"))
        if not isinstance(item, dict):
            errors.add(item_line, "anchor must be a mapping with path and lines")
            continue
        try:
            path = check_anchor_path(item.get("path"))
        except ValueError as exc:
            errors.add(where.get("path=", item_line), str(exc))
            continue
        try:
            start, end = parse_lines(item.get("lines"))
        except ValueError as exc:
            errors.add(where.get("lines=", item_line), f"anchor {path}: {exc}")
            continue
        commit = item.get("commit")
        if commit is not None and (not isinstance(commit, str) or not _SHA.match(commit)):
            errors.add(where.get("commit=", item_line), f"anchor {path}: commit must be a hex sha, got {commit!r}")
            continue
        anchors.append(Anchor(path, start, end, commit, dict(item), item_line, where.get("lines=", item_line)))
    if errors.errors:
        return errors.errors
    return Note(
        id=note_id,
        rel_path=rel_path,
        title=str(title).strip(),
        kind=str(kind),
        tags=tuple(str(t) for t in tags),
        status=str(status),
        supersedes=tuple(supersedes),
        created=stamps["created"],
        reviewed=stamps["reviewed"],
        updated=stamps["updated"],
        ttl=ttl,
        anchors=tuple(anchors),
        meta=meta,
        body=doc.body,
        version=version,
        key_lines=top,
    )


def render(meta: dict[str, Any], body: str, original: str | None = None) -> str:
    """Note text for `meta` and `body`.

    When `original` is given, its frontmatter text is kept verbatim if `meta` is unchanged, and its
    line endings and byte-order mark are kept in any case.
    """
    doc = split(original) if original is not None else None
    if isinstance(doc, Document):
        if HANDLER.load(doc.fm_text) == meta:
            return doc.bom + doc.opener + doc.fm_text + doc.closer + body
        newline, bom = doc.newline, doc.bom
    else:
        newline, bom = "\n", ""
    fm = HANDLER.export(copy.deepcopy(meta)) if meta else ""
    fm_text = (fm + "\n") if fm else ""
    if newline != "\n":
        fm_text = fm_text.replace("\n", newline)
    return f"{bom}---{newline}{fm_text}---{newline}{body}"
