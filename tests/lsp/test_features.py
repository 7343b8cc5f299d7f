"""Code lens, document links, workspace symbols, custom requests and the status notification."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from .conftest import APP_PY, Workspace, codes, hover_text, open_doc, start, wait_diagnostics, wait_for


@pytest.mark.client_matrix  # once per recorded client (conftest.CLIENTS)
async def test_code_lens_counts_notes_and_stale_ones(client: LanguageClient, ws: Workspace) -> None:
    ws.note("Keep f2 pure", [("src/app.py", 4, 5)])
    ws.note("f2 is hot", [("src/app.py", 4, 5)], kind="gotcha")
    ws.note("f5 alone", [("src/app.py", 13, 14)])
    ws.repo.commit("notes")
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    open_doc(client, uri, APP_PY.replace("return x + 2", "return x + 22"))
    await wait_diagnostics(client, uri, lambda d: codes(d) == ["stale", "stale"])
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    got = {(lens.range.start.line, lens.command.title if lens.command else "") for lens in lenses or []}
    assert (3, "2 notes · 2 stale") in got
    assert (12, "1 note · fresh · f5 alone") in got


@pytest.mark.client_matrix  # once per recorded client (conftest.CLIENTS)
async def test_document_links_from_anchors_to_the_code(client: LanguageClient, ws: Workspace) -> None:
    note_id = ws.note("About f2", [("src/app.py", 4, 5)])
    ws.repo.commit("note")
    ws.repo.write("src/app.py", "# header\n" + APP_PY)  # the code moved down one line
    ws.repo.commit("Header")
    await start(client, ws.root)
    path = ws.note_path(note_id)
    text = path.read_text()
    open_doc(client, path.as_uri(), text, language="markdown")
    links = await client.text_document_document_link_async(types.DocumentLinkParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri())))
    assert links
    lines = text.splitlines()
    got = {(lines[link.range.start.line][link.range.start.character:link.range.end.character], link.target)
           for link in links}
    target = ws.uri("src/app.py") + "#L5"
    assert got == {("src/app.py", target), ("4-5", target)}


@pytest.mark.client_matrix  # once per recorded client (conftest.CLIENTS)
async def test_workspace_symbols_search_notes(client: LanguageClient, ws: Workspace) -> None:
    ws.note("Retry budget for uploads", [("src/app.py", 1, 2)], body="Uploads retry three times.\n")
    ws.note("Cache invalidation", [("src/app.py", 4, 5)], kind="pattern")
    ws.repo.commit("notes")
    await start(client, ws.root)
    symbols = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="retry"))
    names = [s.name for s in symbols or []]
    assert names == ["Retry budget for uploads"]
    assert symbols and symbols[0].location.uri.endswith("agent-context/decisions/retry-budget-for-uploads.md")


@pytest.mark.client_matrix  # once per recorded client (conftest.CLIENTS)
async def test_custom_requests_and_status_notification(client: LanguageClient, ws: Workspace) -> None:
    fresh_id = ws.note("Uploads retry", [("src/app.py", 1, 2)], body="Three retries then give up.\n")
    stale_id = ws.note("f2 adds two", [("src/app.py", 4, 5)])
    ws.repo.commit("notes")
    ws.repo.write("src/app.py", APP_PY.replace("return x + 2", "return x + 200"))
    sha = ws.repo.commit("Bump f2")
    await start(client, ws.root)
    assert client.cairn_status[-1]._asdict() == {"notes": 2, "stale": 1, "expired": 0,  # type: ignore[attr-defined]
                                                 "invalid": 0}
    status = await client.protocol.send_request_async("cairn/status", {})
    assert (status.notes, status.stale, status.expired, status.invalid) == (2, 1, 0, 0)

    stale = await client.protocol.send_request_async("cairn/stale", {})
    assert [n.id for n in stale.notes] == [stale_id]
    anchor = stale.notes[0].anchors[0]
    assert anchor.path == "src/app.py" and list(anchor.lines) == [4, 5] and anchor.changed_in == sha
    assert stale.notes[0].uri == ws.note_path(stale_id).as_uri()

    found = await client.protocol.send_request_async("cairn/search", {"query": "retries", "limit": 5})
    assert [h.id for h in found.hits] == [fresh_id]
    hit = found.hits[0]
    assert hit.state == "fresh" and hit.uri == ws.note_path(fresh_id).as_uri() and hit.kind == "decision"
    try:
        await client.protocol.send_request_async("cairn/search", {"query": 'title:"unclosed'})
        raise AssertionError("a bad query must answer with an error")
    except JsonRpcException as exc:
        assert "\n" not in str(exc)

    uri = ws.uri("src/app.py")
    recall = await client.protocol.send_request_async(
        "cairn/recall", {"uri": uri, "position": {"line": 3, "character": 0}, "budget": 500})
    ids = [n.id for n in recall.pack.notes]
    assert stale_id in ids
    note = next(n for n in recall.pack.notes if n.id == stale_id)
    assert note.state == "stale" and note.uri == ws.note_path(stale_id).as_uri()
    assert recall.pack.file == "src/app.py" and recall.pack.line == 4 and recall.pack.budget == 500
    assert "f2 adds two" in recall.markdown

    # Re-anchoring changes the counts: the server says so without being asked.
    await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="cairn.reanchor", arguments=[{"id": stale_id}]))
    await wait_for(client, "cairn/statusChanged",
                   lambda: client.cairn_status[-1].stale == 0)  # type: ignore[attr-defined]


async def test_workspace_folders_added_and_removed(client: LanguageClient, ws: Workspace, tmp_path: Path) -> None:
    from ..conftest import GitRepo

    ws.note("In A", [("src/app.py", 1, 2)])
    ws.repo.commit("note")
    other_root = tmp_path / "other"
    other_root.mkdir()
    other = GitRepo(other_root)
    other.git("init", "-q", "-b", "main")
    other.write("lib.py", APP_PY)
    other.commit("code")
    second = Workspace(other)
    (other_root / "agent-context" / "patterns").mkdir(parents=True)
    second.note("In B", [("lib.py", 1, 2)], kind="pattern")
    other.write("lib.py", APP_PY.replace("return x + 1", "return x + 100"))
    other.commit("Change f1 in B")
    await start(client, ws.root)
    client.workspace_did_change_workspace_folders(types.DidChangeWorkspaceFoldersParams(
        event=types.WorkspaceFoldersChangeEvent(
            added=[types.WorkspaceFolder(uri=other_root.as_uri(), name="other")], removed=[])))
    b_uri = second.uri("lib.py")
    await wait_diagnostics(client, b_uri, lambda d: codes(d) == ["stale"])
    assert "In B" in await hover_text(client, b_uri, 1)
    status = await client.protocol.send_request_async("cairn/status", {})
    assert (status.notes, status.stale) == (2, 1)
    client.workspace_did_change_workspace_folders(types.DidChangeWorkspaceFoldersParams(
        event=types.WorkspaceFoldersChangeEvent(
            added=[], removed=[types.WorkspaceFolder(uri=other_root.as_uri(), name="other")])))
    await wait_diagnostics(client, b_uri, lambda d: not d)
    status = await client.protocol.send_request_async("cairn/status", {})
    assert (status.notes, status.stale) == (1, 0)


async def test_search_answers_an_unreadable_query_with_its_one_line_error(client: LanguageClient,
                                                                          ws: Workspace) -> None:
    from cairn.index.query import QueryError, parse

    note_id = ws.note("Uploads retry", [("src/app.py", 1, 2)], body="Three retries then give up.\n")
    ws.repo.commit("notes")
    await start(client, ws.root)
    for query in ("AND OR (((", '"unterminated phrase', "?", "colour:red"):
        with pytest.raises(QueryError) as expected:
            parse(query)
        try:
            found = await client.protocol.send_request_async("cairn/search", {"query": query})
            raise AssertionError(f"{query!r} answered with hits: {found}")
        except JsonRpcException as exc:
            assert exc.args and str(expected.value) in str(exc) and "\n" not in str(exc), (query, exc)
    # Punctuation people type around words still searches.
    for query in ("what's retries?", "(three) retries", "c++ retries"):
        found = await client.protocol.send_request_async("cairn/search", {"query": query})
        assert [h.id for h in found.hits][:1] == [note_id], query
