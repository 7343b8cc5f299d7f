"""Code actions and commands: applied through the server, verified on disk; conflicts never overwrite."""

from __future__ import annotations

from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from .conftest import APP_PY, Workspace, codes, open_doc, replace_all, start, wait_diagnostics


async def run(client: LanguageClient, command: str, *args: Any) -> Any:
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(command=command,
                                                                                   arguments=list(args)))


async def actions_at(client: LanguageClient, uri: str, line: int) -> list[types.CodeAction]:
    pos = types.Position(line=line - 1, character=0)
    got = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=types.Range(start=pos, end=pos),
        context=types.CodeActionContext(diagnostics=[])))
    return [a for a in got or [] if isinstance(a, types.CodeAction)]


@pytest.mark.client_matrix  # once per recorded client (conftest.CLIENTS)
async def test_actions_on_any_anchored_range(client: LanguageClient, ws: Workspace) -> None:
    ws.note("First", [("src/app.py", 4, 5)])
    ws.note("Second", [("src/app.py", 5, 6)])
    ws.repo.commit("notes")
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    open_doc(client, uri, APP_PY)
    titles = [a.title for a in await actions_at(client, uri, 5)]
    assert "Open note — First" in titles and "Open note — Second" in titles
    assert "Draft an update for an agent — First" in titles
    assert not any(t.startswith("Re-anchor") for t in titles)  # nothing moved or stale
    assert await actions_at(client, uri, 20) == []


@pytest.mark.client_matrix  # once per recorded client (conftest.CLIENTS)
async def test_reanchor_is_conditional_on_the_version_the_editor_saw(client: LanguageClient, ws: Workspace) -> None:
    note_id = ws.note("Adders add", [("src/app.py", 4, 5)])
    ws.repo.commit("note")
    ws.repo.write("src/app.py", APP_PY.replace("return x + 2", "return x - 2"))
    ws.repo.commit("Subtract")
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    open_doc(client, uri, APP_PY.replace("return x + 2", "return x - 2"))
    await wait_diagnostics(client, uri, lambda d: codes(d) == ["stale"])
    fix = next(a for a in await actions_at(client, uri, 4) if a.title.startswith("Re-anchor"))
    assert fix.command is not None
    # Someone edits the note after the editor read it: the re-anchor must not overwrite their change.
    path = ws.note_path(note_id)
    edited = path.read_text().replace("Body of the note.", "Body edited by a teammate.")
    path.write_text(edited)
    with pytest.raises(JsonRpcException) as err:
        await run(client, fix.command.command, *(fix.command.arguments or []))
    assert "changed since" in str(err.value)
    assert path.read_text() == edited
    assert any("nothing was written" in m.message for m in client.messages)
    # With the current version it goes through.
    await wait_diagnostics(client, uri, lambda d: codes(d) == ["stale"] and d[0].data["version"] != fix.command
                           .arguments[0]["version"])  # type: ignore[index]
    fix = next(a for a in await actions_at(client, uri, 4) if a.title.startswith("Re-anchor"))
    result = await run(client, fix.command.command, *(fix.command.arguments or []))  # type: ignore[union-attr]
    assert result["id"] == note_id
    text = path.read_text()
    assert "Body edited by a teammate." in text and "lines: 4-5" in text
    await wait_diagnostics(client, uri, lambda d: not d)


@pytest.mark.client_matrix  # once per recorded client (conftest.CLIENTS)
async def test_mark_reviewed_draft_update_and_open_note(client: LanguageClient, ws: Workspace) -> None:
    note_id = ws.note("Old gotcha", [("src/app.py", 7, 8)], kind="gotcha", reviewed="2024-01-01T00:00:00Z")
    ws.repo.commit("note")
    ws.repo.write("src/app.py", APP_PY.replace("return x + 3", "return x + 33"))
    ws.repo.commit("Change f3")
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    draft = await run(client, "cairn.draftUpdate", {"id": note_id})
    text = draft["text"]
    assert "Old gotcha" in text and "return x + 33" in text and "-    return x + 3" in text
    assert "update" in text.lower()
    opened = await run(client, "cairn.openNote", {"id": note_id})
    assert opened["uri"] == ws.note_path(note_id).as_uri()
    before = ws.note_path(note_id).read_text()
    assert "reviewed: 2024-01-01T00:00:00Z" in before
    result = await run(client, "cairn.markReviewed", {"id": note_id})
    after = ws.note_path(note_id).read_text()
    assert result["id"] == note_id and "reviewed: 2024-01-01T00:00:00Z" not in after
    assert "reviewed_by: Test Author" in after  # a person's review, shown to agents as provenance
    with pytest.raises(JsonRpcException):
        await run(client, "cairn.openNote", {"id": "../../etc/passwd"})
    with pytest.raises(JsonRpcException):
        await run(client, "cairn.markReviewed", {"id": "decisions/nope"})
    assert uri


@pytest.mark.client_matrix  # once per recorded client (conftest.CLIENTS)
async def test_new_note_from_a_selection(client: LanguageClient, ws: Workspace) -> None:
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    open_doc(client, uri, APP_PY)
    rng = {"start": {"line": 9, "character": 0}, "end": {"line": 11, "character": 0}}  # lines 10-11
    result = await run(client, "cairn.newNote", {"uri": uri, "range": rng, "kind": "pattern",
                                                 "title": "Four adds four", "body": "Why.", "tags": ["math"]})
    path = ws.root / result["path"]
    assert result["uri"] == path.as_uri() and result["id"] == "patterns/four-adds-four"
    text = path.read_text()
    assert "lines: 10-11" in text and "path: src/app.py" in text and "math" in text
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=10, character=1)))
    assert hover is not None and "Four adds four" in str(hover.contents)
    with pytest.raises(JsonRpcException):
        await run(client, "cairn.newNote", {"uri": uri, "range": rng, "kind": "nonsense", "title": "x"})


@pytest.mark.client_matrix  # once per recorded client (conftest.CLIENTS)
async def test_code_actions_honour_context_only(client: LanguageClient, ws: Workspace) -> None:
    ws.note("Adders add", [("src/app.py", 4, 5)])
    ws.repo.commit("note")
    changed = APP_PY.replace("return x + 2", "return x - 2")
    ws.repo.write("src/app.py", changed)
    ws.repo.commit("Subtract")
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    open_doc(client, uri, changed)
    diags = await wait_diagnostics(client, uri, lambda d: codes(d) == ["stale"])
    pos = types.Position(line=3, character=0)

    async def kinds(only: list[str] | None) -> list[tuple[str, str]]:
        got = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=types.Range(start=pos, end=pos),
            context=types.CodeActionContext(diagnostics=list(diags), only=only)))
        return [(str(a.kind), a.title) for a in got or [] if isinstance(a, types.CodeAction)]

    everything = await kinds(None)
    assert {t for _, t in everything} >= {"Open note", "Mark reviewed", "Draft an update for an agent"}
    quickfixes = await kinds([types.CodeActionKind.QuickFix])
    assert [t for _, t in quickfixes] == ["Re-anchor to the current lines and mark reviewed"]
    assert await kinds([types.CodeActionKind.Source]) == []  # nothing of a kind Cairn does not offer
    assert await kinds([types.CodeActionKind.Empty]) == everything  # the empty kind asks for every kind


async def test_mark_reviewed_clears_stale_and_refuses_deleted_code(client: LanguageClient, ws: Workspace) -> None:
    """`cairn.markReviewed` is the engine's one "reviewed": afterwards `cairn check` exits 0 for the note."""
    import subprocess
    import sys

    note_id = ws.note("Adders add", [("src/app.py", 4, 5)])
    ws.repo.commit("note")
    changed = "# header\n" + APP_PY.replace("return x + 2", "return x * 2")
    ws.repo.write("src/app.py", changed)
    ws.repo.commit("Double")
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    open_doc(client, uri, changed)
    await wait_diagnostics(client, uri, lambda d: codes(d) == ["stale"])
    result = await run(client, "cairn.markReviewed", {"id": note_id})
    assert result["id"] == note_id
    assert "lines: 5-6" in ws.note_path(note_id).read_text()
    await wait_diagnostics(client, uri, lambda d: not d)

    def check() -> int:
        return subprocess.run([sys.executable, "-m", "cairn", "check"], cwd=ws.root, capture_output=True,
                              check=False).returncode

    assert check() == 0
    gone = "# header\n" + APP_PY.replace("def f2(x):\n    return x + 2\n\n", "")
    ws.repo.write("src/app.py", gone)
    ws.repo.commit("Drop f2")
    replace_all(client, uri, gone, 2)  # the editor reloads its (clean) buffer, as VS Code does
    before = ws.note_path(note_id).read_bytes()
    with pytest.raises(JsonRpcException) as err:
        await run(client, "cairn.markReviewed", {"id": note_id})
    assert (f"note {note_id}: anchor src/app.py:5-6: anchored code was deleted; "
            "re-anchor it with --anchor or remove the anchor") in str(err.value)
    with pytest.raises(JsonRpcException):
        await run(client, "cairn.reanchor", {"id": note_id})
    assert ws.note_path(note_id).read_bytes() == before
    assert check() == 1
