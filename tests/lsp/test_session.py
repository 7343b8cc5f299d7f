"""The server's session in-process: incremental refreshes, deferred commit naming, saved state."""

from __future__ import annotations

from typing import Any

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
