"""Anchors: recording code ranges and judging whether they still hold (see engine.py for the API)."""

from cairn.anchors.engine import (
    AnchorVerdict,
    Checker,
    CheckReport,
    NoteCheck,
    anchor_diff,
    check_notes,
    check_workspace,
    reanchor,
    reanchor_note,
    recorded_text,
    update_anchors,
    verdicts_for_file,
)
from cairn.anchors.record import record_anchor
from cairn.anchors.target import Target

__all__ = [
    "AnchorVerdict",
    "CheckReport",
    "Checker",
    "NoteCheck",
    "Target",
    "anchor_diff",
    "check_notes",
    "check_workspace",
    "reanchor",
    "reanchor_note",
    "record_anchor",
    "recorded_text",
    "update_anchors",
    "verdicts_for_file",
]
