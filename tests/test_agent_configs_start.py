"""The MCP entries `cairn init --agents` commits start on a teammate's machine, not just the author's.

Each test parses the written file and spawns its command exactly as the client would: Claude Code runs
`.mcp.json`'s `command`/`args` from the project folder (or a subfolder), VS Code runs `.vscode/mcp.json`'s
with `cwd` after substituting `${workspaceFolder}`; the environment has no virtualenv of this checkout on
PATH. Cairn is found the ways people install it: pipx / `uv tool` (`~/.local/bin/cairn`), a
`CAIRN_BIN` override, the repository's own `.venv`. Then the official MCP client completes `initialize`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.conftest import GIT_ENV, GitRepo
from tests.mcp.helpers import cairn

# The `cairn` script of the environment running the tests: it starts with its own interpreter whatever
# PATH says, like a pipx-installed one.
INSTALLED = Path(sys.executable).parent / "cairn"


def client_env(home: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k not in {"PATH", "VIRTUAL_ENV", "PYTHONPATH", "CAIRN_BIN"}}
    return {**keep, **GIT_ENV, "HOME": str(home), "PATH": "/usr/local/bin:/usr/bin:/bin", **extra}


def entry(repo: GitRepo, file: str, key: str) -> dict[str, Any]:
    server = json.loads(repo.read(file))[key]["cairn"]
    assert isinstance(server, dict)
    return server


async def initialize(server: dict[str, Any], cwd: Path, env: dict[str, str]) -> str:
    params = StdioServerParameters(command=server["command"], args=server["args"], cwd=str(cwd), env=env)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        init = await session.initialize()
        tools = {t.name for t in (await session.list_tools()).tools}
        assert "recall" in tools
        return init.server_info.name


@pytest.fixture
def agents_repo(repo: GitRepo) -> GitRepo:
    repo.write("src/app.py", "x = 1\n")
    cairn(repo, "init", "--agents", check=True)
    repo.commit("cairn")
    return repo


def test_a_bare_cairn_is_not_on_the_client_path() -> None:
    """The premise: with the client's PATH, a bare `cairn` would not start."""
    env = client_env(Path("/nonexistent"))
    found = subprocess.run(["sh", "-c", "command -v cairn"], env=env, capture_output=True, text=True)
    assert found.returncode != 0 or Path(found.stdout.strip()).resolve() != INSTALLED.resolve()


async def test_claude_code_entry_starts_from_a_pipx_style_install(agents_repo: GitRepo, tmp_path: Path) -> None:
    home = tmp_path / "teammate"
    (home / ".local" / "bin").mkdir(parents=True)
    (home / ".local" / "bin" / "cairn").symlink_to(INSTALLED)
    server = entry(agents_repo, ".mcp.json", "mcpServers")
    sub = agents_repo.root / "src"  # Claude Code may be started in a subfolder
    assert await initialize(server, sub, client_env(home)) == "cairn"


async def test_vscode_entry_starts_with_an_override_from_the_workspace_folder(
    agents_repo: GitRepo, tmp_path: Path
) -> None:
    server = entry(agents_repo, ".vscode/mcp.json", "servers")
    assert server["type"] == "stdio"
    cwd = Path(server["cwd"].replace("${workspaceFolder}", str(agents_repo.root)))
    home = tmp_path / "empty-home"
    home.mkdir()
    assert await initialize(server, cwd, client_env(home, CAIRN_BIN=str(INSTALLED))) == "cairn"


async def test_entry_prefers_the_repositorys_untracked_venv(agents_repo: GitRepo, tmp_path: Path) -> None:
    venv_bin = agents_repo.root / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "cairn").symlink_to(INSTALLED)
    agents_repo.write(".gitignore", ".venv/\n")
    home = tmp_path / "empty-home"
    home.mkdir()
    server = entry(agents_repo, ".mcp.json", "mcpServers")
    assert await initialize(server, agents_repo.root, client_env(home)) == "cairn"


def test_entry_never_runs_a_committed_venv_and_says_how_to_install(agents_repo: GitRepo, tmp_path: Path) -> None:
    """A `.venv/bin/cairn` that came in a commit is not the teammate's install: it is skipped."""
    trap = tmp_path / "ran"
    agents_repo.write(".venv/bin/cairn", f"#!/bin/sh\ntouch {trap}\n")
    (agents_repo.root / ".venv" / "bin" / "cairn").chmod(0o755)
    agents_repo.commit("a pull request adds a venv")
    server = entry(agents_repo, ".mcp.json", "mcpServers")
    home = tmp_path / "empty-home"
    home.mkdir()
    # No cairn anywhere and no python that imports it: a one-line message, exit 127.
    (tmp_path / "gitonly").mkdir()
    (tmp_path / "gitonly" / "git").symlink_to(_which("git"))
    env = client_env(home, PATH=f"{tmp_path / 'gitonly'}:/bin")
    done = subprocess.run([server["command"], *server["args"]], cwd=agents_repo.root, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 127 and not trap.exists()
    assert done.stderr.strip() == "cairn: not installed; pipx install cairn-context (or set CAIRN_BIN)"


def _which(name: str) -> str:
    for folder in ("/usr/bin", "/usr/local/bin", "/bin"):
        if (Path(folder) / name).exists():
            return str(Path(folder) / name)
    raise AssertionError(f"{name} not found")
