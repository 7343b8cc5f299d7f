"""Untrusted note text in hover markdown: nothing a note writes can become a link, a tag or a command."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from cairn.server import markdown

ATTACKS = [
    "[x](command:workbench.action.terminal.new)",
    "[x]( command:evil )",
    "<command:evil>",
    "[ref]: command:evil\n[ref]",
    "[x](Command&#58;evil)",
    "[x](command&colon;evil)",
    "[x](command\\:evil)",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "<a href='command:evil'>x</a>",
    "![i](command:evil)",
]


def test_known_attacks_are_inert() -> None:
    for attack in ATTACKS:
        out = markdown.escape(attack)
        assert "<" not in out and ">" not in out, out
        assert not re.search(r"(?i)command\s*:", out), out
        assert not re.search(r"(?<!\\)\]\(", out), out  # no unescaped link destination
        assert not re.search(r"(?<!\\)\[", out), out


@given(st.text())
def test_escaped_text_never_contains_links_tags_or_entities(text: str) -> None:
    out = markdown.escape(text)
    assert "<" not in out and ">" not in out
    assert not re.search(r"(?<!\\)[\[\]]", out.replace("\\\\", ""))
    assert not re.search(r"(?i)command\s*:", out)
    assert not re.search(r"&(?!amp;|lt;|gt;|#58;)", out)  # only our own entities


def test_excerpt_cuts_at_lines() -> None:
    body = "\n".join(f"line {i} " + "x" * 50 for i in range(20))
    out = markdown.excerpt(body)
    assert out.endswith("…") and len(out.splitlines()) <= 7
    assert all(line in body or line == "…" for line in out.splitlines())
