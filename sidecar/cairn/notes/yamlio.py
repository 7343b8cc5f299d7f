"""YAML as notes use it: timestamps stay text, short scalar lists stay on one line, no aliases.

python-frontmatter's YAML handler does the loading and dumping; these loader/dumper classes make the
round trip predictable: `created: 2026-04-15T10:02:00Z` reads back as the same string (not a datetime
that would be re-written in another format), and `tags: [auth, security]` is written the way people
write it by hand.

Frontmatter is untrusted (anyone can commit a note), so anchors and aliases (`&x` / `*x`) and deep
nesting are refused before anything is built: a few lines of nested aliases (a "billion laughs") load
as a small shared structure but expand to gigabytes when serialised, compared or copied. Notes never
need either. Loading raises `UnsafeYAML`, a `yaml.YAMLError` (so every reader's error path applies),
at the line of the first offence: frontmatter holding `&` or `*` gets a scan of its event stream
(`refuse_unsafe`); every node tree is checked for depth before anything is constructed (`_check_depth`),
which costs a few percent of the load (bench/notes).
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


def _without_timestamps(resolvers: dict[Any, list[tuple[str, Any]]]) -> dict[Any, list[tuple[str, Any]]]:
    return {key: [(tag, rx) for tag, rx in items if tag != _TIMESTAMP_TAG] for key, items in resolvers.items()}


class NoteLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader that leaves timestamps as strings (we parse and validate them ourselves).

    Built on libyaml when available (10x faster: `cairn check` reads every note on each run).
    """


MAX_DEPTH = 32  # nesting of lists and mappings; notes use 3 (anchors: a list of mappings)


class UnsafeYAML(yaml.MarkedYAMLError):
    """Frontmatter that uses YAML features Cairn refuses (anchors, aliases, deep nesting)."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(None, None, problem, mark)


def refuse_unsafe(fm: str) -> None:
    """Raise `UnsafeYAML` if `fm` has an anchor, an alias or nesting deeper than `MAX_DEPTH`.

    Reads the event stream only (libyaml, no node is built). Malformed YAML is left for the loader to
    report. Anchors and aliases need `&` or `*`, so text without either is not scanned for them.
    """
    if "&" not in fm and "*" not in fm:
        return
    loader = NoteLoader(fm)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.AliasEvent):
                raise UnsafeYAML(f"YAML alias *{event.anchor} is not allowed in notes "
                                 "(anchors and aliases are refused)", event.start_mark)
            if isinstance(event, yaml.NodeEvent) and event.anchor is not None:
                raise UnsafeYAML(f"YAML anchor &{event.anchor} is not allowed in notes "
                                 "(anchors and aliases are refused)", event.start_mark)
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise UnsafeYAML(f"frontmatter is nested more than {MAX_DEPTH} levels deep", event.start_mark)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except UnsafeYAML:
        raise
    except yaml.YAMLError:
        return
    finally:
        loader.dispose()


class NoteDumper(yaml.SafeDumper):
    """SafeDumper that writes timestamps unquoted and lists of short scalars in flow style."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent block sequences under their key (`anchors:\n  - path: ...`), as people write them.
        super().increase_indent(flow, False)


NoteLoader.yaml_implicit_resolvers = _without_timestamps(yaml.SafeLoader.yaml_implicit_resolvers)
# Per first character, the implicit resolvers PyYAML's `resolve` would try (its own list plus the
# wildcard ones), built once instead of concatenated for each of the ~100 scalars of a note.
_BY_FIRST = {key: tuple(items) + tuple(NoteLoader.yaml_implicit_resolvers.get(None, []))
             for key, items in NoteLoader.yaml_implicit_resolvers.items() if key is not None}
_WILDCARD = tuple(NoteLoader.yaml_implicit_resolvers.get(None, []))


def _resolve(self: Any, kind: Any, value: Any, implicit: Any) -> Any:
    """`BaseResolver.resolve` for a loader without path resolvers (notes have none), same answers."""
    if kind is yaml.ScalarNode:
        if implicit[0]:
            for tag, regexp in _BY_FIRST.get(value[0] if value else "", _WILDCARD):
                if regexp.match(value):
                    return tag
        return self.DEFAULT_SCALAR_TAG
    return yaml.resolver.BaseResolver.resolve(self, kind, value, implicit)


def _no_path_resolvers(self: Any, *args: Any) -> None:
    return None


assert not NoteLoader.yaml_path_resolvers  # what `_resolve` and the no-op descend/ascend rely on
NoteLoader.resolve = _resolve
NoteLoader.descend_resolver = _no_path_resolvers
NoteLoader.ascend_resolver = _no_path_resolvers
NoteDumper.yaml_implicit_resolvers = _without_timestamps(yaml.SafeDumper.yaml_implicit_resolvers)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(isinstance(item, str | int | float | bool) and len(str(item)) < 60 for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


NoteDumper.add_representer(list, _represent_list)
NoteDumper.add_representer(str, _represent_str)


class NoteYAMLHandler(YAMLHandler):
    """python-frontmatter handler wired to the note loader and dumper."""

    def load(self, fm: str, **kwargs: object) -> Any:
        return load_with_nodes(fm)[0]

    def export(self, metadata: dict[str, object], **kwargs: object) -> str:
        text = yaml.dump(
            metadata, Dumper=NoteDumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
        )
        return str(text).rstrip("\n")


HANDLER = NoteYAMLHandler()


def load_with_nodes(fm: str) -> tuple[Any, yaml.Node | None]:
    """The data of a frontmatter block and its node tree (for key → line numbers), parsed once."""
    refuse_unsafe(fm)
    loader = NoteLoader(fm)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        try:
            return _build(loader, node, 1), node
        except _Unusual:
            # A fresh construction state (a failed scalar leaves PyYAML's recursion bookkeeping behind).
            loader.constructed_objects, loader.recursive_objects, loader.state_generators = {}, {}, []
        _check_depth(node)
        return loader.construct_document(node), node
    finally:
        loader.dispose()


_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"


class _Unusual(Exception):
    """A node the fast builder leaves to PyYAML's constructor (other tags, merge keys, deep nesting)."""


def _build(loader: Any, node: yaml.Node, depth: int) -> Any:
    """What `loader.construct_document(node)` returns, for the nodes notes consist of, 4x faster.

    Plain mappings, sequences and strings are built directly (a note is ~100 scalars: PyYAML's
    generic construction was most of `cairn check`'s cold note load); other scalars (numbers, booleans,
    null) go through the loader's own constructor. Anything else — another tag, a merge key (`<<`), an
    unhashable key, nesting deeper than MAX_DEPTH — raises `_Unusual` and the caller falls back to the
    depth check and PyYAML's full construction, so results and errors are exactly PyYAML's.
    """
    cls = node.__class__
    if cls is yaml.ScalarNode:
        if node.tag == _STR_TAG:
            return node.value
        try:
            return loader.construct_object(node, deep=True)
        except yaml.YAMLError:
            raise _Unusual from None  # PyYAML's own pass reports it, in its own order
    if depth > MAX_DEPTH:
        raise _Unusual
    if cls is yaml.MappingNode and node.tag == _MAP_TAG:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.__class__ is not yaml.ScalarNode or key_node.tag in _SPECIAL_KEYS:
                raise _Unusual
            out[_build(loader, key_node, depth + 1)] = _build(loader, value_node, depth + 1)
        return out
    if cls is yaml.SequenceNode and node.tag == _SEQ_TAG:
        return [_build(loader, child, depth + 1) for child in node.value]
    raise _Unusual


_SPECIAL_KEYS = frozenset({"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"})


def _check_depth(root: yaml.Node) -> None:
    """Raise `UnsafeYAML` at the first collection nested deeper than `MAX_DEPTH` (a tree: no aliases here)."""
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            continue
        if depth > MAX_DEPTH:
            raise UnsafeYAML(f"frontmatter is nested more than {MAX_DEPTH} levels deep", node.start_mark)
        stack.extend((child, depth + 1) for child in children)


# ---- the common note layout without a YAML parser ----------------------------------------------
# Notes written by Cairn (and most written by hand) have one shape: top-level `key: value` lines, flow
# lists of words (`tags: [a, b]`), and `anchors:` followed by `  - key: value` / `    key: value` items
# of plain or single-quoted scalars that are strings. `load_plain` reads exactly that shape and returns
# None for anything else (any other indentation, quoting, comment, tag, number, boolean, null,
# multi-line or non-printable text), which then goes through libyaml as before. What it returns is what
# `load_with_nodes` + the key-line walk would give (tests hold it to that on generated notes).

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_PLAIN_FIRST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/(+~")
_FLOW_BAD = frozenset(",[]{}#:'\"")


def _plain_str(value: str, flow: bool) -> bool:
    """Whether `value` is a plain scalar that YAML reads as exactly this string."""
    if not value or value[0] not in _PLAIN_FIRST or value[-1] in " :" or ": " in value or " #" in value:
        return False
    if flow and not _FLOW_BAD.isdisjoint(value):
        return False
    for tag, regexp in _BY_FIRST.get(value[0], _WILDCARD):
        if regexp.match(value):
            return tag == _STR_TAG
    return True


def _scalar(text: str) -> tuple[bool, Any]:
    """(understood, value) of one value as written after `key: `."""
    if text[:1] == "'":
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
            return False, None
        return True, inner.replace("''", "'")
    if text[:1] == "[":
        if text[-1] != "]":
            return False, None
        inner = text[1:-1]
        if not inner:
            return True, []
        items = inner.split(", ")
        return all(_plain_str(item, True) for item in items), items
    return _plain_str(text, False), text


_KEY_OK: dict[str, bool] = {}  # key → whether it is a plain string key (notes use a handful of keys)


def _key_value(line: str) -> tuple[str, str] | None:
    key, sep, rest = line.partition(": ")
    ok = _KEY_OK.get(key)
    if ok is None:
        ok = bool(_KEY.fullmatch(key)) and _plain_str(key, False)
        if len(_KEY_OK) < 4096:
            _KEY_OK[key] = ok
    return (key, rest) if sep and ok else None


def load_plain(fm: str) -> tuple[dict[str, Any], dict[str, int], list[dict[str, int]]] | None:
    """(data, top-level key → line, per anchor item key → line) of frontmatter in the common note
    layout, lines 1-based in the file (the frontmatter starts on line 2); None for anything else."""
    lines = fm.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        return None
    data: dict[str, Any] = {}
    top: dict[str, int] = {}
    items: list[dict[str, int]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.isprintable():
            return None
        if line == "anchors:":
            if "anchors" in data:
                return None
            top["anchors"] = i + 2
            seq: list[dict[str, Any]] = []
            i += 1
            while i < len(lines) and lines[i].startswith("  "):
                line = lines[i]
                if not line.isprintable():
                    return None
                if line.startswith("  - "):
                    body, where = line[4:], {"": i + 2}
                    seq.append({})
                    items.append(where)
                elif line.startswith("    ") and seq:
                    body = line[4:]
                else:
                    return None
                pair = _key_value(body)
                if pair is None or pair[0] in seq[-1]:
                    return None
                ok, value = _scalar(pair[1])
                if not ok or isinstance(value, list):
                    return None
                seq[-1][pair[0]] = value
                items[-1][pair[0]] = items[-1][f"{pair[0]}="] = i + 2
                i += 1
            if not seq:
                return None
            data["anchors"] = seq
            continue
        pair = _key_value(line)
        if pair is None or pair[0] in data:
            return None
        ok, value = _scalar(pair[1])
        if not ok or (pair[0] == "anchors" and value != []):  # anchor items have key lines of their own
            return None
        data[pair[0]] = value
        top[pair[0]] = i + 2
        i += 1
    return data, top, items
