"""`cairn review` prompts and `cairn review --run` with a test agent: valid note edits kept, the rest refused."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.conftest import GitRepo
from tests.mcp.helpers import cairn, git, setup_repo_with_note

AGENT = Path(__file__).parent / "mcp" / "review_agent.py"


def _agent(mode: str) -> str:
    return f"{sys.executable} {AGENT} {mode}"


def _branch_with_change(repo: GitRepo) -> str:
    note_id = setup_repo_with_note(repo)
    repo.write("README.md", "readme\n")
    repo.commit("readme")
    git(repo, "checkout", "-q", "-b", "feature")
    repo.write("src/app.py", repo.read("src/app.py").replace("return x + 2\n", "return x * 2\n"))
    repo.commit("f2 doubles")
    return note_id


def test_review_prints_agent_ready_prompt(repo: GitRepo) -> None:
    note_id = _branch_with_change(repo)
    out = cairn(repo, "review", check=True).stdout
    assert f"## The note: `agent-context/{note_id}.md`" in out
    assert "-    return x + 2" in out and "+    return x * 2" in out
    assert "Update it" in out and "Re-anchor it" in out and "Retire it" in out
    data = json.loads(cairn(repo, "review", "--json", check=True).stdout)
    assert [p["note"] for p in data["prompts"]] == [note_id]


def test_run_keeps_a_valid_note_edit(repo: GitRepo) -> None:
    note_id = _branch_with_change(repo)
    git(repo, "config", "cairn.reviewAgent", _agent("edit-note"))  # the user's own setting
    result = cairn(repo, "review", "--run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"running review agent (from git config cairn.reviewAgent): {_agent('edit-note')}" in result.stdout
    assert f"{note_id}: agent exited 0; kept 1 change(s): agent-context/{note_id}.md" in result.stdout
    text = repo.read(f"agent-context/{note_id}.md")
    assert "Updated by the review agent" in text
    # Cairn re-anchored the updated note to the code as it is now: it is fresh again.
    checked = json.loads(cairn(repo, "check", "--json").stdout)
    assert [(n["id"], n["state"]) for n in checked["notes"]] == [(note_id, "fresh")]


def test_run_rerecords_anchors_the_agent_moved(repo: GitRepo) -> None:
    note_id = _branch_with_change(repo)
    before = json.loads(cairn(repo, "show", note_id, "--json", check=True).stdout)
    result = cairn(repo, "review", "--run", "--agent", _agent("move-lines"))
    assert result.returncode == 0, result.stdout + result.stderr
    text = repo.read(f"agent-context/{note_id}.md")
    assert "lines: 7-8" in text
    after = json.loads(cairn(repo, "show", note_id, "--json", check=True).stdout)
    assert after["anchors"][0]["lines"] == [7, 8]
    assert after["anchors"][0]["commit"] == repo.head() and before["anchors"][0]["commit"] != repo.head()
    checked = json.loads(cairn(repo, "check", "--json").stdout)
    assert checked["notes"][0]["state"] == "fresh"


def test_run_refuses_anchors_outside_the_file(repo: GitRepo) -> None:
    note_id = _branch_with_change(repo)
    before = repo.read(f"agent-context/{note_id}.md")
    bad = cairn(repo, "review", "--run", "--agent", _agent("bad-lines"))
    assert bad.returncode == 1
    assert "cannot anchor the edited note" in bad.stdout and "has only 30 lines" in bad.stdout
    assert repo.read(f"agent-context/{note_id}.md") == before


def test_run_refuses_code_edits_and_restores_them(repo: GitRepo) -> None:
    note_id = _branch_with_change(repo)
    repo.write("README.md", "readme\nmy own uncommitted edit\n")
    app_before = repo.read("src/app.py")
    result = cairn(repo, "review", "--run", "--agent", _agent("edit-code"))
    assert result.returncode == 1
    assert "rejected src/app.py: not a note file: the agent may only edit notes (restored)" in result.stdout
    assert "rejected README.md: not a note file" in result.stdout
    assert repo.read("src/app.py") == app_before
    assert repo.read("README.md") == "readme\nmy own uncommitted edit\n"  # back to the user's version
    assert "Updated by the review agent" in repo.read(f"agent-context/{note_id}.md")


def test_run_refuses_broken_frontmatter_and_lost_fields(repo: GitRepo) -> None:
    note_id = _branch_with_change(repo)
    path = f"agent-context/{note_id}.md"
    before = repo.read(path)
    broken = cairn(repo, "review", "--run", "--agent", _agent("break-frontmatter"))
    assert broken.returncode == 1
    assert f"rejected {path}: invalid note" in broken.stdout
    assert repo.read(path) == before
    dropped = cairn(repo, "review", "--run", "--agent", _agent("drop-field"))
    assert dropped.returncode == 1
    assert f"rejected {path}: removed frontmatter field(s): tags (restored)" in dropped.stdout
    assert repo.read(path) == before


def test_run_without_agent_is_a_usage_error(repo: GitRepo) -> None:
    _branch_with_change(repo)
    result = cairn(repo, "review", "--run")
    assert result.returncode == 2
    assert "no review agent configured" in result.stderr


def test_run_reports_commits_made_by_the_agent(repo: GitRepo) -> None:
    _branch_with_change(repo)
    before = repo.head()
    result = cairn(repo, "review", "--run", "--agent", _agent("commit"))
    assert result.returncode == 1
    assert f"rejected HEAD: the agent made commits ({before[:10]}..{repo.head()[:10]})" in result.stdout


def _branch_deleting_the_code(repo: GitRepo) -> str:
    note_id = setup_repo_with_note(repo)
    git(repo, "checkout", "-q", "-b", "feature")
    repo.write("src/app.py", repo.read("src/app.py").replace("def f2(x):\n    return x + 2\n\n", ""))
    repo.commit("drop f2")
    return note_id


def test_run_keeps_a_retired_note_whose_code_was_deleted(repo: GitRepo) -> None:
    note_id = _branch_deleting_the_code(repo)
    result = cairn(repo, "review", "--run", "--agent", _agent("archive"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "status: archived" in repo.read(f"agent-context/{note_id}.md")


def test_run_refuses_to_confirm_a_note_whose_code_was_deleted(repo: GitRepo) -> None:
    note_id = _branch_deleting_the_code(repo)
    before = repo.read(f"agent-context/{note_id}.md")
    result = cairn(repo, "review", "--run", "--agent", _agent("edit-note"))
    assert result.returncode == 1
    assert (f"rejected agent-context/{note_id}.md: cannot anchor the edited note: note {note_id}: anchor "
            "src/app.py:4-5: anchored code was deleted") in result.stdout, result.stdout
    assert repo.read(f"agent-context/{note_id}.md") == before
