"""Note frontmatter loads exactly as PyYAML's own pure-Python SafeLoader would load it.

`cairn.notes.yamlio` builds the common nodes (mappings, sequences, strings) itself and resolves
scalars with a precomputed table (the cold note load of a monorepo); this holds it to PyYAML's answer:
same data, same Python types, and an error whenever PyYAML raises one (plus the refusals of aliases
and deep nesting).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.notes.yamlio import NoteLoader, load_with_nodes


class Reference(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """PyYAML's own SafeLoader (on the same libyaml parser) with the note loader's resolvers."""


Reference.yaml_implicit_resolvers = NoteLoader.yaml_implicit_resolvers


def reference(fm: str) -> Any:
    return yaml.load(fm, Loader=Reference)  # a SafeLoader subclass, unpatched


def typed(value: Any) -> Any:
    """`value` with every scalar's type made visible (1 == 1.0 == True otherwise)."""
    if isinstance(value, dict):
        return {typed(k): typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    if isinstance(value, float) and value != value:
        return ("nan",)
    return (type(value).__name__, value)


CASES = [
    "title: A\nkind: decision\ntags: [auth, 12, 1.5, true, null, ~, 0x1f, 1_000, 0o17, 'x', \"y\"]\n",
    "anchors:\n  - path: src/a.py\n    lines: 3-9\n    commit: 0123abc\n    lh: f02dfd a7dce6\n",
    "<<: {a: 1}\nb: 2\n",
    "a: !!binary aGVsbG8=\n",
    "a: !!set {x, y}\n",
    "a: !!str 12\nb: !!int '7'\nc: !!float 1\n",
    "a: .inf\nb: -.Inf\nc: .NaN\n",
    "1: x\nnull: y\ntrue: z\n2.5: w\n",
    "a: 1\na: 2\n",
    "created: 2026-11-01T10:00:00Z\nd: 2026-11-01\n",
    "- a\n- b\n",
    "plain",
    "'': empty\nk: ''\n",
    "a: yes\nb: No\nc: on\nd: OFF\n",
    "a: " + "[" * 31 + "]" * 31 + "\n",
]

ERRORS = ["a: !foo x\n", "? [a]\n: 1\n", "a: [" * 40 + "]" * 40 + "\n", "a: &x 1\nb: *x\n", "a: [\n"]


@pytest.mark.parametrize("fm", CASES)
def test_same_data_and_types_as_pyyaml(fm: str) -> None:
    assert typed(load_with_nodes(fm)[0]) == typed(reference(fm))


@pytest.mark.parametrize("fm", ERRORS)
def test_an_error_wherever_pyyaml_or_the_safety_rules_refuse(fm: str) -> None:
    with pytest.raises(yaml.YAMLError):
        load_with_nodes(fm)


SCALARS = st.one_of(
    st.text(alphabet="abcxyzAZ019._-+:~ ", max_size=12),
    st.sampled_from(["yes", "No", "null", "~", "0x1A", "0o7", "1_0", "1e3", "-.5", ".inf", "=", "1:20", "True"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(SCALARS, inner,
                                                                                           max_size=3), max_leaves=8)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), VALUES, min_size=1, max_size=5))
def test_generated_frontmatter_loads_as_pyyaml_loads_it(data: dict[str, Any]) -> None:
    fm = yaml.safe_dump(data, default_flow_style=None)
    fm = fm.replace("'", "")  # unquote: let the resolvers decide what plain scalars are
    try:
        expected = reference(fm)
    except yaml.YAMLError:
        with pytest.raises(yaml.YAMLError):
            load_with_nodes(fm)
        return
    assert typed(load_with_nodes(fm)[0]) == typed(expected)


# ---- the common note layout read without YAML (`load_plain`) -------------------------------------
def by_yaml(fm: str) -> Any:
    from cairn.notes.document import _key_lines

    data, node = load_with_nodes(fm)
    top, anchors = _key_lines(node)
    return data, top, anchors


def agrees_with_yaml(fm: str) -> bool:
    """`load_plain` either declines or gives exactly what libyaml and the key-line walk give."""
    from cairn.notes.yamlio import load_plain

    fast = load_plain(fm)
    if fast is None:
        return False
    assert typed(fast[0]) == typed(by_yaml(fm)[0])
    assert fast == by_yaml(fm)
    return True


TEXT = st.one_of(  # mostly what notes hold, often with one odd character somewhere
    st.from_regex(r"[a-zA-Z0-9~.+(/][a-zA-Z0-9 ./:_|'-]{0,12}", fullmatch=True),
    st.text(alphabet="ab Z09.-_/:#'\"[]{},&*!|>%@`~?+()\\\t\u00a0é\u2028yYnNoOtT", max_size=14),
)
KEYS = st.one_of(st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True),
                 st.sampled_from(["on", "yes", "null", "No", "_x", "9k", "anchors", "a b", "~"]))
LINE = st.one_of(
    st.builds(lambda k, v: f"{k}: {v}", KEYS, TEXT),
    st.builds(lambda k, v: f"{k}: [{v}]", KEYS, TEXT),
    st.builds(lambda k, v: f"{k}: '{v}'", KEYS, TEXT),
    st.just("anchors:"),
    st.builds(lambda k, v: f"  - {k}: {v}", KEYS, TEXT),
    st.builds(lambda k, v: f"    {k}: {v}", KEYS, TEXT),
    TEXT,
)


@settings(max_examples=600, deadline=None)
@given(st.lists(LINE, max_size=8))
def test_plain_layout_reads_as_yaml_reads_it_or_declines(lines: list[str]) -> None:
    fm = "".join(f"{line}\n" for line in lines)
    try:
        by_yaml(fm)
    except yaml.YAMLError:
        from cairn.notes.yamlio import load_plain

        assert load_plain(fm) is None  # never accepts what YAML refuses
        return
    agrees_with_yaml(fm)


WORDS = st.text(alphabet="abcXYZ019 ._-/:#'\"[],|~+é", min_size=1, max_size=16)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({"title": WORDS, "kind": st.sampled_from(["decision", "gotcha"]),
                              "tags": st.lists(WORDS, max_size=3)},
                             optional={"anchors": st.lists(st.fixed_dictionaries(
                                 {"path": WORDS, "lines": WORDS}, optional={"commit": WORDS, "lh": WORDS}),
                                 min_size=1, max_size=3), "ttl": WORDS}))
def test_notes_as_cairn_writes_them_read_back_the_same(meta: dict[str, Any]) -> None:
    from cairn.notes.document import render, split

    doc = split(render(meta, "\nbody\n"))
    assert not isinstance(doc, type(None)) and hasattr(doc, "fm_text")
    agrees_with_yaml(doc.fm_text)


def test_the_usual_note_takes_the_plain_path() -> None:
    fm = ("title: 'Note 0: module 7 case 0'\nkind: decision\ntags: [area0, auth]\nstatus: active\n"
          "created: 2026-11-01T10:00:00Z\nanchors:\n  - path: services/a.py\n    lines: 137-141\n"
          "    commit: add34ebc4aaaed730584a1b2daa9a0c08be83fa3\n    lh: f02dfd a7dce6\n"
          "    ctx: c3b511 | a0ba2c\n  - path: b.py\n    lines: 1-2\n")
    assert agrees_with_yaml(fm)


VALUE = st.one_of(TEXT, TEXT.map(lambda v: f"'{v}'"), st.lists(TEXT, max_size=3).map(lambda vs: f"[{', '.join(vs)}]"))
PAIR = st.tuples(KEYS, VALUE).map(lambda kv: f"{kv[0]}: {kv[1]}")
ITEM = st.lists(PAIR, min_size=1, max_size=3).map(lambda ps: [f"  - {ps[0]}", *(f"    {p}" for p in ps[1:])])


@settings(max_examples=800, deadline=None)
@given(st.lists(PAIR, max_size=4), st.lists(ITEM, max_size=3), st.lists(PAIR, max_size=2))
def test_the_note_layout_with_odd_values_reads_as_yaml_reads_it_or_declines(
        before: list[str], items: list[list[str]], after: list[str]) -> None:
    lines = [*before, *(["anchors:", *(line for item in items for line in item)] if items else []), *after]
    fm = "".join(f"{line}\n" for line in lines)
    try:
        by_yaml(fm)
    except yaml.YAMLError:
        from cairn.notes.yamlio import load_plain

        assert load_plain(fm) is None
        return
    agrees_with_yaml(fm)
