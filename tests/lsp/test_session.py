"""The server's session in-process: incremental refreshes, deferred commit naming, saved state."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from cairn.notes.store import NoteStore
from cairn.server import file_views
from cairn.server import session as session_module
from cairn.server.session import Session
from cairn.workspace import Workspace as Ws

from .conftest import APP_PY, Workspace


def test_big_git_changes_publish_first_and_name_commits_after(ws: Workspace, monkeypatch: Any) -> None:
    ids = [ws.note(f"Note {i}", [("src/app.py", 1 + 3 * i, 2 + 3 * i)]) for i in range(4)]
    ws.repo.commit("notes")
    session = Session(Ws.at(ws.root))
    session.refresh()
    assert session.status()["stale"] == 0
    ws.repo.write("src/app.py", APP_PY.replace("return x + 1\n", "return x + 10\n")
                  .replace("return x + 2\n", "return x + 20\n"))
    sha = ws.repo.commit("Change f1 and f2")
    monkeypatch.setattr(session_module, "QUICK_ABOVE", 0)
    snap = session.refresh(code=True)
    stale = [snap.notes[i] for i in ids[:2]]
    assert all(v.state == "stale" for v in stale)
    assert all(a.changed_in is None for v in stale for a in v.stale_anchors())
    assert session.has_unnamed()
    while session.has_unnamed():
        snap = session.name_pending(batch=1)
    assert [a.changed_in for i in ids[:2] for a in snap.notes[i].stale_anchors()] == [sha, sha]
    assert snap.notes[ids[2]].state == "fresh"


def test_saved_state_restores_without_reparsing(ws: Workspace, monkeypatch: Any) -> None:
    ids = [ws.note(f"Note {i}", [("src/app.py", 1 + 3 * i, 2 + 3 * i)]) for i in range(3)]
    ws.repo.commit("notes")
    first = Session(Ws.at(ws.root))
    first.refresh()
    first.save_state()
    ws.note_path(ids[0]).write_text(ws.note_path(ids[0]).read_text().replace("Body of the note.", "Edited."))
    parsed: list[str] = []
    second = Session(Ws.at(ws.root))
    original = second.store.read_file

    def counting(path: Any) -> Any:
        parsed.append(path.name)
        return original(path)

    monkeypatch.setattr(second.store, "read_file", counting)
    snap = second.refresh()
    assert parsed == [ws.note_path(ids[0]).name]  # only the edited note was parsed again
    assert snap.notes[ids[0]].note.body.strip() == "Edited."
    assert {v.state for v in snap.notes.values()} == {"fresh"}
    assert snap.counts() == first.published.counts()


def test_restored_notes_skip_the_path_check_only_while_their_files_are_plain(ws: Workspace, tmp_path: Path,
                                                                             monkeypatch: Any) -> None:
    """A restored note's anchored paths are checked again once one is no longer a plain file in the
    repository (here its folder became a symlink leading outside): the same error as a cold load."""
    note_id = ws.note("Linked", [("src/app.py", 1, 2)])
    ws.repo.commit("notes")
    first = Session(Ws.at(ws.root))
    first.refresh()
    first.save_state()
    checks: list[str] = []

    def session_counting_checks() -> Session:
        session = Session(Ws.at(ws.root))
        original = session.store.check_anchor_paths

        def counting(note: Any, memo: Any = None) -> Any:
            checks.append(note.id)
            return original(note, memo)

        monkeypatch.setattr(session.store, "check_anchor_paths", counting)
        return session

    unchanged = session_counting_checks()
    assert unchanged.refresh().notes[note_id].state == "fresh" and unchanged._restored and checks == []
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "app.py").write_text(APP_PY)
    shutil.rmtree(ws.root / "src")
    (ws.root / "src").symlink_to(outside)
    restored = session_counting_checks()
    snap = restored.refresh()
    cold = NoteStore(Ws.at(ws.root)).load()
    assert restored._restored and checks == [note_id]
    assert note_id not in snap.notes and [str(e) for e in snap.errors] == [str(e) for e in cold.errors]
    assert "symlink" in snap.errors[0].message


def test_the_open_files_first_agree_with_the_full_load(ws: Workspace) -> None:
    """`preload` + `first_views` (the start-up's first phase) give the open file the verdicts the full
    `refresh` gives it: a note kept from the saved state, one whose code changed while no server ran
    (judged, its commit named), one whose note file changed (parsed again)."""
    kept = ws.note("Kept", [("src/app.py", 28, 29)])
    changed = ws.note("Changed", [("src/app.py", 1, 2)])
    edited = ws.note("Edited", [("src/app.py", 4, 5)])
    ws.repo.write("src/other.py", "x = 1\n")
    ws.repo.commit("other")
    elsewhere = ws.note("Elsewhere", [("src/other.py", 1, 1)])
    ws.repo.commit("notes")
    first = Session(Ws.at(ws.root))
    first.refresh()
    first.save_state()
    ws.repo.write("src/app.py", APP_PY.replace("return x + 1\n", "return x + 100\n"))
    sha = ws.repo.commit("Change f1")
    ws.note_path(edited).write_text(ws.note_path(edited).read_text().replace("Body of the note.", "New body."))

    session = Session(Ws.at(ws.root))
    session.preload()
    early = session.first_views(["src/app.py"])["src/app.py"]
    assert set(early.notes) == {kept, changed, edited}  # only the notes touching the open file
    assert early.notes[changed].state == "stale" and early.notes[changed].stale_anchors()[0].changed_in == sha
    assert early.notes[edited].note.body.strip() == "New body."
    assert elsewhere in session.refresh().notes
    full = file_views.file_view(session, "src/app.py", None)
    assert {i: (v.state, v.anchors) for i, v in early.notes.items()} == \
        {i: (v.state, v.anchors) for i, v in full.notes.items()}
    assert sorted(early.anchors, key=str) == sorted(full.anchors, key=str)
