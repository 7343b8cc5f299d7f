"""`cairn daemon start|stop|status|run`: a warm process per repository that answers `recall` and `search`.

Optional: every command works without it. With it, `cairn recall PATH:LINE` costs an interpreter start and
a socket round trip instead of importing the engine and reopening the index (see bench/startup).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from cairn.commands.common import add_example
from cairn.errors import CairnError

START_TIMEOUT_S = 30.0


def register(sub: Any) -> None:
    p = sub.add_parser("daemon", help="a warm background process that answers recall and search fast")
    p.add_argument("action", choices=["start", "stop", "status", "run"],
                   help="start (in the background), stop, status, or run (in the foreground)")
    p.add_argument("--idle", type=float, default=None, metavar="SECONDS",
                   help="exit after this long without a request (default 1800)")
    add_example(p, "cairn daemon start   # then cairn recall/search answer from the warm process",
                "cairn daemon status", "cairn daemon stop", "CAIRN_NO_DAEMON=1 cairn recall src/a.py:3   # bypass it")
    p.set_defaults(func=cmd_daemon)


def _git_dir() -> str:
    from cairn.daemon.client import find_git_dir

    git_dir = find_git_dir(os.getcwd())
    if git_dir is None:
        raise CairnError(f"{Path.cwd()}: not inside a git repository (the daemon serves one repository)")
    return git_dir


def cmd_daemon(args: argparse.Namespace) -> int:
    from cairn.daemon import server
    from cairn.daemon.spawn import spawn

    idle = args.idle if args.idle is not None else server.DEFAULT_IDLE_S
    if idle <= 0:
        raise CairnError("--idle must be more than 0 seconds")
    git_dir = _git_dir()
    status = server.send(git_dir, {"status": True}, timeout=2.0)
    if args.action == "status":
        if status is None:
            print("no daemon for this repository (cairn daemon start)")
            return 1
        print(f"daemon pid {status.get('pid')}, cairn {status.get('version')}, {status.get('served')} requests "
              f"served, root {status.get('root')}")
        return 0
    if args.action == "stop":
        if status is None:
            print("no daemon for this repository")
            return 0
        server.send(git_dir, {"stop": True})
        _wait(lambda: not os.path.exists(server.socket_path(git_dir)), "the daemon to stop")
        print(f"stopped daemon pid {status.get('pid')}")
        return 0
    if args.action == "run":
        return server.serve(Path.cwd(), idle=idle)
    if status is not None:
        print(f"already running: pid {status.get('pid')}")
        return 0
    log = Path(git_dir) / "cairn" / "daemon.log"
    proc = spawn(Path.cwd(), git_dir, idle)
    answer: dict[str, Any] = {}

    def listening_or_failed() -> bool:
        # Exit 0 means another daemon holds the lock (one an agent's SessionStart hook started may still be
        # warming up): wait for that one to listen instead.
        found = server.send(git_dir, {"status": True}, timeout=1.0)
        if found is not None:
            answer.update(found)
        return found is not None or proc.poll() not in (None, 0)

    _wait(listening_or_failed, "the daemon to listen")
    if not answer:
        raise CairnError(f"the daemon exited at start (code {proc.returncode}); see {log}")
    if answer.get("pid") != proc.pid:
        print(f"already running: pid {answer.get('pid')}")
        return 0
    print(f"started daemon pid {proc.pid} (stops after {idle:.0f} s idle; log: {log})")
    return 0


def _wait(done: Any, what: str) -> None:
    """Poll a condition with a deadline (a process we just started has no event to wait on)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while not done():
        if time.monotonic() > deadline:
            raise CairnError(f"timed out waiting for {what}")
        time.sleep(0.02)
