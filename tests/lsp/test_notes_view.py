"""`cairn/notes`: every note with its freshness and anchors, the data behind the extension's notes view."""

from __future__ import annotations

from pytest_lsp import LanguageClient

from .conftest import APP_PY, Workspace, start


async def test_notes_list_orders_stale_first_and_shows_where_the_code_is_now(
    client: LanguageClient, ws: Workspace
) -> None:
    fresh_id = ws.note("Uploads retry", [("src/app.py", 1, 2)], body="Three retries.\n")
    moved_id = ws.note("f5 is hot", [("src/app.py", 13, 14)], kind="gotcha")
    stale_id = ws.note("f2 adds two", [("src/app.py", 4, 5)], kind="pattern")
    ws.repo.commit("notes")
    # f2 changes (stale); a header line above f5 moves it down by two lines (still fresh, current place first)
    moved = APP_PY.replace("return x + 2\n", "return x + 200\n").replace("def f5", "# a\n# b\ndef f5")
    ws.repo.write("src/app.py", moved)
    ws.repo.write("agent-context/gotchas/broken.md", "---\ntitle: [unclosed\n---\nbody\n")
    ws.repo.commit("Bump f2, comment f5")
    await start(client, ws.root)
    result = await client.protocol.send_request_async("cairn/notes", {})
    ids = [n.id for n in result.notes]
    assert ids[0] == stale_id and set(ids) == {fresh_id, moved_id, stale_id}
    stale = result.notes[0]
    assert stale.state == "stale" and stale.kind == "pattern" and stale.badge.startswith("stale since ")
    assert stale.uri == ws.note_path(stale_id).as_uri()
    f5 = next(n for n in result.notes if n.id == moved_id)
    anchor = f5.anchors[0]
    assert f5.state == "fresh" and anchor.status == "moved"
    assert (anchor.path, list(anchor.lines)) == ("src/app.py", [15, 16])
    assert list(anchor.recorded.lines) == [13, 14] and anchor.uri == ws.uri("src/app.py")
    assert [i.path for i in result.invalid] == ["agent-context/gotchas/broken.md"]
    assert result.invalid[0].line >= 1 and "\n" not in result.invalid[0].message
