"""The anchor engine's options the server relies on (`Checker(cache=, name_commits=, base=)`), in-process."""

from __future__ import annotations

import pytest

from cairn.anchors import Checker, Target
from cairn.anchors.cache import VerdictCache
from cairn.errors import UsageError
from cairn.notes.store import NoteStore
from cairn.server.checkers import SessionCheckers
from cairn.workspace import Workspace as Ws

from .conftest import APP_PY, Workspace


def test_unnamed_checks_are_not_cached_and_a_later_check_names_them(ws: Workspace) -> None:
    ws.note("About f1", [("src/app.py", 1, 2)])
    ws.repo.commit("note")
    ws.repo.write("src/app.py", APP_PY.replace("return x + 1\n", "return x + 10\n"))
    sha = ws.repo.commit("Change f1")
    w = Ws.at(ws.root)
    notes = NoteStore(w).load().notes
    shared = VerdictCache(None)
    checker = Checker(w, Target.worktree(), cache=shared, name_commits=False)
    assert checker.cache is shared
    unnamed = checker.check(notes).notes[0].anchors[0]
    assert unnamed.stale and unnamed.changed_in is None
    assert not shared.entries  # an incomplete verdict is never cached
    named = checker.check(notes, name_commits=True).notes[0].anchors[0]
    assert named.changed_in == sha and shared.entries
    # A complete cached verdict is used by an unnamed check as well.
    again = Checker(w, Target.worktree(), cache=shared, name_commits=False).check(notes).notes[0].anchors[0]
    assert again.changed_in == sha


def test_buffers_over_a_shared_worktree_view(ws: Workspace) -> None:
    ws.note("About f1", [("src/app.py", 1, 2)])
    ws.repo.commit("note")
    w = Ws.at(ws.root)
    notes = NoteStore(w).load().notes
    worktree = Checker(w, Target.worktree(), cache=VerdictCache(None))
    assert worktree.check(notes).notes[0].state == "fresh"
    buffers = {"src/app.py": APP_PY.replace("return x + 1\n", "return x + 11\n")}
    over = Checker(w, Target.with_buffers(buffers), base=worktree, name_commits=False)
    assert over.snapshot.base is worktree.snapshot and over.repo is worktree.repo  # type: ignore[attr-defined]
    verdict = over.check(notes).notes[0].anchors[0]
    assert verdict.stale and verdict.changed_in is None
    # The same identity as a checker that lists and hashes the whole repository itself.
    assert over.identity() == Checker(w, Target.with_buffers(buffers), use_cache=False).identity()
    named = Checker(w, Target.with_buffers(buffers), base=worktree).check(notes).notes[0].anchors[0]
    assert named.changed_in == "uncommitted"
    with pytest.raises(UsageError):
        Checker(w, Target.worktree(), base=worktree)


def test_the_server_judges_buffers_and_unnamed_passes_through_the_options(ws: Workspace) -> None:
    ws.note("About f1", [("src/app.py", 1, 2)])
    ws.repo.commit("note")
    checkers = SessionCheckers(Ws.at(ws.root))
    notes = NoteStore(checkers.ws).load().notes
    edited = {"src/app.py": APP_PY.replace("return x + 1\n", "return x + 11\n")}
    view = next(iter(checkers.judge(notes, edited, name=False).values()))
    assert view.state == "stale" and view.anchors[0].changed_in is None
    assert next(iter(checkers.judge(notes, edited).values())).anchors[0].changed_in == "uncommitted"
    assert next(iter(checkers.judge(notes, None, name=False).values())).state == "fresh"
