"""Stop: ask once for a session note when the session changed code and left no note.

The hook blocks the stop (Claude continues, with the request as its next instruction) only when all
hold: the session edited code files (recorded by the PostToolUse hook), no note file was written or
updated since the session started (through MCP, the CLI, or an edit of the file: any note file newer
than the session's start counts), this hook has not asked in this session before, and
`stop_hook_active` is false (Claude is not already continuing because of a Stop hook). So it never
blocks twice and never blocks a session that changed nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cairn.agent_hooks.protocol import HookInput, block_output

if TYPE_CHECKING:
    from cairn.agent_hooks.common import HookContext

SHOW_FILES = 5


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
        # A warm process knows every note file's stat from its note map (kept by inotify); else one walk
        # that stops at the first changed note.
        since_ns = int(state.started * 1_000_000_000)
        if context.note_maps is not None:
            wrote = context.note_maps(ws).modified_since(since_ns)
        else:
            from cairn.notes.files import modified_since

            wrote = modified_since(ws.notes_root, since_ns)
        if wrote:
            return ""
        state.asked = True
        edited = list(state.edited)
    return block_output(request(edited))


__all__ = ["handle", "request"]
