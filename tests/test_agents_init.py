"""`cairn init --agents`: MCP entries for Claude Code and VS Code, managed AGENTS.md/CLAUDE.md blocks."""

from __future__ import annotations

import json

from cairn.agents import launcher_entry
from tests.conftest import GitRepo
from tests.mcp.helpers import cairn


def test_init_agents_merges_and_is_idempotent(repo: GitRepo) -> None:
    repo.write(".mcp.json", json.dumps({"mcpServers": {"other": {"command": "x"}}, "keep": 1}))
    repo.write("AGENTS.md", "# Agents\n\nRun the tests.\n")
    first = cairn(repo, "init", "--agents", check=True)
    assert "wrote .mcp.json" in first.stdout and "wrote CLAUDE.md" in first.stdout
    claude = json.loads(repo.read(".mcp.json"))
    assert claude == {"mcpServers": {"other": {"command": "x"}, "cairn": launcher_entry("mcp")}, "keep": 1}
    vscode = json.loads(repo.read(".vscode/mcp.json"))
    assert vscode == {"servers": {"cairn": {"type": "stdio", **launcher_entry("mcp"), "cwd": "${workspaceFolder}"}}}
    agents = repo.read("AGENTS.md")
    assert agents.startswith("# Agents\n\nRun the tests.\n\n<!-- cairn:begin")
    assert "recall" in agents and "add_note" in agents
    assert "<!-- cairn:begin" in repo.read("CLAUDE.md")

    snapshot = {p: repo.read(p) for p in (".mcp.json", ".vscode/mcp.json", "AGENTS.md", "CLAUDE.md")}
    second = cairn(repo, "init", "--agents", check=True)
    assert "wrote" not in second.stdout
    assert {p: repo.read(p) for p in snapshot} == snapshot

    # An edited block is replaced in place; text around it stays.
    repo.write("AGENTS.md", agents.replace("Project memory (Cairn)", "stale words") + "\nAfter.\n")
    cairn(repo, "init", "--agents", check=True)
    again = repo.read("AGENTS.md")
    assert "stale words" not in again and "Project memory (Cairn)" in again and again.endswith("\nAfter.\n")
    assert again.count("<!-- cairn:begin") == 1


def test_init_agents_keeps_a_custom_cairn_entry_and_rejects_bad_json(repo: GitRepo) -> None:
    custom = {"mcpServers": {"cairn": {"command": "/opt/cairn", "args": ["mcp", "-C", "x"]}}}
    repo.write(".mcp.json", json.dumps(custom))
    out = cairn(repo, "init", "--agents", check=True)
    assert "skipped .mcp.json" in out.stdout
    assert json.loads(repo.read(".mcp.json")) == custom
    repo.write(".vscode/mcp.json", "{not json")
    bad = cairn(repo, "init", "--agents")
    assert bad.returncode == 2 and "mcp.json" in bad.stderr and "not valid JSON" in bad.stderr
    assert repo.read(".vscode/mcp.json") == "{not json"


def test_init_agents_upgrades_the_bare_command_earlier_versions_wrote(repo: GitRepo) -> None:
    repo.write(".mcp.json", json.dumps({"mcpServers": {"cairn": {"command": "cairn", "args": ["mcp"]}}}))
    out = cairn(repo, "init", "--agents", check=True)
    assert "wrote .mcp.json" in out.stdout
    assert json.loads(repo.read(".mcp.json"))["mcpServers"]["cairn"] == launcher_entry("mcp")
