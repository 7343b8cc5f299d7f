"""Project configuration: which kinds of note exist, how long they stay fresh, where notes live.

Read from `[tool.cairn]` in `pyproject.toml` (useful to move the notes root) and then from
`<notes root>/config.toml` (written by `cairn init`); the latter wins key by key. Everything has a
default, so a repository with no configuration at all works.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from cairn.errors import CairnError
from cairn.limits import MIN_BUDGET
from cairn.timeutil import parse_duration

DEFAULT_NOTES_ROOT = "agent-context"
CONFIG_FILE = "config.toml"


@dataclass(frozen=True)
class KindConfig:
    """Per-kind freshness: `ttl` until a note expires unreviewed, `half_life` for recall's decay."""

    ttl: timedelta | None
    half_life: timedelta


DEFAULT_KINDS: dict[str, KindConfig] = {
    "decision": KindConfig(ttl=timedelta(days=365), half_life=timedelta(days=180)),
    "pattern": KindConfig(ttl=timedelta(days=180), half_life=timedelta(days=120)),
    "gotcha": KindConfig(ttl=timedelta(days=90), half_life=timedelta(days=60)),
    # What one agent session changed and why: useful to the next few sessions, then it should fade.
    "session": KindConfig(ttl=timedelta(days=30), half_life=timedelta(days=7)),
}


@dataclass(frozen=True)
class Config:
    """The effective configuration of one workspace."""

    notes_root: str = DEFAULT_NOTES_ROOT
    kinds: dict[str, KindConfig] = field(default_factory=lambda: dict(DEFAULT_KINDS))
    recall_budget: int = 2000
    session_budget: int = 800  # tokens of the pack an agent gets at session start (agent hooks)
    review_agent: str | None = None  # a committed `[review] agent`: only ever warned about, never run
    max_file_bytes: int = 5 * 1024 * 1024  # anchored files above this are judged by blob id only
    # The SessionStart hook starts `cairn daemon` in a repository with this many notes (0: never), so an
    # agent's edit hooks stay fast where a whole process would re-read thousands of notes per edit.
    daemon_at_notes: int = 1000
    source: str | None = None  # the file(s) the configuration came from, for messages

    def kind(self, name: str) -> KindConfig | None:
        return self.kinds.get(name)


DEFAULT_CONFIG_TOML = """\
# Cairn configuration. Kinds of note, and how long each stays fresh without a review.
# ttl: a note not reviewed for this long is reported as expired.
# half_life: recall ranks a note half as high after this long without review.

[kinds.decision]
ttl = "365d"
half_life = "180d"

[kinds.pattern]
ttl = "180d"
half_life = "120d"

[kinds.gotcha]
ttl = "90d"
half_life = "60d"

[kinds.session]   # what an agent session changed and why; fades fast
ttl = "30d"
half_life = "7d"

[recall]
budget = 2000   # tokens in a context pack
session_budget = 800   # tokens of the pack an agent gets when its session starts (agent hooks)

# [anchors]
# max_file_size = "5MB"   # larger anchored files are judged by blob id only (never read)

# [agents]
# daemon_at_notes = 1000   # the agent's SessionStart hook starts `cairn daemon` from this many notes (0: never)

# The review agent (`cairn review --run`) is NOT read from this committed file: set it in your own
# settings (`git config cairn.reviewAgent "claude -p"`, ~/.config/cairn/config.toml, CAIRN_REVIEW_AGENT).
"""


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise CairnError(f"invalid TOML: {exc}", path=str(path)) from None
    except OSError as exc:
        raise CairnError(f"cannot read: {exc.strerror}", path=str(path)) from None


def _apply(config: Config, data: dict[str, Any], source: Path) -> Config:
    where = str(source)
    root = data.get("notes_root", config.notes_root)
    if not isinstance(root, str) or not root.strip() or Path(root).is_absolute() or ".." in Path(root).parts:
        raise CairnError("notes_root must be a relative path inside the repository", path=where)
    parts = [p for p in Path(root.strip()).parts if p not in ("", ".")]
    if not parts or parts[0] == ".git":
        raise CairnError("notes_root must be a folder inside the repository (not `.` or `.git`)", path=where)
    kinds = dict(config.kinds)
    raw_kinds = data.get("kinds", {})
    if not isinstance(raw_kinds, dict):
        raise CairnError("[kinds] must be a table of tables", path=where)
    for name, spec in raw_kinds.items():
        if not isinstance(spec, dict):
            raise CairnError(f"[kinds.{name}] must be a table", path=where)
        base = kinds.get(name, KindConfig(ttl=None, half_life=timedelta(days=120)))
        try:
            ttl = base.ttl
            if "ttl" in spec:
                ttl = None if spec["ttl"] in ("", "none", None) else parse_duration(spec["ttl"])
            half_life = parse_duration(spec["half_life"]) if "half_life" in spec else base.half_life
        except ValueError as exc:
            raise CairnError(f"[kinds.{name}]: {exc}", path=where) from None
        kinds[name] = KindConfig(ttl=ttl, half_life=half_life)
    budget = config.recall_budget
    recall = data.get("recall", {})
    if isinstance(recall, dict) and "budget" in recall:
        budget = recall["budget"]
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < MIN_BUDGET:
            raise CairnError(f"[recall] budget must be an integer of at least {MIN_BUDGET} tokens", path=where)
    session_budget = config.session_budget
    if isinstance(recall, dict) and "session_budget" in recall:
        session_budget = recall["session_budget"]
        if not isinstance(session_budget, int) or isinstance(session_budget, bool) or session_budget < MIN_BUDGET:
            raise CairnError(f"[recall] session_budget must be an integer of at least {MIN_BUDGET} tokens", path=where)
    agent = config.review_agent
    review = data.get("review", {})
    if isinstance(review, dict) and isinstance(review.get("agent"), str) and review["agent"].strip():
        agent = review["agent"]  # kept only to warn that it is ignored (cairn.review.agent_command)
    max_bytes = config.max_file_bytes
    anchors = data.get("anchors", {})
    if isinstance(anchors, dict) and "max_file_size" in anchors:
        max_bytes = parse_size(anchors["max_file_size"], where)
    daemon_at = config.daemon_at_notes
    agents = data.get("agents", {})
    if isinstance(agents, dict) and "daemon_at_notes" in agents:
        daemon_at = agents["daemon_at_notes"]
        if not isinstance(daemon_at, int) or isinstance(daemon_at, bool) or daemon_at < 0:
            raise CairnError("[agents] daemon_at_notes must be a whole number of notes (0: never)", path=where)
    sources = f"{config.source}, {where}" if config.source else where
    return replace(config, notes_root=root.strip().strip("/"), kinds=kinds, recall_budget=budget,
                   session_budget=session_budget, review_agent=agent, max_file_bytes=max_bytes,
                   daemon_at_notes=daemon_at, source=sources)


def parse_size(value: object, where: str) -> int:
    """`5MB`, `512KB`, `1048576` → bytes (at least 1 KB, at most 1 GB)."""
    text = str(value).strip().upper() if not isinstance(value, bool) else ""
    factor = 1
    for suffix, mult in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10), ("B", 1)):
        if text.endswith(suffix):
            text, factor = text[:-len(suffix)].strip(), mult
            break
    try:
        size = int(float(text) * factor) if text else -1
    except (ValueError, OverflowError):
        size = -1
    if not (1024 <= size <= 1 << 30):
        raise CairnError("[anchors] max_file_size must be a size between 1KB and 1GB, e.g. \"5MB\"", path=where)
    return size


def _plain_file(repo_root: Path, rel: str) -> bool:
    """Whether `rel` is a regular file reached without any symlink (a committed link is never read)."""
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    full = os.path.join(os.path.realpath(repo_root), *parts)
    return os.path.realpath(full) == full and os.path.isfile(full)


def load_config(repo_root: Path, notes_root_override: str | None = None) -> Config:
    """The configuration for the repository at `repo_root`.

    `notes_root_override` (e.g. from the editor's `cairn.notesRoot` setting) wins over files.
    """
    config = Config()
    pyproject = repo_root / "pyproject.toml"
    if _plain_file(repo_root, "pyproject.toml"):
        tool = _read_toml(pyproject).get("tool", {}).get("cairn")
        if isinstance(tool, dict):
            config = _apply(config, tool, pyproject)
    if notes_root_override:
        config = _apply(config, {"notes_root": notes_root_override}, Path("<override>"))
    local = repo_root / config.notes_root / CONFIG_FILE
    if _plain_file(repo_root, f"{config.notes_root}/{CONFIG_FILE}"):
        data = _read_toml(local)
        data.pop("notes_root", None)  # the notes root cannot be moved from inside itself
        config = _apply(config, data, local)
    return config
