"""Hover cards: content, ordering, untrusted content, and hovers following the code in the buffer."""

from __future__ import annotations

from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import APP_PY, Workspace, hover_text, open_doc, replace_all, start


@pytest.mark.client_matrix  # once per recorded client (conftest.CLIENTS)
async def test_hover_card_has_title_kind_badge_body_range_and_file_link(client: LanguageClient, ws: Workspace) -> None:
    note_id = ws.note("Use plain adders", [("src/app.py", 4, 5)], body="We add constants.\nSecond line.\n")
    ws.repo.commit("note")
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    open_doc(client, uri, APP_PY)
    text = await hover_text(client, uri, 5)
    assert "**Use plain adders**" in text
    assert "decision" in text
    assert "`fresh`" in text
    assert "We add constants." in text
    assert "src/app.py:4-5" in text
    assert f"]({ws.note_path(note_id).as_uri()})" in text
    assert "command:" not in text
    assert await hover_text(client, uri, 3) == ""
    assert await hover_text(client, uri, 6) == ""


@pytest.mark.client_matrix  # once per recorded client (conftest.CLIENTS)
async def test_several_notes_on_a_line_freshest_first(client: LanguageClient, ws: Workspace) -> None:
    ws.note("Old but fresh", [("src/app.py", 1, 8)], reviewed="2026-01-01T00:00:00Z")
    ws.note("Expired one", [("src/app.py", 4, 5)], kind="gotcha", reviewed="2025-01-01T00:00:00Z")
    ws.note("Newest", [("src/app.py", 4, 6)])
    ws.repo.commit("notes")
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    open_doc(client, uri, APP_PY)
    text = await hover_text(client, uri, 5)
    order = [text.index(t) for t in ("**Newest**", "**Old but fresh**", "**Expired one**")]
    assert order == sorted(order), text
    assert "`expired`" in text


async def test_note_content_cannot_inject_commands_or_html(client: LanguageClient, ws: Workspace) -> None:
    body = ("Click [here](command:workbench.action.terminal.new) or <img src=x onerror=alert(1)>\n"
            "[ref]: command:evil\n<script>alert(1)</script> and COMMAND:run and [x](Command&#58;y)\n")
    ws.note("Title with <b>html</b> and [link](command:x)", [("src/app.py", 1, 2)], body=body)
    ws.repo.commit("evil note")
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    open_doc(client, uri, APP_PY)
    text = await hover_text(client, uri, 1)
    assert text
    lowered = text.lower()
    assert "command:" not in lowered
    assert "<script" not in lowered and "<img" not in lowered and "<b>" not in lowered
    assert "](command" not in lowered
    assert "&#58;" in text  # the word survives, inert


@pytest.mark.client_matrix  # once per recorded client (conftest.CLIENTS)
async def test_inserting_lines_above_moves_the_hover_with_the_code(client: LanguageClient, ws: Workspace) -> None:
    ws.note("About f2", [("src/app.py", 4, 5)])
    ws.repo.commit("note")
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    open_doc(client, uri, APP_PY)
    assert "About f2" in await hover_text(client, uri, 4)
    replace_all(client, uri, "# one\n# two\n# three\n" + APP_PY, 2)
    assert await hover_text(client, uri, 4) == ""
    text = await hover_text(client, uri, 7)
    assert "About f2" in text and "`fresh`" in text


async def test_hover_on_a_closed_document_answers_from_disk(client: LanguageClient, ws: Workspace) -> None:
    ws.note("About f1", [("src/app.py", 1, 2)])
    ws.repo.commit("note")
    await start(client, ws.root)
    text = await hover_text(client, ws.uri("src/app.py"), 1)
    assert "About f1" in text
    logs: list[Any] = [m.message for m in client.log_messages]
    assert any("not open" in m for m in logs), logs


async def test_hover_outside_any_repository_is_empty_and_logged(client: LanguageClient, ws: Workspace,
                                                                tmp_path: Any) -> None:
    await start(client, ws.root)
    outside = tmp_path / "elsewhere" / "x.py"
    outside.parent.mkdir()
    outside.write_text("x = 1\n")
    open_doc(client, outside.as_uri(), "x = 1\n")
    assert await hover_text(client, outside.as_uri(), 1) == ""
    assert any("outside" in m.message for m in client.log_messages)
    _ = types
