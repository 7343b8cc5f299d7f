"""The `cairn` CLI for notes, run as a real process in temporary git repositories."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import GitRepo

CAIRN = [sys.executable, "-m", "cairn"]


def cairn(repo: GitRepo, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CAIRN, *args], cwd=repo.root, input=stdin, capture_output=True, text=True, timeout=60)


def test_init_is_idempotent(repo: GitRepo) -> None:
    first = cairn(repo, "init")
    assert first.returncode == 0, first.stderr
    assert "created agent-context/config.toml" in first.stdout
    (repo.root / "agent-context/config.toml").write_text("# mine\n[recall]\nbudget = 500\n")
    second = cairn(repo, "init")
    assert second.returncode == 0
    assert "created" not in second.stdout
    assert (repo.root / "agent-context/config.toml").read_text().startswith("# mine")
    for folder in ("decisions", "patterns", "gotchas"):
        assert (repo.root / "agent-context" / folder).is_dir()


def test_add_list_show_roundtrip(repo: GitRepo) -> None:
    repo.write("src/auth.py", "".join(f"line {i}\n" for i in range(1, 31)))
    head = repo.commit("init")
    cairn(repo, "init")
    out = cairn(repo, "add", "--kind", "decision", "--title", "Use JWT", "--tag", "auth,security",
                "--anchor", "src/auth.py:10-20", "--body-file", "-", stdin="Because stateless.\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "agent-context/decisions/use-jwt.md"
    shown = json.loads(cairn(repo, "show", "decisions/use-jwt", "--json").stdout)
    assert shown["title"] == "Use JWT" and shown["tags"] == ["auth", "security"]
    assert shown["anchors"][0] == {"path": "src/auth.py", "lines": [10, 20], "commit": head}
    assert shown["body"].strip() == "Because stateless."
    listed = cairn(repo, "list")
    assert listed.returncode == 0 and "decisions/use-jwt" in listed.stdout
    index = json.loads((repo.root / "agent-context/index.json").read_text())
    assert index["notes"]["decisions/use-jwt"]["anchors"] == ["src/auth.py:10-20"]


def test_bad_input_is_one_line_exit_2_never_a_traceback(repo: GitRepo) -> None:
    repo.write("a.py", "x = 1\n")
    repo.commit("init")
    cases = [
        (["add", "--kind", "essay", "--title", "t"], "unknown kind"),
        (["add", "--kind", "gotcha", "--title", "t", "--anchor", "a.py"], "PATH:START-END"),
        (["add", "--kind", "gotcha", "--title", "t", "--anchor", "a.py:5-2"], "start is after end"),
        (["add", "--kind", "gotcha", "--title", "t", "--anchor", "../x.py:1-2"], "escapes"),
        (["add", "--kind", "gotcha", "--title", "t", "--anchor", "/etc/passwd:1-2"], "outside the repository"),
        (["add", "--kind", "gotcha", "--title", "t", "--anchor", "missing.py:1-2"], "no such file"),
        (["add", "--kind", "gotcha", "--title", "t", "--anchor", "a.py:1-9"], "only 1 lines"),
        (["show", "decisions/nope"], "no note"),
        (["add", "--title", "t"], "--kind"),
        (["frobnicate"], "invalid choice"),
    ]
    for args, needle in cases:
        result = cairn(repo, *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert needle in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_list_reports_invalid_notes_on_stderr_with_exit_1(repo: GitRepo) -> None:
    cairn(repo, "init")
    cairn(repo, "add", "--kind", "pattern", "--title", "Fine")
    repo.write("agent-context/gotchas/bad.md", "---\ntitle: Bad\nkind: gotcha\nttl: soon\n---\n")
    result = cairn(repo, "list")
    assert result.returncode == 1
    assert "patterns/fine" in result.stdout
    expected = "agent-context/gotchas/bad.md:4: bad ttl: expected a duration like 90d, 12w, 6m or 1y, got 'soon'"
    assert result.stderr.strip() == expected


def test_every_command_has_help_with_an_example(repo: GitRepo) -> None:
    for command in ("init", "add", "list", "show", "index", "update"):
        result = cairn(repo, command, "--help")
        assert result.returncode == 0 and "example:" in result.stdout, command


def test_two_processes_update_the_same_note_one_wins_one_conflicts(repo: GitRepo) -> None:
    cairn(repo, "init")
    cairn(repo, "add", "--kind", "decision", "--title", "Shared", "--body", "start")
    version = json.loads(cairn(repo, "show", "decisions/shared", "--json").stdout)["version"]
    procs = [
        subprocess.Popen([*CAIRN, "update", "decisions/shared", "--version", version, "--append", f"writer {n}"],
                         cwd=repo.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n in (1, 2)
    ]
    results = [(p.wait(timeout=60), p.stderr.read() if p.stderr else "") for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    assert "changed since you read it" in loser
    body = json.loads(cairn(repo, "show", "decisions/shared", "--json").stdout)["body"]
    winners = [n for n in (1, 2) if f"writer {n}" in body]
    assert len(winners) == 1 and "start" in body


def test_index_command_regenerates_a_deleted_index(repo: GitRepo) -> None:
    cairn(repo, "init")
    cairn(repo, "add", "--kind", "gotcha", "--title", "One", "--tag", "x")
    index = repo.root / "agent-context/index.json"
    before = index.read_text()
    index.unlink()
    assert cairn(repo, "index").returncode == 0
    assert index.read_text() == before


def test_notes_root_from_pyproject(repo: GitRepo) -> None:
    repo.write("pyproject.toml", '[tool.cairn]\nnotes_root = "docs/context"\n')
    assert cairn(repo, "init").returncode == 0
    assert cairn(repo, "add", "--kind", "gotcha", "--title", "Moved").stdout.strip() == \
        "docs/context/gotchas/moved.md"
    assert Path(repo.root / "docs/context/index.json").is_file()
