"""What the server renders once for every client: recall packs at a requested heading level, the
"update this note" prompt (the same one `cairn review` writes), and the configured kinds of note."""

from __future__ import annotations

import json
import subprocess
import sys

from lsprotocol import types
from pytest_lsp import LanguageClient

from cairn.config import DEFAULT_KINDS

from .conftest import APP_PY, Workspace, start


async def test_recall_markdown_at_the_requested_heading_level(client: LanguageClient, ws: Workspace) -> None:
    ws.note("f2 adds two", [("src/app.py", 4, 5)], body="# Why\n\nBecause.\n")
    ws.repo.commit("note")
    await start(client, ws.root)
    params = {"uri": ws.uri("src/app.py"), "position": {"line": 3, "character": 0}, "budget": 500}
    default = await client.protocol.send_request_async("cairn/recall", params)
    chat = await client.protocol.send_request_async("cairn/recall", {**params, "headingLevel": 3})
    assert default.markdown.startswith("# Cairn recall: src/app.py:4\n")
    assert "\n## 1. f2 adds two\n" in default.markdown and "\n### Why\n" in default.markdown
    assert chat.markdown.startswith("### Cairn recall: src/app.py:4\n")
    assert "\n#### 1. f2 adds two\n" in chat.markdown and "\n##### Why\n" in chat.markdown
    # The CLI prints the same pack (level 1) that the editor shows.
    cli = subprocess.run([sys.executable, "-m", "cairn", "recall", "src/app.py:4", "--budget", "500"], cwd=ws.root,
                         capture_output=True, text=True, check=True).stdout
    assert cli.splitlines()[:4] == default.markdown.splitlines()[:4]


async def test_kinds_come_from_the_configuration(client: LanguageClient, ws: Workspace) -> None:
    (ws.root / "agent-context" / "config.toml").write_text('[kinds.runbook]\nttl = "30d"\n', encoding="utf-8")
    await start(client, ws.root)
    answer = await client.protocol.send_request_async("cairn/kinds", {"uri": ws.uri("src/app.py")})
    assert list(answer.kinds) == [*DEFAULT_KINDS, "runbook"]
    everywhere = await client.protocol.send_request_async("cairn/kinds", {})
    assert list(everywhere.kinds) == list(answer.kinds)


async def test_draft_update_is_the_review_prompt(client: LanguageClient, ws: Workspace) -> None:
    note_id = ws.note("f2 adds two", [("src/app.py", 4, 5)])
    ws.repo.commit("note")
    ws.repo.git("checkout", "-q", "-b", "feature")
    ws.repo.write("src/app.py", APP_PY.replace("return x + 2", "return x * 2"))
    ws.repo.commit("f2 doubles")
    await start(client, ws.root)
    draft = (await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="cairn.draftUpdate", arguments=[{"id": note_id}])))["text"]
    review = subprocess.run([sys.executable, "-m", "cairn", "review", "--json"], cwd=ws.root, capture_output=True,
                            text=True, check=True).stdout
    prompt = json.loads(review)["prompts"][0]["prompt"]
    for text in (draft, prompt):
        assert f"## The note: `agent-context/{note_id}.md`" in text
        assert "## How its anchored code changed" in text and "+    return x * 2" in text
    # Everything after the sentence saying why is the same text.
    def note_part(text: str) -> str:
        return text.split("## The note:", 1)[1].split("## How", 1)[0]

    assert note_part(draft) == note_part(prompt)
    assert draft.split("## What to do", 1)[1] == prompt.split("## What to do", 1)[1]
