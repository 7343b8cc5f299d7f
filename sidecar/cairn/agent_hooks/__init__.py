"""Agent lifecycle hooks: the repository's memory inside the agent's loop (Claude Code hooks).

`cairn init --agents` registers three commands in `.claude/settings.json` (see `install.py`):

    cairn agent-hook session-start   SessionStart   a short pack: stale notes on this branch's changes, the
                                                    latest session notes, the freshest relevant notes
    cairn agent-hook post-tool-use   PostToolUse    (Edit|MultiEdit|Write|NotebookEdit) the notes anchored in
                                                    the edited file, once per session, and a plain warning
                                                    when the edit changed lines a note describes
    cairn agent-hook stop            Stop           once, when the session changed code and wrote no note:
                                                    asks for a session note

Each reads Claude Code's hook JSON on stdin and answers in its documented output format
(`protocol.py` cites the fields). Every hook fails open: on any error it prints nothing, exits 0 and
appends one line to `<git dir>/cairn/agent-hooks.log`; an agent session is never broken by its memory.
Session memory (what was shown, warned, edited, asked) lives in `<git dir>/cairn/agent-sessions/`.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cairn.agent_hooks.common import HookContext

LOG_FILE = "agent-hooks.log"
LOG_LIMIT = 256 * 1024


def run(event: str, raw: str | bytes, notes_root: str | None = None, context: HookContext | None = None) -> str:
    """The hook's answer for `event` (a command name of `protocol.EVENTS`): JSON text, or "" for none.

    Raises on errors; `main` turns every error into silence plus a log line.
    """
    from cairn.agent_hooks.common import HookContext
    from cairn.agent_hooks.protocol import EVENTS, parse_input

    inp = parse_input(raw, EVENTS[event])
    if event == "session-start":
        from cairn.agent_hooks.session_start import handle
    elif event == "post-tool-use":
        from cairn.agent_hooks.post_tool_use import handle
    else:
        from cairn.agent_hooks.stop import handle
    return handle(inp, context or HookContext(notes_root=notes_root))


def _log(event: str, exc: BaseException, raw: str | bytes) -> None:
    """One line per failure in `<git dir>/cairn/agent-hooks.log` (best effort, size-capped)."""
    try:
        import json

        cwd = None
        try:
            data = json.loads(raw)
            cwd = data.get("cwd") if isinstance(data, dict) else None
        except ValueError:
            pass
        from cairn.workspace import _find_git_dir  # not Workspace: its configuration may be what failed

        here = Path(cwd if isinstance(cwd, str) and os.path.isdir(cwd) else os.getcwd()).resolve()
        git_dir = next((g for g in (_find_git_dir(f / ".git") for f in (here, *here.parents)) if g), None)
        if git_dir is None:
            return
        path = log_path(git_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file() and path.stat().st_size > LOG_LIMIT:
            path.replace(path.with_suffix(".log.1"))
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        message = " ".join(str(exc).split())[:300]
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"{stamp} {event}: {type(exc).__name__}: {message}\n")
    except Exception:  # nowhere to log: stay silent
        pass


def main(event: str, notes_root: str | None = None, stdin: Any = None, stdout: Any = None,
         context: HookContext | None = None) -> int:
    """Read stdin, answer on stdout; always exit 0 (errors: nothing printed, one log line).

    `context`: what the calling process offers beyond the input (see common.HookContext)."""
    src = stdin or sys.stdin
    out = stdout or sys.stdout
    raw: str | bytes = ""
    try:
        raw = src.buffer.read() if hasattr(src, "buffer") else src.read()
        answer = run(event, raw, notes_root, context)
    except Exception as exc:
        if os.environ.get("CAIRN_DEBUG"):
            raise
        _log(event, exc, raw)
        return 0
    if answer:
        out.write(answer + "\n")
        out.flush()
    return 0


def log_path(git_dir: Path) -> Path:
    return git_dir / "cairn" / LOG_FILE


__all__ = ["LOG_FILE", "log_path", "main", "run"]
