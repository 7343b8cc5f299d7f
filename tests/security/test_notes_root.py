"""Issue 11 item 2: a committed symlink as the notes folder never makes Cairn read or write outside.

The attack: with hooks installed, a `git pull` turns `agent-context` into a symlink to an outside folder.
The post-merge sync used to overwrite that folder's `index.json`; `cairn add` and MCP `update_note`
wrote there; recall, search and `get_note` read outside `.md` files. Now the notes root, each note path
and every write target are resolved (symlinks included) and must stay inside the repository; otherwise
one line and nothing is read or written. `.`, `.git` and the git directory are refused as notes root,
and an `index.json` Cairn did not generate is never overwritten.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.conftest import GitRepo
from tests.mcp.helpers import cairn, git, mcp_session, setup_repo_with_note, text_of

WAIT = {"CAIRN_HOOK_WAIT": "60"}
OUTSIDE_INDEX = '{"this": "is my own index.json, not Cairn\'s"}\n'
OUTSIDE_NOTE = """---
title: Outside secret note
kind: decision
tags: [leak]
status: active
created: 2024-01-01T00:00:00Z
reviewed: 2024-01-01T00:00:00Z
---

OUTSIDE-SECRET-BODY
"""


def _outside(repo: GitRepo) -> Path:
    """A folder outside the repository holding someone's index.json and a markdown file."""
    folder = repo.root.parent / "outside"
    (folder / "decisions").mkdir(parents=True)
    (folder / "index.json").write_text(OUTSIDE_INDEX)
    (folder / "decisions" / "secret.md").write_text(OUTSIDE_NOTE)
    return folder


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _pull_turns_notes_into_symlink(repo: GitRepo, target: Path | str) -> None:
    """A branch replaces `agent-context` with a symlink; main merges it (post-merge hook runs)."""
    git(repo, "checkout", "-q", "-b", "evil", **WAIT)
    git(repo, "rm", "-q", "-r", "agent-context")
    os.symlink(target, repo.root / "agent-context")
    repo.commit("agent-context is a link now")
    git(repo, "checkout", "-q", "main", **WAIT)
    git(repo, "merge", "-q", "--no-edit", "evil", **WAIT)
    assert (repo.root / "agent-context").is_symlink()


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def test_post_merge_sync_and_cli_never_touch_an_outside_notes_folder(repo: GitRepo) -> None:
    setup_repo_with_note(repo)
    cairn(repo, "hooks", "install", check=True)
    repo.commit("hooks")
    outside = _outside(repo)
    before = _snapshot(outside)
    _pull_turns_notes_into_symlink(repo, outside)
    assert _snapshot(outside) == before  # the post-merge sync wrote nothing there

    synced = cairn(repo, "sync")
    assert synced.returncode != 0 and "symlink" in _one_line(synced.stderr)
    added = cairn(repo, "add", "--kind", "decision", "--title", "planted", "--body", "x")
    assert added.returncode == 2 and "agent-context" in _one_line(added.stderr)
    indexed = cairn(repo, "index")
    assert indexed.returncode == 2
    for args in (("list",), ("search", "OUTSIDE"), ("recall", "src/app.py", "--query", "secret"),
                 ("show", "decisions/secret"), ("check",)):
        out = cairn(repo, *args)
        assert "OUTSIDE-SECRET" not in out.stdout + out.stderr and "Outside secret" not in out.stdout, args
        assert "Traceback" not in out.stderr
    assert _snapshot(outside) == before




async def test_mcp_tools_never_read_or_write_an_outside_notes_folder(repo: GitRepo) -> None:
    note_id = setup_repo_with_note(repo)
    version = json.loads(cairn(repo, "show", note_id, "--json", check=True).stdout)["version"]
    outside = _outside(repo)
    # The outside folder even holds a copy of the note, so update_note would find "its" file there.
    (outside / f"{note_id}.md").write_text((repo.root / "agent-context" / f"{note_id}.md").read_text())
    before = _snapshot(outside)
    git(repo, "rm", "-q", "-r", "agent-context")
    os.symlink(outside, repo.root / "agent-context")
    async with mcp_session(repo) as session:
        calls: list[tuple[str, dict[str, Any]]] = [
            ("update_note", {"id": note_id, "version": version, "append": "planted"}),
            ("add_note", {"kind": "decision", "title": "planted", "body": "x"}),
            ("mark_reviewed", {"id": note_id}),
            ("get_note", {"id": "decisions/secret"}),
            ("search", {"query": "OUTSIDE"}),
            ("recall", {"path": "src/app.py", "query": "secret"}),
        ]
        for name, args in calls:
            result = await session.call_tool(name, args)
            text = text_of(result)
            assert "OUTSIDE-SECRET" not in text and "Outside secret" not in text, (name, text)
            if name != "recall":
                assert result.is_error, (name, text)
                assert "agent-context" in _one_line(text)
    assert _snapshot(outside) == before


def test_notes_root_dot_git_and_git_dir_are_refused(repo: GitRepo) -> None:
    setup_repo_with_note(repo)
    for root in (".", ".git", ".git/cairn", "./.git"):
        out = cairn(repo, "--notes-root", root, "add", "--kind", "decision", "--title", "t", "--body", "b")
        assert out.returncode == 2 and "notes_root" in _one_line(out.stderr), (root, out.stderr)
    # A folder of the working tree that is a symlink into the git directory is refused too.
    os.symlink(repo.root / ".git", repo.root / "notes-in-git")
    out = cairn(repo, "--notes-root", "notes-in-git", "add", "--kind", "decision", "--title", "t", "--body", "b")
    assert out.returncode == 2 and "notes-in-git" in _one_line(out.stderr)
    assert not list((repo.root / ".git").glob("decisions"))


def test_a_foreign_index_json_is_never_overwritten(repo: GitRepo) -> None:
    setup_repo_with_note(repo)
    index = repo.root / "agent-context" / "index.json"
    index.write_text(OUTSIDE_INDEX)
    repo.commit("someone else's index.json")
    added = cairn(repo, "add", "--kind", "gotcha", "--title", "still works", "--body", "b")
    assert added.returncode == 0, added.stderr  # the note is written ...
    assert index.read_text() == OUTSIDE_INDEX  # ... the foreign index is left alone
    refused = cairn(repo, "index")
    assert refused.returncode == 2 and "not generated by Cairn" in _one_line(refused.stderr)
    assert index.read_text() == OUTSIDE_INDEX
    # A symlinked index.json (even to a file of Cairn's format) is not Cairn's either.
    index.unlink()
    elsewhere = repo.root.parent / "elsewhere.json"
    elsewhere.write_text('{"generator": "cairn"}\n')
    os.symlink(elsewhere, index)
    assert cairn(repo, "index").returncode == 2
    assert elsewhere.read_text() == '{"generator": "cairn"}\n' and index.is_symlink()
    # Cairn's own file is regenerated as before (its mark is a key of the JSON, byte-stable).
    index.unlink()
    cairn(repo, "index", check=True)
    data = json.loads(index.read_text())
    assert data["generator"] == "cairn" and "gotchas/still-works" in data["notes"]


def test_note_files_that_are_symlinks_are_never_read(repo: GitRepo) -> None:
    setup_repo_with_note(repo)
    outside = _outside(repo)
    os.symlink(outside / "decisions" / "secret.md", repo.root / "agent-context" / "decisions" / "secret.md")
    for args in (("list",), ("search", "OUTSIDE"), ("show", "decisions/secret")):
        out = cairn(repo, *args)
        assert "OUTSIDE-SECRET" not in out.stdout + out.stderr and "Outside secret" not in out.stdout, args


async def test_language_server_serves_nothing_from_an_outside_notes_folder(client: Any, repo: GitRepo) -> None:
    from lsprotocol import types

    from tests.lsp.conftest import start

    setup_repo_with_note(repo)
    outside = _outside(repo)
    before = _snapshot(outside)
    git(repo, "rm", "-q", "-r", "agent-context")
    os.symlink(outside, repo.root / "agent-context")
    await start(client, repo.root, wait=False)
    status = await client.protocol.send_request_async("cairn/status", {})
    assert status is not None
    uri = (repo.root / "agent-context" / "decisions" / "secret.md").as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="markdown", version=1, text=OUTSIDE_NOTE)))
    try:
        hits = await client.protocol.send_request_async("cairn/search", {"query": "OUTSIDE"})
        assert "OUTSIDE-SECRET" not in json.dumps(hits, default=str)
    except Exception as exc:  # a one-line error is a fine answer too
        assert "agent-context" in str(exc) and "\n" not in str(exc)
    stale = await client.protocol.send_request_async("cairn/stale", {})
    assert "secret" not in json.dumps(stale, default=str)
    assert _snapshot(outside) == before
