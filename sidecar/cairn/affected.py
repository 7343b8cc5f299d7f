"""Which notes describe code that a range of commits changed (`cairn affected`, `cairn review`, MCP).

"This branch changes code that 3 notes describe" is the question a pre-push hook or a PR check asks.
For each note, each anchor is located twice with the anchor engine: where it was at the start of the
range and where it is at the end. A hunk of the diff touches the anchor when its old side overlaps the
first location or its new side overlaps the second (so notes written before the range and notes
written during it are both caught, and pure insertions inside an anchored range count). A touched note
is "updated" when its own file changed in the same range; otherwise the memory may be out of date and
the command exits 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cairn.gitio.ranges import DiffHunk, changed_paths, default_since, diff_files, resolve_commit
from cairn.notes.model import Note
from cairn.notes.store import NoteStore
from cairn.textlines import split_lines
from cairn.workspace import Workspace

Location = tuple[str, int, int]


@dataclass
class TouchedAnchor:
    """One anchor of a note and the hunks of the range that touched it."""

    path: str
    lines: tuple[int, int]  # as recorded
    hunks: list[DiffHunk] = field(default_factory=list)
    head_path: str | None = None  # where the anchored file is at the end of the range

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "lines": list(self.lines),
            "hunks": [{"old": [h.old_start, h.old_len], "new": [h.new_start, h.new_len], "text": h.text()}
                      for h in self.hunks],
        }


@dataclass
class AffectedNote:
    id: str
    title: str
    path: str
    anchors: list[TouchedAnchor]
    updated: bool  # the note file itself changed in the range

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "path": self.path, "updated": self.updated,
                "anchors": [a.to_json() for a in self.anchors]}


@dataclass
class AffectedReport:
    since: str
    head: str
    notes: list[AffectedNote]

    @property
    def not_updated(self) -> list[AffectedNote]:
        return [n for n in self.notes if not n.updated]

    def to_json(self) -> dict[str, Any]:
        return {"since": self.since, "head": self.head, "notes": [n.to_json() for n in self.notes],
                "not_updated": [n.id for n in self.not_updated]}

    def to_text(self) -> str:
        if not self.notes:
            return f"no notes describe code changed in {self.since[:7]}..{self.head[:7]}\n"
        out = [f"{len(self.notes)} note(s) describe code changed in {self.since[:7]}..{self.head[:7]}"
               f" ({len(self.not_updated)} not updated):"]
        for note in self.notes:
            flag = "updated" if note.updated else "NOT UPDATED"
            out.append(f"\n{note.id}  {note.title}  [{flag}]")
            for anchor in note.anchors:
                out.append(f"  {anchor.path}:{anchor.lines[0]}-{anchor.lines[1]}")
                for hunk in anchor.hunks:
                    out.extend("    " + line for line in split_lines(hunk.text()))
        return "\n".join(out) + "\n"

    def to_github(self) -> str:
        """GitHub Actions workflow commands: a warning on the changed code per note not updated."""
        out = []
        for note in self.notes:
            level = "notice" if note.updated else "warning"
            for anchor in note.anchors:
                line = anchor.hunks[0].new_start if anchor.hunks else anchor.lines[0]
                path = anchor.head_path or anchor.path
                msg = (f"This change touches code described by the note '{note.title}' ({note.path})"
                       + (" which was updated in this range." if note.updated
                          else " which was not updated: check it, then update it or mark it reviewed."))
                out.append(f"::{level} file={_esc_prop(path)},line={max(line, 1)},"
                           f"title={_esc_prop('cairn: ' + note.id)}::{_esc_msg(msg)}")
        return "\n".join(out) + ("\n" if out else "")


def _esc_msg(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _esc_prop(text: str) -> str:
    return _esc_msg(text).replace(":", "%3A").replace(",", "%2C")


def anchor_locations(ws: Workspace, notes: list[Note], rev: str) -> dict[tuple[str, int], Location | None]:
    """Where each anchor (note id, index) is at `rev`, according to the anchor engine.

    None when the anchored code is not there (changed or deleted at `rev`). Falls back to the recorded
    range when the engine cannot judge the note.
    """
    from cairn.anchors import Target, check_notes

    result: dict[tuple[str, int], Location | None] = {}
    for note in notes:
        for i, anchor in enumerate(note.anchors):
            result[(note.id, i)] = (anchor.path, anchor.start, anchor.end)
    report = check_notes(ws, notes, target=Target.at_rev(rev)).to_json()
    for entry in report.get("notes", []):
        for i, verdict in enumerate(entry.get("anchors", [])):
            key = (entry.get("id"), i)
            if key not in result:
                continue
            current = verdict.get("current")
            if current and current.get("lines"):
                result[key] = (current["path"], int(current["lines"][0]), int(current["lines"][1]))
            elif verdict.get("status") in ("changed", "deleted"):
                result[key] = None
    return result


def _overlaps(span: tuple[int, int], start: int, end: int, pure_insert: bool) -> bool:
    lo, hi = span
    if pure_insert:
        # inserted after line `lo`: inside the anchor when it lands between its first and last line
        return start <= lo < end
    return lo <= end and hi >= start


def find_affected(ws: Workspace, since: str | None = None, head: str = "HEAD") -> AffectedReport:
    """The notes whose anchored code changed between `since` (default: the merge base) and `head`."""
    base = resolve_commit(ws.root, since) if since else default_since(ws.root)
    head_sha = resolve_commit(ws.root, head)
    store = NoteStore(ws)
    notes = [n for n in store.load().notes if n.anchors]
    report = AffectedReport(since=base, head=head_sha, notes=[])
    if not notes or base == head_sha:
        return report
    files = diff_files(ws.root, base, head_sha)
    by_old: dict[str, list[DiffHunk]] = {}
    by_new: dict[str, list[DiffHunk]] = {}
    renamed: dict[str, str] = {}
    for f in files:
        if f.old_path:
            by_old.setdefault(f.old_path, []).extend(f.hunks)
        if f.new_path:
            by_new.setdefault(f.new_path, []).extend(f.hunks)
        if f.old_path and f.new_path:
            renamed[f.old_path] = f.new_path
    touched_files = set(by_old) | set(by_new)
    relevant = [n for n in notes if any(a.path in touched_files for a in n.anchors)]
    if not relevant:
        return report
    at_base = anchor_locations(ws, relevant, base)
    at_head = anchor_locations(ws, relevant, head_sha)
    changed = changed_paths(ws.root, base, head_sha)
    for note in relevant:
        touched: list[TouchedAnchor] = []
        for i, anchor in enumerate(note.anchors):
            hits: list[DiffHunk] = []
            loc_b = at_base.get((note.id, i))
            if loc_b is not None:
                for hunk in by_old.get(loc_b[0], []):
                    if _overlaps(hunk.old_range, loc_b[1], loc_b[2], hunk.old_len == 0):
                        hits.append(hunk)
            loc_h = at_head.get((note.id, i))
            if loc_h is not None:
                for hunk in by_new.get(loc_h[0], []):
                    if hunk not in hits and _overlaps(hunk.new_range, loc_h[1], loc_h[2], hunk.new_len == 0):
                        hits.append(hunk)
            if loc_b is None and loc_h is None:
                # The engine cannot place it at either end: fall back to any hunk in the recorded file.
                hits = list(by_old.get(anchor.path, []))
            if hits:
                head_path = loc_h[0] if loc_h else renamed.get(anchor.path, anchor.path)
                touched.append(TouchedAnchor(anchor.path, (anchor.start, anchor.end), hits, head_path))
        if touched:
            report.notes.append(AffectedNote(note.id, note.title, note.rel_path, touched,
                                             updated=note.rel_path in changed))
    return report


def check_report(ws: Workspace, paths: list[str] | None = None) -> dict[str, Any]:
    """`cairn check --json` for the working tree (invalid notes included), plus counts (MCP `check`)."""
    from cairn.anchors import check_workspace

    report = check_workspace(ws, paths=paths)
    data: dict[str, Any] = report.to_json()
    data["summary"] = report.counts()
    return data
