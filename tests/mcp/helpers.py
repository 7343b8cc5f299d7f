"""Helpers shared by the agents-and-git tests: run the real `cairn` executable in temporary repositories."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from mcp.client.stdio import StdioServerParameters, stdio_client

from mcp import ClientSession
from tests.conftest import GIT_ENV, GitRepo

CAIRN_BIN = str(Path(sys.executable).parent / "cairn")

APP = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(1, 11))  # 30 lines


def cairn_env(repo: GitRepo, **extra: str) -> dict[str, str]:
    env = {**os.environ, **GIT_ENV, "HOME": str(repo.root.parent)}
    env.pop("CAIRN_HOOKS", None)
    env.update(extra)
    return env


def cairn(repo: GitRepo, *args: str, stdin: str | None = None, check: bool = False,
          **env: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([CAIRN_BIN, *args], cwd=repo.root, input=stdin, capture_output=True, text=True,
                          timeout=120, env=cairn_env(repo, **env))
    if check and proc.returncode != 0:
        raise AssertionError(f"cairn {' '.join(args)} exited {proc.returncode}: {proc.stderr}{proc.stdout}")
    return proc


def git(repo: GitRepo, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["git", *args], cwd=repo.root, capture_output=True, text=True, timeout=120,
                          env=cairn_env(repo, **env))
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}{proc.stdout}")
    return proc


def setup_repo_with_note(repo: GitRepo, anchor: str = "src/app.py:4-5", title: str = "f2 adds two",
                         body: str = "f2 must add exactly two.\n", tags: tuple[str, ...] = ("math",)) -> str:
    """A committed `src/app.py`, `cairn init`, one note anchored to it, committed. Returns the note id."""
    repo.write("src/app.py", APP)
    repo.commit("app")
    cairn(repo, "init", check=True)
    args = ["add", "--kind", "decision", "--title", title, "--anchor", anchor, "--body", body]
    for tag in tags:
        args += ["--tag", tag]
    rel = cairn(repo, *args, check=True).stdout.strip()
    repo.commit("note")
    return rel.removeprefix("agent-context/").removesuffix(".md")


@asynccontextmanager
async def mcp_session(repo: GitRepo) -> AsyncIterator[ClientSession]:
    """The official MCP client talking to `cairn mcp` in the repository."""
    params = StdioServerParameters(command=CAIRN_BIN, args=["mcp"], cwd=str(repo.root), env=cairn_env(repo))
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def text_of(result: Any) -> str:
    """The text parts of a tool result, joined."""
    return "".join(getattr(c, "text", "") for c in result.content)
