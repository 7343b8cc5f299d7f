"""`cairn daemon`: a warm process answering `recall` and `search` exactly as the in-process command does.

Each test runs the real `cairn` executable in a temporary repository with its own runtime folder
(`XDG_RUNTIME_DIR`), compares the daemon's answers with `CAIRN_NO_DAEMON=1` runs byte for byte, and stops
the daemon afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn import __version__
from cairn.daemon import client
from tests.conftest import GitRepo
from tests.mcp.helpers import APP, CAIRN_BIN, cairn_env


@pytest.fixture
def daemon_repo(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[GitRepo, dict[str, str]]]:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))  # client.socket_path in this process agrees
    env = cairn_env(repo, XDG_RUNTIME_DIR=str(runtime))
    env.pop("CAIRN_NO_DAEMON", None)
    repo.write("src/app.py", APP)
    repo.commit("code")
    run(repo, env, "init")
    run(repo, env, "add", "--kind", "gotcha", "--title", "f2 must stay pure", "--anchor", "src/app.py:4-5",
        "--body", "Callers cache f2's result.")
    repo.commit("note")
    yield repo, env
    subprocess.run([CAIRN_BIN, "daemon", "stop"], cwd=repo.root, env=env, capture_output=True, timeout=60)


def run(repo: GitRepo, env: dict[str, str], *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CAIRN_BIN, *args], cwd=repo.root, env={**env, **extra}, capture_output=True, text=True,
                          timeout=120)


def cold(repo: GitRepo, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run(repo, env, *args, CAIRN_NO_DAEMON="1")


def served(repo: GitRepo, env: dict[str, str]) -> int:
    out = run(repo, env, "daemon", "status").stdout
    return int(out.split(" requests")[0].rsplit(" ", 1)[1])


def same(repo: GitRepo, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    warm, reference = run(repo, env, *args), cold(repo, env, *args)
    assert (warm.returncode, warm.stdout, warm.stderr) == (reference.returncode, reference.stdout, reference.stderr)
    return warm


def test_daemon_answers_exactly_what_the_command_prints(daemon_repo: tuple[GitRepo, dict[str, str]]) -> None:
    repo, env = daemon_repo
    assert "no daemon" in run(repo, env, "daemon", "status").stdout
    assert run(repo, env, "daemon", "start").returncode == 0
    assert served(repo, env) == 0
    assert "f2 must stay pure" in same(repo, env, "recall", "src/app.py:4").stdout
    same(repo, env, "recall", "src/app.py", "--json", "--budget", "300")
    assert "gotchas/f2-must-stay-pure" in same(repo, env, "search", "pure").stdout
    bad = same(repo, env, "search", "AND OR (((")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    same(repo, env, "-C", "src", "recall", "app.py:4")
    assert served(repo, env) == 5
    # Not forwarded: writes, and anything with --help.
    same(repo, env, "recall", "--help")
    assert served(repo, env) == 5


def test_daemon_sees_note_and_code_changes(daemon_repo: tuple[GitRepo, dict[str, str]]) -> None:
    repo, env = daemon_repo
    run(repo, env, "daemon", "start")
    assert "fresh" in run(repo, env, "recall", "src/app.py:4").stdout
    note = repo.root / "agent-context/gotchas/f2-must-stay-pure.md"
    note.write_text(note.read_text().replace("title: f2 must stay pure", "title: f2 must stay pure and fast"))
    assert "f2 must stay pure and fast" in same(repo, env, "recall", "src/app.py:4").stdout
    assert "pure and fast" in same(repo, env, "search", "fast").stdout
    repo.write("src/app.py", APP.replace("return x + 2", "return x + 22"))
    sha = repo.commit("Change f2")
    warm = same(repo, env, "recall", "src/app.py:4").stdout
    assert "STALE" in warm and sha[:7] in warm


def test_daemon_sees_notes_added_and_removed_in_new_folders(daemon_repo: tuple[GitRepo, dict[str, str]]) -> None:
    """The daemon follows the notes folder by inotify (cairn.notes.watch): a note written, moved or
    removed right before a call shows in that call, also in a folder created after the daemon started."""
    repo, env = daemon_repo
    run(repo, env, "daemon", "start")
    assert "no notes match" in same(repo, env, "search", "walrus").stderr
    repo.write("agent-context/fresh/folder/walrus.md", "---\ntitle: walrus rule\nkind: decision\n---\n\nWalrus.\n")
    assert "fresh/folder/walrus" in same(repo, env, "search", "walrus").stdout
    os.rename(repo.root / "agent-context/fresh", repo.root / "agent-context/moved")
    assert "moved/folder/walrus" in same(repo, env, "search", "walrus").stdout
    (repo.root / "agent-context/moved/folder/walrus.md").unlink()
    assert "no notes match" in same(repo, env, "search", "walrus").stderr
    assert served(repo, env) == 4


def test_client_falls_back_without_a_usable_daemon(daemon_repo: tuple[GitRepo, dict[str, str]]) -> None:
    repo, env = daemon_repo
    run(repo, env, "daemon", "start")
    git_dir = client.find_git_dir(str(repo.root))
    assert git_dir is not None
    sock = client.socket_path(git_dir)
    pid = int(run(repo, env, "daemon", "status").stdout.split()[2].rstrip(","))
    os.kill(pid, signal.SIGKILL)  # kill -9: its socket file stays behind with nobody listening
    _wait_gone(pid)
    assert os.path.exists(sock)
    assert "f2 must stay pure" in same(repo, env, "recall", "src/app.py:4").stdout
    assert not os.path.exists(sock), "a refused socket is removed so later calls skip it"


def test_daemon_declines_another_version_and_an_open_runtime_folder(
    daemon_repo: tuple[GitRepo, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, env = daemon_repo
    run(repo, env, "daemon", "start")
    monkeypatch.chdir(repo.root)
    monkeypatch.delenv("CAIRN_NO_DAEMON", raising=False)
    assert client.forward(["recall", "src/app.py:4"], "0.0.0-other") is None
    assert served(repo, env) == 0
    folder = Path(env["XDG_RUNTIME_DIR"]) / "cairn"
    folder.chmod(0o777)  # another user could have replaced the socket: never talk to it
    try:
        assert client.forward(["recall", "src/app.py:4"], __version__) is None
    finally:
        folder.chmod(0o700)
    assert served(repo, env) == 0


def test_daemon_stops_when_asked_and_when_idle(daemon_repo: tuple[GitRepo, dict[str, str]]) -> None:
    repo, env = daemon_repo
    git_dir = client.find_git_dir(str(repo.root))
    assert git_dir is not None
    assert run(repo, env, "daemon", "start").returncode == 0
    assert run(repo, env, "daemon", "stop").stdout.startswith("stopped daemon pid")
    assert not os.path.exists(client.socket_path(git_dir))
    idle = subprocess.Popen([CAIRN_BIN, "daemon", "run", "--idle", "1"], cwd=repo.root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert idle.wait(timeout=60) == 0
    assert not os.path.exists(client.socket_path(git_dir))
    assert run(repo, env, "daemon", "run", "--idle", "0").returncode == 2


def _wait_gone(pid: int) -> None:
    """Wait for the killed daemon's exit event: it is not our child (started detached), so waitpid cannot,
    but a pidfd becomes readable when the process exits."""
    import select

    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return  # already gone
    try:
        assert select.select([fd], [], [], 30)[0], f"pid {pid} still alive after 30 s"
    finally:
        os.close(fd)
