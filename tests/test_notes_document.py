"""Parsing, validating and writing note files: lossless round-trips and one-line errors."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cairn.config import Config
from cairn.notes.document import check_anchor_path, parse_note, render
from cairn.notes.model import Note, NoteError

CONFIG = Config()
ANCHOR = "---\ntitle: t\nkind: decision\nanchors:\n  - path: "
REL = "agent-context/decisions/x.md"


def parse(text: str) -> Note | list[NoteError]:
    return parse_note(text, REL, "decisions/x", CONFIG)


def errors_of(text: str) -> list[str]:
    result = parse(text)
    assert isinstance(result, list), f"expected errors, got a note: {result}"
    return [str(e) for e in result]


VALID = """\
---
title: Why JWT
kind: decision
tags: [auth, security]
created: 2026-04-15T10:02:00Z
reviewed: 2026-04-15T10:02:00Z
ttl: 180d
x-owner: {team: platform}   # unknown keys are kept
anchors:
  - path: src/auth/session.py
    lines: 10-42
    commit: 3f2c1ab9d0e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8
    fp: abc123
---
We chose JWT.

---

A rule inside the body is not a delimiter.
"""


def test_valid_note_fields() -> None:
    note = parse(VALID)
    assert isinstance(note, Note)
    assert note.title == "Why JWT"
    assert note.kind == "decision"
    assert note.tags == ("auth", "security")
    assert note.ttl is not None and note.ttl.days == 180
    assert note.meta["x-owner"] == {"team": "platform"}
    (anchor,) = note.anchors
    assert (anchor.path, anchor.start, anchor.end) == ("src/auth/session.py", 10, 42)
    assert anchor.data["fp"] == "abc123"
    assert anchor.line == 10 and anchor.lines_line == 11
    assert note.body.endswith("A rule inside the body is not a delimiter.\n")
    assert "---" in note.body


def test_unchanged_resave_is_byte_identical_with_comments_and_crlf() -> None:
    for text in (VALID, VALID.replace("\n", "\r\n"), "\ufeff" + VALID):
        note = parse(text)
        assert isinstance(note, Note)
        assert render(note.meta, note.body, text) == text


def test_changed_meta_keeps_key_order_unknown_keys_body_and_line_endings() -> None:
    text = VALID.replace("\n", "\r\n")
    note = parse(text)
    assert isinstance(note, Note)
    meta = dict(note.meta)
    meta["reviewed"] = "2026-05-01T00:00:00Z"
    out = render(meta, note.body, text)
    again = parse(out)
    assert isinstance(again, Note)
    assert list(again.meta) == list(note.meta)
    assert again.meta["x-owner"] == {"team": "platform"}
    assert again.meta["reviewed"] == "2026-05-01T00:00:00Z"
    assert again.body == note.body
    assert "\n" not in out.replace("\r\n", "")


def test_errors_are_one_line_and_located() -> None:
    cases = {
        "---\ntitle: t\nkind: decision\ntags: [a, b\nstatus: active\n---\n": ("x.md:5:", "malformed YAML"),
        "---\ntitle: t\n  kind: : decision\n---\n": ("x.md:3:", "malformed YAML"),
        "---\nkind: decision\n---\nbody\n": ("x.md:1:", "missing title"),
        "---\ntitle: t\nkind: essay\n---\n": ("x.md:3:", "unknown kind 'essay'"),
        ANCHOR + "a.py\n    lines: 9-3\n---\n": ("x.md:6:", "start is after end"),
        ANCHOR + "a.py\n    lines: 0-3\n---\n": ("x.md:6:", "start at 1"),
        ANCHOR + "a.py\n    lines: ten\n---\n": ("x.md:6:", "START-END"),
        ANCHOR + "/etc/passwd\n    lines: 1-2\n---\n": ("x.md:5:", "absolute"),
        ANCHOR + "../x.py\n    lines: 1-2\n---\n": ("x.md:5:", "escapes"),
        "---\ntitle: t\nkind: decision\ncreated: yesterday\n---\n": ("x.md:4:", "bad created date"),
        "---\ntitle: t\nkind: decision\nttl: forever\n---\n": ("x.md:4:", "bad ttl"),
        "no frontmatter\n": ("x.md:1:", "missing frontmatter"),
        "---\ntitle: t\n": ("x.md:1:", "not closed"),
    }
    for text, (where, what) in cases.items():
        errors = errors_of(text)
        assert len(errors) == 1, errors
        assert errors[0].startswith(f"agent-context/decisions/{where}"), (text, errors)
        assert what in errors[0], (text, errors)
        assert "\n" not in errors[0]


def test_configured_kinds_are_accepted() -> None:
    from datetime import timedelta

    from cairn.config import KindConfig

    config = Config(kinds={"runbook": KindConfig(ttl=None, half_life=timedelta(days=30))})
    note = parse_note("---\ntitle: t\nkind: runbook\n---\n", REL, "x", config)
    assert isinstance(note, Note) and note.kind == "runbook"


# ---- properties ---------------------------------------------------------------------------------
safe_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff\x85\u2028\u2029"),
    max_size=40,
)
scalar = st.one_of(safe_text, st.integers(-10**6, 10**6), st.booleans(), st.none())
extra_keys = st.dictionaries(
    st.text(alphabet=string.ascii_lowercase + "-_", min_size=2, max_size=10).filter(
        lambda k: k not in {"title", "kind", "tags", "status", "created", "reviewed", "updated", "ttl",
                            "anchors", "supersedes"}),
    st.one_of(scalar, st.lists(scalar, max_size=3), st.dictionaries(st.sampled_from("abc"), scalar, max_size=2)),
    max_size=4,
)
body_lines = st.lists(st.one_of(safe_text, st.just("---"), st.just(""), st.just("...")), max_size=8)


@st.composite
def notes(draw: st.DrawFn) -> tuple[dict, str]:
    meta: dict = {
        "title": draw(safe_text.filter(lambda t: t.strip() != "")),
        "kind": draw(st.sampled_from(sorted(CONFIG.kinds))),
        "tags": draw(st.lists(st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8), max_size=3)),
    }
    meta.update(draw(extra_keys))
    if draw(st.booleans()):
        meta["anchors"] = [{"path": "src/a.py", "lines": f"{a}-{a + b}", "h": draw(safe_text)}
                           for a, b in draw(st.lists(st.tuples(st.integers(1, 500), st.integers(0, 50)), max_size=3))]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    body = newline.join(draw(body_lines))
    if draw(st.booleans()):
        body += newline
    return meta, body


@given(notes())
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_parse_write_parse_is_identity(case: tuple[dict, str]) -> None:
    meta, body = case
    text = render(meta, body)
    note = parse(text)
    assert isinstance(note, Note), note
    assert note.meta == meta
    assert note.body == body
    # Re-saving unchanged is byte for byte.
    assert render(note.meta, note.body, text) == text
    # And a second generation is stable.
    assert parse(render(note.meta, note.body)) == note


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_parser_never_crashes_on_arbitrary_text(text: str) -> None:
    result = parse(text)
    if isinstance(result, list):
        assert result and all("\n" not in str(e) for e in result)


@given(st.text(alphabet="-:\n\r [ ]{}#'\"abc123", max_size=200))
@settings(max_examples=300, deadline=None)
def test_parser_never_crashes_on_delimiter_soup(text: str) -> None:
    parse("---\n" + text)
    parse(text + "\n---\n")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab./\\~: C", min_size=1, max_size=10) | st.sampled_from(
    [".git", ".git/x", "a/.git", "./a", "a/./b", "a/.", "a//b", "a/../b", "..", ".", "C:/x", "c:x", "~/a", "/a",
     "src/a.py", "a b/c d.py", ".github/w.yml"]))
def test_the_fast_path_for_plain_anchor_paths_agrees_with_the_general_rules(path: str) -> None:
    """A leading space never changes the answer and always takes the general path (it is stripped)."""
    def outcome(value: str) -> str:
        try:
            return check_anchor_path(value)
        except ValueError as exc:
            return f"error: {str(exc).replace(f'anchor path {value!r}', 'anchor path PATH')}"

    assert outcome(path) == outcome(" " + path)
