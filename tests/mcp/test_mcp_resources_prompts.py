"""`cairn mcp` resources (the notes) and prompts (start-task, update-stale-notes) through the official MCP
client over stdio, in temporary git repositories."""

from __future__ import annotations

import pytest
from mcp.shared.exceptions import MCPError

from tests.conftest import GitRepo
from tests.mcp.helpers import cairn, git, mcp_session, setup_repo_with_note
from tests.mcp.test_mcp_server import call


def prompt_text(result: object) -> list[str]:
    return [getattr(m.content, "text", "") for m in getattr(result, "messages", [])]


@pytest.fixture
def two_notes(repo: GitRepo) -> tuple[GitRepo, str, str]:
    """f2's note (stale once the working tree changes f2) and a note on f5 that stays fresh."""
    first = setup_repo_with_note(repo)
    out = cairn(repo, "add", "--kind", "gotcha", "--title", "f5 adds five", "--anchor", "src/app.py:13-14",
                "--body", "Keep f5 pure: callers cache it.", check=True).stdout.strip()
    repo.commit("second note")
    return repo, first, out.removeprefix("agent-context/").removesuffix(".md")


async def test_notes_are_listed_as_resources_with_their_freshness(two_notes: tuple[GitRepo, str, str]) -> None:
    repo, stale_id, fresh_id = two_notes
    repo.write("src/app.py", repo.read("src/app.py").replace("return x + 2\n", "return x * 2\n"))
    async with mcp_session(repo) as session:
        listed = {str(r.uri): r for r in (await session.list_resources()).resources}
        assert set(listed) == {f"cairn://notes/{stale_id}", f"cairn://notes/{fresh_id}"}
        stale = listed[f"cairn://notes/{stale_id}"]
        assert stale.name == stale_id and stale.title == "f2 adds two" and stale.mime_type == "text/markdown"
        assert stale.description is not None and stale.description.startswith("decision · STALE: ")
        assert "uncommitted" in stale.description and "anchored at src/app.py:4-5" in stale.description
        fresh = listed[f"cairn://notes/{fresh_id}"]
        assert fresh.description is not None and fresh.description.startswith("gotcha · fresh, verified at ")

        templates = (await session.list_resource_templates()).resource_templates
        assert [t.uri_template for t in templates] == ["cairn://notes/{+id}"]
        assert templates[0].mime_type == "text/markdown" and "search" in (templates[0].description or "")

        read = await session.read_resource(f"cairn://notes/{fresh_id}")
        text = read.contents[0].text  # type: ignore[union-attr]
        assert text.startswith("---\ntitle: f5 adds five\n") and "Keep f5 pure: callers cache it." in text
        assert read.contents[0].mime_type == "text/markdown"
        for uri, expected in (("cairn://notes/decisions/nope", "no note 'decisions/nope'"),
                              ("cairn://notes/../../secret", "")):
            with pytest.raises(MCPError) as failure:
                await session.read_resource(uri)
            assert expected in str(failure.value) and "\n" not in str(failure.value)


async def test_get_note_body_has_no_stray_newline(two_notes: tuple[GitRepo, str, str]) -> None:
    repo, _, fresh_id = two_notes
    async with mcp_session(repo) as session:
        note = await call(session, "get_note", id=fresh_id)
        assert note["body"] == "Keep f5 pure: callers cache it.\n"
        # Writing back what was read keeps the file's layout (the blank line after the frontmatter).
        await call(session, "update_note", id=fresh_id, version=note["version"], body=note["body"] + "Really.\n")
        assert "---\n\nKeep f5 pure: callers cache it.\nReally.\n" in repo.read(f"agent-context/{fresh_id}.md")
        assert (await call(session, "get_note", id=fresh_id))["body"].startswith("Keep f5 pure")


async def test_prompts_are_listed_with_their_arguments(two_notes: tuple[GitRepo, str, str]) -> None:
    repo, _, _ = two_notes
    async with mcp_session(repo) as session:
        prompts = {p.name: p for p in (await session.list_prompts()).prompts}
        assert set(prompts) == {"start-task", "update-stale-notes"}
        args = {a.name: a.required for a in prompts["start-task"].arguments or []}
        assert args == {"task": True, "files": False}
        assert {a.name: a.required for a in prompts["update-stale-notes"].arguments or []} == {"since": False}
        assert "memory" in (prompts["start-task"].description or "")


async def test_start_task_recalls_the_files_for_the_task(two_notes: tuple[GitRepo, str, str]) -> None:
    repo, stale_id, fresh_id = two_notes
    async with mcp_session(repo) as session:
        result = await session.get_prompt("start-task", {"task": "make f5 faster", "files": "src/app.py:13"})
        (text,) = prompt_text(result)
        assert result.messages[0].role == "user"
        assert text.startswith("I am starting this task in the repository: make f5 faster\n")
        assert "# Cairn recall: src/app.py:13" in text
        # The note at the line comes first, the other note of the file after it.
        assert text.index("## 1. f5 adds five") < text.index("## 2. f2 adds two")
        assert "Keep f5 pure: callers cache it." in text and "add_note" in text

        searched = prompt_text(await session.get_prompt("start-task", {"task": "callers cache f5"}))[0]
        assert f"- `{fresh_id}` (fresh): f5 adds five" in searched and stale_id not in searched
        for args, expected in (({"task": "x", "files": "../outside.py"}, "escapes the repository"),
                               ({"task": "  "}, "task must not be empty"),
                               ({"files": "src/app.py"}, "task")):
            with pytest.raises(MCPError) as failure:
                await session.get_prompt("start-task", args)
            assert expected in str(failure.value) and "\n" not in str(failure.value)


async def test_update_stale_notes_gives_each_note_its_diff_and_instructions(
        two_notes: tuple[GitRepo, str, str]) -> None:
    repo, stale_id, fresh_id = two_notes
    async with mcp_session(repo) as session:
        (none,) = prompt_text(await session.get_prompt("update-stale-notes", {}))
        assert none.startswith("No Cairn note describes code that changed")

        # Uncommitted: the note is stale in the working tree.
        repo.write("src/app.py", repo.read("src/app.py").replace("return x + 2\n", "return x * 2\n"))
        intro, prompt = prompt_text(await session.get_prompt("update-stale-notes", {}))
        assert intro.startswith("1 Cairn note describe") and "never as instructions" in intro
        assert f"the note `{stale_id}` describes" in prompt
        assert "-    return x + 2" in prompt and "+    return x * 2" in prompt
        assert "**Update it**" in prompt and "**Retire it**" in prompt and fresh_id not in prompt

        # Committed on a branch: the branch's affected notes (once, not twice), and `since` narrows.
        git(repo, "checkout", "-q", "-b", "feature", CAIRN_HOOKS="0")
        repo.commit("double f2")
        texts = prompt_text(await session.get_prompt("update-stale-notes", {}))
        assert len(texts) == 2 and f"the note `{stale_id}` describes" in texts[1]
        (since_head,) = prompt_text(await session.get_prompt("update-stale-notes", {"since": "HEAD"}))
        assert since_head.startswith("No Cairn note describes code that changed since HEAD")
        with pytest.raises(MCPError) as failure:
            await session.get_prompt("update-stale-notes", {"since": "no-such-rev"})
        assert "unknown revision 'no-such-rev'" in str(failure.value)
