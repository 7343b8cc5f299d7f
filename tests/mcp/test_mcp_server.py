"""`cairn mcp` through the official MCP client over stdio, in temporary git repositories."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from mcp.client.session import ClientSession

from tests.conftest import GitRepo
from tests.mcp.helpers import git, mcp_session, setup_repo_with_note, text_of

TOOLS = {"recall", "search", "check", "get_note", "add_note", "update_note", "mark_reviewed", "affected"}




async def call(session: ClientSession, name: str, **args: Any) -> Any:
    result = await session.call_tool(name, args)
    assert not result.is_error, f"{name} failed: {text_of(result)}"
    text = text_of(result)
    try:
        return json.loads(text)
    except ValueError:
        return text


async def error(session: ClientSession, name: str, **args: Any) -> str:
    result = await session.call_tool(name, args)
    assert result.is_error, f"{name} should have failed: {text_of(result)}"
    return text_of(result)


@pytest.fixture
def note_repo(repo: GitRepo) -> tuple[GitRepo, str]:
    return repo, setup_repo_with_note(repo)


async def test_tools_and_schemas(note_repo: tuple[GitRepo, str]) -> None:
    repo, _ = note_repo
    async with mcp_session(repo) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert set(tools) == TOOLS
        assert "BEFORE" in (tools["recall"].description or "")
        assert "AFTER" in (tools["add_note"].description or "")
        add = tools["add_note"].input_schema
        assert set(add["required"]) == {"kind", "title", "body"}
        assert add["properties"]["anchors"]["anyOf"][0] == {"items": {"type": "string"}, "type": "array"}
        update = tools["update_note"].input_schema
        assert set(update["required"]) == {"id", "version"}
        assert tools["recall"].input_schema["required"] == ["path"]
        assert session.initialize_result is not None
        assert "recall" in (session.initialize_result.instructions or "")


async def test_read_tools(note_repo: tuple[GitRepo, str]) -> None:
    repo, note_id = note_repo
    async with mcp_session(repo) as session:
        recalled = await call(session, "recall", path="src/app.py", line=4)
        assert "f2 adds two" in recalled
        hits = (await call(session, "search", query="exactly two"))["hits"]
        assert hits[0]["id"] == note_id
        note = await call(session, "get_note", id=note_id)
        assert note["title"] == "f2 adds two" and note["version"] and "exactly two" in note["body"]
        checked = await call(session, "check")
        assert [n["state"] for n in checked["notes"]] == ["fresh"]
        repo.write("src/app.py", repo.read("src/app.py").replace("return x + 2\n", "return x * 2\n"))
        checked = await call(session, "check", paths=["src/app.py"])
        assert checked["notes"][0]["state"] == "stale"
        assert checked["notes"][0]["anchors"][0]["status"] == "changed"
        note = await call(session, "get_note", id=note_id)
        await call(session, "update_note", id=note_id, version=note["version"], body="f2 doubles its input.",
                   reanchor=True)
        checked = await call(session, "check", paths=["src/app.py"])
        assert checked["notes"][0]["state"] == "fresh"


async def test_check_and_recall_show_the_place_now_first(note_repo: tuple[GitRepo, str]) -> None:
    repo, _ = note_repo
    repo.write("src/app.py", "import os\nimport sys\n" + repo.read("src/app.py").replace("return x + 2\n",
                                                                                          "return x * 2\n"))
    sha = repo.commit("Double f2")
    async with mcp_session(repo) as session:
        (anchor,) = (await call(session, "check"))["notes"][0]["anchors"]
        assert (anchor["status"], anchor["changed_in"], anchor["merged_in"]) == ("changed", sha, None)
        assert anchor["message"] == (f"anchored lines changed in {sha[:7]} (Double f2): "
                                     "now src/app.py:6-7 (recorded 4-5)")
        recalled = await call(session, "recall", path="src/app.py", line=6)
        assert f"STALE: anchored lines changed in {sha[:7]} (Double f2): now src/app.py:6-7 (recorded 4-5)" in recalled
        missing = await error(session, "recall", path="src/apx.py")
        assert missing.strip() == "src/apx.py: no such file in the working tree or at HEAD"


async def test_affected_tool(note_repo: tuple[GitRepo, str]) -> None:
    repo, note_id = note_repo
    git(repo, "checkout", "-q", "-b", "feature", CAIRN_HOOKS="0")
    repo.write("src/app.py", repo.read("src/app.py").replace("return x + 2\n", "return x * 2\n"))
    repo.commit("double")
    async with mcp_session(repo) as session:
        result = await call(session, "affected")
        assert [n["id"] for n in result["notes"]] == [note_id]
        assert result["not_updated"] == [note_id]
        assert "+    return x * 2" in result["notes"][0]["anchors"][0]["hunks"][0]["text"]


async def test_write_tools(note_repo: tuple[GitRepo, str]) -> None:
    repo, note_id = note_repo
    async with mcp_session(repo) as session:
        added = await call(session, "add_note", kind="gotcha", title="f3 is off by one", body="Careful.",
                           tags=["math", "bugs"], anchors=["src/app.py:7-8"])
        assert added["id"] == "gotchas/f3-is-off-by-one"
        assert added["anchors"][0]["lines"] == [7, 8] and added["anchors"][0]["commit"] == repo.head()
        assert (repo.root / "agent-context/gotchas/f3-is-off-by-one.md").is_file()
        index = json.loads(repo.read("agent-context/index.json"))
        assert "gotchas/f3-is-off-by-one" in index["notes"]

        note = await call(session, "get_note", id=note_id)
        updated = await call(session, "update_note", id=note_id, version=note["version"],
                             append="Also: f2 is pure.", tags=["math", "pure"])
        assert updated["body"].endswith("Also: f2 is pure.\n") and updated["tags"] == ["math", "pure"]
        assert updated["version"] != note["version"]
        stale = await error(session, "update_note", id=note_id, version=note["version"], title="lost?")
        assert stale.startswith("conflict:") and f"current version: {updated['version']}" in stale
        assert "Also: f2 is pure." in stale  # the current text comes back
        assert json.loads(json.dumps(await call(session, "get_note", id=note_id)))["title"] == "f2 adds two"
        reviewed = await call(session, "mark_reviewed", id=note_id)
        assert reviewed["reviewed"] and reviewed["version"] == (await call(session, "get_note", id=note_id))["version"]
        retired = await call(session, "update_note", id=note_id, version=reviewed["version"], status="archived")
        assert retired["status"] == "archived"


async def test_bad_input_is_refused_in_one_line(note_repo: tuple[GitRepo, str]) -> None:
    repo, note_id = note_repo
    (repo.root.parent / "secret.txt").write_text("secret\n")
    async with mcp_session(repo) as session:
        cases = [
            ("recall", {"path": "../secret.txt"}, "escapes the repository"),
            ("recall", {"path": str(repo.root.parent / "secret.txt")}, "outside the repository"),
            ("recall", {"path": ".git/config"}, "inside .git"),
            ("check", {"paths": ["../../etc"]}, "escapes the repository"),
            ("add_note", {"kind": "rumour", "title": "t", "body": "b"}, "unknown kind 'rumour'"),
            ("add_note", {"kind": "gotcha", "title": "t", "body": "b", "anchors": ["src/app.py:9-3"]},
             "start is after end"),
            ("add_note", {"kind": "gotcha", "title": "t", "body": "b", "anchors": ["src/app.py"]},
             "must be PATH:START-END"),
            ("add_note", {"kind": "gotcha", "title": "t", "body": "b", "anchors": ["../x.py:1-2"]},
             "escapes the repository"),
            ("add_note", {"kind": "gotcha", "title": "t", "body": "b", "anchors": ["src/app.py:1-99"]},
             "has only 30 lines"),
            ("add_note", {"kind": "gotcha", "body": "b"}, "title"),
            ("get_note", {"id": "../../secret"}, "note"),
            ("get_note", {"id": "decisions/nope"}, "no note 'decisions/nope'"),
            ("update_note", {"id": note_id, "version": "x", "status": "deleted"}, "unknown status 'deleted'"),
            ("update_note", {"id": note_id, "version": 5}, "version"),
            ("search", {"query": ""}, "query"),
            ("recall", {"path": "src/app.py", "line": 0}, "line"),
        ]
        for name, args, expected in cases:
            message = await error(session, name, **args)
            assert expected in message, (name, args, message)
            assert "\n" not in message, message
            assert "Traceback" not in message
        assert not (repo.root.parent / "agent-context").exists()
        assert sorted(p.name for p in (repo.root / "agent-context/gotchas").iterdir()) == [".gitkeep"]


async def test_concurrent_update_from_two_clients(note_repo: tuple[GitRepo, str]) -> None:
    repo, note_id = note_repo
    async with mcp_session(repo) as one, mcp_session(repo) as two:
        read_one = await call(one, "get_note", id=note_id)
        read_two = await call(two, "get_note", id=note_id)
        assert read_one["version"] == read_two["version"]
        results = await asyncio.gather(
            one.call_tool("update_note", {"id": note_id, "version": read_one["version"], "append": "from one"}),
            two.call_tool("update_note", {"id": note_id, "version": read_two["version"], "append": "from two"}),
        )
        assert sorted(r.is_error for r in results) == [False, True]
        loser = one if results[0].is_error else two
        line = "from one" if loser is one else "from two"
        assert text_of(results[0] if results[0].is_error else results[1]).startswith("conflict:")
        fresh = await call(loser, "get_note", id=note_id)
        await call(loser, "update_note", id=note_id, version=fresh["version"], append=line)
    body = repo.read(f"agent-context/{note_id}.md")
    assert "from one" in body and "from two" in body


async def test_notes_are_never_written_through_symlinks(note_repo: tuple[GitRepo, str]) -> None:
    repo, _ = note_repo
    outside = repo.root.parent / "outside"
    outside.mkdir()
    gotchas = repo.root / "agent-context/gotchas"
    for child in gotchas.iterdir():
        child.unlink()
    gotchas.rmdir()
    gotchas.symlink_to(outside, target_is_directory=True)
    (outside / "x.md").write_text("---\ntitle: x\nkind: gotcha\n---\nbody\n")
    async with mcp_session(repo) as session:
        message = await error(session, "add_note", kind="gotcha", title="escape", body="b")
        assert "leads outside the notes folder" in message
        message = await error(session, "update_note", id="gotchas/x", version="abc", body="pwned")
        assert "outside the notes folder" in message
    assert sorted(p.name for p in outside.iterdir()) == ["x.md"]
    assert (outside / "x.md").read_text().endswith("body\n")


async def test_mark_reviewed_clears_a_stale_note_and_refuses_deleted_code(note_repo: tuple[GitRepo, str]) -> None:
    """One meaning of "reviewed": the anchors are re-recorded at the code now, so `cairn check` passes."""
    from tests.mcp.helpers import APP, cairn

    repo, note_id = note_repo
    repo.write("src/app.py", "# header\n" + APP.replace("return x + 2\n", "return x * 2\n"))
    repo.commit("f2 doubles")
    assert cairn(repo, "check").returncode == 1
    async with mcp_session(repo) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        description = tools["mark_reviewed"].description or ""
        assert "re-records every anchor at the code's current lines" in description and "deleted" in description
        note = await call(session, "get_note", id=note_id)
        reviewed = await call(session, "mark_reviewed", id=note_id, version=note["version"])
        assert reviewed["reviewed"] and reviewed["version"] != note["version"]
        assert (await call(session, "get_note", id=note_id))["anchors"][0]["lines"] == [5, 6]
        assert cairn(repo, "check").returncode == 0

        repo.write("src/app.py", "# header\n" + APP.replace("def f2(x):\n    return x + 2\n\n", ""))
        repo.commit("drop f2")
        before = (repo.root / f"agent-context/{note_id}.md").read_bytes()
        refused = await error(session, "mark_reviewed", id=note_id)
        assert refused == (f"note {note_id}: anchor src/app.py:5-6: anchored code was deleted; "
                           "re-anchor it with --anchor or remove the anchor")
        assert (repo.root / f"agent-context/{note_id}.md").read_bytes() == before
        # update_note(reviewed=True) means the same thing, and new anchors are the way out.
        assert (await error(session, "update_note", id=note_id, version=reviewed["version"], reviewed=True)
                ) == refused
        fixed = await call(session, "update_note", id=note_id, version=reviewed["version"],
                           anchors=["src/app.py:2-3"], reviewed=True)
        assert fixed["anchors"][0]["lines"] == [2, 3]
        assert cairn(repo, "check").returncode == 0
