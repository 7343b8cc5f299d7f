"""Issue 10 §4 in the editor: the place now first (hover, Problems panel, `cairn/stale`), recall of a
missing path is an error response, and re-anchoring records the unsaved buffer, not the disk."""

from __future__ import annotations

import re

import pytest
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from .conftest import APP_PY, Workspace, codes, hover_text, open_doc, replace_all, start, wait_diagnostics

SHIFTED = "import os\nimport sys\nimport re\n" + APP_PY.replace("return x + 2", "return x * 2")


async def test_stale_anchor_shows_where_the_code_is_now_then_where_it_was_recorded(
        client: LanguageClient, ws: Workspace) -> None:
    ws.note("Adders add", [("src/app.py", 4, 5)])
    ws.repo.commit("note")
    ws.repo.write("src/app.py", SHIFTED)
    sha = ws.repo.commit("Double f2")
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    open_doc(client, uri, SHIFTED)
    (diag,) = await wait_diagnostics(client, uri, lambda d: codes(d) == ["stale"] and sha[:7] in d[0].message)
    assert diag.message == (f"note stale: anchored lines changed in {sha[:7]} (Double f2): "
                            "now src/app.py:7-8 (recorded 4-5) — Adders add")
    assert (diag.range.start.line, diag.range.end.line) == (6, 7)
    text = (await hover_text(client, uri, 7)).replace("\\", "")  # markdown escapes of ( ) dropped
    assert "now src/app.py:7-8 (recorded 4-5)" in text  # the message
    assert "src/app.py:7-8 (recorded 4-5) · [" in text  # the range line of the card
    stale = await client.protocol.send_request_async("cairn/stale", {})
    (anchor,) = stale.notes[0].anchors
    assert (anchor.current.path, list(anchor.current.lines)) == ("src/app.py", [7, 8])
    assert (anchor.changed_in, anchor.merged_in) == (sha, None)


async def test_recall_of_a_path_that_does_not_exist_is_an_error(client: LanguageClient, ws: Workspace) -> None:
    ws.note("Adders add", [("src/app.py", 4, 5)])
    ws.repo.commit("note")
    await start(client, ws.root)
    with pytest.raises(JsonRpcException) as err:
        await client.protocol.send_request_async("cairn/recall", {"uri": ws.uri("src/nope.py")})
    assert "src/nope.py: no such file in the working tree or at HEAD" in str(err.value)
    # A real file still recalls its notes.
    got = await client.protocol.send_request_async("cairn/recall", {"uri": ws.uri("src/app.py")})
    assert [n.title for n in got.pack.notes] == ["Adders add"]


async def test_reanchor_records_the_unsaved_buffer(client: LanguageClient, ws: Workspace) -> None:
    note_id = ws.note("Adders add", [("src/app.py", 4, 5)])
    ws.repo.commit("note")
    ws.repo.write("src/app.py", APP_PY.replace("return x + 2", "return x - 2"))
    ws.repo.commit("Subtract")
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    on_disk = APP_PY.replace("return x + 2", "return x - 2")
    open_doc(client, uri, on_disk)
    await wait_diagnostics(client, uri, lambda d: codes(d) == ["stale"])
    # Unsaved: two lines typed above f2, so its code is at 6-7 in the editor (4-5 on disk).
    buffer = on_disk.replace("def f2(x):", "# one\n# two\ndef f2(x):")
    replace_all(client, uri, buffer, 2)
    await wait_diagnostics(client, uri, lambda d: codes(d) == ["stale"] and d[0].range.start.line == 5)
    result = await client.workspace_execute_command_async(_command("cairn.reanchor", {"id": note_id}))
    assert result["id"] == note_id
    text = ws.note_path(note_id).read_text()
    assert re.search(r"^\s*lines: 6-7$", text, re.MULTILINE), text
    assert (ws.root / "src/app.py").read_text() == on_disk  # the disk was not touched


def _command(name: str, *args: object) -> object:
    from lsprotocol import types

    return types.ExecuteCommandParams(command=name, arguments=list(args))
