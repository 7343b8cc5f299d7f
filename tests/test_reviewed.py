"""One meaning of "reviewed" (`cairn.reviewed`), through the real `cairn` executable in temporary repositories.

After `cairn review-done ID` the next `cairn check` exits 0 for that note; a note whose anchored code was
deleted is refused in one line; any other edit re-records anchors whose code only moved.
"""

from __future__ import annotations

import json

from tests.conftest import GitRepo
from tests.mcp.helpers import APP, cairn, setup_repo_with_note

CHANGED = APP.replace("return x + 2\n", "return x * 2\n")  # f2's body (lines 4-5) changed


def _anchor(repo: GitRepo, note_id: str) -> dict[str, object]:
    anchors = json.loads(cairn(repo, "show", note_id, "--json", check=True).stdout)["anchors"]
    assert len(anchors) == 1
    return dict(anchors[0])


def _refusal(note_id: str, label: str) -> str:
    return (f"cairn: note {note_id}: anchor {label}: anchored code was deleted; "
            "re-anchor it with --anchor or remove the anchor\n")


def test_review_done_clears_a_stale_note(repo: GitRepo) -> None:
    note_id = setup_repo_with_note(repo)
    repo.write("src/app.py", "# header\n" + CHANGED)  # changed and moved down a line
    repo.commit("f2 doubles")
    assert cairn(repo, "check").returncode == 1
    done = cairn(repo, "review-done", note_id, check=True)
    assert done.stdout.startswith(f"agent-context/{note_id}.md: reviewed ")
    checked = cairn(repo, "check", "--json")
    assert checked.returncode == 0, checked.stdout
    anchor = _anchor(repo, note_id)
    assert anchor["lines"] == [5, 6] and anchor["commit"] == repo.head()
    assert json.loads(checked.stdout)["notes"][0]["anchors"][0]["status"] == "intact"


def test_mark_reviewed_is_the_same_verb(repo: GitRepo) -> None:
    note_id = setup_repo_with_note(repo)
    repo.write("src/app.py", CHANGED)
    repo.commit("f2 doubles")
    cairn(repo, "mark-reviewed", f"agent-context/{note_id}.md", check=True)  # an alias; a file path works too
    assert cairn(repo, "check").returncode == 0
    assert "review-done (mark-reviewed)" in cairn(repo, "--help").stdout  # one verb, one alias


def test_deleted_code_is_refused_in_one_line_and_nothing_is_written(repo: GitRepo) -> None:
    note_id = setup_repo_with_note(repo)
    repo.write("src/app.py", APP.replace("def f2(x):\n    return x + 2\n\n", ""))
    repo.commit("drop f2")
    path = repo.root / f"agent-context/{note_id}.md"
    before = path.read_bytes()
    for verb in ("review-done", "mark-reviewed"):
        refused = cairn(repo, verb, note_id)
        assert refused.returncode == 2 and refused.stdout == ""
        assert refused.stderr == _refusal(note_id, "src/app.py:4-5")
    assert path.read_bytes() == before
    # What the message says to do works: a new anchor (and the confirmation in the same command) ...
    cairn(repo, "update", note_id, "--anchor", "src/app.py:4-5", "--reviewed", check=True)
    assert cairn(repo, "check").returncode == 0


def test_dropping_the_deleted_anchor_then_review(repo: GitRepo) -> None:
    note_id = setup_repo_with_note(repo)
    cairn(repo, "update", note_id, "--anchor", "src/app.py:4-5", "--anchor", "src/app.py:10-11", check=True)
    repo.commit("two anchors")
    repo.write("src/app.py", APP.replace("def f2(x):\n    return x + 2\n\n", ""))
    repo.commit("drop f2")
    assert cairn(repo, "review-done", note_id).returncode == 2
    cairn(repo, "update", note_id, "--drop-anchor", "src/app.py:4-5", "--reviewed", check=True)
    assert cairn(repo, "check").returncode == 0
    assert _anchor(repo, note_id)["lines"] == [7, 8]  # f4, moved up by the deletion, recorded where it is
    missing = cairn(repo, "update", note_id, "--drop-anchor", "src/other.py")
    assert missing.returncode == 2 and "no such anchor" in missing.stderr


def test_update_rerecords_moved_anchors_and_reviewed_resolves_a_changed_one(repo: GitRepo) -> None:
    note_id = setup_repo_with_note(repo)
    repo.write("src/app.py", "# one\n# two\n" + APP)
    repo.commit("move")
    cairn(repo, "update", note_id, "--body", "Still true.", check=True)
    assert _anchor(repo, note_id)["lines"] == [6, 7]
    repo.write("src/app.py", "# one\n# two\n" + CHANGED)
    repo.commit("change")
    cairn(repo, "update", note_id, "--append", "Unrelated.", check=True)
    assert cairn(repo, "check").returncode == 1  # an edit alone does not confirm changed code
    cairn(repo, "update", note_id, "--body", "f2 doubles now.", "--reviewed", check=True)
    assert cairn(repo, "check").returncode == 0


def test_check_update_refreshes_moved_anchors_only(repo: GitRepo) -> None:
    moved = setup_repo_with_note(repo)
    changed = setup_repo_with_note(repo, anchor="src/app.py:10-11", title="f4 adds four")
    repo.write("src/app.py", "# one\n" + APP.replace("return x + 4\n", "return x - 4\n"))
    repo.commit("move and change")
    updated = cairn(repo, "check", "--update")
    assert updated.returncode == 1 and f"re-anchored moved/reformatted anchors in 1 note(s): {moved}" in updated.stderr
    assert _anchor(repo, moved)["lines"] == [5, 6]
    assert _anchor(repo, changed)["lines"] == [10, 11]  # confirming changed code is review-done's job
    cairn(repo, "review-done", changed, check=True)
    assert cairn(repo, "check").returncode == 0


def test_hand_edited_lines_are_recorded_where_the_person_put_them(repo: GitRepo) -> None:
    note_id = setup_repo_with_note(repo)
    repo.write("src/app.py", CHANGED)
    repo.commit("change")
    path = repo.root / f"agent-context/{note_id}.md"
    path.write_text(path.read_text().replace("lines: 4-5", "lines: 7-8"))  # "the note is about f3 now"
    cairn(repo, "review-done", note_id, check=True)
    assert _anchor(repo, note_id)["lines"] == [7, 8]
    assert cairn(repo, "check").returncode == 0


def test_review_done_with_a_stale_version_is_refused(repo: GitRepo) -> None:
    note_id = setup_repo_with_note(repo)
    refused = cairn(repo, "review-done", note_id, "--version", "0000000000000000")
    assert refused.returncode == 2 and "changed since you read it" in refused.stderr


def test_an_anchor_recorded_over_uncommitted_edits_follows_its_code(repo: GitRepo) -> None:
    """Not mistaken for a hand edit: its commit never held the recorded text, its blob did."""
    repo.write("src/app.py", APP)
    repo.commit("app")
    cairn(repo, "init", check=True)
    repo.write("src/app.py", APP.replace("return x + 2\n", "return x + 2  # uncommitted\n"))
    rel = cairn(repo, "add", "--kind", "gotcha", "--title", "t", "--anchor", "src/app.py:4-5", check=True).stdout
    note_id = rel.strip().removeprefix("agent-context/").removesuffix(".md")
    repo.write("src/app.py", "# one\n" + APP.replace("return x + 2\n", "return x * 2  # uncommitted\n"))
    repo.commit("move and change")
    cairn(repo, "review-done", note_id, check=True)
    assert _anchor(repo, note_id)["lines"] == [5, 6]
    assert cairn(repo, "check").returncode == 0
