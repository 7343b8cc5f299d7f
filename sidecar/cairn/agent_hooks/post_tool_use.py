"""PostToolUse (Edit, MultiEdit, Write, NotebookEdit): the notes about the file the agent just edited.

Each note anchored in the edited file is given once per session, as a recall pack (opening line and
provenance included). When the edit changed lines a note is anchored to, the hook says so plainly,
once per anchor and note version:

    your edit changed lines that note decisions/x describes (src/x.py:10-20); if it no longer holds,
    update it with update_note

"Changed lines a note is anchored to" = the anchor is stale now (the anchor engine's verdict against
the working tree) and the text the edit inserted lies on or next to the anchored lines (where the
code was recorded, or what replaced it now). A Write or NotebookEdit may have changed any line, so there
every stale anchor in the file counts. Edits of note files are remembered (the Stop hook then knows
the session wrote a note), and the note is stamped `author: agent:claude-code` (its `reviewed_by`
dropped), as a write through MCP would be.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from cairn.agent_hooks.protocol import HookInput, context_output

if TYPE_CHECKING:
    from cairn.agent_hooks.common import HookContext
    from cairn.workspace import Workspace

SLACK = 1  # an insertion right above or below anchored lines counts as touching them
MAX_RANGES = 50


def edited_ranges(text: str, pieces: list[str] | None) -> list[tuple[int, int]] | None:
    """The 1-based line ranges where the inserted `pieces` now are in `text`; None when unknown."""
    if pieces is None:
        return None
    ranges: list[tuple[int, int]] = []
    for piece in pieces:
        found = False
        start = 0
        while len(ranges) < MAX_RANGES:
            at = text.find(piece, start)
            if at < 0:
                break
            found = True
            first = text.count("\n", 0, at) + 1
            ranges.append((first, first + piece.rstrip("\n").count("\n")))
            start = at + max(1, len(piece))
        if not found:
            return None  # the file changed again since: we cannot tell which lines this edit made
    return ranges


def _touches(ranges: list[tuple[int, int]] | None, places: list[tuple[int, int]]) -> bool:
    if ranges is None:
        return True
    return any(s - SLACK <= e2 and s2 <= e + SLACK for s, e in places for s2, e2 in ranges)


def warning(note_id: str, where: str, version: str) -> str:
    return (f"your edit changed lines that note {note_id} describes ({where}); if it no longer holds, "
            f"update it with update_note (id {note_id}, version {version})")


def _stamp_agent_author(ws: Workspace, rel: str) -> str:
    """An agent edited a note file directly: record it as the note's author, as MCP writes do.

    Provenance must not depend on the agent choosing the MCP tool: the note now says what an agent
    wrote, and that no person has reviewed it since (`reviewed_by` is dropped).
    """
    from cairn.notes.store import NoteStore
    from cairn.recall.provenance import agent_author

    store = NoteStore(ws)
    path = ws.root / rel
    if not store.is_note_file(path) or not path.is_file():
        return ""
    note = store.read_file(path)
    if isinstance(note, list):
        return ""  # invalid: `cairn check` and the editor report it; nothing to stamp
    author = agent_author("claude-code")
    if note.meta.get("author") == author and "reviewed_by" not in note.meta:
        return ""

    def change(meta: dict[str, Any], body: str) -> tuple[dict[str, Any], str]:
        meta["author"] = author
        meta.pop("reviewed_by", None)
        return meta, body

    store.update(note.id, note.version, change, touch=False)
    return context_output("PostToolUse", f"Cairn recorded `author: {author}` in {rel} (an agent wrote this "
                                         "note; a person's review will show as reviewed_by). Re-read the file "
                                         "before editing it again.")


def handle(inp: HookInput, context: HookContext) -> str:
    from cairn.agent_hooks.common import assess_quickly, pack_note, render_pack, workspace_for
    from cairn.agent_hooks.state import SessionStore
    from cairn.errors import UsageError

    raw = inp.edited_path
    if raw is None:
        return ""
    ws = workspace_for(inp, context.notes_root)
    path = raw if os.path.isabs(raw) else os.path.join(inp.cwd or os.getcwd(), raw)
    try:
        rel = ws.check_repo_path(ws.rel(path))
    except UsageError:
        return ""  # outside the repository (or in .git): not ours
    store = SessionStore(ws.cache_dir())
    notes_prefix = ws.notes_root_rel.rstrip("/") + "/"
    if rel.startswith(notes_prefix):
        with store.update(inp.session_id) as state:
            if rel not in state.notes_written:
                state.notes_written.append(rel)
        return _stamp_agent_author(ws, rel)
    with store.update(inp.session_id) as state:
        if rel not in state.edited:
            state.edited.append(rel)
        shown = set(state.shown)
        warned = set(state.warned)

    index = context.note_map(ws)
    ids = index.anchored_in(rel)
    if not ids:
        return ""
    notes = [n for n in (index.note(i) for i in ids) if n is not None]
    if not notes:
        return ""
    from cairn.gitio.files import read_regular_text
    from cairn.recall.provenance import Provenance

    # Never through a symlink (gitio.files); a file too large to judge by content has no edit ranges.
    text = read_regular_text(ws.root, rel, ws.config.max_file_bytes) or ""
    ranges = edited_ranges(text, inp.new_texts())
    fresh, head = assess_quickly(ws, notes)
    warnings: list[tuple[str, str]] = []  # (key, text)
    for note in notes:
        info = fresh.get(note.id)
        if info is None:
            continue
        for a in info.anchors:
            if a.status not in ("changed", "deleted"):
                continue
            recorded_path, _, lines = a.label.rpartition(":")
            first, _, last = lines.partition("-")
            places = [(int(first), int(last or first))] if recorded_path == rel else []
            if a.current is not None and a.current[0] == rel:
                places.append((a.current[1], a.current[2]))
            if not places or not _touches(ranges, places):
                continue
            key = f"{note.id}\0{a.label}\0{note.version}"
            if key not in warned:
                warnings.append((key, warning(note.id, a.label, note.version)))
    new = [n for n in notes if n.id not in shown and n.id in fresh]
    with store.update(inp.session_id) as state:
        # Parallel tool calls may have shown a note or warned meanwhile: each still goes out once.
        already, said = set(state.shown), set(state.warned)
        new = [n for n in new if n.id not in already]
        warnings = [(k, t) for k, t in warnings if k not in said]
        state.shown.extend(n.id for n in new)
        state.warned.extend(k for k, _ in warnings)
    if not new and not warnings:
        return ""
    parts = [text for _, text in warnings]
    if new:
        from cairn.gitio.authorship import head_and_default_branch

        provenance = Provenance(ws, head_and_default_branch(ws.root, head) if head else None)
        warned_ids = {k.split("\0", 1)[0] for k, _ in warnings}
        ranked = sorted((pack_note(n, fresh[n.id], provenance) for n in new),
                        key=lambda p: (p.id not in warned_ids, -p.score, p.id))
        parts.append(render_pack(ws, head, rel, ranked, ws.config.session_budget).to_markdown().rstrip("\n"))
    return context_output("PostToolUse", "\n\n".join(parts))


__all__ = ["edited_ranges", "handle", "warning"]
