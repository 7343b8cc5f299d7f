"""What the search index knows about a note, and how it is read from the note file quickly.

The index is derived data, so it reads notes with a lean parser: libyaml (when PyYAML has it) for the
frontmatter and no line bookkeeping, about twenty times faster than the full validating parser of
`cairn.notes`. That is what lets a 10,000-note index build in well under three seconds. A file the lean
parser cannot make sense of is simply not indexed (`cairn check` reports it through the full parser); a
note is only ever *shown* to a person or an agent after the full parser accepted it (see `recall`).

Besides the note's own text, the index holds the identifiers found in the anchored code (function,
class and constant names in the anchored lines of the working-tree file), so "what do we know about
`refresh_session`" finds the note anchored on it even if the note never spells the name out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml

from cairn.textlines import split_lines
from cairn.timeutil import parse_timestamp

# Bump whenever the schema, the analysis or what goes into a field changes: an index written with
# another number is rebuilt on open.
FORMAT_VERSION = 8

# Text fields (analysed by `cairn.index.query.analyzer`: words, lowercase, no stop words, English stem).
# `headings` holds the markdown headings of the body (also in `body`): a word in a heading names what
# that part of the note is about.
TEXT_FIELDS = ("title", "tags_text", "headings", "body", "ident", "paths_text")
# Relative weight of a term match per field: title and tags over headings over body (identifiers and
# anchor paths sit between headings and body: they are precise but not written by a person). The title
# was weighted 3 until a held-out corpus of real decision records showed it drowning the body's
# evidence on paraphrased questions (bench/README.md, "recall quality"); 2 is as good on the tuning corpus.
FIELD_BOOSTS = {"title": 2.0, "tags_text": 2.0, "headings": 1.5, "ident": 1.5, "paths_text": 1.2, "body": 1.0}

# Superseded and archived notes stay findable but rank lower (search and recall alike).
STATUS_WEIGHT = {"active": 1.0, "superseded": 0.4, "archived": 0.25}

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LeanLoader(_BaseLoader):
    """Safe YAML loading, timestamps kept as text (like `cairn.notes`), C-accelerated when available."""


_LeanLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in items if tag != _TIMESTAMP_TAG]
    for key, items in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_DELIM = re.compile(r"^---[ \t]*\r?$", re.M)
_LINES = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")

# Definitions in the common languages: Python, JS/TS, Go, Rust, Java/C#/Kotlin, Ruby, shell functions.
_DEFINITION = re.compile(
    r"""(?x)
    \b(?:def|class|function|func|fn|struct|enum|trait|interface|type|impl|module|record|object|const|let|var)
      \s+(?:\([^)]*\)\s*)?          # Go receivers
      ([A-Za-z_$][\w$]*)
    | ^\s*([A-Z][A-Z0-9_]{2,})\s*[:=]   # CONSTANTS = ...
    | ^\s*([A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?(?:function\b|\([^)]*\)\s*=>)   # const f = () =>
    """,
    re.M,
)
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def definitions(code: str) -> list[str]:
    """Names defined in a piece of code, in order, without duplicates (cheap regex, no parser)."""
    seen: dict[str, None] = {}
    for match in _DEFINITION.finditer(code):
        name = next(g for g in match.groups() if g)
        if len(name) > 1:
            seen.setdefault(name, None)
    return list(seen)


def enclosing_definition(code: str, line: int) -> str | None:
    """The name of the nearest definition at or above `line` (1-based): the function being edited."""
    lines = split_lines(code)
    for number in range(min(line, len(lines)), 0, -1):
        names = definitions(lines[number - 1])
        if names and not lines[number - 1].lstrip().startswith(("#", "//")):
            return names[0]
    return None


_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.M)


def headings(body: str) -> str:
    """The text of the body's markdown headings (ATX `#`-style, also inside code blocks: cheap)."""
    return "\n".join(match.group(1) for match in _HEADING.finditer(body))


def identifier_words(names: list[str]) -> str:
    """Identifiers plus their parts (`SessionStore` → `SessionStore Session Store`) as index text."""
    out: list[str] = []
    for name in names:
        out.append(name)
        parts = _CAMEL.findall(name)
        if len(parts) > 1:
            out.extend(parts)
    return " ".join(out)


# Internal records are plain dataclasses (no frozen/eq): each generated method is compiled when the
# module is imported, and `cairn recall` imports everything afresh in every process.
@dataclass(eq=False, repr=False)
class IndexedAnchor:
    path: str
    start: int
    end: int


@dataclass(eq=False)
class IndexDoc:
    """One note as the index stores it."""

    id: str
    rel_path: str
    title: str
    kind: str
    status: str
    tags: tuple[str, ...]
    body: str
    anchors: tuple[IndexedAnchor, ...]
    reviewed: datetime | None  # last review, falling back to creation
    version: str
    ident: str = ""
    body_chars: int = 0  # length of the body (docs read back from the index carry no body)

    def anchor_paths(self) -> list[str]:
        return list(dict.fromkeys(a.path for a in self.anchors))


def _stamp(value: Any) -> datetime | None:
    """A note timestamp, or None when absent or unreadable (the validator reports those)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


_TOP = re.compile(r"^([A-Za-z_][\w-]*):(?:[ \t]+(.*?))?[ \t]*$")
_PLAIN = re.compile(r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`][^#]*$|^-[^\s#][^#]*$")
_NEEDED = {"title", "kind", "tags", "status", "reviewed", "created", "anchors"}


def _scalar(raw: str) -> tuple[bool, Any]:
    """A one-line YAML scalar of the simple kinds notes use; (False, None) for anything else."""
    if not raw:
        return True, None
    if raw[0] == '"' and raw.endswith('"') and len(raw) > 1:
        try:
            return True, json.loads(raw)
        except ValueError:
            return False, None
    if raw[0] == "'" and raw.endswith("'") and len(raw) > 1 and "'" not in raw[1:-1].replace("''", ""):
        return True, raw[1:-1].replace("''", "'")
    if _PLAIN.match(raw) and ": " not in raw and " #" not in raw:
        # YAML would read it as a number, bool or null: let YAML read it (same resolvers as the loader).
        if any(rx.match(raw) for _, rx in _LeanLoader.yaml_implicit_resolvers.get(raw[0], ())):
            return False, None
        return True, raw
    return False, None


def scan_frontmatter(fm: str) -> dict[str, Any] | None:
    """The keys the index needs, read line by line from frontmatter in the shape Cairn writes
    (`key: value`, `tags: [a, b]`, `anchors:` with `- path:` / `lines:` items), several times faster
    than YAML. Returns None, and the caller uses YAML, whenever a needed key has any other shape
    (quotes spanning lines, block scalars, comments, anchors in flow style...), so a note is never read
    differently from how YAML reads it."""
    meta: dict[str, Any] = {}
    current = ""
    items: list[dict[str, Any]] | None = None
    tag_list: list[str] | None = None
    last_key = ""
    for line in split_lines(fm):
        if items and line[:1] == " ":
            # Most lines of a note are an anchor's other keys (commit, blob, hash, fingerprints): a
            # `key: ...` line with a plain key other than path/lines is skipped exactly as the general
            # branch below would skip it, with a third of the work.
            key, sep, _ = line.lstrip(" ").partition(":")
            if sep and key.isidentifier() and key != "path" and key != "lines":
                last_key = key
                continue
        if not line or line[0] in " -":
            if current not in _NEEDED or not line.strip():
                continue  # the block of a key we do not need
            stripped = line.lstrip(" ")
            if tag_list is not None:
                if not stripped.startswith("- "):
                    return None
                ok, value = _scalar(stripped[2:].strip())
                if not ok or value is None:
                    return None
                tag_list.append(value)
                continue
            if items is None:
                return None
            new_item = stripped.startswith("- ")
            if new_item:
                items.append({})
                stripped = stripped[2:].lstrip(" ")
            elif not items:
                return None
            if stripped[:1] in ("{", "[", "&", "*", "!", "|", ">", "?", "#", "'", '"', "-"):
                return None  # flow mappings, YAML anchors, tags, comments, nested lists: let YAML read it
            key, sep, raw = stripped.partition(":")
            if (not sep or " " in key) and not new_item:
                # The continuation of a long plain value (fingerprints wrap at 100 columns).
                if last_key in ("path", "lines"):
                    return None
                continue
            last_key = key
            if key in ("path", "lines"):
                raw_value = raw.strip()
                # `lines: 7` is an int to YAML; the index reads lines as text either way.
                ok, value = (True, raw_value) if key == "lines" and raw_value.isdigit() else _scalar(raw_value)
                if not sep or not ok or (raw and raw[0] not in " \t"):
                    return None
                items[-1][key] = value
            elif not sep or "\t" in key or not key.strip():
                return None
            continue
        key, sep, raw = line.partition(":")
        current, items, tag_list = key, None, None
        if key not in _NEEDED:
            if not sep or not _TOP.match(line):
                return None
            continue
        if raw and raw[0] not in " \t":
            return None
        raw = raw.strip()
        if key == "tags" and raw.startswith("["):
            if not raw.endswith("]") or any(c in raw[1:-1] for c in "\"'{}[]#"):
                return None
            inner = raw[1:-1].strip()
            parts = [x.strip() for x in inner.split(",")] if inner else []
            if any(not part or not _scalar(part)[0] for part in parts):
                return None
            meta[key] = parts
            continue
        if not raw:
            if key == "anchors":
                items = meta[key] = []
            elif key == "tags":
                tag_list = meta[key] = []
            else:
                meta[key] = None
            continue
        ok, value = _scalar(raw)
        if not ok or key == "anchors":
            return None
        meta[key] = value
    return meta


def lean_parse(text: str, note_id: str, rel_path: str, version: str) -> IndexDoc | None:
    """The indexable fields of a note file, or None when it is not a readable note."""
    if text.startswith("\ufeff"):
        text = text[1:]
    first = _DELIM.match(text)
    if first is None:
        return None
    closing = _DELIM.search(text, first.end())
    if closing is None:
        return None
    fm = text[first.end():closing.start()]
    body = text[closing.end():].lstrip("\r\n")
    meta = scan_frontmatter(fm)
    if meta is None:
        from cairn.notes.yamlio import refuse_unsafe  # only here: the line scanner above is the fast path

        try:
            refuse_unsafe(fm)  # the same refusal as the notes parser: no aliases, no deep nesting
            meta = yaml.load(fm, Loader=_LeanLoader)
        except yaml.YAMLError:
            return None
    if not isinstance(meta, dict):
        return None
    title, kind = meta.get("title"), meta.get("kind")
    if not isinstance(title, str | int | float) or not str(title).strip() or not isinstance(kind, str):
        return None
    tags_raw = meta.get("tags") or []
    if isinstance(tags_raw, str):
        tags_raw = [t.strip() for t in tags_raw.split(",")]
    tags = tuple(str(t).strip() for t in tags_raw if isinstance(t, str | int) and str(t).strip()) \
        if isinstance(tags_raw, list) else ()
    status = meta.get("status") or "active"
    anchors: list[IndexedAnchor] = []
    raw_anchors = meta.get("anchors") or []
    if isinstance(raw_anchors, list):
        for item in raw_anchors:
            if not isinstance(item, dict) or not isinstance(item.get("path"), str):
                continue
            lines = item.get("lines")
            match = _LINES.match(str(lines)) if lines is not None else None
            if match is None:
                continue
            start = int(match.group(1))
            end = int(match.group(2) or start)
            path = item["path"].strip().replace("\\", "/")
            while path.startswith("./"):
                path = path[2:]
            anchors.append(IndexedAnchor(path, start, max(start, end)))
    reviewed = _stamp(meta.get("reviewed")) or _stamp(meta.get("created"))
    return IndexDoc(
        id=note_id, rel_path=rel_path, title=" ".join(str(title).split()), kind=kind, status=str(status),
        tags=tags, body=body, anchors=tuple(anchors), reviewed=reviewed, version=version,
    )


def anchored_identifiers(anchors: tuple[IndexedAnchor, ...], read_lines: Callable[[str], list[str] | None]) -> str:
    """Identifier text for the code under `anchors` (`read_lines(path)` gives a file's lines)."""
    names: list[str] = []
    for anchor in anchors:
        lines = read_lines(anchor.path)
        if not lines:
            continue
        names.extend(definitions("\n".join(lines[anchor.start - 1:anchor.end])))
    return identifier_words(list(dict.fromkeys(names)))
