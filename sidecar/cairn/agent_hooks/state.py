"""What one agent session has seen and done, remembered between its hook calls.

Each hook is a separate process, so "show each note once per session", "warn once per broken anchor"
and "ask for a session note once" need memory: one small JSON file per session id under
`<git dir>/cairn/agent-sessions/` (never in the working tree), read and written under a lock because
Claude Code may run the hooks of parallel tool calls at the same time. Files of sessions untouched for
a week are removed when a session starts.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

FOLDER = "agent-sessions"
KEEP_SECONDS = 7 * 24 * 3600
_SAFE = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


@dataclass
class SessionState:
    started: float = 0.0  # when the session's first hook ran (time.time())
    shown: list[str] = field(default_factory=list)  # note ids given as context
    warned: list[str] = field(default_factory=list)  # "note id\0anchor\0version" already warned about
    edited: list[str] = field(default_factory=list)  # repository-relative code files the agent edited
    notes_written: list[str] = field(default_factory=list)  # note files the agent edited directly
    asked: bool = False  # the Stop hook asked for a session note already


def _file_name(session_id: str) -> str:
    if _SAFE.match(session_id) and not session_id.startswith("."):
        return f"{session_id}.json"
    return hashlib.sha256(session_id.encode("utf-8", "surrogateescape")).hexdigest()[:32] + ".json"


class SessionStore:
    """The state files of one workspace's agent sessions."""

    def __init__(self, cache_dir: Path) -> None:
        self.dir = cache_dir / FOLDER

    def path(self, session_id: str) -> Path:
        return self.dir / _file_name(session_id)

    def read(self, session_id: str) -> SessionState:
        try:
            data = json.loads(self.path(session_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return SessionState(started=time.time())
        state = SessionState()
        for key, value in data.items() if isinstance(data, dict) else ():
            if key in state.__dataclass_fields__ and isinstance(value, type(getattr(state, key))):
                setattr(state, key, value)
        if not state.started:
            state.started = time.time()
        return state

    def write(self, session_id: str, state: SessionState) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.path(session_id)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(state), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)

    @contextlib.contextmanager
    def update(self, session_id: str) -> Iterator[SessionState]:
        """Read, let the caller change, write back: serialised across processes."""
        from cairn.filelock import exclusive_lock

        self.dir.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(self.dir / ".lock"):
            state = self.read(session_id)
            yield state
            self.write(session_id, state)

    def prune(self, now: float | None = None) -> None:
        """Forget sessions nobody touched for a week."""
        cutoff = (now or time.time()) - KEEP_SECONDS
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.dir):
                if entry.name.endswith(".json") and entry.stat().st_mtime < cutoff:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


__all__ = ["SessionState", "SessionStore"]
