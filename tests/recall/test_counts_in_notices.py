"""Counts in printed text use the singular for one (`1 note`, never `1 notes`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cairn.index import NoteIndex
from cairn.plural import counted
from cairn.workspace import Workspace


def test_counted_uses_the_singular_for_exactly_one() -> None:
    assert [counted(n, "note") for n in (0, 1, 2)] == ["0 notes", "1 note", "2 notes"]
    assert counted(1, "entry", "entries") == "1 entry" and counted(3, "entry", "entries") == "3 entries"


def test_the_index_notice_counts_one_note_in_the_singular(small_repo: Path, helpers: Any) -> None:
    helpers.write_note(small_repo, "decisions/only-one", "The only note", body="Alone.")
    notices: list[str] = []
    NoteIndex(Workspace.at(small_repo), notice=notices.append).refresh()
    assert len(notices) == 1 and "was missing; built it (1 note, " in notices[0], notices
