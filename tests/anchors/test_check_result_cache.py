"""The whole-check result cache (`cairn.check_cache`): `cairn check` as real processes in a real repository.

Every case compares the answer with `cairn check --no-cache` (which bypasses every cache), so a stale
stored answer shows as a difference. Files are "settled" (their mtime set ten seconds back) where a case
needs the cache to be written: a file modified within two seconds of the check is racily clean and
nothing is stored for it (git's rule).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cairn.check_cache import CheckResultCache, StoredResult
from cairn.gitio import forget_repo, open_repo
from cairn.workspace import Workspace
from tests.anchors.helpers import func_lines, py_module
from tests.conftest import GitRepo

CAIRN = [sys.executable, "-m", "cairn"]


def cairn(repo: GitRepo, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CAIRN_NO_DAEMON": "1"}
    return subprocess.run([*CAIRN, *args], cwd=repo.root, capture_output=True, text=True, timeout=60, env=env)


def settle(repo: GitRepo) -> None:
    """Every file of the working tree last modified ten seconds ago (so none is racily clean)."""
    when = time.time() - 10
    for folder, dirs, files in os.walk(repo.root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            os.utime(os.path.join(folder, name), (when, when), follow_symlinks=False)


def results(repo: GitRepo) -> list[Path]:
    return sorted((repo.root / ".git" / "cairn").glob("check-result-*.bin"))


def answer(out: subprocess.CompletedProcess[str]) -> tuple[int, str, str]:
    return out.returncode, out.stdout, out.stderr


def served_from_result_cache(repo: GitRepo, *args: str) -> tuple[int, str, str]:
    """Run `cairn check ARGS` after removing the per-note and per-anchor caches: a whole check would
    write them again, an answer from the result cache does not."""
    cache = repo.root / ".git" / "cairn"
    for name in ("verdicts.marshal", "notes-parsed.marshal"):
        (cache / name).unlink(missing_ok=True)
    out = cairn(repo, "check", *args)
    assert not (cache / "verdicts.marshal").exists(), "the check ran again instead of printing the stored answer"
    assert not (cache / "notes-parsed.marshal").exists()
    return answer(out)


def checked_again(repo: GitRepo, *args: str) -> tuple[int, str, str]:
    """Run `cairn check ARGS` (caches removed first) and require that it checked instead of replaying."""
    cache = repo.root / ".git" / "cairn"
    for name in ("verdicts.marshal", "notes-parsed.marshal"):
        (cache / name).unlink(missing_ok=True)
    out = cairn(repo, "check", *args)
    assert (cache / "verdicts.marshal").exists(), "the stored answer was printed although an input changed"
    return answer(out)


@pytest.fixture
def project(repo: GitRepo) -> GitRepo:
    repo.write("src/auth.py", py_module("auth", 6))
    repo.write("src/db.py", py_module("db", 4))
    repo.commit("Initial")
    assert cairn(repo, "init").returncode == 0
    a = func_lines(repo.read("src/auth.py"), "auth_func_2")
    d = func_lines(repo.read("src/db.py"), "db_func_1")
    for title, kind, anchor in (("Sessions are JWT", "decision", f"src/auth.py:{a[0]}-{a[1]}"),
                                ("Pool size", "gotcha", f"src/db.py:{d[0]}-{d[1]}")):
        out = cairn(repo, "add", "--kind", kind, "--title", title, "--anchor", anchor, "--body", "Why.")
        assert out.returncode == 0, out.stderr
    repo.commit("Notes")
    forget_repo(repo.root)
    settle(repo)
    return repo


def test_unchanged_recheck_prints_the_stored_answer_for_each_output_form(project: GitRepo) -> None:
    for args in (("--json",), ()):
        first = answer(cairn(project, "check", *args))
        assert first == answer(cairn(project, "check", "--no-cache", *args))
        assert served_from_result_cache(project, *args) == first
    assert len(results(project)) == 2  # one per output form
    data = json.loads(served_from_result_cache(project, "--json")[1])
    assert {a["status"] for n in data["notes"] for a in n["anchors"]} == {"intact"}


def test_an_edited_anchored_file_is_judged_again(project: GitRepo) -> None:
    fresh = answer(cairn(project, "check", "--json"))
    text = project.read("src/auth.py")
    project.write("src/auth.py", text.replace("log.debug('auth step 2", "log.info('auth step 2"))
    settle(project)
    out = checked_again(project, "--json")
    assert out != fresh and out[0] == 1
    assert out == answer(cairn(project, "check", "--json", "--no-cache"))
    assert served_from_result_cache(project, "--json") == out


def test_a_racily_clean_edit_is_never_stored(project: GitRepo) -> None:
    cairn(project, "check", "--json")
    text = project.read("src/db.py")
    project.write("src/db.py", text.replace("db step 1", "db step one"))  # modified now: racy
    stored = {p: p.stat().st_mtime_ns for p in results(project)}
    out = answer(cairn(project, "check", "--json"))
    assert out[0] == 1 and out == answer(cairn(project, "check", "--json", "--no-cache"))
    assert {p: p.stat().st_mtime_ns for p in results(project)} == stored  # nothing new stored
    assert answer(cairn(project, "check", "--json")) == out


def test_a_note_edit_a_new_commit_a_new_file_and_the_config_each_miss(project: GitRepo) -> None:
    cairn(project, "check", "--json")
    note = next((project.root / "agent-context" / "gotchas").glob("*.md"))
    note.write_text(note.read_text().replace("title: Pool size", "title: Pool size matters"))
    settle(project)
    out = checked_again(project, "--json")
    assert "Pool size matters" in out[1]
    assert out == answer(cairn(project, "check", "--json", "--no-cache"))

    text = project.read("src/auth.py")
    project.write("src/auth.py", text.replace("log.debug('auth step 2", "log.warning('auth step 2"))
    project.commit("Log louder")
    settle(project)
    named = checked_again(project, "--json")
    statuses = {a["status"]: a["changed_in"] for n in json.loads(named[1])["notes"] for a in n["anchors"]}
    assert statuses["changed"] == project.head()  # named by the new HEAD, not the stored answer
    assert named == answer(cairn(project, "check", "--json", "--no-cache"))

    # The moved-code search looks at every file: a new untracked file can turn "changed" into "moved".
    project.write("src/copy.py", text)
    settle(project)
    out = checked_again(project, "--json")
    assert out == answer(cairn(project, "check", "--json", "--no-cache"))
    assert served_from_result_cache(project, "--json") == out

    config = project.root / "agent-context" / "config.toml"
    assert config.exists()
    config.write_text(config.read_text() + "\n[kinds.incident]\n")
    settle(project)
    assert checked_again(project, "--json") == out


def test_a_folder_swapped_for_a_symlink_is_seen(project: GitRepo) -> None:
    fresh = answer(cairn(project, "check", "--json"))
    (project.root / "src").rename(project.root / "real-src")
    (project.root / "src").symlink_to("real-src")  # same files, same inodes: only the folder changed
    settle(project)
    out = checked_again(project, "--json")
    assert out != fresh
    assert out == answer(cairn(project, "check", "--json", "--no-cache"))
    now = [a["current"] for n in json.loads(out[1])["notes"] for a in n["anchors"]]
    assert all(place is not None and place["path"].startswith("real-src/") for place in now)  # never via src/


def test_paths_rev_and_no_cache_never_use_it(project: GitRepo) -> None:
    cairn(project, "check", "--json")
    stored = {p: p.stat().st_mtime_ns for p in results(project)}
    for args in (("src/",), ("--rev", "HEAD"), ("--no-cache",)):
        out = cairn(project, "check", "--json", *args)
        assert out.returncode == 0, out.stderr
    assert {p: p.stat().st_mtime_ns for p in results(project)} == stored


def test_an_answer_past_its_first_expiry_is_not_used(project: GitRepo) -> None:
    ws = Workspace.at(project.root)
    made = CheckResultCache(ws, open_repo(project.root), "test form")
    assert made.lookup() is None
    made.sign_anchored(["src/auth.py", "src/db.py"])
    assert made.store(StoredResult("out\n", "", 0), time.time_ns() + 3_600_000_000_000, complete=True)
    assert CheckResultCache(ws, open_repo(project.root), "test form").lookup() == StoredResult("out\n", "", 0)
    expired = CheckResultCache(ws, open_repo(project.root), "test form")
    expired.lookup()
    assert expired.store(StoredResult("later\n", "", 0), time.time_ns() - 1, complete=True)
    assert CheckResultCache(ws, open_repo(project.root), "test form").lookup() is None
    incomplete = CheckResultCache(ws, open_repo(project.root), "other form")
    incomplete.lookup()
    assert not incomplete.store(StoredResult("x\n", "", 1), None, complete=False)
