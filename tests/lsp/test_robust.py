"""Robustness: odd inputs get a log line and an empty answer, and the server keeps serving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import APP_PY, Workspace, codes, hover_text, open_doc, start, wait_diagnostics, wait_for


async def still_serving(client: LanguageClient, ws: Workspace) -> None:
    status = await client.protocol.send_request_async("cairn/status", {})
    assert status.notes >= 0
    assert "About f1" in await hover_text(client, ws.uri("src/app.py"), 1)


async def test_a_broken_note_does_not_hide_the_others(client: LanguageClient, ws: Workspace) -> None:
    ws.note("About f1", [("src/app.py", 1, 2)])
    (ws.root / "agent-context" / "decisions" / "bad.md").write_text("---\ntitle: [unclosed\n---\n")
    (ws.root / "agent-context" / "decisions" / "no-frontmatter.md").write_text("just text\n")
    (ws.root / "agent-context" / "decisions" / "escape.md").write_text(
        "---\ntitle: Escape\nkind: decision\nanchors:\n  - path: ../../etc/passwd\n    lines: 1-2\n---\n")
    ws.repo.commit("notes")
    await start(client, ws.root)
    assert client.cairn_status[-1].invalid == 3  # type: ignore[attr-defined]
    bad = ws.root / "agent-context" / "decisions" / "escape.md"
    diags = await wait_diagnostics(client, bad.as_uri(), lambda d: codes(d) == ["invalid"])
    assert diags[0].range.start.line == 4 and "escapes the repository" in diags[0].message
    await still_serving(client, ws)


async def test_repository_without_commits(client: LanguageClient, repo: Any) -> None:
    repo.write("src/app.py", APP_PY)
    (repo.root / "agent-context" / "decisions").mkdir(parents=True)
    ws = Workspace(repo)
    ws.note("About f1", [("src/app.py", 1, 2)])
    await start(client, repo.root)
    uri = ws.uri("src/app.py")
    open_doc(client, uri, APP_PY)
    assert "`fresh`" in await hover_text(client, uri, 1)
    open_doc(client, uri, APP_PY.replace("return x + 1", "return x + 11"), version=2)
    diags = await wait_diagnostics(client, uri, lambda d: codes(d) == ["stale"])
    assert "anchored lines changed" in diags[0].message


async def test_huge_files_closed_documents_and_foreign_uris(client: LanguageClient, ws: Workspace,
                                                            tmp_path: Path) -> None:
    ws.note("About f1", [("src/app.py", 1, 2)])
    big = "x = 1\n" * 400_000  # 2.4 MB
    ws.repo.write("src/big.py", big)
    ws.note("About big", [("src/big.py", 1, 2)])
    ws.repo.commit("notes")
    await start(client, ws.root)
    big_uri = ws.uri("src/big.py")
    open_doc(client, big_uri, big)
    assert await hover_text(client, big_uri, 1) == ""
    assert any("over the 2 MiB limit" in m.message for m in client.log_messages)
    # A request for a document the editor never opened: answered from disk, and said so.
    assert "About f1" in await hover_text(client, ws.uri("src/app.py"), 1)
    assert any("not open in the editor" in m.message for m in client.log_messages)
    # Untitled buffers and files in no repository: empty answers, one log line each.
    assert await hover_text(client, "untitled:Untitled-1", 1) == ""
    lens = await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=(tmp_path / "nowhere.py").as_uri())))
    assert not lens
    recall = await client.protocol.send_request_async("cairn/recall", {"uri": "untitled:Untitled-1"})
    assert recall.pack.notes == []
    await still_serving(client, ws)


async def test_a_folder_outside_any_repository(client: LanguageClient, tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "a.py").write_text("a = 1\n")
    await start(client, folder)
    await wait_for(client, types.WINDOW_LOG_MESSAGE,
                   lambda: any("inactive" in m.message for m in client.log_messages))
    assert await hover_text(client, (folder / "a.py").as_uri(), 1) == ""
    status = await client.protocol.send_request_async("cairn/status", {})
    assert status.notes == 0


async def test_bad_command_arguments_are_errors_not_crashes(client: LanguageClient, ws: Workspace) -> None:
    from pygls.exceptions import JsonRpcException

    ws.note("About f1", [("src/app.py", 1, 2)])
    ws.repo.commit("notes")
    await start(client, ws.root)
    for command, args in (("cairn.reanchor", []), ("cairn.reanchor", ["x"]), ("cairn.newNote", [{"uri": 3}]),
                          ("cairn.draftUpdate", [{"id": ""}])):
        try:
            await client.workspace_execute_command_async(types.ExecuteCommandParams(command=command,
                                                                                     arguments=args))
            raise AssertionError(f"{command} {args} should fail")
        except JsonRpcException as exc:
            assert command in str(exc)
    await still_serving(client, ws)
