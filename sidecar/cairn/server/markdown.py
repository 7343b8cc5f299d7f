"""Markdown from untrusted note content.

A note is written by anyone with push access, or by an agent: its title and body must not be able to
run editor commands (`command:` links, which VS Code executes on click) or inject HTML into a hover.
`escape` makes text inert: no link, autolink, HTML tag or entity can form, and the word `command:` is
broken even if some renderer linkified bare text. The server's own links are added after escaping.
"""

from __future__ import annotations

import re

from cairn.textlines import split_lines

_SPECIAL = re.compile(r"([\\`*_\[\]()#!|{}~])")
_COMMAND = re.compile(r"(?i)command(\s*):")


def escape(text: str) -> str:
    """`text` as literal markdown: special characters backslash-escaped, `&` as an entity."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _SPECIAL.sub(r"\\\1", text)
    return _COMMAND.sub(lambda m: f"command{m.group(1)}&#58;", text)


def escape_line(text: str) -> str:
    """One line of text (titles): newlines folded to spaces, then escaped."""
    return escape(" ".join(text.split()))


def excerpt(body: str, max_lines: int = 6, max_chars: int = 400) -> str:
    """The start of a body: its first lines, cut at a line boundary, marked when cut."""
    lines = [line.rstrip() for line in split_lines(body.strip("\n"))]
    out: list[str] = []
    size = 0
    for line in lines:
        if len(out) >= max_lines or size + len(line) > max_chars:
            if not out:
                out.append(line[:max_chars].rstrip() + " …")
            else:
                out.append("…")
            break
        out.append(line)
        size += len(line) + 1
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out)


def escaped_block(text: str) -> str:
    """Several lines escaped, each kept on its own markdown line (hard breaks for non-blank lines)."""
    result = []
    for line in split_lines(text):
        result.append(escape(line) + ("  " if line.strip() else ""))
    return "\n".join(result)
