"""The "update this note" prompt for a coding agent: one builder for `cairn review` and the editor.

`cairn review` (one prompt per note a branch made stale, printed or piped to `[review] agent`) and the
language server's `cairn.draftUpdate` command (the editor pastes it into an agent chat) ask an agent the
same thing: here is the note, here is how its anchored code changed, make the note true again. Both
build the text here; they differ only in the sentence saying why the note is in question.

The note's text and the diffs are untrusted; each sits in a fence longer than any backtick run inside
it, so neither can close its block and pose as instructions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cairn.gitio.files import read_regular_text
from cairn.notes.model import Note
from cairn.workspace import Workspace


@dataclass(frozen=True)
class AnchorChange:
    """How one anchor's code changed: `label` names the range, `diff` is a unified diff (may be empty)."""

    label: str
    diff: str


def _fence(text: str) -> str:
    return "`" * max(3, 1 + max((len(run) for run in re.findall(r"`{3,}", text)), default=0))


def update_prompt(ws: Workspace, note: Note, changes: Sequence[AnchorChange], why: str) -> str:
    """The prompt for `note`; `why` is one sentence saying what changed (a commit range, a stale verdict)."""
    text = (read_regular_text(ws.root, note.rel_path) or "").rstrip()  # never through a symlink
    notes_root = ws.notes_root_rel
    fence = _fence(text)
    diff_parts = []
    for change in changes:
        body = change.diff.rstrip("\n") or "(no change in the anchored lines)"
        dfence = _fence(body)
        diff_parts += [f"### {change.label}", f"{dfence}diff", body, dfence]
    diffs = "\n".join(diff_parts) if diff_parts else "(the note has no anchors)"
    return f"""You are maintaining this repository's memory: Cairn notes in `{notes_root}/`, markdown files with
YAML frontmatter, anchored to the code they describe. {why} Decide whether the note `{note.id}`
({note.kind}: {note.title}) is still true and fix it.

## The note: `{note.rel_path}`
{fence}markdown
{text}
{fence}

## How its anchored code changed
{diffs}

## What to do (pick one, edit only `{note.rel_path}`)
1. **Update it**: the code changed what the note says. Rewrite the affected parts of the body (and the title
   if needed); keep every frontmatter field. Leave the anchors' hash keys alone: Cairn re-anchors the note
   to the code as it is now and marks it reviewed (`cairn review --run` after you finish; in the editor,
   the note's "re-anchor" action).
2. **Re-anchor it**: the note is still true but describes other lines now. Fix each anchor's `lines:`
   (1-based, inclusive) and `path:` to where the code is now; Cairn re-records their fingerprints.
3. **Retire it**: the code is gone or the note no longer applies. Set `status: archived` (or
   `status: superseded` and write a new note whose `supersedes:` lists `{note.id}`).

Rules: change only files under `{notes_root}/`; never edit source code; keep the frontmatter valid YAML
between the `---` lines and do not remove any of its fields. If you have the Cairn MCP tools, you may use
`get_note` and `update_note` instead of editing the file.
"""
