"""`cairn.draftUpdate`: the "update this note" prompt for an agent, from the session's checkers.

The prompt itself is the engine's one builder (`cairn.update_prompt`, the same `cairn review` writes);
this module only supplies what the session knows: the note's verdict and the diff of its anchored code
since it was recorded.
"""

from __future__ import annotations

from cairn.server.session import Session
from cairn.update_prompt import AnchorChange, update_prompt


def draft_update(session: Session, note_id: str) -> str:
    """The note, the diff of its anchored code since it was recorded, and an instruction for an agent."""
    with session.lock:
        note = session.store.get(note_id)
        view = session.checkers.judge([note], None)[note.id]
        diffs = session.checkers.diffs(note)
    changes = [AnchorChange(f"{label}: {status}", diff) for label, status, diff in diffs]
    why = f"The note is {view.badge}; below is how its anchored code changed since the note was written."
    return update_prompt(session.ws, note, changes, why)
