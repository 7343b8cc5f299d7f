"""Each Claude Code hook fed its recorded, documented input; the JSON it answers, asserted."""

from __future__ import annotations

import json

import pytest

from cairn.recall.provenance import PREAMBLE
from tests.agent_hooks.helpers import apply_edit, context_of, run_hook, sample
from tests.conftest import GitRepo
from tests.mcp.helpers import cairn, git, setup_repo_with_note

WARNING = ("your edit changed lines that note {id} describes (src/app.py:4-5); if it no longer holds, "
           "update it with update_note")


@pytest.fixture
def note_repo(repo: GitRepo) -> tuple[GitRepo, str]:
    return repo, setup_repo_with_note(repo)


def test_session_start_puts_stale_notes_on_this_branch_first(note_repo: tuple[GitRepo, str]) -> None:
    repo, note_id = note_repo
    repo.write("src/other.py", "def g():\n    return 1\n")
    repo.commit("other")
    other = cairn(repo, "add", "--kind", "gotcha", "--title", "g returns one", "--anchor", "src/other.py:1-2",
                  "--body", "Callers rely on it.", check=True).stdout.strip()
    repo.commit("note on g")
    git(repo, "checkout", "-q", "-b", "feature")
    repo.write("src/app.py", repo.read("src/app.py").replace("return x + 2", "return x * 2"))
    repo.commit("f2 doubles")

    answer = run_hook(repo, sample("session_start", repo))
    text = context_of(answer, "SessionStart")
    assert text.startswith("# Cairn recall: session start (1 file changed on this branch)\n")
    assert PREAMBLE in text.splitlines()[:3]
    first, second = text.index("f2 adds two"), text.index("g returns one")
    assert first < second  # the stale note about this branch's change comes before the fresh one
    section = text[first:second]
    assert "STALE" in section and f"id: {note_id}" in section
    assert "- provenance: last commit by Test Author (" in section
    assert other.endswith(".md")
    assert answer is not None and answer.get("suppressOutput") is True


def test_session_start_budget_is_configurable_and_empty_repo_says_nothing(repo: GitRepo) -> None:
    repo.write("README.md", "hello\n")
    repo.commit("init")
    assert run_hook(repo, sample("session_start", repo)) is None  # no notes at all: nothing to say
    setup_repo_with_note(repo, body="\n\n".join(f"Paragraph {i} of a long note." for i in range(80)))
    repo.write("agent-context/config.toml", "[recall]\nsession_budget = 200\n")
    text = context_of(run_hook(repo, sample("session_start", repo)), "SessionStart")
    from cairn.recall.tokens import count_tokens

    assert count_tokens(text + "\n") <= 200 and "trimmed to fit the 200-token budget" in text


def test_post_tool_use_edit_names_the_notes_once_per_session(note_repo: tuple[GitRepo, str]) -> None:
    repo, note_id = note_repo
    payload = sample("post_tool_use_edit", repo)
    apply_edit(repo, payload)
    text = context_of(run_hook(repo, payload), "PostToolUse")
    assert text.startswith("# Cairn recall: src/app.py\n")
    assert f"id: {note_id}" in text and "f2 must add exactly two." in text
    assert "- provenance: " in text and PREAMBLE in text
    assert "your edit changed lines" not in text  # f9 is not what the note describes
    assert run_hook(repo, payload) is None  # once per session
    other_session = sample("post_tool_use_edit", repo, session="another-session")
    assert "f2 adds two" in context_of(run_hook(repo, other_session), "PostToolUse")


def test_post_tool_use_multiedit_breaking_an_anchor_warns_plainly(note_repo: tuple[GitRepo, str]) -> None:
    repo, note_id = note_repo
    payload = sample("post_tool_use_multiedit", repo)
    apply_edit(repo, payload)
    text = context_of(run_hook(repo, payload), "PostToolUse")
    version = json.loads(cairn(repo, "show", note_id, "--json", check=True).stdout)["version"]
    assert text.startswith(WARNING.format(id=note_id) + f" (id {note_id}, version {version})\n")
    assert "STALE" in text  # and the note itself, marked stale
    assert run_hook(repo, payload) is None  # the warning too is said once


def test_post_tool_use_write_counts_as_changing_every_line(note_repo: tuple[GitRepo, str]) -> None:
    repo, note_id = note_repo
    payload = sample("post_tool_use_write", repo)
    apply_edit(repo, payload)
    text = context_of(run_hook(repo, payload), "PostToolUse")
    assert WARNING.format(id=note_id) in text


def test_post_tool_use_on_files_without_notes_or_outside_says_nothing(note_repo: tuple[GitRepo, str]) -> None:
    repo, _ = note_repo
    payload = sample("post_tool_use_notebook", repo)
    apply_edit(repo, payload)
    assert run_hook(repo, payload) is None
    outside = sample("post_tool_use_edit", repo)
    outside["tool_input"]["file_path"] = str(repo.root.parent / "elsewhere.py")
    assert run_hook(repo, outside) is None
    read = sample("post_tool_use_edit", repo)
    read["tool_name"] = "Read"
    assert run_hook(repo, read) is None


def test_stop_asks_once_for_a_session_note_after_code_changed(note_repo: tuple[GitRepo, str]) -> None:
    repo, _ = note_repo
    assert run_hook(repo, sample("stop", repo)) is None  # nothing changed: never blocks
    edit = sample("post_tool_use_edit", repo)
    apply_edit(repo, edit)
    run_hook(repo, edit)
    assert run_hook(repo, sample("stop_hook_active", repo)) is None  # the loop guard is respected
    answer = run_hook(repo, sample("stop", repo))
    assert answer is not None and answer["decision"] == "block"
    reason = answer["reason"]
    assert "src/app.py" in reason and "session note" in reason and 'kind "session"' in reason
    assert "what you decided not to do" in reason
    assert run_hook(repo, sample("stop", repo)) is None  # never blocks twice


def test_stop_does_not_ask_when_the_session_wrote_a_note(note_repo: tuple[GitRepo, str]) -> None:
    repo, _ = note_repo
    edit = sample("post_tool_use_edit", repo)
    apply_edit(repo, edit)
    run_hook(repo, edit)
    cairn(repo, "add", "--kind", "session", "--title", "Commented f9", check=True, CAIRN_AGENT="claude-code")
    assert run_hook(repo, sample("stop", repo)) is None


def test_session_note_from_the_template(repo: GitRepo) -> None:
    setup_repo_with_note(repo)
    out = cairn(repo, "add", "--kind", "session", "--title", "Refactor f2", "--json", check=True,
                CLAUDECODE="1")
    note = json.loads(out.stdout)
    assert note["kind"] == "session" and note["path"].startswith("agent-context/sessions/")
    for heading in ("## What changed", "## Why", "## Decided not to do (and why)",
                    "## What the next session should know"):
        assert heading in note["body"]
    assert "author: agent:claude-code" in repo.read(note["path"])


@pytest.mark.parametrize("stdin", ["not json", "[]", "{}", '{"session_id": "s", "hook_event_name": "Stop"}'])
def test_hooks_fail_open_and_log(note_repo: tuple[GitRepo, str], stdin: str) -> None:
    repo, _ = note_repo
    assert run_hook(repo, stdin, event="post-tool-use") is None
    log = repo.root / ".git" / "cairn" / "agent-hooks.log"
    assert log.is_file() and "post-tool-use: HookInputError" in log.read_text(encoding="utf-8").splitlines()[-1]


def test_a_broken_workspace_fails_open(note_repo: tuple[GitRepo, str]) -> None:
    repo, _ = note_repo
    repo.write("agent-context/config.toml", "[recall\n")  # invalid TOML: every command fails on it
    for name in ("session_start", "post_tool_use_edit", "stop"):
        assert run_hook(repo, sample(name, repo)) is None
    lines = (repo.root / ".git" / "cairn" / "agent-hooks.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and all("invalid TOML" in line for line in lines)


def test_an_agent_editing_a_note_file_is_recorded_as_its_author(note_repo: tuple[GitRepo, str]) -> None:
    repo, note_id = note_repo
    rel = f"agent-context/{note_id}.md"
    original = repo.read(rel)
    repo.write(rel, original.replace("f2 must add exactly two.", "f2 must add exactly two, never three.")
               .replace("status: active", "status: active\nreviewed_by: Someone"))
    payload = sample("post_tool_use_edit", repo)
    payload["tool_input"].update(file_path=str(repo.root / rel), old_string="exactly two.",
                                 new_string="exactly two, never three.")
    text = context_of(run_hook(repo, payload), "PostToolUse")
    assert "author: agent:claude-code" in text
    stamped = repo.read(rel)
    assert "author: agent:claude-code" in stamped and "reviewed_by" not in stamped and "never three" in stamped
    assert run_hook(repo, payload) is None  # already stamped: nothing more to say
    assert run_hook(repo, sample("stop", repo)) is None  # no code changed, and a note was written
