"""`cairn check` / `review-done` as real processes, and the engine API the other adapters use."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cairn.anchors import (
    Checker,
    Target,
    anchor_diff,
    check_workspace,
    reanchor_note,
    verdicts_for_file,
)
from cairn.anchors import engine as engine_mod
from cairn.gitio import forget_repo
from cairn.notes import NoteStore
from cairn.workspace import Workspace
from tests.anchors.helpers import func_lines, py_module
from tests.conftest import GitRepo

CAIRN = [sys.executable, "-m", "cairn"]


def cairn(repo: GitRepo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CAIRN, *args], cwd=repo.root, capture_output=True, text=True, timeout=60)


@pytest.fixture
def project(repo: GitRepo) -> GitRepo:
    repo.write("src/auth.py", py_module("auth", 6))
    repo.write("src/db.py", py_module("db", 4))
    repo.commit("Initial")
    assert cairn(repo, "init").returncode == 0
    a = func_lines(repo.read("src/auth.py"), "auth_func_2")
    b = func_lines(repo.read("src/auth.py"), "auth_func_4")
    d = func_lines(repo.read("src/db.py"), "db_func_1")
    out = cairn(repo, "add", "--kind", "decision", "--title", "Sessions are JWT", "--anchor",
                f"src/auth.py:{a[0]}-{a[1]}", "--anchor", f"src/auth.py:{b[0]}-{b[1]}", "--body", "Why.")
    assert out.returncode == 0, out.stderr
    out = cairn(repo, "add", "--kind", "gotcha", "--title", "Pool size", "--anchor", f"src/db.py:{d[0]}-{d[1]}",
                "--body", "Careful.")
    assert out.returncode == 0, out.stderr
    forget_repo(repo.root)
    return repo


def test_fresh_repository_exits_0(project: GitRepo) -> None:
    out = cairn(project, "check")
    assert (out.returncode, out.stdout, out.stderr) == (0, "", "")
    data = json.loads(cairn(project, "check", "--json").stdout)
    assert [n["state"] for n in data["notes"]] == ["fresh", "fresh"]
    assert {a["status"] for n in data["notes"] for a in n["anchors"]} == {"intact"}


def test_json_schema_and_exit_1_when_stale(project: GitRepo) -> None:
    text = project.read("src/auth.py")
    a = func_lines(text, "auth_func_2")
    project.write("src/auth.py", "import sys\n" + text.replace("compute_2(value) + 2", "compute_2(value) - 2"))
    sha = project.commit("Refactor sessions")
    out = cairn(project, "check", "--json")
    assert out.returncode == 1, out.stderr
    data = json.loads(out.stdout)
    assert list(data) == ["notes"]
    note = next(n for n in data["notes"] if n["id"] == "decisions/sessions-are-jwt")
    assert set(note) == {"id", "path", "title", "state", "anchors"}
    assert note["path"] == "agent-context/decisions/sessions-are-jwt.md"
    assert note["state"] == "stale"
    stale, moved = note["anchors"]
    now = f"src/auth.py:{a[0] + 1}-{a[1] + 1} (recorded {a[0]}-{a[1]})"  # the place now first, as recorded second
    assert stale == {"path": "src/auth.py", "lines": [a[0], a[1]], "status": "changed", "current": None,
                     "changed_in": sha, "merged_in": None,
                     "message": f"anchored lines changed in {sha[:7]} (Refactor sessions): now {now}"}
    assert moved["status"] == "moved" and moved["current"]["lines"] == [moved["lines"][0] + 1, moved["lines"][1] + 1]
    assert moved["changed_in"] is None
    human = cairn(project, "check")
    assert human.returncode == 1
    assert human.stdout.splitlines() == [
        f"src/auth.py:{a[0] + 1}: note stale: anchored lines changed in {sha[:7]} (Refactor sessions): now {now} — "
        "Sessions are JWT [agent-context/decisions/sessions-are-jwt.md]"]


def test_paths_filter_and_rev(project: GitRepo) -> None:
    first = project.head()
    project.write("src/db.py", project.read("src/db.py").replace("+ 1\n", "+ 100\n"))
    project.commit("Pool")
    assert cairn(project, "check", "src/auth.py").returncode == 0
    out = cairn(project, "check", "--json", "src/db.py")
    assert out.returncode == 1
    assert [n["id"] for n in json.loads(out.stdout)["notes"]] == ["gotchas/pool-size"]
    assert cairn(project, "check", "--rev", first).returncode == 0
    bad = cairn(project, "check", "--rev", "no-such-rev")
    assert bad.returncode == 2 and "unknown revision" in bad.stderr and "Traceback" not in bad.stderr


def test_update_rewrites_moved_anchors_and_never_stale_ones(project: GitRepo) -> None:
    note_file = project.root / "agent-context/decisions/sessions-are-jwt.md"
    before = note_file.read_text()
    text = project.read("src/auth.py")
    project.write("src/auth.py", "import sys\nimport re\n" + text.replace("+ 2\n", "+ 22\n"))
    out = cairn(project, "check", "--update")
    assert out.returncode == 1
    after = note_file.read_text()
    assert after != before
    data = json.loads(cairn(project, "check", "--json").stdout)
    note = next(n for n in data["notes"] if n["id"] == "decisions/sessions-are-jwt")
    stale, moved = note["anchors"]
    assert stale["status"] == "changed" and stale["lines"] == json.loads(json.dumps(stale["lines"]))
    assert moved["status"] == "intact"  # re-anchored to its new lines
    b = func_lines(project.read("src/auth.py"), "auth_func_4")
    assert moved["lines"] == [b[0], b[1]]
    a = func_lines(text, "auth_func_2")
    assert stale["lines"] == [a[0], a[1]]  # the stale one was not touched


def test_invalid_note_exit_2_and_state_invalid(project: GitRepo) -> None:
    (project.root / "agent-context/gotchas/broken.md").write_text("---\ntitle: [unclosed\n---\nbody\n")
    out = cairn(project, "check", "--json")
    assert out.returncode == 2
    assert "agent-context/gotchas/broken.md" in out.stderr and "Traceback" not in out.stderr
    states = {n["id"]: n["state"] for n in json.loads(out.stdout)["notes"]}
    assert states["gotchas/broken"] == "invalid"


def test_expired_notes_reported_separately(project: GitRepo) -> None:
    path = project.root / "agent-context/gotchas/pool-size.md"
    text = path.read_text()
    import re

    path.write_text(re.sub(r"reviewed: .*", "reviewed: 2020-01-01T00:00:00Z", text))
    out = cairn(project, "check")
    assert out.returncode == 0
    assert out.stdout.startswith("agent-context/gotchas/pool-size.md:1: note expired: last reviewed 2020-01-01")
    data = json.loads(cairn(project, "check", "--json").stdout)
    assert {n["id"]: n["state"] for n in data["notes"]}["gotchas/pool-size"] == "expired"
    done = cairn(project, "review-done", "gotchas/pool-size")
    assert done.returncode == 0, done.stderr
    assert cairn(project, "check").stdout == ""
    assert cairn(project, "mark-reviewed", "gotchas/pool-size", "--json").returncode == 0
    assert cairn(project, "review-done", "gotchas/nope").returncode == 2


def test_unchanged_recheck_uses_the_cache(project: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    project.write("src/auth.py", "import sys\n" + project.read("src/auth.py").replace("+ 2\n", "+ 5\n"))
    project.commit("Edit")
    ws = Workspace.at(project.root)
    first = check_workspace(ws).to_json()

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("judged again although nothing changed")

    monkeypatch.setattr(engine_mod.Judge, "judge", boom)
    monkeypatch.setattr(engine_mod.HistoryWalker, "name", boom)
    assert check_workspace(ws).to_json() == first
    monkeypatch.undo()
    project.write("src/db.py", "# changed\n" + project.read("src/db.py"))
    second = check_workspace(ws).to_json()
    db = next(n for n in second["notes"] if n["id"] == "gotchas/pool-size")
    assert db["anchors"][0]["status"] == "moved"


def test_server_entry_points(project: GitRepo) -> None:
    ws = Workspace.at(project.root)
    notes = NoteStore(ws).load().notes
    buffer = "# unsaved\n" + project.read("src/auth.py").replace("+ 4\n", "+ 44\n")
    pairs = verdicts_for_file(ws, notes, "src/auth.py", text=buffer)
    assert sorted((v.status, v.changed_in) for _, v in pairs) == [("changed", "uncommitted"), ("moved", None)]
    note = next(n for n, v in pairs if v.status == "changed")
    anchor = note.anchors[1]
    with Checker(ws, Target.with_buffers({"src/auth.py": buffer})) as checker:
        verdict = checker.verdict(anchor)
        diff = anchor_diff(ws, anchor, verdict, checker)
    assert "-    result = compute_4(value) + 4" in diff and "+    result = compute_4(value) + 44" in diff
    project.write("src/auth.py", buffer)
    updated = reanchor_note(ws, note.id)
    assert all(a["commit"] == project.head() for a in updated.meta["anchors"])
    report = check_workspace(ws)
    assert report.by_id()[note.id].state == "fresh"


def test_verdicts_for_a_renamed_file_include_anchors_that_moved_in(project: GitRepo) -> None:
    project.git("mv", "src/db.py", "src/database.py")
    ws = Workspace.at(project.root)
    notes = NoteStore(ws).load().notes
    buffer = "# unsaved header\n" + project.read("src/database.py")
    pairs = verdicts_for_file(ws, notes, "src/database.py", text=buffer)
    assert [(n.id, v.status, v.current[0] if v.current else None) for n, v in pairs] == [
        ("gotchas/pool-size", "moved", "src/database.py")]
    d = func_lines(buffer, "db_func_1")
    assert pairs[0][1].current == ("src/database.py", d[0], d[1])
