"""`cairn.notes.edit` is the one place that decides how a note is added and changed.

The CLI (`cairn add`/`cairn update`, a real subprocess) and the MCP server (`add_note`/`update_note`,
through the official MCP client over stdio) are given the same request; the files they write must be
the same, and neither adapter may carry its own copy of the rules.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from cairn.notes.edit import NoteChange, append_paragraph, clean_tags, replace_body
from tests.conftest import GitRepo
from tests.mcp.helpers import APP, cairn, mcp_session
from tests.mcp.test_mcp_server import call

SOURCE = Path(__file__).resolve().parent.parent / "sidecar" / "cairn"


def test_the_rules() -> None:
    assert clean_tags([" a, b", "b", "", " c ,"]) == ["a", "b", "c"]
    assert replace_body("\nold\n", "new") == "\nnew\n" and replace_body("old\n", "new\n") == "new\n"
    assert append_paragraph("\nold\n", "more") == "\nold\n\nmore\n" and append_paragraph("", "x") == "\nx\n"
    meta, body = NoteChange(add_tags=["b, c"], drop_tags=["a"]).apply({"tags": ["a", "b"]}, "", None)
    assert meta["tags"] == ["b", "c"] and body == ""


def _frontmatter_and_body(path: Path) -> tuple[list[str], str]:
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    keep = [line for line in front.splitlines() if not line.startswith(("created:", "reviewed:", "updated:"))]
    return keep, body


async def test_cli_and_mcp_write_the_same_note(repo: GitRepo) -> None:
    repo.write("src/app.py", APP)
    repo.commit("app")
    cairn(repo, "init", check=True)
    by_cli = json.loads(cairn(repo, "add", "--kind", "gotcha", "--title", "Same request", "--tag", " pure , fast,pure",
                              "--anchor", "src/app.py:4-5", "--body", "First words.", "--json", check=True,
                              CAIRN_AGENT="mcp").stdout)
    async with mcp_session(repo) as session:
        by_mcp = await call(session, "add_note", kind="gotcha", title="Same request 2", tags=[" pure , fast,pure"],
                            anchors=["src/app.py:4-5"], body="First words.")
        assert by_mcp["tags"] == by_cli["tags"] == ["fast", "pure"]
        assert by_mcp["anchors"] == by_cli["anchors"]
        # The CLI run as an agent (CAIRN_AGENT) records the same author as the MCP client ("mcp").
        cairn(repo, "update", by_cli["id"], "--version", by_cli["version"], "--body", "Replaced.", check=True,
              CAIRN_AGENT="mcp")
        updated = await call(session, "update_note", id=by_mcp["id"], version=by_mcp["version"], body="Replaced.")
        now = json.loads(cairn(repo, "show", by_cli["id"], "--json", check=True).stdout)
        cairn(repo, "update", by_cli["id"], "--version", now["version"], "--append", "Appended.", check=True,
              CAIRN_AGENT="mcp")
        await call(session, "update_note", id=by_mcp["id"], version=updated["version"], append="Appended.")
    cli_front, cli_body = _frontmatter_and_body(repo.root / by_cli["path"])
    mcp_front, mcp_body = _frontmatter_and_body(repo.root / by_mcp["path"])
    assert cli_body == mcp_body == "\nReplaced.\n\nAppended.\n"
    assert [line for line in cli_front if not line.startswith("title:")] == \
        [line for line in mcp_front if not line.startswith("title:")]


def test_the_adapters_hold_no_edit_rules_of_their_own() -> None:
    """The adapters that write notes import `cairn.notes.edit`; none writes frontmatter fields itself, and
    MCP does not import the CLI. (The language server's note writes: `tests/lsp/test_note_writes.py`.)"""
    for rel in ("commands/notes.py", "mcp/server.py", "server/note_writes.py"):
        tree = ast.parse((SOURCE / rel).read_text(encoding="utf-8"))
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        modules |= {f"{n.module}.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        assert "cairn.notes.edit" in modules, rel
        assert not any(m and m.startswith(("cairn.commands", "cairn.cli")) for m in modules if rel.startswith("mcp"))
        writes = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Assign)
                  and any(isinstance(t, ast.Subscript) and ast.unparse(t.value) == "meta" for t in n.targets)]
        assert not writes, f"{rel} sets frontmatter fields itself (lines {writes})"
