"""Text that reaches a terminal: control characters from notes are shown, never obeyed.

Titles, bodies, tags and ids come from committed files. A title holding `ESC ] 52 ; c ; ... BEL` would,
printed raw, write the reader's clipboard (OSC 52); other sequences move the cursor, rewrite earlier
lines, retitle the window or hide text. `safe_text` turns every control character except tab and
newline into a visible `\\u` escape with its four hex digits (ESC reads `\\u001b`). That form is also
a valid JSON escape, so applying it to JSON text (whose own encoder already escapes C0 controls, but not
DEL or the C1 range) keeps the JSON valid and decodes to the same string.

`SafeStream` applies it to everything written to a stream; the CLI wraps stdout and stderr in it for
every command (the protocol servers `serve` and `mcp` only their stderr logs: their stdout is JSON-RPC),
so no output path can bypass it (the git hooks print through `cairn sync --hook`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

# C0 controls except tab and newline, DEL, C1 controls, and the bidirectional overrides and isolates
# that reorder how a line reads ("Trojan source").
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def safe_text(text: str) -> str:
    """`text` with control characters (other than tab and newline) made visible as `\\u` escapes (ESC reads `\\u001b`).

    Windows line ends (`\\r\\n`, as notes written on Windows have) become plain newlines first.
    """
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return _UNSAFE.sub(_escape, text)


class SafeStream:
    """A text stream that writes `safe_text` of everything to the stream it wraps."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(safe_text(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding, ... of the real stream
        return getattr(self.inner, name)


@contextmanager
def safe_output(stdout: bool = True) -> Iterator[None]:
    """While active, `sys.stderr` (and `sys.stdout` unless it carries a protocol) write terminal-safe text."""
    saved = sys.stdout, sys.stderr
    if stdout:
        sys.stdout = SafeStream(saved[0])
    sys.stderr = SafeStream(saved[1])
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
