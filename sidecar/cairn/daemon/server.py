"""The warm process behind `cairn daemon start`: one per repository, answering `recall` and `search`.

It keeps the engine imported and each workspace's search index open, and runs the same command code as
the CLI (`cairn.cli.main`) with stdout/stderr captured, so an answer is byte-for-byte what the in-process
command prints. Correctness does not depend on it being warm: every request re-reads the workspace
(config), refreshes the index incrementally (notes changed on disk are picked up: which ones, an inotify
watch of the notes folder says instead of a walk per request, see cairn.notes.watch) and judges anchors
with a fresh checker, exactly as a cold run does.

Requests are served one at a time (the commands chdir). It listens on a Unix socket in a private
runtime folder (see client.socket_path), exits after `idle` seconds without a request, on SIGTERM, or
when asked by `cairn daemon stop`, and removes its socket and pid file.
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

from cairn.daemon.client import MAGIC, find_git_dir, socket_path

DEFAULT_IDLE_S = 30 * 60
MAX_REQUEST_BYTES = 1 << 20


def pid_file(git_dir: str) -> Path:
    return Path(socket_path(git_dir)).with_suffix(".pid")


class WarmIndexes:
    """One open NoteIndex per workspace root, refreshed before each use.

    Each index learns which note files changed from a `cairn.notes.watch.NotesWatch` (inotify) instead
    of walking the notes folder per request; the watch sees every change finished before the request
    (see its docstring for why, and for the file systems where it cannot: CAIRN_NO_WATCH=1)."""

    def __init__(self) -> None:
        self._by_root: dict[Path, Any] = {}
        self._watches: dict[Path, Any] = {}

    def get(self, ws: Any) -> Any:
        from cairn.index import NoteIndex
        from cairn.notes.watch import NotesWatch

        index = self._by_root.get(ws.root)
        if index is None or index.ws != ws:  # first use, or the config (notes root, kinds...) changed
            old = self._watches.pop(ws.root, None)
            if old is not None:
                old.close()
            watch = self._watches[ws.root] = NotesWatch(ws.notes_root)
            index = self._by_root[ws.root] = NoteIndex(ws, notice=lambda _m: None, files=watch.files)
        index.refresh()
        return index


WARM = WarmIndexes()
# Set while the daemon runs a request: commands ask it for a warm index (cairn.commands.recall).
ACTIVE: WarmIndexes | None = None


DECLINE = b"- 0 0\n"
_PARSER: Any = None  # cairn.cli.build_parser(), made once: building it costs more than a warm recall's search


def _answer(code: int, out: str, err: str) -> bytes:
    o, e = out.encode("utf-8", "surrogateescape"), err.encode("utf-8", "surrogateescape")
    return f"{code} {len(o)} {len(e)}\n".encode() + o + e


def _run(data: bytes, version: str) -> bytes:
    """Run one forwarded command (client.encode_request's format) and encode its answer."""
    global ACTIVE, _PARSER
    from cairn import cli

    fields = [f.decode("utf-8", "surrogateescape") for f in data[len(MAGIC):].split(b"\0")]
    if len(fields) < 4 or fields[0] != version:
        return DECLINE  # another version of Cairn: the client runs it itself
    cwd, flags, argv = fields[1], fields[2], fields[3:]
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
    # Warm up: the imports and this repository's index, before the first request pays for them.
    with contextlib.suppress(Exception):
        from cairn.workspace import Workspace

        WARM.get(Workspace.discover(start))
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
                        answer_bytes = _run(data, __version__)
                        conn.sendall(answer_bytes)
                        served += answer_bytes != DECLINE
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
    return 0


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
