"""Diagnostics: external commits, re-anchoring, buffer edits, notes written by other processes, checkouts."""

from __future__ import annotations

import os
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from .conftest import (
    APP_PY,
    SERVER,
    Workspace,
    capabilities,
    codes,
    hover_text,
    make_client,
    open_doc,
    replace_all,
    start,
    wait_diagnostics,
)


def edit_f2(text: str) -> str:
    return text.replace("    return x + 2\n", "    return x * 2  # doubled\n")


@pytest.mark.client_matrix  # once per recorded client (conftest.CLIENTS)
async def test_external_commit_makes_a_note_stale_and_reanchoring_clears_it(
        client: LanguageClient, ws: Workspace) -> None:
    note_id = ws.note("Adders add", [("src/app.py", 4, 5)])
    ws.repo.commit("note")
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    # Another process (a teammate's commit pulled, an agent) changes the anchored lines.
    ws.repo.write("src/app.py", edit_f2(APP_PY))
    sha = ws.repo.commit("Double f2")
    diags = await wait_diagnostics(client, uri, lambda d: codes(d) == ["stale"] and sha[:7] in d[0].message)
    diag = diags[0]
    assert diag.source == "cairn"
    assert diag.severity == types.DiagnosticSeverity.Warning
    assert diag.message == (f"note stale: anchored lines changed in {sha[:7]} (Double f2): "
                            "now src/app.py:4-5 — Adders add")
    assert (diag.range.start.line, diag.range.end.line) == (3, 4)
    assert diag.data["noteId"] == note_id
    assert diag.related_information and diag.related_information[0].location.uri == ws.note_path(note_id).as_uri()

    # The quick fix re-anchors through the server's command; the note changes on disk, the warning goes.
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=diag.range,
        context=types.CodeActionContext(diagnostics=list(diags))))
    assert actions is not None
    titles = [a.title for a in actions if isinstance(a, types.CodeAction)]
    assert titles[:4] == ["Re-anchor to the current lines and mark reviewed", "Open note", "Mark reviewed",
                          "Draft an update for an agent"]
    fix = next(a for a in actions if isinstance(a, types.CodeAction) and a.title.startswith("Re-anchor"))
    assert fix.command is not None
    before = ws.note_path(note_id).read_text()
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=fix.command.command, arguments=fix.command.arguments))
    assert result["id"] == note_id
    after = ws.note_path(note_id).read_text()
    assert after != before
    assert f"commit: {sha}" in after
    await wait_diagnostics(client, uri, lambda d: not d)


@pytest.mark.client_matrix  # once per recorded client (conftest.CLIENTS)
async def test_typing_inside_an_anchored_range_makes_it_stale_before_saving(
        client: LanguageClient, ws: Workspace) -> None:
    ws.note("Adders add", [("src/app.py", 4, 5)])
    ws.repo.commit("note")
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    open_doc(client, uri, APP_PY)
    await wait_diagnostics(client, uri, lambda d: not d)
    replace_all(client, uri, edit_f2(APP_PY), 2)
    diags = await wait_diagnostics(client, uri, lambda d: codes(d) == ["stale"])
    assert "uncommitted" in diags[0].message
    assert diags[0].range.start.line == 3
    # Inserting lines above moves the diagnostic with the code.
    replace_all(client, uri, "# a\n# b\n" + edit_f2(APP_PY), 3)
    await wait_diagnostics(client, uri, lambda d: codes(d) == ["stale"] and d[0].range.start.line == 5)
    # Undoing the edit makes the note fresh again, still without saving.
    replace_all(client, uri, APP_PY, 4)
    await wait_diagnostics(client, uri, lambda d: not d)
    # Closing an edited, unsaved buffer: the file shows what is on disk again (fresh).
    replace_all(client, uri, edit_f2(APP_PY), 5)
    await wait_diagnostics(client, uri, lambda d: codes(d) == ["stale"])
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    await wait_diagnostics(client, uri, lambda d: not d)


async def test_a_note_written_by_another_process_shows_up(client: LanguageClient, ws: Workspace) -> None:
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    open_doc(client, uri, APP_PY)
    await wait_diagnostics(client, uri, lambda d: not d)
    # An agent writes an old, unreviewed gotcha about f3 (expired: reviewed beyond its ttl).
    note_id = ws.note("Watch f3", [("src/app.py", 7, 8)], kind="gotcha", reviewed="2024-01-01T00:00:00Z")
    diags = await wait_diagnostics(client, uri, lambda d: codes(d) == ["expired"])
    assert diags[0].severity == types.DiagnosticSeverity.Information
    assert diags[0].message.startswith("note expired: last reviewed") and diags[0].message.endswith("— Watch f3")
    assert diags[0].range.start.line == 6
    # Then an invalid note file appears: an error at the exact line of the problem.
    bad = ws.root / "agent-context" / "gotchas" / "broken.md"
    bad.write_text("---\ntitle: Broken\nkind: nonsense\n---\nbody\n")
    bad_diags = await wait_diagnostics(client, bad.as_uri(), lambda d: codes(d) == ["invalid"])
    assert bad_diags[0].range.start.line == 2
    assert bad_diags[0].severity == types.DiagnosticSeverity.Error
    assert "unknown kind" in bad_diags[0].message
    status = await client.protocol.send_request_async("cairn/status", {})
    assert (status.notes, status.expired, status.invalid) == (2, 1, 1)
    assert note_id


async def test_git_checkout_of_another_branch_refreshes_diagnostics(client: LanguageClient, ws: Workspace) -> None:
    ws.note("Adders add", [("src/app.py", 4, 5)])
    ws.repo.commit("note")
    ws.repo.git("checkout", "-q", "-b", "rewrite")
    ws.repo.write("src/app.py", edit_f2(APP_PY))
    ws.repo.commit("Rewrite f2")
    ws.repo.git("checkout", "-q", "main")
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    ws.repo.git("checkout", "-q", "rewrite")
    diags = await wait_diagnostics(client, uri, lambda d: codes(d) == ["stale"])
    assert "Rewrite f2" in diags[0].message
    ws.repo.git("checkout", "-q", "main")
    await wait_diagnostics(client, uri, lambda d: not d)


@pytest.mark.client_matrix  # once per recorded client (conftest.CLIENTS)
async def test_note_file_buffer_errors_and_broken_anchors(client: LanguageClient, ws: Workspace) -> None:
    ws.repo.write("src/gone.py", "a = 1\nb = 2\n")
    ws.repo.commit("gone")
    note_id = ws.note("About gone", [("src/app.py", 1, 2), ("src/gone.py", 1, 2)])
    ws.repo.git("rm", "-q", "src/gone.py")
    ws.repo.commit("Remove gone")
    await start(client, ws.root)
    path = ws.note_path(note_id)
    text = path.read_text()
    uri = path.as_uri()
    open_doc(client, uri, text, language="markdown")
    diags = await wait_diagnostics(client, uri, lambda d: codes(d) == ["broken-anchor"])
    anchor_line = next(i for i, line in enumerate(text.splitlines()) if "path: src/gone.py" in line)
    assert diags[0].range.start.line == anchor_line
    assert diags[0].severity == types.DiagnosticSeverity.Error
    # Breaking the frontmatter in the unsaved buffer shows the error at its line.
    broken = text.replace("kind: decision", "kind: [oops")
    replace_all(client, uri, broken, 2)
    diags = await wait_diagnostics(client, uri, lambda d: codes(d) == ["invalid"])
    assert diags[0].range.start.line >= 1


NO_WATCH = ClientServerConfig(server_command=SERVER, client_factory=make_client,
                              server_env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "CAIRN_WATCH": "0"})


@pytest_lsp.fixture(config=NO_WATCH)
async def unwatched(lsp_client: LanguageClient) -> Any:
    yield
    await lsp_client.shutdown_session()


async def test_did_change_watched_files_from_the_client(unwatched: LanguageClient, ws: Workspace) -> None:
    client = unwatched
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    note_id = ws.note("Watch f3", [("src/app.py", 7, 8)], kind="gotcha", reviewed="2024-01-01T00:00:00Z")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=ws.note_path(note_id).as_uri(), type=types.FileChangeType.Created)]))
    await wait_diagnostics(client, uri, lambda d: codes(d) == ["expired"])
    # A commit reported through .git/HEAD and the refs (as VS Code's watcher would).
    ws.repo.write("src/app.py", APP_PY.replace("return x + 3", "return x + 30"))
    sha = ws.repo.commit("Change f3")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=(ws.root / ".git" / "refs" / "heads" / "main").as_uri(),
                        type=types.FileChangeType.Changed)]))
    await wait_diagnostics(client, uri, lambda d: codes(d) == ["stale"] and sha[:7] in d[0].message)


@pytest.mark.client_matrix  # once per recorded client (conftest.CLIENTS)
async def test_code_edited_on_disk_and_reported_by_the_client(client: LanguageClient, ws: Workspace) -> None:
    ws.note("Adders add", [("src/app.py", 4, 5)])
    ws.repo.commit("note")
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    ws.repo.write("src/app.py", edit_f2(APP_PY))  # an agent edits the file; no editor buffer, no git change
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=uri, type=types.FileChangeType.Changed)]))
    diags = await wait_diagnostics(client, uri, lambda d: codes(d) == ["stale"])
    assert "uncommitted" in diags[0].message
    # Clients that can register watchers dynamically were asked to watch (Neovim 0.7-0.11 cannot).
    watched = capabilities(client).workspace.did_change_watched_files  # type: ignore[union-attr]
    expected = [types.WORKSPACE_DID_CHANGE_WATCHED_FILES] if watched and watched.dynamic_registration else []
    assert [r.method for r in client.registrations] == expected  # type: ignore[attr-defined]


async def test_configuration_change_is_picked_up(client: LanguageClient, ws: Workspace) -> None:
    from datetime import UTC, datetime, timedelta

    recent = (datetime.now(UTC) - timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ws.note("Short-lived pattern", [("src/app.py", 4, 5)], kind="pattern", reviewed=recent)
    ws.repo.commit("note")
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    open_doc(client, uri, APP_PY)
    await wait_diagnostics(client, uri, lambda d: not d)
    # The team shortens the pattern ttl: the note is now expired, without a restart.
    (ws.root / "agent-context" / "config.toml").write_text('[kinds.pattern]\nttl = "7d"\n')
    await wait_diagnostics(client, uri, lambda d: codes(d) == ["expired"])


async def test_a_document_open_at_start_gets_its_diagnostics_and_hovers_wait_for_the_load(
        client: LanguageClient, ws: Workspace) -> None:
    """Opened while the workspace loads (as an editor restoring its tabs does): its diagnostics name the
    commit that made its note stale, and a hover sent at once answers with the note, never "nothing here"."""
    note_id = ws.note("Adders add", [("src/app.py", 4, 5)])
    ws.repo.commit("note")
    ws.repo.write("src/app.py", edit_f2(APP_PY))
    sha = ws.repo.commit("Double f2")
    await start(client, ws.root, wait=False)
    uri = ws.uri("src/app.py")
    open_doc(client, uri, edit_f2(APP_PY))
    hover = await hover_text(client, uri, 4)
    assert "Adders add" in hover
    diagnostics = await wait_diagnostics(client, uri, lambda d: bool(d))
    assert codes(diagnostics) == ["stale"] and sha[:7] in diagnostics[0].message
    assert diagnostics[0].data["noteId"] == note_id  # type: ignore[index]
