"""Opt-in pre-commit re-anchoring: a code move and its notes' new line numbers land in the same commit.

Run by the pre-commit hook of `cairn hooks install --pre-commit` and by the pre-commit framework's
`cairn-reanchor` hook (`.pre-commit-hooks.yaml`), both as `cairn hooks pre-commit`. It judges the notes
anchored in the files of the commit being made against the *staged* content (the index git is about to
commit, which is `GIT_INDEX_FILE` during `git commit -a` / `git commit PATH`), re-records anchors whose
code only moved or was reformatted, and stages those notes (and index.json) into the same commit.

It never changes what the commit means: stale anchors (changed or deleted code) are left for a person
(`cairn review-done`), a note with unstaged edits of its own is left alone (staging it would commit
those edits), and any problem is one line on stderr while the commit goes ahead (fail open).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cairn.gitio.staging import in_index, stage, staged_blob, staged_paths, unstaged_paths
from cairn.workspace import Workspace

MOVING = ("moved", "reformatted")


@dataclass
class PreCommitResult:
    reanchored: list[str] = field(default_factory=list)  # note ids re-anchored and staged
    skipped: list[str] = field(default_factory=list)  # one line each: why a note was left alone

    def to_text(self) -> str:
        lines = [f"cairn: {why}" for why in self.skipped]
        if self.reanchored:
            lines.append(f"cairn: re-anchored and staged {len(self.reanchored)} note(s) whose code moved in this "
                         f"commit: {', '.join(self.reanchored)}")
        return "".join(f"{line}\n" for line in lines)


def reanchor_staged(ws: Workspace) -> PreCommitResult:
    """Re-anchor and stage the notes whose anchored code moved in the staged changes (see the module doc)."""
    from cairn.anchors import Checker, Target, reanchor
    from cairn.errors import ConflictError
    from cairn.notes import NoteStore

    result = PreCommitResult()
    if Path(os.environ.get("GIT_INDEX_FILE", "")).name.startswith("next-index"):
        # `git commit PATH…` commits a temporary index and then updates the real one (locked now) with
        # those paths only: a note staged here would be committed but left modified in the real index.
        result.skipped.append("`git commit PATH…` commits only the paths given: notes not re-anchored "
                              "(add the note to the paths, or run `cairn check --update`)")
        return result
    # `cairn.gitio.staging` runs git with the hook's environment as is: `GIT_INDEX_FILE` names the index
    # being committed.
    touched = staged_paths(ws.root)
    if not touched:
        return result
    store = NoteStore(ws)
    loaded = store.load()
    notes = [n for n in loaded.notes if any(a.path in touched for a in n.anchors)]
    if not notes:
        return result
    unstaged = unstaged_paths(ws.root)
    # The commit's content where it differs from the working tree (partly staged files).
    buffers: dict[str, str] = {}
    for path in sorted(touched & unstaged):
        data = staged_blob(ws.root, path)
        if data or not (ws.root / path).exists():
            buffers[path] = (data or b"").decode("utf-8", "surrogateescape")
    index_rel = f"{ws.notes_root_rel}/index.json"
    index_clean = index_rel not in unstaged and in_index(ws.root, index_rel)
    target = Target.with_buffers(buffers) if buffers else Target.worktree()
    staged: list[str] = []
    with Checker(ws, target) as checker:
        report = checker.check(notes)
        for checked in report.notes:
            note = checked.note
            if note is None:
                continue
            moving = [v for v in checked.anchors if v.status in MOVING and v.current is not None
                      and (v.anchor.path in touched or v.current[0] in touched)]
            if not moving:
                continue
            if note.rel_path in unstaged:
                result.skipped.append(f"{note.rel_path} has unstaged changes: not re-anchored "
                                      "(stage it, or run `cairn check --update` later)")
                continue
            anchors: list[dict[str, Any]] = []
            chosen = {id(v) for v in moving}
            for anchor, v in zip(note.anchors, checked.anchors, strict=True):
                fresh = reanchor(ws, anchor, v, checker) if id(v) in chosen else None
                anchors.append(fresh if fresh is not None else dict(anchor.data))
            try:
                store.set_anchors(note.id, note.version, anchors)
            except ConflictError:
                result.skipped.append(f"{note.rel_path} changed while re-anchoring: not re-anchored")
                continue
            result.reanchored.append(note.id)
            staged.append(note.rel_path)
    if staged:
        if index_clean:
            staged.append(index_rel)
        stage(ws.root, staged)
    return result


__all__ = ["PreCommitResult", "reanchor_staged"]
