"""Project configuration: which kinds of note exist, how long they stay fresh, where notes live.

Read from `[tool.cairn]` in `pyproject.toml` (useful to move the notes root) and then from
`<notes root>/config.toml` (written by `cairn init`); the latter wins key by key. Everything has a
default, so a repository with no configuration at all works.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from cairn.errors import CairnError
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
    review_agent: str | None = None
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

# [review]
# agent = "claude -p"   # command `cairn review --run` pipes each prompt to
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
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < 50:
            raise CairnError("[recall] budget must be an integer of at least 50 tokens", path=where)
    session_budget = config.session_budget
    if isinstance(recall, dict) and "session_budget" in recall:
        session_budget = recall["session_budget"]
        if not isinstance(session_budget, int) or isinstance(session_budget, bool) or session_budget < 50:
            raise CairnError("[recall] session_budget must be an integer of at least 50 tokens", path=where)
    agent = config.review_agent
    review = data.get("review", {})
    if isinstance(review, dict) and "agent" in review:
        agent = review["agent"]
        if not isinstance(agent, str) or not agent.strip():
            raise CairnError("[review] agent must be a command line", path=where)
    sources = f"{config.source}, {where}" if config.source else where
    return replace(config, notes_root=root.strip().strip("/"), kinds=kinds, recall_budget=budget,
                   session_budget=session_budget, review_agent=agent, source=sources)


def load_config(repo_root: Path, notes_root_override: str | None = None) -> Config:
    """The configuration for the repository at `repo_root`.

    `notes_root_override` (e.g. from the editor's `cairn.notesRoot` setting) wins over files.
    """
    config = Config()
    pyproject = repo_root / "pyproject.toml"
    if pyproject.is_file():
        tool = _read_toml(pyproject).get("tool", {}).get("cairn")
        if isinstance(tool, dict):
            config = _apply(config, tool, pyproject)
    if notes_root_override:
        config = _apply(config, {"notes_root": notes_root_override}, Path("<override>"))
    local = repo_root / config.notes_root / CONFIG_FILE
    if local.is_file():
        data = _read_toml(local)
        data.pop("notes_root", None)  # the notes root cannot be moved from inside itself
        config = _apply(config, data, local)
    return config
