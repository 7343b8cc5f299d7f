"""Lines are broken at \\n, \\r\\n and \\r only (as git and editors count them), never at U+2028 & co."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from cairn.textlines import split_lines

# The characters str.splitlines breaks at that git and editors show inside a line.
NOT_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
ALPHABET = st.sampled_from(["a", "é", " ", "\n", "\r", "\r\n", *NOT_BREAKS])


def _reference(text: str, keepends: bool) -> list[str]:
    """Written out the slow way: pieces between breaks, a final break adding no empty line."""
    pieces = re.split(r"(\r\n|\r|\n)", text)
    lines = [pieces[i] + (pieces[i + 1] if keepends else "") for i in range(0, len(pieces) - 1, 2)]
    if pieces[-1]:
        lines.append(pieces[-1])
    return lines


@given(st.lists(ALPHABET, max_size=40).map("".join), st.booleans())
def test_split_lines_breaks_only_at_newlines(text: str, keepends: bool) -> None:
    lines = split_lines(text, keepends)
    assert lines == _reference(text, keepends)
    if keepends:
        assert "".join(lines) == text
    if not any(c in text for c in NOT_BREAKS):
        assert lines == text.splitlines(keepends)


def test_the_characters_splitlines_would_break_at_stay_inside_a_line() -> None:
    text = "const s = 'a\u2028b';\nform\x0cfeed\r\nnel\x85here\rlast"
    assert split_lines(text) == ["const s = 'a\u2028b';", "form\x0cfeed", "nel\x85here", "last"]
    assert len(text.splitlines()) == 7  # what this replaces
    assert split_lines("") == [] and split_lines("\n") == [""] and split_lines("a\n\nb\n") == ["a", "", "b"]


# ---- the engine's line numbers use it ---------------------------------------------------------------
def test_a_note_body_with_u2028_keeps_its_line_numbers() -> None:
    from cairn.notes.document import find_conflict_markers, split

    text = "---\nid: a\n---\nbody \u2028 still line 4\n<<<<<<< ours\nx\n=======\ny\n>>>>>>> theirs\n"
    found = find_conflict_markers(text)
    assert found is not None and found[0] == 5 and "(lines 5-9)" in found[1]
    document = split(text)
    assert not isinstance(document, Exception) and document.body.startswith("body \u2028 still line 4\n")


def test_a_pack_keeps_u2028_inside_its_line() -> None:
    from cairn.recall.pack import sanitize_body

    assert sanitize_body("a\u2028b\n```\ncode\u2028x\n```\n") == "a\u2028b\n```\ncode\u2028x\n```"


def test_the_enclosing_definition_counts_lines_as_editors_do() -> None:
    from cairn.index.fields import enclosing_definition

    code = "def gg():\n    s = '\u2028'\n    return s\ndef fn():\n    x = 1\n"
    assert enclosing_definition(code, 4) == "fn" and enclosing_definition(code, 3) == "gg"
