"""Starting `cairn daemon run` in the background: for `cairn daemon start` and for the agent's SessionStart
hook in a large repository (cairn.hook_entry). Apart from the server so that a hook does not import it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cairn.daemon.client import GIT_LOCATION_VARS

DEFAULT_IDLE_S = 30 * 60


def spawn(cwd: Path, git_dir: str, idle: float = DEFAULT_IDLE_S) -> subprocess.Popen[bytes]:
    """Start `cairn daemon run` for the repository at `cwd` in the background (its own session, output to
    `<git dir>/cairn/daemon.log`) and return its Popen without waiting for it to listen. The child never
    forwards to a daemon itself (CAIRN_NO_DAEMON), and runs without the variables that point git elsewhere
    (callers with one set are never forwarded: cairn.daemon.client.GIT_LOCATION_VARS)."""
    env = {k: v for k, v in os.environ.items() if k not in GIT_LOCATION_VARS}
    env["CAIRN_NO_DAEMON"] = "1"
    log = Path(git_dir) / "cairn" / "daemon.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "cairn", "daemon", "run", "--idle", str(idle)],
                                cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                start_new_session=True, env=env)
