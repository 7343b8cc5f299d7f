"""`cairn mcp` driven by a client nobody here wrote: the MCP Inspector CLI (`mcp-inspector --cli`).

The Inspector is pinned in `tests/mcp/inspector/package.json` (with its lock file); this test's set-up
installs it there with `npm ci` the first time (about a minute, 110 MB in that folder's node_modules),
then runs one Inspector process per method against `cairn mcp` in a temporary repository: tools/list,
resources/list, prompts/list and a tools/call whose output is checked (reading resources and getting
prompts are covered through the official Python client in test_mcp_resources_prompts.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import GitRepo
from tests.mcp.helpers import CAIRN_BIN, cairn_env, setup_repo_with_note
from tests.mcp.test_mcp_server import TOOLS

HERE = Path(__file__).resolve().parent / "inspector"
INSPECTOR = HERE / "node_modules" / ".bin" / "mcp-inspector"


@pytest.fixture(scope="session")
def inspector() -> Path:
    if not INSPECTOR.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed to install the MCP Inspector (tests/mcp/inspector/package.json)")
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=HERE,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"npm ci in {HERE} failed: {done.stderr[-2000:]}"
    return INSPECTOR


def run(inspector: Path, repo: GitRepo, *args: str) -> Any:
    """One Inspector CLI call against `cairn mcp` in `repo`; its JSON output."""
    home = repo.root.parent / "inspector-home"
    home.mkdir(exist_ok=True)  # whatever the Inspector keeps in its home stays in the test folder
    env = cairn_env(repo, HOME=str(home))
    proc = subprocess.run([str(inspector), "--cli", "--cwd", str(repo.root),
                           CAIRN_BIN, "mcp", *args], cwd=repo.root, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, f"inspector {args} exited {proc.returncode}: {proc.stderr}{proc.stdout}"
    return json.loads(proc.stdout)


def test_the_inspector_cli_lists_reads_and_calls(inspector: Path, repo: GitRepo) -> None:
    note_id = setup_repo_with_note(repo)
    tools = run(inspector, repo, "--method", "tools/list")["tools"]
    assert {t["name"] for t in tools} == TOOLS

    resources = run(inspector, repo, "--method", "resources/list")["resources"]
    assert [(r["uri"], r["title"], r["mimeType"]) for r in resources] == [
        (f"cairn://notes/{note_id}", "f2 adds two", "text/markdown")]
    assert resources[0]["description"].startswith("decision · fresh, verified at ")

    prompts = run(inspector, repo, "--method", "prompts/list")["prompts"]
    assert {p["name"] for p in prompts} == {"start-task", "update-stale-notes"}

    called = run(inspector, repo, "--method", "tools/call", "--tool-name", "recall",
                 "--tool-arg", "path=src/app.py", "line=4")
    assert called["isError"] is False
    text = called["content"][0]["text"]
    assert text.startswith("# Cairn recall: src/app.py:4\n")
    assert "## 1. f2 adds two" in text and "- anchors: src/app.py:4-5" in text and "f2 must add exactly two." in text
