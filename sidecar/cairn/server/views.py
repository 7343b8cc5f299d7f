"""The immutable views the language-server features read: one anchor, one note, one file, the workspace.

Why separate from the session: every feature (hover, lens, diagnostics, code actions) reads these and
nothing else, and the session, its checkers and its saved state all build them; keeping them in a module
of their own lets each of those import the types without importing each other. Lines are 1-based.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cairn.notes.model import Note, NoteError
from cairn.timeutil import format_age, now_utc

STALE = frozenset({"changed", "deleted"})
# Order in which notes are listed on one line: freshest first.
STATE_ORDER = {"fresh": 0, "expired": 1, "stale": 2}


@dataclass(frozen=True)
class AnchorView:
    """One anchor's verdict, and where the editor should show it (1-based, inclusive)."""

    note_id: str
    index: int
    path: str  # as recorded
    start: int
    end: int
    status: str  # intact | moved | reformatted | changed | deleted
    current: tuple[str, int, int] | None  # where the code is now (None when stale)
    shown: tuple[str, int, int]  # current place, else the best guess for stale code, else as recorded
    changed_in: str | None
    message: str
    merged_in: str | None = None  # the merge that brought `changed_in` onto the first-parent line

    @property
    def stale(self) -> bool:
        return self.status in STALE

    def covers(self, line: int) -> bool:
        return self.shown[1] <= line <= self.shown[2]


@dataclass(frozen=True)
class NoteView:
    """A valid note with its freshness: `fresh`, `stale` (an anchor changed/deleted) or `expired`."""

    note: Note
    state: str
    anchors: tuple[AnchorView, ...]
    expired: bool = False
    age: str = ""

    @property
    def id(self) -> str:
        return self.note.id

    def stale_anchors(self) -> list[AnchorView]:
        return [a for a in self.anchors if a.stale]

    @property
    def badge(self) -> str:
        """`fresh`, `stale since 3f2c1ab`, `stale (uncommitted change)` or `expired`."""
        if self.state == "stale":
            for anchor in self.stale_anchors():
                if anchor.changed_in == "uncommitted":
                    return "stale (uncommitted change)"
                if anchor.changed_in:
                    return f"stale since {anchor.changed_in[:7]}"
            return "stale"
        return self.state

    def sort_key(self) -> tuple[int, float]:
        reviewed = self.note.last_reviewed
        return (STATE_ORDER.get(self.state, 3), -(reviewed.timestamp() if reviewed else 0.0))


@dataclass(frozen=True)
class PublishedState:
    """What a session publishes: every note of the workspace judged against the working tree, indexed for
    the features (immutable; the session swaps in a new one after each event)."""

    generation: int
    head: str | None
    notes: Mapping[str, NoteView]
    errors: tuple[NoteError, ...]
    by_path: Mapping[str, tuple[AnchorView, ...]]  # shown path → anchors shown there

    def flagged_paths(self) -> set[str]:
        """Files showing an anchor of a stale or expired note (the ones with code diagnostics)."""
        return {a.shown[0] for v in self.notes.values() if v.state != "fresh" for a in v.anchors}

    def counts(self) -> dict[str, int]:
        invalid = len({e.path for e in self.errors})
        return {
            "notes": len(self.notes) + invalid,
            "stale": sum(1 for v in self.notes.values() if v.state == "stale"),
            "expired": sum(1 for v in self.notes.values() if v.state == "expired"),
            "invalid": invalid,
        }


@dataclass(frozen=True)
class FileView:
    """The anchors shown in one file (its buffer or its working-tree content) and their notes' state."""

    path: str
    anchors: tuple[AnchorView, ...]
    notes: Mapping[str, NoteView]
    generation: int
    line_count: int = 0

    def at_line(self, line: int) -> list[tuple[NoteView, AnchorView]]:
        """(note, anchor) pairs covering a 1-based line, freshest note first."""
        hits = [(self.notes[a.note_id], a) for a in self.anchors if a.covers(line) and a.note_id in self.notes]
        hits.sort(key=lambda pair: pair[0].sort_key())
        return hits

    def overlapping(self, first: int, last: int) -> list[tuple[NoteView, AnchorView]]:
        hits = [(self.notes[a.note_id], a) for a in self.anchors
                if a.shown[1] <= last and first <= a.shown[2] and a.note_id in self.notes]
        hits.sort(key=lambda pair: pair[0].sort_key())
        return hits


@dataclass(frozen=True)
class NoteFileView:
    """A note file (its buffer or disk content): parse problems and broken anchors."""

    path: str
    note: Note | None
    errors: tuple[NoteError, ...]
    broken: tuple[tuple[int, str], ...]  # (1-based line in the note file, message)


def expiry_text(note: Note) -> str:
    """`last reviewed 210 days ago` (for expired notes)."""
    reviewed = note.last_reviewed
    if reviewed is None:
        return "never reviewed"
    return f"last reviewed {format_age(now_utc() - reviewed)}"

