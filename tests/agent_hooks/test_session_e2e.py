"""A scripted Claude Code session with no model: the hooks and the MCP server, as an agent meets them.

SessionStart → an Edit in an anchored file (the context names the note) → an Edit that breaks
the anchor (the plain warning) → `update_note` over MCP with the official client → Stop (no request for
a session note, since the session updated one).
"""

from __future__ import annotations

import json

from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from cairn.recall.provenance import PREAMBLE
from tests.agent_hooks.helpers import apply_edit, context_of, run_hook, sample
from tests.conftest import GitRepo
from tests.mcp.helpers import CAIRN_BIN, cairn_env, setup_repo_with_note

SESSION = "e2e-session-1"


async def test_a_whole_session(repo: GitRepo) -> None:
    note_id = setup_repo_with_note(repo)

    start = context_of(run_hook(repo, sample("session_start", repo, SESSION)), "SessionStart")
    assert PREAMBLE in start and "f2 adds two" in start

    near = sample("post_tool_use_edit", repo, SESSION)
    apply_edit(repo, near)
    context = context_of(run_hook(repo, near), "PostToolUse")
    assert f"id: {note_id}" in context and "f2 must add exactly two." in context
    assert "your edit changed lines" not in context

    breaking = sample("post_tool_use_edit", repo, SESSION)
    breaking["tool_input"].update(old_string="def f2(x):\n    return x + 2\n",
                                  new_string="def f2(x):\n    return x * 2\n")
    apply_edit(repo, breaking)
    warned = context_of(run_hook(repo, breaking), "PostToolUse")
    assert warned.startswith(f"your edit changed lines that note {note_id} describes (src/app.py:4-5); "
                             "if it no longer holds, update it with update_note")

    params = StdioServerParameters(command=CAIRN_BIN, args=["mcp"], cwd=str(repo.root), env=cairn_env(repo))
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        got = await session.call_tool("get_note", {"id": note_id})
        version = json.loads(got.content[0].text)["version"]  # type: ignore[union-attr]
        updated = await session.call_tool("update_note", {
            "id": note_id, "version": version, "body": "f2 now doubles its argument.\n", "reanchor": True})
        assert not updated.is_error
        note = json.loads(updated.content[0].text)  # type: ignore[union-attr]
    assert note["other_fields"]["author"].startswith("agent:")
    assert "agent-written" in note["provenance"] and "not reviewed by a person" in note["provenance"]

    assert run_hook(repo, sample("stop", repo, SESSION)) is None  # a note was updated: nothing to ask
