"""`cairn daemon`: a warm process answering `recall` and `search` exactly as the in-process command does.

Each test runs the real `cairn` executable in a temporary repository with its own runtime folder
(`XDG_RUNTIME_DIR`), compares the daemon's answers with `CAIRN_NO_DAEMON=1` runs byte for byte, and stops
the daemon afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairn import __version__
from cairn.daemon import client
from tests.agent_hooks.helpers import sample
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
    pid = _status_pid(repo, env)
    assert client.forward(["recall", "src/app.py:4"], "0.0.0-other") is None
    # Another version called (Cairn was upgraded): the daemon steps aside for one of the caller's version.
    _wait_gone(pid)
    assert "no daemon" in run(repo, env, "daemon", "status").stdout
    run(repo, env, "daemon", "start")
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


# ---- agent hooks through the daemon -------------------------------------------------------------------

def hook(repo: GitRepo, env: dict[str, str], event: str, data: dict[str, object],
         **extra: str) -> subprocess.CompletedProcess[str]:
    """`cairn agent-hook EVENT` with Claude Code's JSON on stdin, as Claude Code runs it."""
    return subprocess.run([CAIRN_BIN, "agent-hook", event], cwd=repo.root, input=json.dumps(data),
                          env={**env, **extra}, capture_output=True, text=True, timeout=120)


def hook_inputs(repo: GitRepo, session: str) -> list[tuple[str, dict[str, object]]]:
    """A session as Claude Code drives it: start, an edit of the lines the note describes, stop."""
    app = repo.root / "src" / "app.py"
    return [
        ("session-start", {**sample("session_start", repo), "session_id": session}),
        ("post-tool-use", {**sample("post_tool_use_edit", repo), "session_id": session,
                           "tool_input": {"file_path": str(app), "old_string": "    return x + 2\n",
                                          "new_string": "    return x * 2\n", "replace_all": False}}),
        ("stop", {**sample("stop", repo), "session_id": session}),
    ]


def test_agent_hooks_answer_through_the_daemon_exactly_as_in_process(
    daemon_repo: tuple[GitRepo, dict[str, str]]
) -> None:
    repo, env = daemon_repo
    repo.write("src/app.py", repo.read("src/app.py").replace("    return x + 2\n", "    return x * 2\n"))
    sessions = repo.root / ".git" / "cairn" / "agent-sessions"
    answers = {}
    for warm in (False, True):
        shutil.rmtree(sessions, ignore_errors=True)  # the same session state for both
        if warm:
            assert run(repo, env, "daemon", "start").returncode == 0
        procs = [hook(repo, env, event, data, **({} if warm else {"CAIRN_NO_DAEMON": "1"}))
                 for event, data in hook_inputs(repo, "same")]
        answers[warm] = [(p.returncode, p.stdout, p.stderr) for p in procs]
    assert answers[True] == answers[False]
    start, edit, stop = (json.loads(out) for _, out, _ in answers[True])
    assert "f2 must stay pure" in start["hookSpecificOutput"]["additionalContext"]
    assert "your edit changed lines that note" in edit["hookSpecificOutput"]["additionalContext"]
    assert stop["decision"] == "block"
    assert served(repo, env) == 3


def test_the_daemon_hook_map_follows_notes_written_just_before(daemon_repo: tuple[GitRepo, dict[str, str]]) -> None:
    """The daemon keeps the hooks' note map in memory, fed by its inotify watch: a note added, edited or
    removed right before an edit hook shows in that hook's answer."""
    repo, env = daemon_repo
    assert run(repo, env, "daemon", "start").returncode == 0
    _, data = hook_inputs(repo, "s1")[1]
    assert "f2 must stay pure" in hook(repo, env, "post-tool-use", data).stdout
    assert run(repo, env, "add", "--kind", "decision", "--title", "f1 stays linear", "--anchor", "src/app.py:1-2",
               "--body", "No caching in f1.", CAIRN_NO_DAEMON="1").returncode == 0
    first = hook(repo, env, "post-tool-use", {**data, "session_id": "s2"}).stdout
    assert "f1 stays linear" in first and "f2 must stay pure" in first
    note = next((repo.root / "agent-context").rglob("f1-stays-linear*.md"))
    note.write_text(note.read_text(encoding="utf-8").replace("f1 stays linear", "f1 stays flat"), encoding="utf-8")
    assert "f1 stays flat" in hook(repo, env, "post-tool-use", {**data, "session_id": "s3"}).stdout
    note.unlink()
    assert "f1 stays" not in hook(repo, env, "post-tool-use", {**data, "session_id": "s4"}).stdout
    stop = hook_inputs(repo, "s4")[2][1]
    assert json.loads(hook(repo, env, "stop", {**stop, "session_id": "s3"}).stdout)["decision"] == "block"
    repo.write("agent-context/sessions/what-s4-did.md", "---\ntitle: what s4 did\nkind: session\n---\n\nf2.\n")
    assert hook(repo, env, "stop", stop).stdout == ""  # a note written during the session: not asked
    assert served(repo, env) == 6


def test_session_start_starts_the_daemon_in_a_large_repository(daemon_repo: tuple[GitRepo, dict[str, str]]) -> None:
    """`[agents] daemon_at_notes`: from that many notes the SessionStart hook starts the repository's daemon
    (in the background: the hook answers at once), so the session's edit hooks are answered warm."""
    repo, env = daemon_repo
    git_dir = client.find_git_dir(str(repo.root))
    assert git_dir is not None
    # Starting a daemon opens its log before the starter returns: the log's existence says one was started.
    log = Path(git_dir) / "cairn" / "daemon.log"
    start = hook_inputs(repo, "s1")[0][1]
    assert "f2 must stay pure" in hook(repo, env, "session-start", start).stdout
    assert not log.exists(), "one note is below the default threshold (1000): no daemon"
    repo.write("agent-context/config.toml", "[agents]\ndaemon_at_notes = 1\n")
    assert hook(repo, env, "session-start", start, CAIRN_NO_DAEMON="1").stdout
    assert not log.exists(), "CAIRN_NO_DAEMON=1 starts none"
    answer = hook(repo, env, "session-start", start)
    assert answer.returncode == 0 and answer.stderr == "" and "f2 must stay pure" in answer.stdout
    assert log.exists(), "the hook started a daemon"
    # `daemon start` waits for a daemon that is still warming up (or starts one if it lost the race).
    assert run(repo, env, "daemon", "start").returncode == 0
    pid = _status_pid(repo, env)
    assert hook(repo, env, "session-start", start).stdout == answer.stdout  # now answered warm
    assert served(repo, env) == 1
    # A second start while it runs leaves the running daemon alone (one per repository).
    assert "already running" in run(repo, env, "daemon", "start").stdout
    second = subprocess.run([CAIRN_BIN, "daemon", "run"], cwd=repo.root, env={**env, "CAIRN_NO_DAEMON": "1"},
                            capture_output=True, text=True, timeout=60)
    assert second.returncode == 0 and "a daemon already serves" in second.stderr
    assert _status_pid(repo, env) == pid
    repo.write("agent-context/config.toml", "[agents]\ndaemon_at_notes = -1\n")
    bad = run(repo, env, "check")
    assert bad.returncode != 0 and bad.stderr.count("\n") == 1
    assert "config.toml" in bad.stderr and "daemon_at_notes must be a whole number" in bad.stderr


def test_a_hook_runs_in_process_when_the_daemon_cannot_answer(daemon_repo: tuple[GitRepo, dict[str, str]]) -> None:
    repo, env = daemon_repo
    _, data = hook_inputs(repo, "s1")[1]
    reference = hook(repo, env, "post-tool-use", {**data, "session_id": "ref"}, CAIRN_NO_DAEMON="1").stdout
    assert "f2 must stay pure" in reference
    run(repo, env, "daemon", "start")
    git_dir = client.find_git_dir(str(repo.root))
    assert git_dir is not None
    os.kill(_status_pid(repo, env), signal.SIGKILL)  # its socket stays behind, refused
    _wait_gone_socket_owner(repo, env)
    assert hook(repo, env, "post-tool-use", {**data, "session_id": "after-kill"}).stdout == reference
    assert not os.path.exists(client.socket_path(git_dir))


def test_the_client_names_the_hooks_the_protocol_names() -> None:
    """The client keeps its own list (importing the hooks' protocol costs start-up): it must not drift."""
    from cairn.agent_hooks.protocol import EVENTS

    assert tuple(EVENTS) == client.HOOK_EVENTS


@given(argv=st.lists(st.text(alphabet=st.characters(blacklist_characters="\0", blacklist_categories=("Cs",))),
                     min_size=1, max_size=4),
       stdin=st.one_of(st.none(), st.binary(max_size=64)), tty=st.booleans(), no_color=st.booleans())
def test_requests_decode_to_what_was_encoded(argv: list[str], stdin: bytes | None, tty: bool,
                                            no_color: bool) -> None:
    data = client.encode_request("1.2.3", "/some/dir", argv, tty, no_color, stdin)
    decoded = client.decode_request(data)
    assert decoded is not None
    version, cwd, flags, got_argv, got_stdin = decoded
    assert (version, cwd, got_argv, got_stdin) == ("1.2.3", "/some/dir", argv, stdin)
    assert ("t" in flags.split("i")[0]) == tty and ("n" in flags.split("i")[0]) == no_color
    if stdin is not None:
        assert client.decode_request(data[:-1]) is None or client.decode_request(data[:-1]) != decoded


def _status_pid(repo: GitRepo, env: dict[str, str]) -> int:
    return int(run(repo, env, "daemon", "status").stdout.split()[2].rstrip(","))


def _wait_gone_socket_owner(repo: GitRepo, env: dict[str, str]) -> None:
    git_dir = client.find_git_dir(str(repo.root))
    assert git_dir is not None
    pid_file = Path(client.socket_path(git_dir)).with_suffix(".pid")
    pid = int(pid_file.read_text(encoding="utf-8").split()[0])
    _wait_gone(pid)


def test_callers_that_point_git_elsewhere_are_not_forwarded(daemon_repo: tuple[GitRepo, dict[str, str]]) -> None:
    """GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE... take effect in the caller's process only: such a call runs
    in-process (the daemon runs without them)."""
    repo, env = daemon_repo
    run(repo, env, "daemon", "start")
    git_dir = str(repo.root / ".git")
    assert "f2 must stay pure" in run(repo, env, "recall", "src/app.py:4", GIT_DIR=git_dir).stdout
    _, data = hook_inputs(repo, "s1")[1]
    assert "f2 must stay pure" in hook(repo, env, "post-tool-use", data, GIT_INDEX_FILE=git_dir + "/index").stdout
    assert served(repo, env) == 0
    assert "f2 must stay pure" in run(repo, env, "recall", "src/app.py:4").stdout
    assert served(repo, env) == 1
