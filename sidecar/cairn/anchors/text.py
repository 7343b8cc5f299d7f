"""Lines, normalisation and short hashes: the vocabulary every other anchor module speaks.

A file is compared as a list of lines without their line terminators, so a CRLF file and the same file
with LF endings compare equal line by line (an end-of-line conversion alone is not a change to the code).
"Whitespace-insensitive" means every whitespace character removed: re-indenting, re-wrapping, adding or
removing blank lines are all whitespace-only edits, which is exactly what formatters do.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence

BINARY_SNIFF = 8000


def is_binary(data: bytes) -> bool:
    """Git's heuristic: a NUL byte in the first 8000 bytes."""
    return b"\0" in data[:BINARY_SNIFF]


def decode(data: bytes) -> str:
    """Bytes of a text file as str; undecodable bytes survive as surrogates (never an exception)."""
    return data.decode("utf-8", "surrogateescape")


def split_lines(text: str) -> list[str]:
    """Lines without terminators; `\\r` before `\\n` dropped; a final newline adds no empty line."""
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def norm(line: str) -> str:
    """A line with every whitespace character removed."""
    return "".join(line.split())


def _h(text: str, size: int) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()[:size]


def block_hash(lines: Sequence[str]) -> str:
    """Exact hash of a block (line terminators normalised), 16 hex digits."""
    return _h("\n".join(lines), 16)


def ws_hash(lines: Sequence[str]) -> str:
    """Whitespace-insensitive hash of a block, 16 hex digits."""
    return _h("".join(norm(line) for line in lines), 16)


LINE_HASH_SIZE = 6


def line_hash(line: str) -> str:
    """Short whitespace-insensitive hash of one line (alignment only; blocks are verified in full).

    CRC-32 cut to 24 bits: a check hashes every line of every file it searches, and a collision only
    costs a candidate that the full block hash then rejects.
    """
    return "%06x" % (zlib.crc32("".join(line.split()).encode("utf-8", "surrogateescape")) & 0xFFFFFF)


def nonblank_neighbours(lines: Sequence[str], start: int, end: int, count: int) -> tuple[list[int], list[int]]:
    """Indices of the `count` nearest non-blank lines above `start` and below `end` (0-based, inclusive).

    Above is returned top-down, below top-down. Blank lines are skipped because they carry no
    information about where a block sits.
    """
    above: list[int] = []
    i = start - 1
    while i >= 0 and len(above) < count:
        if lines[i].strip():
            above.append(i)
        i -= 1
    below: list[int] = []
    i = end + 1
    while i < len(lines) and len(below) < count:
        if lines[i].strip():
            below.append(i)
        i += 1
    return above[::-1], below
