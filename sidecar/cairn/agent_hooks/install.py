"""Registering the agent hooks in Claude Code's project settings (`.claude/settings.json`).

The settings format (Claude Code hooks reference, "Configuration"):

    {"hooks": {"<Event>": [{"matcher": "<tool name regex>", "hooks": [{"type": "command", "command": "...",
                                                                        "timeout": <seconds>}]}]}}

`matcher` applies to tool events (PostToolUse: `Edit|MultiEdit|Write|NotebookEdit`); SessionStart and
Stop take none. Merging never clobbers: the user's own groups and hooks are kept as they are, Cairn
adds one group per event unless a command running `agent-hook <event>` is already registered (ours,
or a differently spelled one the user chose: left alone), and every other key of the file is kept.
Running it twice changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cairn.errors import CairnError

SETTINGS = ".claude/settings.json"
TIMEOUT_SECONDS = 10
# event name in settings.json → (our sub-command, matcher or None)
HOOKS: dict[str, tuple[str, str | None]] = {
    "SessionStart": ("session-start", None),
    "PostToolUse": ("post-tool-use", "Edit|MultiEdit|Write|NotebookEdit"),
    "Stop": ("stop", None),
}


def hook_command(sub: str) -> str:
    """The shell command Claude Code runs for `cairn agent-hook SUB` on any teammate's machine.

    `.claude/settings.json` is committed, so like the MCP entries (`cairn.agent_config.LAUNCHER`) it cannot
    name one machine's path: it searches the same places, but tries `$CAIRN_BIN` and `cairn` on PATH
    first (no git calls: the hook runs after every edit), and when Cairn is not installed it exits 0
    silently instead of 127: a hook must never disturb the session.
    """
    import shlex

    from cairn.agent_config import LAUNCHER

    fast = 'for c in "$CAIRN_BIN" "$(command -v cairn)"; do [ -n "$c" ] && [ -x "$c" ] && exec "$c" "$0" "$1"; done; '
    search = LAUNCHER.replace('"$0"', '"$0" "$1"')
    search = search[:search.rindex("echo ")] + "exit 0"
    return f"sh -c {shlex.quote(fast + search)} agent-hook {sub}"


def hook_group(event: str) -> dict[str, Any]:
    sub, matcher = HOOKS[event]
    group: dict[str, Any] = {}
    if matcher:
        group["matcher"] = matcher
    group["hooks"] = [{"type": "command", "command": hook_command(sub), "timeout": TIMEOUT_SECONDS}]
    return group


def _registered(groups: list[Any], sub: str) -> bool:
    for group in groups:
        hooks = group.get("hooks") if isinstance(group, dict) else None
        for hook in hooks if isinstance(hooks, list) else []:
            cmd = hook.get("command") if isinstance(hook, dict) else None
            if isinstance(cmd, str) and f"agent-hook {sub}" in " ".join(cmd.split()):
                return True
    return False


def merge_settings(data: dict[str, Any], path: str) -> bool:
    """Add Cairn's hook groups to a parsed settings object in place; True when something was added."""
    hooks = data.get("hooks")
    if hooks is None:
        hooks = data["hooks"] = {}
    if not isinstance(hooks, dict):
        raise CairnError("`hooks` must be an object", path=path)
    added = False
    for event, (sub, _) in HOOKS.items():
        groups = hooks.get(event)
        if groups is None:
            groups = hooks[event] = []
        if not isinstance(groups, list):
            raise CairnError(f"`hooks.{event}` must be an array", path=path)
        if not _registered(groups, sub):
            groups.append(hook_group(event))
            added = True
    return added


def install_settings(root: Path) -> bool:
    """Merge the hooks into `<root>/.claude/settings.json`; True when the file was written."""
    from cairn.agent_config import load_json_object
    from cairn.notes.store import atomic_write

    path = root / SETTINGS
    data = load_json_object(path)
    if not merge_settings(data, str(path)):
        return False
    atomic_write(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return True


__all__ = ["HOOKS", "SETTINGS", "hook_command", "hook_group", "install_settings", "merge_settings"]
