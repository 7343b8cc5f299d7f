"""The warm process behind `cairn daemon start`: one per repository, answering `recall`, `search` and the
agent hooks (`cairn agent-hook EVENT`; the SessionStart hook starts it in a large repository).

It keeps the engine imported and each workspace's search index open, and runs the same command code as
the CLI (`cairn.cli.main`) with stdout/stderr captured, so an answer is byte-for-byte what the in-process
command prints. Correctness does not depend on it being warm: every request re-reads the workspace
(config), refreshes the index and the hooks' note map incrementally (notes changed on disk are picked up:
which ones, an inotify watch of the notes folder says instead of a walk per request, see
cairn.notes.watch) and judges anchors with a fresh checker, exactly as a cold run does.

Requests are served one at a time (the commands chdir). It listens on a Unix socket in a private
runtime folder (see client.socket_path), exits after `idle` seconds without a request, on SIGTERM, or
when asked by `cairn daemon stop` or called by another version of Cairn (an upgrade: the caller runs
the command itself and the next start is of the new version), and removes its socket and pid file.
One daemon per repository: it holds an flock on its pid file's lock while it runs, and a second one
started meanwhile exits at once.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from cairn.daemon.client import HOOK_EVENTS, MAGIC, decode_request, find_git_dir, socket_path
from cairn.daemon.spawn import DEFAULT_IDLE_S

MAX_REQUEST_BYTES = 1 << 20


def pid_file(git_dir: str) -> Path:
    return Path(socket_path(git_dir)).with_suffix(".pid")


class WarmIndexes:
    """One open NoteIndex and one agent-hook NoteMap per workspace root, refreshed before each use.

    Both learn which note files changed from the workspace's `cairn.notes.watch.NotesWatch` (inotify)
    instead of walking the notes folder per request; the watch sees every change finished before the
    request (see its docstring for why, and for the file systems where it cannot: CAIRN_NO_WATCH=1)."""

    def __init__(self) -> None:
        self._by_root: dict[Path, Any] = {}
        self._maps: dict[Path, Any] = {}
        self._watches: dict[Path, tuple[Any, Any]] = {}  # root → (the workspace it was made for, watch)

    def _watch(self, ws: Any) -> Any:
        from cairn.notes.watch import NotesWatch

        known = self._watches.get(ws.root)
        if known is not None and known[0] == ws:
            return known[1]
        if known is not None:  # the config (notes root, kinds...) changed: start over for this root
            known[1].close()
            self._by_root.pop(ws.root, None)
            self._maps.pop(ws.root, None)
        watch = NotesWatch(ws.notes_root)
        self._watches[ws.root] = (ws, watch)
        return watch

    def get(self, ws: Any) -> Any:
        from cairn.index import NoteIndex

        watch = self._watch(ws)
        index = self._by_root.get(ws.root)
        if index is None:
            index = self._by_root[ws.root] = NoteIndex(ws, notice=lambda _m: None, files=watch.files)
        index.refresh()
        return index

    def note_map(self, ws: Any) -> Any:
        """The agent hooks' note map of this workspace (cairn.agent_hooks.note_map), current."""
        from cairn.agent_hooks.note_map import NoteMap

        watch = self._watch(ws)
        note_map = self._maps.get(ws.root)
        if note_map is None:
            note_map = self._maps[ws.root] = NoteMap(ws, files=watch.files)  # current from its first load
        else:
            note_map.refresh()
        return note_map


WARM = WarmIndexes()
# Set while the daemon runs a request: commands ask it for a warm index (cairn.commands.recall).
ACTIVE: WarmIndexes | None = None


DECLINE = b"- 0 0\n"
_PARSER: Any = None  # cairn.cli.build_parser(), made once: building it costs more than a warm recall's search


def _answer(code: int, out: str, err: str) -> bytes:
    o, e = out.encode("utf-8", "surrogateescape"), err.encode("utf-8", "surrogateescape")
    return f"{code} {len(o)} {len(e)}\n".encode() + o + e


def _run(data: bytes, version: str) -> tuple[bytes, bool]:
    """Run one forwarded command (client.encode_request's format): its encoded answer, and whether this
    daemon should step aside after sending it."""
    request = decode_request(data)
    if request is None:
        return DECLINE, False  # garbled: the client runs it itself
    if request[0] != version:
        # Cairn was installed anew (or another install calls): the client runs it itself, and this daemon
        # steps aside so the next SessionStart hook or `cairn daemon start` starts the current version.
        return DECLINE, True
    return _run_request(*request[1:]), False


def _run_request(cwd: str, flags: str, argv: list[str], stdin: bytes | None) -> bytes:
    """A command (or, with stdin, an agent hook) run here as the client would have run it: in its
    directory, with its NO_COLOR, output captured and encoded."""
    global ACTIVE, _PARSER
    from cairn import cli

    hook = argv[1] if len(argv) == 2 and argv[0] == "agent-hook" and argv[1] in HOOK_EVENTS else None
    if (hook is None) != (stdin is None):
        return DECLINE
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    env_color = os.environ.get("NO_COLOR")
    try:
        os.chdir(cwd)
    except OSError:
        return DECLINE
    try:
        if "n" in flags:
            os.environ["NO_COLOR"] = "1"
        ACTIVE = WARM
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                if hook is not None:
                    code = _run_hook(hook, stdin or b"", out)
                else:
                    _PARSER = _PARSER or cli.build_parser()
                    code = cli.main(argv, forward=False, parser=_PARSER)
            except SystemExit as exc:  # argparse errors
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        ACTIVE = None
        os.chdir(here)
        if env_color is None:
            os.environ.pop("NO_COLOR", None)
    return _answer(code, out.getvalue(), err.getvalue())


def _run_hook(event: str, stdin: bytes, out: io.StringIO) -> int:
    """The agent hook as `cairn agent-hook EVENT` runs it, with this process's warm note maps."""
    from cairn.agent_hooks import main as run_hook
    from cairn.agent_hooks.common import HookContext

    return run_hook(event, stdin=io.BytesIO(stdin), stdout=out, context=HookContext(note_maps=WARM.note_map))


def serve(start: Path, idle: float = DEFAULT_IDLE_S) -> int:
    """Listen for this repository until idle; returns the exit code."""
    from cairn import __version__
    from cairn.errors import CairnError

    git_dir = find_git_dir(str(start))
    if git_dir is None:
        raise CairnError(f"{start}: not inside a git repository")
    path = Path(socket_path(git_dir))
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.parent.lstat()
    if not path.parent.is_dir() or path.parent.is_symlink() or st.st_uid != os.getuid():
        raise CairnError(f"{path.parent}: the daemon's runtime folder must be a folder owned by you")
    os.chmod(path.parent, 0o700)
    lock = _hold_lock(path.with_suffix(".lock"))
    if lock is None:
        print(f"a daemon already serves {git_dir}", file=sys.stderr)
        return 0
    # Warm up before listening: the imports, the agent hooks' note map and the search index (a first
    # build can take seconds). Until the socket exists, clients run in-process instead of waiting.
    with contextlib.suppress(Exception):
        from cairn.workspace import Workspace

        ws = Workspace.discover(start)
        WARM.note_map(ws)
        WARM.get(ws)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old_umask)
    sock.listen(16)
    pid_file(git_dir).write_text(f"{os.getpid()}\n{git_dir}\n", encoding="utf-8")
    stopping = False

    def stop(_sig: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    last = time.monotonic()
    served = 0
    sock.settimeout(1.0)
    try:
        while not stopping and time.monotonic() - last < idle:
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except InterruptedError:
                continue
            last = time.monotonic()
            with conn:
                conn.settimeout(10.0)
                try:
                    data = _read_request(conn)
                    if data.startswith(MAGIC):
                        answer_bytes, step_aside = _run(data, __version__)
                        conn.sendall(answer_bytes)
                        served += answer_bytes != DECLINE
                        stopping = stopping or step_aside
                        continue
                    request = json.loads(data) if data.strip() else {}
                    answer: dict[str, Any] = {"reason": "request"}
                    if isinstance(request, dict) and request.get("stop") is True:
                        stopping = True
                        answer = {"reason": "stopping"}
                    elif isinstance(request, dict) and request.get("status") is True:
                        answer = {"pid": os.getpid(), "version": __version__, "served": served,
                                  "root": str(start), "idle_s": idle}
                    conn.sendall(json.dumps(answer).encode())
                except (OSError, ValueError):
                    continue
    finally:
        sock.close()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        with contextlib.suppress(FileNotFoundError):
            pid_file(git_dir).unlink()
        os.close(lock)  # last: a daemon started now binds a fresh socket
    return 0


def _hold_lock(path: Path) -> int | None:
    """An exclusive flock on `path`, held by the returned descriptor until it is closed; None when another
    process holds it (a daemon of this repository already runs, or is starting)."""
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _read_request(conn: socket.socket) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := conn.recv(1 << 16):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            raise ValueError("request too large")
    return b"".join(chunks)


def send(git_dir: str, request: dict[str, Any], timeout: float = 5.0) -> dict[str, Any] | None:
    """One request to the daemon of git_dir (used by `cairn daemon stop|status`)."""
    path = socket_path(git_dir)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(path)
            sock.sendall(json.dumps(request).encode())
            sock.shutdown(socket.SHUT_WR)
            data = b"".join(iter(lambda: sock.recv(1 << 16), b""))
    except OSError:
        return None
    try:
        answer = json.loads(data)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


if __name__ == "__main__":  # pragma: no cover - started by `cairn daemon start`
    sys.exit(serve(Path.cwd()))
