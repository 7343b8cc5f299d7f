"""The merge drivers: notes merged field by field and three-way in the body; index.json never conflicts."""

from __future__ import annotations

import json

from cairn.merge import merge_index_texts, merge_note_texts
from tests.conftest import GitRepo
from tests.mcp.helpers import cairn, git, setup_repo_with_note

BASE = """---
title: Use JWT
kind: decision
tags: [auth]
status: active
created: 2026-01-01T00:00:00Z
reviewed: 2026-01-01T00:00:00Z
anchors:
  - path: src/a.py
    lines: 1-3
---
First paragraph.

Second paragraph.

Third paragraph.
"""


def test_different_fields_merge_cleanly() -> None:
    ours = BASE.replace("tags: [auth]", "tags: [auth, security]").replace("status: active", "status: archived")
    theirs = BASE.replace("title: Use JWT", "title: Use JWT tokens").replace("tags: [auth]", "tags: [auth, api]")
    result = merge_note_texts(BASE, ours, theirs)
    assert result.clean, result.conflicts
    assert "title: Use JWT tokens" in result.text
    assert "tags: [auth, security, api]" in result.text
    assert "status: archived" in result.text


def test_latest_reviewed_and_anchor_union() -> None:
    ours = BASE.replace("reviewed: 2026-01-01T00:00:00Z", "reviewed: 2026-03-01T00:00:00Z").replace(
        "    lines: 1-3\n", "    lines: 1-3\n  - path: src/b.py\n    lines: 5-6\n")
    theirs = BASE.replace("reviewed: 2026-01-01T00:00:00Z", "reviewed: 2026-02-01T00:00:00Z").replace(
        "    lines: 1-3\n", "    lines: 1-3\n  - path: src/c.py\n    lines: 7-9\n")
    result = merge_note_texts(BASE, ours, theirs)
    assert result.clean, result.conflicts
    assert "reviewed: 2026-03-01T00:00:00Z" in result.text
    assert "src/b.py" in result.text and "src/c.py" in result.text and "src/a.py" in result.text


def test_same_code_reanchored_on_both_sides_is_one_anchor() -> None:
    base = BASE.replace("    lines: 1-3\n", "    lines: 1-3\n    hash: abc\n")
    ours = base.replace("lines: 1-3", "lines: 5-7").replace("tags: [auth]", "tags: [auth, x]")
    theirs = base.replace("lines: 1-3", "lines: 4-6") + "More.\n"
    # theirs also added an anchor, so both sides changed the list
    theirs = theirs.replace("    hash: abc\n", "    hash: abc\n  - path: src/z.py\n    lines: 1-1\n")
    result = merge_note_texts(base, ours, theirs)
    assert result.clean, result.conflicts
    assert result.text.count("hash: abc") == 1 and "lines: 5-7" in result.text and "src/z.py" in result.text


def test_same_scalar_is_flagged_with_markers() -> None:
    ours = BASE.replace("title: Use JWT", "title: Use JWT (ours)")
    theirs = BASE.replace("title: Use JWT", "title: Use JWT (theirs)")
    result = merge_note_texts(BASE, ours, theirs, path="agent-context/decisions/x.md")
    assert result.conflicts == ["agent-context/decisions/x.md: both sides changed `title` differently"]
    assert "<<<<<<< ours\ntitle: Use JWT (ours)\n=======\ntitle: Use JWT (theirs)\n>>>>>>> theirs\n" in result.text


def test_body_three_way() -> None:
    ours = BASE.replace("First paragraph.", "First paragraph, edited by us.")
    theirs = BASE.replace("Third paragraph.", "Third paragraph, edited by them.")
    result = merge_note_texts(BASE, ours, theirs)
    assert result.clean
    assert "edited by us" in result.text and "edited by them" in result.text
    clash = merge_note_texts(BASE, BASE.replace("Second paragraph.", "Second (us)."),
                             BASE.replace("Second paragraph.", "Second (them)."))
    assert not clash.clean
    assert "<<<<<<< ours" in clash.text and "Second (them)." in clash.text


def test_index_merge_keeps_both_sides() -> None:
    def index(*ids: str) -> str:
        return json.dumps({"version": 1, "notes": {i: {"title": i, "tags": [], "path": f"{i}.md"} for i in ids}})

    merged = json.loads(merge_index_texts(index("a"), index("a", "b"), index("a", "c")))
    assert sorted(merged["notes"]) == ["a", "b", "c"]
    deleted = json.loads(merge_index_texts(index("a", "b"), index("a"), index("a", "b")))
    assert sorted(deleted["notes"]) == ["a"]


# ---- through git, with the drivers registered by `cairn hooks install` ---------------------------------

def _setup(repo: GitRepo) -> str:
    note_id = setup_repo_with_note(repo)
    cairn(repo, "hooks", "install", check=True)
    assert "merge=cairn-note" in repo.read(".gitattributes")
    repo.commit("attributes")
    return note_id


def _edit(repo: GitRepo, note_id: str, old: str, new: str) -> None:
    path = f"agent-context/{note_id}.md"
    text = repo.read(path)
    assert old in text, text
    repo.write(path, text.replace(old, new, 1))


def test_git_merge_different_fields(repo: GitRepo) -> None:
    note_id = _setup(repo)
    git(repo, "checkout", "-q", "-b", "feature", CAIRN_HOOKS="0")
    cairn(repo, "update", note_id, "--title", "f2 adds two, always", "--tag", "feature", check=True)
    repo.commit("feature edits")
    git(repo, "checkout", "-q", "main", CAIRN_HOOKS="0")
    cairn(repo, "update", note_id, "--status", "archived", "--tag", "mainline", check=True)
    repo.commit("main edits")
    merged = git(repo, "merge", "--no-edit", "feature", check=False, CAIRN_HOOKS="0")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    shown = json.loads(cairn(repo, "show", note_id, "--json", check=True).stdout)
    assert shown["title"] == "f2 adds two, always"
    assert shown["status"] == "archived"
    assert set(shown["tags"]) == {"math", "feature", "mainline"}
    index = json.loads(repo.read("agent-context/index.json"))
    assert note_id in index["notes"]


def test_git_merge_same_field_conflicts_and_note_is_invalid(repo: GitRepo) -> None:
    note_id = _setup(repo)
    git(repo, "checkout", "-q", "-b", "feature", CAIRN_HOOKS="0")
    cairn(repo, "update", note_id, "--title", "title from feature", check=True)
    repo.commit("feature title")
    git(repo, "checkout", "-q", "main", CAIRN_HOOKS="0")
    cairn(repo, "update", note_id, "--title", "title from main", check=True)
    repo.commit("main title")
    merged = git(repo, "merge", "--no-edit", "feature", check=False, CAIRN_HOOKS="0")
    assert merged.returncode != 0
    text = repo.read(f"agent-context/{note_id}.md")
    assert "<<<<<<<" in text and "title: title from main" in text and "title: title from feature" in text
    listed = cairn(repo, "list")
    assert listed.returncode == 1
    assert f"agent-context/{note_id}.md:2: unresolved merge conflict in the frontmatter" in listed.stderr


def test_git_merge_body_three_way_and_index_regenerated(repo: GitRepo) -> None:
    note_id = _setup(repo)
    _edit(repo, note_id, "f2 must add exactly two.\n", "f2 must add exactly two.\n\nMiddle.\n\nEnd.\n")
    repo.commit("longer body")
    git(repo, "checkout", "-q", "-b", "feature", CAIRN_HOOKS="0")
    _edit(repo, note_id, "End.", "End, from feature.")
    cairn(repo, "add", "--kind", "gotcha", "--title", "feature gotcha", "--body", "x", check=True)
    repo.commit("feature body + note")
    git(repo, "checkout", "-q", "main", CAIRN_HOOKS="0")
    _edit(repo, note_id, "f2 must add exactly two.", "f2 must add exactly two (main).")
    cairn(repo, "add", "--kind", "pattern", "--title", "main pattern", "--body", "y", check=True)
    repo.commit("main body + note")
    merged = git(repo, "merge", "--no-edit", "feature", check=False, CAIRN_HOOKS="0")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    body = json.loads(cairn(repo, "show", note_id, "--json", check=True).stdout)["body"]
    assert "(main)" in body and "End, from feature." in body
    index = json.loads(repo.read("agent-context/index.json"))
    assert {"gotchas/feature-gotcha", "patterns/main-pattern", note_id} <= set(index["notes"])
    assert "<<<<<<<" not in repo.read("agent-context/index.json")


def test_git_merge_body_conflict_reported_at_line(repo: GitRepo) -> None:
    note_id = _setup(repo)
    git(repo, "checkout", "-q", "-b", "feature", CAIRN_HOOKS="0")
    _edit(repo, note_id, "exactly two", "exactly 2")
    repo.commit("feature")
    git(repo, "checkout", "-q", "main", CAIRN_HOOKS="0")
    _edit(repo, note_id, "exactly two", "precisely two")
    repo.commit("main")
    merged = git(repo, "merge", "--no-edit", "feature", check=False, CAIRN_HOOKS="0")
    assert merged.returncode != 0
    text = repo.read(f"agent-context/{note_id}.md")
    marker_line = text.splitlines().index(next(x for x in text.splitlines() if x.startswith("<<<<<<<"))) + 1
    listed = cairn(repo, "list")
    assert f"agent-context/{note_id}.md:{marker_line}: unresolved merge conflict in the body" in listed.stderr
