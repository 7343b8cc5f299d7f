"""The server's stdin, guarded so that a broken message header never takes the server down.

pygls' read loop (`pygls.io_.run_async`) trusts the `Content-Length` header: a huge value makes it
allocate or wait for that many bytes (MemoryError ends the server; 2 GB that never come stop it
answering), and after a header it cannot read (`Content-Length: abc`) the body that follows is taken as
header lines, glued to the next real header, so the next request is lost as well.

`GuardedStdin` sits between stdin and pygls, reading the same bytes:

- a header line longer than `MAX_HEADER_LINE` is read in pieces (never a giant buffer);
- a `Content-Length` that is not a number of at most `MAX_MESSAGE_BYTES` is dropped (logged on one
  line), so that message is skipped;
- a line holding junk followed by `Content-Length: ...` (the left-over body of a skipped message) is
  cut to the header, so the next well-formed message is read as usual.
"""

from __future__ import annotations

import logging
import re
from typing import BinaryIO

log = logging.getLogger("cairn.server")

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
MAX_HEADER_LINE = 64 * 1024
_HEADER = re.compile(rb"Content-Length:[ \t]*(.*?)\r?\n?$", re.IGNORECASE | re.DOTALL)
_IGNORED = b"X-Cairn-Ignored: bad Content-Length\r\n"


class GuardedStdin:
    """A binary input stream whose `readline`/`read` pygls uses, with the header checks above."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw

    def readline(self, size: int = -1) -> bytes:
        line = self.raw.readline(MAX_HEADER_LINE)
        if not line:
            return line
        at = line.find(b"Content-Length:")
        if at < 0:
            return line if line.endswith(b"\n") or len(line) < MAX_HEADER_LINE else b"X-Cairn-Ignored: long line\r\n"
        if at > 0:
            log.warning("skipped %d bytes of unreadable input before a Content-Length header", at)
            line = line[at:]
        match = _HEADER.match(line)
        value = match.group(1).strip() if match else b""
        if not value.isdigit() or len(value) > 12 or int(value) > MAX_MESSAGE_BYTES:
            shown = value[:40].decode("ascii", "replace")
            log.warning("ignored a message with Content-Length %r (a number up to %d expected)",
                        shown, MAX_MESSAGE_BYTES)
            return _IGNORED
        return b"Content-Length: " + value + b"\r\n"

    def read(self, size: int = -1) -> bytes:
        return self.raw.read(min(size, MAX_MESSAGE_BYTES) if size >= 0 else MAX_MESSAGE_BYTES)
