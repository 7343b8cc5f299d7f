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
