"""The protocol edge: URIs ↔ paths, 1-based engine lines ↔ 0-based LSP ranges, request payloads.

Ranges of lines (`line_range`, clamped to the text) and URIs are converted here. A feature that reads
a single position from a request or writes one into a reply (code_actions, code_lens, commands, hover,
requests) adds or subtracts the one itself, right where it crosses the edge; past that, lines are
1-based as in the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

LINE_END = 10_000


def uri_to_path(uri: str) -> Path | None:
    """The local file of a `file:` URI, or None for other schemes (untitled, git, …)."""
    if not uri.startswith("file:"):
        return None
    text = to_fs_path(uri)
    return Path(text) if text else None


def path_to_uri(path: Path) -> str:
    return path.resolve().as_uri() if not path.is_absolute() else path.as_uri()


UTF16 = "utf-16"  # LSP's default position encoding; the server negotiates utf-8 and utf-32 as well


def columns(text: str, encoding: str) -> int:
    """Length of `text` in the units of the negotiated position encoding (`general.positionEncodings`):
    bytes for utf-8, code points for utf-32, code units for utf-16 (the default)."""
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == "utf-32":
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def line_range(lines: Sequence[str] | None, start: int, end: int, encoding: str) -> types.Range:
    """The LSP range covering 1-based inclusive lines `start..end` of a file whose lines are `lines`,
    its end column counted in the negotiated position `encoding`.

    Without the text (files that are not open), the end is past the end of the line: LSP clients clamp
    a character beyond the line length to the line's end, so no file has to be read to publish.
    """
    first = max(0, start - 1)
    last = max(first, end - 1)
    if lines:
        last = min(last, len(lines) - 1)
        first = min(first, last)
        width = columns(lines[last], encoding)
    else:
        width = LINE_END
    return types.Range(start=types.Position(line=first, character=0),
                       end=types.Position(line=last, character=width))


def to_plain(value: Any) -> Any:
    """Request params as plain dicts/lists (pygls hands custom-request params over as namedtuples)."""
    if value is None:
        return None
    if hasattr(value, "_asdict"):
        return {k: to_plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if hasattr(value, "__attrs_attrs__"):
        from lsprotocol import converters

        return converters.get_converter().unstructure(value)
    return value
