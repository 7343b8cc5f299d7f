"""Shared set-up for i11b's hostile-input tests: a repository with one good note and room for bad ones.

Every test here plays an attacker who can commit files (a pull request): it writes the hostile note or
sends the hostile request, then asserts the safe outcome on the real surfaces (the `cairn` executable,
`cairn serve` through pytest-lsp or raw bytes, `cairn mcp` through the official MCP client).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.conftest import GitRepo
from tests.mcp.helpers import CAIRN_BIN, cairn, cairn_env, setup_repo_with_note

GOOD_TITLE = "f2 adds two"
# `path:line: message`, all on one line.
ONE_LINE_ERROR = re.compile(r"^agent-context/[\w/.-]+\.md:\d+: [^\n\r]+$")


def good_repo(repo: GitRepo) -> str:
    """`src/app.py` and one valid note anchored to lines 4-5 (committed); returns its id."""
    return setup_repo_with_note(repo, title=GOOD_TITLE, body="f2 must add exactly two.\n")


def write_note(repo: GitRepo, name: str, frontmatter: str, body: str = "Body.\n") -> str:
    """A note file with this frontmatter text, as an attacker would commit it; returns its path."""
    rel = f"agent-context/decisions/{name}.md"
    repo.write(rel, f"---\n{frontmatter.rstrip()}\n---\n{body}")
    return rel


def run(repo: GitRepo, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`cairn ARGS` in the repository; fails the test on a hang instead of hanging it."""
    proc = subprocess.run([CAIRN_BIN, *args], cwd=repo.root, capture_output=True, text=True, timeout=timeout,
                          env=cairn_env(repo))
    return proc


def assert_no_crash(proc: subprocess.CompletedProcess[str]) -> None:
    """No traceback, no internal error, no Rust panic: every stderr line is a one-line message."""
    assert proc.returncode in (0, 1, 2), f"exit {proc.returncode}: {proc.stderr}"
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    assert "panicked" not in proc.stderr and "RUST_BACKTRACE" not in proc.stderr, proc.stderr


@asynccontextmanager
async def mcp_session(repo: GitRepo) -> AsyncIterator[ClientSession]:
    """The official MCP client talking to `cairn mcp` in the repository."""
    params = StdioServerParameters(command=CAIRN_BIN, args=["mcp"], cwd=str(repo.root), env=cairn_env(repo))
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def text_of(result: Any) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


__all__ = ["CAIRN_BIN", "GOOD_TITLE", "ONE_LINE_ERROR", "assert_no_crash", "cairn", "good_repo", "mcp_session",
           "run", "text_of", "write_note"]
