"""Errors that reach a person as one line.

Every failure the user can cause (bad input, a broken note, a conflicting write) is a `CairnError`: the
CLI prints `str(err)` on one line and exits 2, the server logs it, MCP returns it as a tool error. A
traceback is always a bug of ours, never the user's problem to read.
"""

from __future__ import annotations


class CairnError(Exception):
    """A problem with a one-line explanation, optionally located at `path:line`."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        msg = " ".join(self.message.split("\n"))
        if self.path is None:
            return msg
        if self.line is None:
            return f"{self.path}: {msg}"
        return f"{self.path}:{self.line}: {msg}"


class UsageError(CairnError):
    """The command was called wrongly (bad arguments, unknown id, path outside the repository)."""


class NotFoundError(CairnError):
    """A note, file or revision that was asked for does not exist."""


class ConflictError(CairnError):
    """A conditional write lost the race: the note changed since the writer read it.

    Carries both versions so the caller can show them or merge; nothing was written.
    """

    def __init__(
        self,
        message: str,
        path: str,
        expected_version: str | None,
        current_version: str | None,
        current_text: str | None,
        attempted_text: str | None,
    ) -> None:
        super().__init__(message, path=path)
        self.expected_version = expected_version
        self.current_version = current_version
        self.current_text = current_text
        self.attempted_text = attempted_text
