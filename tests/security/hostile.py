"""Shared set-up for i11b's hostile-input tests: a repository with one good note and room for bad ones.

Every test here plays an attacker who can commit files (a pull request): it writes the hostile note or
sends the hostile request, then asserts the safe outcome on the real surfaces (the `cairn` executable,
`cairn serve` through pytest-lsp or raw bytes, `cairn mcp` through the official MCP client).
"""

from __future__ import annotations

import re
import subprocess

from tests.conftest import GitRepo
from tests.mcp.helpers import CAIRN_BIN, cairn, cairn_env, mcp_session, setup_repo_with_note, text_of

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




__all__ = ["CAIRN_BIN", "GOOD_TITLE", "ONE_LINE_ERROR", "assert_no_crash", "cairn", "good_repo", "mcp_session",
           "run", "text_of", "write_note"]
