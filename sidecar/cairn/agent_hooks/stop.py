"""Stop: ask once for a session note when the session changed code and left no note.

The hook blocks the stop (Claude continues, with the request as its next instruction) only when all
hold: the session edited code files (recorded by the PostToolUse hook), no note file was written or
updated since the session started (through MCP, the CLI, or an edit of the file: any note file newer
than the session's start counts), this hook has not asked in this session before, and
`stop_hook_active` is false (Claude is not already continuing because of a Stop hook). So it never
blocks twice and never blocks a session that changed nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from cairn.agent_hooks.protocol import HookInput, block_output

if TYPE_CHECKING:
    from cairn.agent_hooks.common import HookContext

SHOW_FILES = 5


def notes_changed_since(root: Path, since: float) -> bool:
    """Whether any note file under `root` was modified at or after `since` (a time.time() value)."""
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.name.endswith(".md") and entry.stat(follow_symlinks=False).st_mtime >= since:
                    return True
            except OSError:
                continue
    return False


def request(edited: list[str]) -> str:
    shown = ", ".join(edited[:SHOW_FILES]) + (f" and {len(edited) - SHOW_FILES} more" if len(edited) > SHOW_FILES
                                                else "")
    return (
        f"Before you stop: this session changed code ({shown}) but left no note in the repository's memory "
        "(Cairn). If the session was significant, write a session note: the add_note MCP tool with kind "
        "\"session\" (or `cairn add --kind session --title ... --body-file -`), anchored to the code you "
        "changed where that helps, saying what changed, why, what you decided not to do and why, and what "
        "the next session should know. If it was trivial, just stop; you will not be asked again."
    )


def handle(inp: HookInput, context: HookContext) -> str:
    from cairn.agent_hooks.common import workspace_for
    from cairn.agent_hooks.state import SessionStore

    if inp.stop_hook_active:
        return ""  # Claude is already continuing because a Stop hook blocked: never block again
    ws = workspace_for(inp, context.notes_root)
    store = SessionStore(ws.cache_dir())
    with store.update(inp.session_id) as state:
        if state.asked or not state.edited or state.notes_written:
            return ""
        if notes_changed_since(ws.notes_root, state.started):
            return ""
        state.asked = True
        edited = list(state.edited)
    return block_output(request(edited))


__all__ = ["handle", "notes_changed_since", "request"]
