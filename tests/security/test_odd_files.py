"""Issue 11 item 10: odd files in the repository — newline in a file name, submodules, huge files,
an anchored file swapped for a symlink after its note was parsed."""

from __future__ import annotations

import json
import os
import subprocess
import time

from tests.conftest import GitRepo
from tests.mcp.helpers import APP, cairn, git

WEIRD = "src/we\nird.py"


def _note_on(repo: GitRepo, path: str, lines: str = "4-5") -> str:
    cairn(repo, "init", check=True)
    out = cairn(repo, "add", "--kind", "decision", "--title", "f2 adds two", "--anchor", f"{path}:{lines}",
                "--body", "f2 must add exactly two.", check=True)
    repo.commit("note")
    return out.stdout.strip().removeprefix("agent-context/").removesuffix(".md")


def test_a_committed_change_to_a_file_named_with_a_newline_is_named(repo: GitRepo) -> None:
    repo.write(WEIRD, APP)
    repo.commit("weird name")
    _note_on(repo, WEIRD)
    repo.write(WEIRD, APP.replace("return x + 2\n", "return x * 2\n"))
    sha = repo.commit("f2 doubles")
    for args in (("check", "--json"), ("check", "--json", "--rev", "HEAD")):
        anchor = json.loads(cairn(repo, *args).stdout)["notes"][0]["anchors"][0]
        assert anchor["path"] == WEIRD and anchor["status"] == "changed"
        assert anchor["changed_in"] == sha, anchor  # not "uncommitted edits"
        assert "uncommitted" not in anchor["message"]
