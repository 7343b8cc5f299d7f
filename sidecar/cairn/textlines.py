"""Splitting note and code text into lines the way git and editors count them: at `\n`, `\r\n`, `\r`.

`str.splitlines()` also breaks at `\v`, `\f`, `\x1c`-`\x1e`, `\x85`, U+2028 and U+2029, which git and
editors (the LSP counts `\n`, `\r\n` and `\r`) show inside a line: a note or a source file holding one
(U+2028 is legal in a JavaScript string) would get every later line number wrong, and a file name
holding one would be cut in two. Everything that turns note or code text into numbered lines uses this.
"""

from __future__ import annotations

import re

_BREAK = re.compile(r"\r\n|\r|\n")


def _plain(text: str) -> bool:
    """Whether `text` holds none of the characters `str.splitlines` breaks at besides `\\n` and `\\r`, so
    that (fast, in C) is exact. Eight substring scans cost a fifth of one `splitlines` (a regex class
    search, twice that), so the common case pays almost nothing."""
    return ("\x0b" not in text and "\x0c" not in text and "\x1c" not in text and "\x1d" not in text
            and "\x1e" not in text and "\x85" not in text and "\u2028" not in text and "\u2029" not in text)


def split_lines(text: str, keepends: bool = False) -> list[str]:
    """`text.splitlines(keepends)` breaking only at `\\n`, `\\r\\n` and `\\r` (a final break adds no
    empty line; `""` is no line)."""
    if _plain(text):
        return text.splitlines(keepends)
    lines: list[str] = []
    start = 0
    for match in _BREAK.finditer(text):
        lines.append(text[start:match.end() if keepends else match.start()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


__all__ = ["split_lines"]
