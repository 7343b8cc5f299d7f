"""Claude Code's hook protocol: the JSON a hook reads on stdin and the JSON it answers on stdout.

From the Claude Code hooks reference (https://code.claude.com/docs/en/hooks, "Hook input" and "Hook
output" / "Decision control"); these are the only fields Cairn relies on:

Input, every event:
  `session_id`        the session, stable across its hooks: per-session memory is keyed by it
  `transcript_path`   (unused)
  `cwd`               the directory Claude Code runs in: the workspace is discovered from it
  `hook_event_name`   "SessionStart" | "PostToolUse" | "Stop" (checked against the command's event)
SessionStart:
  `source`            "startup" | "resume" | "clear" | "compact"
PostToolUse:
  `tool_name`         "Edit" | "MultiEdit" | "Write" | "NotebookEdit" (the matcher in settings.json)
  `tool_input`        the tool's arguments: `file_path` (Edit, MultiEdit, Write; absolute),
                      `notebook_path` (NotebookEdit), `new_string` + `replace_all` (Edit),
                      `edits: [{old_string, new_string}]` (MultiEdit), `content` (Write)
  `tool_response`     (unused: its shape is the tool's, not documented as stable)
Stop:
  `stop_hook_active`  true when Claude is already continuing because a Stop hook blocked it: the loop
                      guard; a Stop hook must not block again then

Output (exit code 0; a hook that prints nothing has no effect):
  SessionStart, PostToolUse:
    {"hookSpecificOutput": {"hookEventName": "<the event>", "additionalContext": "<text>"}}
    `additionalContext` is added to Claude's context (for PostToolUse, next to the tool's result).
  Stop:
    {"decision": "block", "reason": "<text>"}
    Claude does not stop; `reason` is shown to Claude as what to do next.
  `suppressOutput: true` keeps the JSON out of the user's transcript view.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

EVENTS = {"session-start": "SessionStart", "post-tool-use": "PostToolUse", "stop": "Stop"}
EDIT_TOOLS = ("Edit", "MultiEdit", "Write", "NotebookEdit")


class HookInputError(ValueError):
    """The input is not what the documented protocol promises (the hook then stays silent)."""


@dataclass
class HookInput:
    """The fields of one hook call that Cairn uses (see the module docstring)."""

    event: str  # SessionStart | PostToolUse | Stop
    session_id: str
    cwd: str | None
    source: str | None = None
    tool_name: str | None = None
    tool_input: dict[str, Any] = field(default_factory=dict)
    stop_hook_active: bool = False

    @property
    def edited_path(self) -> str | None:
        """The file a file-editing tool wrote (absolute or relative to `cwd`), or None."""
        if self.tool_name not in EDIT_TOOLS:
            return None
        key = "notebook_path" if self.tool_name == "NotebookEdit" else "file_path"
        value = self.tool_input.get(key) or self.tool_input.get("file_path")
        return value if isinstance(value, str) and value.strip() else None

    def new_texts(self) -> list[str] | None:
        """The text the edit inserted, piece by piece; None when the whole file may have changed."""
        if self.tool_name == "Edit":
            text = self.tool_input.get("new_string")
            return [text] if isinstance(text, str) and text.strip() else None
        if self.tool_name == "MultiEdit":
            edits = self.tool_input.get("edits")
            if not isinstance(edits, list):
                return None
            texts = [e.get("new_string") for e in edits if isinstance(e, dict)]
            if not texts or not all(isinstance(t, str) and t.strip() for t in texts):
                return None
            return [t for t in texts if isinstance(t, str)]
        return None  # Write and NotebookEdit replace the file (or a cell): any line may have changed


def parse_input(raw: str | bytes, expected_event: str) -> HookInput:
    """The hook's stdin as a `HookInput`; HookInputError when it is not the documented shape."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HookInputError(f"stdin is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise HookInputError("stdin is not a JSON object")
    event = data.get("hook_event_name")
    if event is not None and event != expected_event:
        raise HookInputError(f"hook_event_name is {event!r}, this command handles {expected_event!r}")
    session = data.get("session_id")
    if not isinstance(session, str) or not session.strip():
        raise HookInputError("session_id is missing")
    cwd = data.get("cwd")
    tool_input = data.get("tool_input")
    return HookInput(
        event=expected_event,
        session_id=session,
        cwd=cwd if isinstance(cwd, str) and cwd else None,
        source=data.get("source") if isinstance(data.get("source"), str) else None,
        tool_name=data.get("tool_name") if isinstance(data.get("tool_name"), str) else None,
        tool_input=tool_input if isinstance(tool_input, dict) else {},
        stop_hook_active=data.get("stop_hook_active") is True,
    )


def context_output(event: str, text: str) -> str:
    """SessionStart/PostToolUse: add `text` to Claude's context."""
    return json.dumps({"hookSpecificOutput": {"hookEventName": event, "additionalContext": text},
                       "suppressOutput": True}, ensure_ascii=False)


def block_output(reason: str) -> str:
    """Stop: keep Claude going with `reason` as its next instruction."""
    return json.dumps({"decision": "block", "reason": reason}, ensure_ascii=False)


__all__ = ["EDIT_TOOLS", "EVENTS", "HookInput", "HookInputError", "block_output", "context_output", "parse_input"]
