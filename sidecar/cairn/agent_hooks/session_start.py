"""SessionStart: a short pack of what the agent should know before it starts, within a small budget.

Order (each note once, the pack stops when the budget is spent; `[recall] session_budget`, 800 tokens):
1. stale and expired notes anchored in the files this branch changed (against the merge base with the
   default branch) or the working tree changed: the memory the agent is most likely to trip over;
2. the latest session notes (what the previous sessions said the next one should know);
3. the other notes anchored in those changed files, freshest first;
4. the most recently reviewed notes of the repository, while room remains.

The notes of this pack are not marked as shown: the PostToolUse hook still gives a note with the first
edit of its file (the session start may be far back by then). Sources "clear" and "compact" empty
Claude's context, so what the edit hooks already showed and warned this session is forgotten and may
be said again; "resume" keeps it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cairn.agent_hooks.protocol import HookInput, context_output

if TYPE_CHECKING:
    from cairn.agent_hooks.common import HookContext
    from cairn.workspace import Workspace

MAX_FILES = 200
LATEST_SESSIONS = 2
FRESHEST = 10


def changed_files(ws: Workspace, refs: tuple[str | None, str | None, str | None]) -> list[str]:
    """Files changed on this branch (vs the default branch's merge base) and in the working tree.

    `refs` is `gitio.authorship.head_and_default_branch(ws.root)`.
    """
    from cairn.gitio.ranges import changed_paths, dirty_paths, merge_base

    root = ws.root
    notes = ws.notes_root_rel.rstrip("/") + "/"
    files: dict[str, None] = {}
    for path in dirty_paths(root):
        files[path] = None
    head, _, branch_sha = refs
    base = merge_base(root, branch_sha, head) if head and branch_sha and branch_sha != head else None
    if base:
        for path in sorted(changed_paths(root, base, "HEAD")):
            files[path] = None
    return [p for p in files if not p.startswith(notes)][:MAX_FILES]


def handle(inp: HookInput, context: HookContext) -> str:
    from cairn.agent_hooks.common import assess_quickly, pack_note, render_pack, workspace_for
    from cairn.agent_hooks.state import SessionStore

    ws = workspace_for(inp, context.notes_root)
    if ws.git_dir is None:
        return ""
    store = SessionStore(ws.cache_dir())
    store.prune()
    index = context.note_map(ws)
    if len(index) == 0:
        return ""
    if context.start_warm is not None and 0 < ws.config.daemon_at_notes <= len(index):
        context.start_warm(ws)  # this session's later hooks are answered warm (see HookContext)
    from cairn.gitio.authorship import head_and_default_branch

    refs = head_and_default_branch(ws.root)
    files = changed_files(ws, refs)
    touching: dict[str, None] = {}
    for path in files:
        for note_id in index.anchored_in(path):
            touching[note_id] = None
    sessions = index.latest("session", LATEST_SESSIONS)
    freshest = index.latest(None, FRESHEST)
    ids = list(dict.fromkeys([*touching, *sessions, *freshest]))
    notes = [n for n in (index.note(i) for i in ids) if n is not None]
    if not notes:
        return ""
    from cairn.recall.provenance import Provenance

    fresh, head = assess_quickly(ws, notes)
    provenance = Provenance(ws, refs)
    packed = {n.id: pack_note(n, fresh[n.id], provenance) for n in notes if n.id in fresh}
    troubled = [i for i in touching if i in packed and packed[i].state != "fresh"]
    rest_touching = sorted((i for i in touching if i in packed and i not in troubled), key=lambda i: -packed[i].score)
    order = list(dict.fromkeys([*troubled, *(i for i in sessions if i in packed), *rest_touching,
                                *(i for i in freshest if i in packed)]))
    label = "session start" + (f" ({len(files)} file{'s' if len(files) != 1 else ''} changed on this branch)"
                               if files else "")
    pack = render_pack(ws, head, label, [packed[i] for i in order], ws.config.session_budget)
    if inp.source in ("clear", "compact"):
        with store.update(inp.session_id) as state:
            state.shown, state.warned = [], []
    return context_output("SessionStart", pack.to_markdown().rstrip("\n"))


__all__ = ["changed_files", "handle"]
