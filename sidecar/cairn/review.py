"""`cairn review [--run]`: ask an agent to update the notes a range of commits made doubtful.

For each affected note (see `cairn.affected`) this builds a self-contained prompt: the note as it is,
the diff of its anchored code, and the three possible outcomes (update the note, re-anchor it, retire
it). Without `--run` the prompts are printed for a person to paste into any agent. With `--run` each
prompt is piped to the user's own agent command (`agent_command`: never from a committed file),
agent-agnostic, and what
the agent did is checked afterwards: it may only touch note files, each must still parse, and no
frontmatter field may disappear. Anything else is put back exactly as it was before the agent ran
(from a snapshot of the dirty files and HEAD) and reported, so an over-eager agent cannot slip code
changes into a "notes update".
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cairn.affected import AffectedNote, AffectedReport, find_affected
from cairn.errors import UsageError
from cairn.gitio.files import read_regular, safe_dir
from cairn.gitio.ranges import config_get, dirty_paths
from cairn.notes.model import Note
from cairn.notes.store import NoteStore
from cairn.workspace import Workspace

INDEX_NAMES = ("index.json",)


@dataclass
class ReviewPrompt:
    note_id: str
    path: str
    text: str


@dataclass
class Verdict:
    """What happened to one file the agent touched."""

    path: str
    kept: bool
    reason: str = ""


@dataclass
class RunResult:
    note_id: str
    exit_code: int
    verdicts: list[Verdict] = field(default_factory=list)
    output: str = ""

    @property
    def rejected(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.kept]

    def to_json(self) -> dict[str, Any]:
        return {"note": self.note_id, "exit_code": self.exit_code,
                "kept": [v.path for v in self.verdicts if v.kept],
                "rejected": [{"path": v.path, "reason": v.reason} for v in self.rejected]}


def build_prompt(ws: Workspace, note: Note, affected: AffectedNote, report: AffectedReport) -> ReviewPrompt:
    """The agent-ready prompt for one note (`cairn.update_prompt`, shared with the editor)."""
    from cairn.update_prompt import AnchorChange, update_prompt

    changes = [AnchorChange(f"{anchor.path}:{anchor.lines[0]}-{anchor.lines[1]}"
                            + (f" (now in {anchor.head_path})" if anchor.head_path and anchor.head_path != anchor.path
                               else ""), _anchor_diff(ws, note, anchor))
               for anchor in affected.anchors]
    why = f"Commits {report.since[:10]}..{report.head[:10]} changed code that the note `{note.id}` describes."
    return ReviewPrompt(note.id, note.rel_path, update_prompt(ws, note, changes, why))


def _anchor_diff(ws: Workspace, note: Note, touched: Any) -> str:
    """The anchored code from when it was recorded to now; the range's hunks when that is unavailable."""
    from cairn.anchors import anchor_diff
    from cairn.errors import CairnError

    for anchor in note.anchors:
        if (anchor.path, anchor.start, anchor.end) == (touched.path, *touched.lines):
            try:
                text = anchor_diff(ws, anchor)
            except CairnError:
                break
            if text.strip():
                return text
            break
    return "\n".join(h.text() for h in touched.hunks)


def build_prompts(ws: Workspace, since: str | None = None) -> tuple[AffectedReport, list[ReviewPrompt]]:
    report = find_affected(ws, since)
    by_id = NoteStore(ws).load().by_id()
    prompts = [build_prompt(ws, by_id[a.id], a, report) for a in report.notes if a.id in by_id]
    return report, prompts


# ---- running an agent and checking what it did ------------------------------------------------
Snapshot = dict[str, bytes | None]


def snapshot(ws: Workspace) -> Snapshot:
    """Contents of every file that differs from HEAD (None: deleted), to compare with after the agent."""
    snap: Snapshot = {}
    for rel in dirty_paths(ws.root):
        snap[rel] = _content(ws, rel)
    return snap


def _content(ws: Workspace, rel: str) -> bytes | None:
    """A working-tree file's bytes, never read through a symlink: a symlink is its own marker value."""
    path = ws.root / rel
    if path.is_symlink():
        return b"\0symlink\0" + os.fsencode(os.readlink(path))
    return read_regular(ws.root, rel)


def head_bytes(ws: Workspace, rel: str) -> bytes | None:
    """HEAD's exact bytes of `rel`, in `_content`'s form (a symlink is its marker value); None when HEAD
    has no such file."""
    from cairn.gitio import open_repo

    repo = open_repo(ws.root)
    entry = repo.tree_entry("HEAD", rel)
    if entry is None or entry.kind != "blob":
        return None
    data = repo.read_object(entry.sha)
    if data is None:
        return None
    return b"\0symlink\0" + data if entry.is_symlink else data


def touched_files(ws: Workspace, before: Snapshot) -> dict[str, tuple[bytes | None, bytes | None]]:
    """Files whose content differs from `before`: path -> (before, after)."""
    after_paths = set(dirty_paths(ws.root)) | set(before)
    changes: dict[str, tuple[bytes | None, bytes | None]] = {}
    for rel in sorted(after_paths):
        now = _content(ws, rel)
        old = before[rel] if rel in before else head_bytes(ws, rel)
        if now != old:
            changes[rel] = (old, now)
    return changes


def _restore(ws: Workspace, rel: str, content: bytes | None) -> None:
    path = ws.root / rel
    if path.is_symlink():
        path.unlink()  # never write through a link the agent made
    if content is None:
        if path.is_file():
            path.unlink()
        return
    if content.startswith(b"\0symlink\0"):
        os.symlink(os.fsdecode(content[len(b"\0symlink\0"):]), path)
        return
    if not safe_dir(ws.root, path.parent):
        raise UsageError(f"{rel}: cannot restore: its folder is a symlink or outside the repository")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def validate_changes(ws: Workspace, changes: dict[str, tuple[bytes | None, bytes | None]]) -> list[Verdict]:
    """Keep valid note edits; restore everything else as it was. Returns one verdict per file."""
    import yaml

    from cairn.notes.document import Document, split
    from cairn.notes.yamlio import HANDLER

    store = NoteStore(ws)
    verdicts: list[Verdict] = []
    for rel, (old, new) in changes.items():
        path = ws.root / rel
        reason = ""
        if rel in (f"{ws.notes_root_rel}/{n}" for n in INDEX_NAMES):
            verdicts.append(Verdict(rel, True, "derived file (regenerated)"))
            continue
        if not store.is_note_file(path):
            reason = "not a note file: the agent may only edit notes"
        elif new is None:
            reason = "deleted a note: retire it with `status: archived` instead"
        else:
            parsed = store.parse_text(path, new)
            if isinstance(parsed, list):
                reason = f"invalid note: line {parsed[0].line}: {parsed[0].message}"
            elif old is not None:
                before_doc = split(old.decode("utf-8", "replace"))
                before_meta: Any = None
                if isinstance(before_doc, Document):
                    try:
                        before_meta = HANDLER.load(before_doc.fm_text)
                    except yaml.YAMLError:  # an unreadable "before" cannot lose fields
                        before_meta = None
                if isinstance(before_meta, dict):
                    lost = [k for k in before_meta if k not in parsed.meta]
                    if lost:
                        reason = f"removed frontmatter field(s): {', '.join(lost)}"
        if not reason:
            reason = refresh_anchors(ws, rel, old)
        if reason:
            _restore(ws, rel, old)
            verdicts.append(Verdict(rel, False, reason))
        else:
            verdicts.append(Verdict(rel, True))
    return verdicts


def refresh_anchors(ws: Workspace, rel: str, old: bytes | None) -> str:
    """After an agent's accepted edit of a note, make its anchors describe the code as it is now.

    An agent edits YAML by hand and cannot compute fingerprints: anchors whose path or lines it changed
    are re-recorded there, and every other anchor is re-anchored to the code's current (or replacing)
    lines, since the agent has just brought the note in line with that code: the note is marked
    reviewed (`cairn.reviewed.mark_reviewed`, which refuses an anchor whose code was deleted). A note the
    agent retired is left as it wrote it. Returns a rejection reason ("" when fine).
    """
    from cairn.anchors import record_anchor
    from cairn.errors import CairnError
    from cairn.reviewed import mark_reviewed

    store = NoteStore(ws)
    path = ws.root / rel
    note = store.read_file(path)
    if isinstance(note, list):
        return f"invalid note: line {note[0].line}: {note[0].message}"
    before = store.parse_text(path, old) if old is not None else []
    known = {(a.path, a.start, a.end) for a in before.anchors} if not isinstance(before, list) else set()
    try:
        anchors, moved = [], False
        for anchor in note.anchors:
            if (anchor.path, anchor.start, anchor.end) in known:
                anchors.append(dict(anchor.data))
                continue
            moved = True
            fresh = record_anchor(ws, ws.check_repo_path(anchor.path), anchor.start, anchor.end)
            anchors.append({**{k: v for k, v in anchor.data.items() if k not in fresh and k in _extra_keys(anchor)},
                            **fresh})
        if moved:
            note = store.set_anchors(note.id, note.version, anchors)
        if note.status == "active":
            # Kept in service: the agent confirmed it against the code now (deleted code is refused).
            mark_reviewed(ws, note.id, note.version)
        # A retired note (archived, superseded) keeps its anchors as they were: nothing to confirm.
    except CairnError as exc:
        return f"cannot anchor the edited note: {exc}"
    return ""


def _extra_keys(anchor: Any) -> set[str]:
    """Keys of an anchor mapping that are neither position nor fingerprint (kept when re-recording)."""
    from cairn.anchors.fingerprint import KEYS

    return {k for k in anchor.data if k not in ("path", "lines", "commit", *KEYS)}


def run_agent(ws: Workspace, prompt: ReviewPrompt, command: str, timeout: float | None = None) -> RunResult:
    """Pipe `prompt` to `command` in the repository root; validate and keep or restore what it changed."""
    argv = shlex.split(command)
    if not argv:
        raise UsageError("[review] agent is empty")
    before = snapshot(ws)
    head_before = _head(ws)
    try:
        proc = subprocess.run(argv, input=prompt.text, cwd=ws.root, capture_output=True, text=True,
                              timeout=timeout, check=False)
        code, output = proc.returncode, (proc.stdout or "") + (proc.stderr or "")
    except FileNotFoundError:
        raise UsageError(f"review agent {argv[0]!r} not found") from None
    except subprocess.TimeoutExpired:
        code, output = 124, "agent timed out"
    verdicts = validate_changes(ws, touched_files(ws, before))
    head_after = _head(ws)
    if head_after != head_before:
        # Commits are not undone (that would rewrite the user's branch); they are reported for review.
        verdicts.append(Verdict("HEAD", False, f"the agent made commits ({(head_before or 'none')[:10]}.."
                                f"{(head_after or 'none')[:10]}); it must only edit note files: review them"))
    if any(v.kept for v in verdicts):
        from cairn.notes.index_json import write_index_json

        write_index_json(NoteStore(ws))
    return RunResult(prompt.note_id, code, verdicts, output)


def _head(ws: Workspace) -> str | None:
    from cairn.gitio import open_repo

    return open_repo(ws.root).head()


ENV_AGENT = "CAIRN_REVIEW_AGENT"
GIT_CONFIG_AGENT = "cairn.reviewAgent"


def user_config_file() -> Path:
    """The user's own Cairn settings: `$XDG_CONFIG_HOME/cairn/config.toml` (default `~/.config/...`)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "cairn" / "config.toml"


def agent_command(ws: Workspace, override: str | None = None) -> tuple[str, str]:
    """The review agent command and where it came from: only the user's own settings, in this order.

    `--agent` on the command line, the `CAIRN_REVIEW_AGENT` environment variable, the repository's
    local git config `cairn.reviewAgent` (`.git/config`, includes not followed), then `[review] agent`
    in the user config file. Never a committed file: a pull request could otherwise make
    `cairn review --run` run any command (see `committed_agent_warning`).
    """
    if override and override.strip():
        return override, "--agent"
    env = os.environ.get(ENV_AGENT, "").strip()
    if env:
        return env, f"${ENV_AGENT}"
    if ws.git_dir is not None:
        local = config_get(ws.root, GIT_CONFIG_AGENT, includes=False)
        if local:
            return local, f"git config {GIT_CONFIG_AGENT}"
    path = user_config_file()
    if path.is_file():
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise UsageError(f"{path}: cannot read: {exc}") from None
        review = data.get("review")
        agent = review.get("agent") if isinstance(review, dict) else None
        if isinstance(agent, str) and agent.strip():
            return agent, str(path)
        if agent is not None:
            raise UsageError(f"{path}: [review] agent must be a command line")
    raise UsageError(f"no review agent configured: run `git config {GIT_CONFIG_AGENT} \"claude -p\"`, set "
                     f"{ENV_AGENT}, add [review] agent to {path}, or pass --agent")


def committed_agent_warning(ws: Workspace) -> str | None:
    """One line when the committed config names a review agent (ignored: commands come from the user)."""
    if not ws.config.review_agent:
        return None
    return (f"warning: ignoring [review] agent in {ws.notes_root_rel}/config.toml: a committed file never "
            f"chooses a command to run; set it with `git config {GIT_CONFIG_AGENT} ...`, {ENV_AGENT}, "
            f"{user_config_file()} or --agent")


__all__ = ["ReviewPrompt", "RunResult", "Verdict", "build_prompts", "run_agent", "snapshot",
           "touched_files", "validate_changes"]
