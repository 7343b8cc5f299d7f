"""Issue 11 item 6: a YAML alias bomb in a note's frontmatter is refused at parse time, on every surface.

The attack: nine lines of nested aliases ("billion laughs") load as a small shared structure, but `get_note`
serialising it spent 80 s and 3.8 GB and kept running after the client left. The notes parser refuses
anchors and aliases (`&x` / `*x`) before building anything: that note is one line of error at the line of
the first anchor, and the other notes keep working in the CLI, MCP and the language server.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from pytest_lsp import LanguageClient

from tests.conftest import GitRepo
from tests.lsp.conftest import Workspace, client, codes, hover_text, start, wait_diagnostics, ws  # noqa: F401
from tests.security.hostile import GOOD_TITLE, assert_no_crash, good_repo, mcp_session, run, text_of, write_note


def billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "title: Laughs\nkind: decision\n" + "\n".join(lines) + "\n"


BOMB_ERROR = ("agent-context/decisions/laughs.md:4: YAML anchor &a is not allowed in notes "
              "(anchors and aliases are refused)")


@pytest.fixture
def bombed(repo: GitRepo) -> tuple[GitRepo, str]:
    good = good_repo(repo)
    write_note(repo, "laughs", billion_laughs())
    write_note(repo, "alias-only", "title: Alias\nkind: decision\ntags: [a]\nstatus: *nothing\n")
    repo.commit("hostile notes")
    return repo, good


def test_parser_refuses_anchors_and_aliases_in_one_line() -> None:
    from cairn.config import Config
    from cairn.notes.document import parse_note

    for fm, line, word in [(billion_laughs(), 4, "anchor &a"), ("title: &t Hello\nkind: decision\n", 2, "anchor &t"),
                           ("title: Hi\nkind: decision\ntags: *x\n", 4, "alias *x"),
                           ("title: Hi\nkind: decision\nx: " + "[" * 40 + "]" * 40 + "\n", 4, "nested more than")]:
        result = parse_note(f"---\n{fm}---\nbody\n", "n.md", "n", Config())
        assert isinstance(result, list) and len(result) == 1, result
        assert result[0].line == line and word in result[0].message and "\n" not in result[0].message


def test_cli_refuses_the_bomb_and_serves_the_rest(bombed: tuple[GitRepo, str]) -> None:
    repo, good = bombed
    for args in (["list"], ["check"], ["show", "decisions/laughs"], ["search", "laughs"], ["recall", "src/app.py:4"],
                 ["index"]):
        proc = run(repo, *args, timeout=30)  # a hang fails here
        assert_no_crash(proc)
    listed = run(repo, "list")
    assert good in listed.stdout and "laughs" not in listed.stdout
    assert BOMB_ERROR in listed.stderr.splitlines()
    assert "agent-context/decisions/alias-only.md:5: YAML alias *nothing" in listed.stderr
    shown = run(repo, "show", "decisions/laughs")
    assert shown.returncode == 2 and shown.stderr.strip() == BOMB_ERROR
    assert GOOD_TITLE in run(repo, "recall", "src/app.py:4").stdout
    checked = json.loads(run(repo, "check", "--json").stdout)
    assert {n["id"]: n["state"] for n in checked["notes"]}[good] == "fresh"


async def test_mcp_refuses_the_bomb_quickly_and_serves_the_rest(bombed: tuple[GitRepo, str]) -> None:
    repo, good = bombed
    async with mcp_session(repo) as session:
        bomb = await asyncio.wait_for(session.call_tool("get_note", {"id": "decisions/laughs"}), 20)
        assert bomb.is_error and text_of(bomb).strip() == BOMB_ERROR
        found = await asyncio.wait_for(session.call_tool("search", {"query": "laughs lol"}), 20)
        assert not found.is_error and len(text_of(found)) < 10_000
        note = await session.call_tool("get_note", {"id": good})
        assert not note.is_error and json.loads(text_of(note))["title"] == GOOD_TITLE
        checked = json.loads(text_of(await session.call_tool("check", {})))
        assert checked["summary"]["invalid"] == 2 and checked["summary"]["notes"] == 3


async def test_language_server_refuses_the_bomb_and_serves_the_rest(client: LanguageClient,  # noqa: F811
                                                                   ws: Workspace) -> None:  # noqa: F811
    ws.note("About f1", [("src/app.py", 1, 2)])
    write_note(ws.repo, "laughs", billion_laughs())
    ws.repo.commit("notes")
    await start(client, ws.root)
    diags = await wait_diagnostics(client, ws.uri("agent-context/decisions/laughs.md"),
                                   lambda d: codes(d) == ["invalid"])
    assert diags[0].range.start.line == 3 and "anchor &a is not allowed" in diags[0].message
    assert client.cairn_status[-1].invalid == 1  # type: ignore[attr-defined]
    assert "About f1" in await hover_text(client, ws.uri("src/app.py"), 1)
    found = await client.protocol.send_request_async("cairn/search", {"query": "laughs OR f1"})
    assert "About f1" in [h.title for h in found.hits]
