"""Splitting note and code text into lines the way git and editors count them: at `\n`, `\r\n`, `\r`.

`str.splitlines()` also breaks at `\v`, `\f`, `\x1c`-`\x1e`, `\x85`, U+2028 and U+2029, which git and
editors (the LSP counts `\n`, `\r\n` and `\r`) show inside a line: a note or a source file holding one
(U+2028 is legal in a JavaScript string) would get every later line number wrong, and a file name
holding one would be cut in two. Everything that turns note or code text into numbered lines uses this.
"""

from __future__ import annotations

import re

_BREAK = re.compile(r"\r\n|\r|\n")
# The characters `str.splitlines` breaks at besides \n and \r: the ASCII ones, then the rest.
_OTHER_ASCII = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e")
_OTHER = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _plain(text: str) -> bool:
    """Whether `text` holds none of the extra characters, so `str.splitlines` (fast, in C) is exact."""
    if text.isascii():
        return not any(c in text for c in _OTHER_ASCII)
    return _OTHER.search(text) is None


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
