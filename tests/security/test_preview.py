"""Issue 11 item 9: a rendered note never makes its viewer fetch a remote image (or follow a remote link).

The attack: a note body with `![](https://tracker/p.png?who=...)`: the recall preview kept it and VS
Code's preview loads https images, so the note's author learnt who read it and when. Every pack (CLI,
language server, MCP) goes through `cairn.recall.pack.neutralize_remote`; the extension has no pack
renderer of its own, it shows the server's markdown (so one rule covers every viewer).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pytest_lsp import LanguageClient

from tests.conftest import GitRepo
from tests.lsp.conftest import Workspace, client, start, ws  # noqa: F401
from tests.mcp.helpers import setup_repo_with_note
from tests.security.hostile import mcp_session, run, text_of

TABLE = Path(__file__).parents[2] / "extension/test/fixtures/remote-markdown.json"
TRACKER = "https://tracker.example/p.png?who=reader"
BODY = (f"Looks harmless.\n\n![]({TRACKER})\n![logo]( //cdn.example/l.png )\n[docs](https://evil.example/x)\n"
        "[ref]: https://tracker.example/r.png\n![again][ref]\n<img src=https://tracker.example/i.png>\n"
        "[local](docs/design.md)\n\n```\n![code shows it](https://x.example/c.png)\n```\n")
# Link syntax that would fetch or follow a remote target: `](` + a scheme or `//`, or a reference definition.
REMOTE = re.compile(r"\]\(\s*<?\s*(?:[A-Za-z][\w+.-]*:|//)|^\s*\[[^\]]+\]:\s*\S", re.M)


def outside_code(markdown: str) -> str:
    return re.sub(r"```.*?```", "", markdown, flags=re.S)


def assert_neutral(markdown: str) -> None:
    text = outside_code(markdown)
    assert not REMOTE.search(text), text
    assert TRACKER in text  # still shown, as text
    assert "\\<img" in text and "[local](docs/design.md)" in text


def test_the_rule_is_the_extensions_rule() -> None:
    from cairn.recall.pack import neutralize_remote

    cases = json.loads(TABLE.read_text(encoding="utf-8"))["cases"]
    assert len(cases) > 10
    for given, expected in cases:
        assert neutralize_remote(given) == expected, given


@pytest.fixture
def tracked(repo: GitRepo) -> tuple[GitRepo, str]:
    return repo, setup_repo_with_note(repo, title="Tracked", body=BODY)


def test_cli_recall_neutralises_remote_images(tracked: tuple[GitRepo, str]) -> None:
    repo, _ = tracked
    assert_neutral(run(repo, "recall", "src/app.py:4").stdout)
    pack = json.loads(run(repo, "recall", "src/app.py:4", "--json").stdout)
    assert_neutral(pack["notes"][0]["body"])


async def test_mcp_recall_neutralises_remote_images(tracked: tuple[GitRepo, str]) -> None:
    repo, _ = tracked
    async with mcp_session(repo) as session:
        result = await session.call_tool("recall", {"path": "src/app.py", "line": 4})
        assert not result.is_error
        assert_neutral(text_of(result))


async def test_language_server_recall_neutralises_remote_images(client: LanguageClient,  # noqa: F811
                                                               ws: Workspace) -> None:  # noqa: F811
    ws.note("Tracked", [("src/app.py", 1, 2)], body=BODY)
    ws.repo.commit("notes")
    await start(client, ws.root)
    result = await client.protocol.send_request_async(
        "cairn/recall", {"uri": ws.uri("src/app.py"), "position": {"line": 0, "character": 0}})
    assert_neutral(result.markdown)
    assert_neutral(result.pack.notes[0].body)
