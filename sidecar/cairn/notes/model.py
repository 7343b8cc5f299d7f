"""The note and anchor model (the frontmatter keys are in docs/ARCHITECTURE.md and the README).

A `Note` is an immutable, validated view of one file: the typed fields the engine reasons about, plus
the raw frontmatter mapping and body text so that nothing the file holds is ever lost when it is
written back. Ids are the path under the notes root without `.md`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cairn.config import Config

STATUSES = ("active", "superseded", "archived")

# Folder a new note of each kind goes to (other kinds: "<kind>s").
KIND_FOLDERS = {"decision": "decisions", "pattern": "patterns", "gotcha": "gotchas", "session": "sessions"}

# The body a session note starts from (`cairn add --kind session` without a body, the Stop hook's
# request, MCP add_note's description): what the next session needs from this one.
SESSION_TEMPLATE = """\
## What changed
-

## Why
-

## Decided not to do (and why)
-

## What the next session should know
-
"""


def kind_folder(kind: str) -> str:
    return KIND_FOLDERS.get(kind, f"{kind}s")


@dataclass(frozen=True)
class Anchor:
    """A code range a note talks about, as recorded.

    `data` is the anchor's whole mapping from the frontmatter (key order kept), including the
    fingerprint keys the anchor engine wrote; `line` is where the item starts in the note file.
    """

    path: str
    start: int
    end: int
    commit: str | None
    data: dict[str, Any]
    line: int = 0
    lines_line: int = 0

    @property
    def lines(self) -> str:
        return f"{self.start}-{self.end}"

    def label(self) -> str:
        return f"{self.path}:{self.start}-{self.end}"


@dataclass(frozen=True)
class NoteError:
    """One problem with one note file, located at a 1-based line."""

    path: str  # repository-relative path of the note file
    line: int
    message: str
    note_id: str | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Note:
    """One valid note."""

    id: str
    rel_path: str  # repository-relative POSIX path of the file
    title: str
    kind: str
    tags: tuple[str, ...]
    status: str
    supersedes: tuple[str, ...]
    created: datetime | None
    reviewed: datetime | None
    updated: datetime | None
    ttl: timedelta | None
    anchors: tuple[Anchor, ...]
    meta: dict[str, Any]
    body: str
    version: str  # content hash of the file as read; the token for conditional writes
    key_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def last_reviewed(self) -> datetime | None:
        """When somebody last confirmed the note (falls back to creation)."""
        return self.reviewed or self.created

    def effective_ttl(self, config: Config) -> timedelta | None:
        if self.ttl is not None:
            return self.ttl
        kind = config.kind(self.kind)
        return kind.ttl if kind else None

    def expires_at(self, config: Config) -> datetime | None:
        ttl = self.effective_ttl(config)
        base = self.last_reviewed
        if ttl is None or base is None:
            return None
        return base + ttl

    def expired(self, now: datetime, config: Config) -> bool:
        """Reviewed (or created) longer ago than its ttl allows."""
        at = self.expires_at(config)
        return at is not None and now >= at

    def line_of(self, key: str) -> int:
        """The line of a top-level frontmatter key in the file (1 when unknown)."""
        return self.key_lines.get(key, 1)
