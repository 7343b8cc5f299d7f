"""The language server writes notes through the engine's one edit path, as the CLI and MCP do.

`server/note_writes.py` holds no rule of its own: a new note is `cairn.notes.edit.add_note`, a re-anchor and
a mark-reviewed are `cairn.reviewed.mark_reviewed`. Proved two ways: the real server (`cairn serve` through
pytest-lsp) and the real CLI given the same request write the same note; and, in-process, the server's write
functions are seen calling the engine's functions (wrapped, so the real write still happens).
"""

from __future__ import annotations

from typing import Any

import pytest
from pytest_lsp import LanguageClient

from cairn import reviewed
from cairn.notes import edit
from cairn.server import note_writes
from cairn.server.session import Session
from cairn.workspace import Workspace as Ws
from tests.mcp.helpers import cairn

from .conftest import APP_PY, Workspace, open_doc, start
from .test_actions import run

PERSON = {"CAIRN_AGENT": "", "CLAUDECODE": ""}  # a person at the CLI, as at the editor: no agent author


def _frontmatter(text: str) -> list[str]:
    """The frontmatter lines that do not depend on the time or the title."""
    front = text.split("---\n", 2)[1]
    return [line for line in front.splitlines()
            if not line.startswith(("created:", "reviewed:", "updated:", "title:"))]


async def test_the_server_and_the_cli_write_the_same_new_note(client: LanguageClient, ws: Workspace) -> None:
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    open_doc(client, uri, APP_PY)
    rng = {"start": {"line": 3, "character": 0}, "end": {"line": 5, "character": 0}}  # lines 4-5
    by_server = await run(client, "cairn.newNote", {"uri": uri, "range": rng, "kind": "gotcha", "title": "By editor",
                                                    "body": "Same body.", "tags": [" b, a", "a"]})
    cairn(ws.repo, "add", "--kind", "gotcha", "--title", "By shell", "--body", "Same body.", "--tag", " b, a",
          "--tag", "a", "--anchor", "src/app.py:4-5", check=True, **PERSON)
    server_text = (ws.root / by_server["path"]).read_text(encoding="utf-8")
    cli_text = (ws.root / "agent-context/gotchas/by-shell.md").read_text(encoding="utf-8")
    assert _frontmatter(server_text) == _frontmatter(cli_text)
    assert server_text.split("---\n", 2)[2] == cli_text.split("---\n", 2)[2]


async def test_a_new_note_from_an_unsaved_buffer_records_the_buffer(client: LanguageClient, ws: Workspace) -> None:
    """The editor's unsaved text reaches `add_note` (`buffers`): once saved, the note is fresh there."""
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    edited = "# added above\n# and again\n" + APP_PY
    open_doc(client, uri, edited)
    rng = {"start": {"line": 5, "character": 0}, "end": {"line": 7, "character": 0}}  # lines 6-7: f2
    result = await run(client, "cairn.newNote", {"uri": uri, "range": rng, "kind": "pattern", "title": "Two"})
    assert "lines: 6-7" in (ws.root / result["path"]).read_text(encoding="utf-8")
    ws.repo.write("src/app.py", edited)
    checked = cairn(ws.repo, "check", "--json", **PERSON)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_server_writes_call_the_engine_edit_path(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Any]] = []

    def spy(module: Any, name: str) -> None:
        real = getattr(module, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls.append((name, kwargs))
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    spy(edit, "add_note")
    spy(reviewed, "mark_reviewed")
    session = Session(Ws.at(ws.root))
    session.refresh()
    note = note_writes.new_note(session, "src/app.py", 1, 2, "decision", "Editor note", "Body.", ["x"])
    assert [c[0] for c in calls] == ["add_note"] and note.id in session.published.notes
    edited = APP_PY.replace("def f1(x):\n", "# moved down\ndef f1(x):\n")
    moved = note_writes.reanchor(session, note.id, note.version, {"src/app.py": edited})
    assert calls[-1][0] == "mark_reviewed" and calls[-1][1]["checker"] is not None  # judged on the buffer
    assert (moved.anchors[0].start, moved.anchors[0].end) == (2, 3)
    again = note_writes.mark_reviewed(session, note.id, moved.version)
    assert [c[0] for c in calls] == ["add_note", "mark_reviewed", "mark_reviewed"]
    assert calls[-1][1]["checker"] is None and again.version != moved.version
    assert session.published.notes[note.id].note.version == again.version  # re-read before the features see it
