"""How fresh a note is, for ranking and for the line an agent reads.

Staleness is the anchor engine's call (`cairn.anchors.engine.Checker`); this module only turns its
verdicts into (a) one human line per note and (b) a ranking factor:

* fresh (not expired): `0.8 + 0.2 * 0.5 ** (age / half_life)`, in (0.8, 1]: recently reviewed first,
  and an old-but-valid note never falls below an expired one;
* expired (reviewed + ttl is past): `0.35 + 0.3 * 0.5 ** (overdue / half_life)`: starts below any fresh
  note and decays towards 0.35 with the half-life of its kind (`[kinds.<kind>] half_life` in
  config.toml). The floor keeps an expired note about *this line* above fresh notes about other files:
  expired means "nobody confirmed it lately", not "wrong";
* stale (anchored code changed or deleted): the above times 0.5: kept in the pack, ranked lower, and
  marked with the commit that changed the code;
* status: superseded x 0.4, archived x 0.25.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cairn.index.fields import STATUS_WEIGHT
from cairn.timeutil import format_age

if TYPE_CHECKING:
    from cairn.notes.model import Note
    from cairn.workspace import Workspace

STALE_FACTOR = 0.5
STATUS_FACTOR = STATUS_WEIGHT
_DEFAULT_HALF_LIFE = timedelta(days=120)


# Internal records are plain dataclasses (no frozen/eq): each generated method is compiled when the
# module is imported, and `cairn recall` imports everything afresh in every process.
@dataclass(eq=False)
class AnchorState:
    """One anchor as recall reports it."""

    label: str  # as recorded, `path:start-end`
    status: str  # intact | moved | reformatted | changed | deleted
    current: tuple[str, int, int] | None  # where the code is now (None when stale)
    changed_in: str | None  # full sha, "uncommitted" or None
    message: str
    where: str = ""  # `src/a.py:14-20 (recorded 10-16)`: the place now first, the recorded one second


@dataclass(eq=False)
class Freshness:
    """A note's freshness: its state, the line shown for it, and its ranking factor."""

    state: str  # fresh | stale | expired
    line: str
    factor: float
    anchors: tuple[AnchorState, ...]


def decay(note_kind: str, reviewed: datetime | None, expires: datetime | None, now: datetime,
          half_lives: dict[str, timedelta]) -> tuple[bool, float]:
    """(expired, factor) from review dates alone: the ranking factor before anchors are judged."""
    half = half_lives.get(note_kind, _DEFAULT_HALF_LIFE).total_seconds() or 1.0
    if expires is not None and now >= expires:
        overdue = (now - expires).total_seconds()
        return True, 0.35 + 0.3 * 0.5 ** (overdue / half)
    age = max(0.0, (now - reviewed).total_seconds()) if reviewed else half
    return False, 0.8 + 0.2 * 0.5 ** (age / half)


def half_lives(ws: Workspace) -> dict[str, timedelta]:
    return {name: kind.half_life for name, kind in ws.config.kinds.items()}


class Assessor:
    """Judges notes' anchors for one recall (one engine Checker: files and verdicts are cached)."""

    def __init__(self, ws: Workspace, target: Any = None, checker: Any = None) -> None:
        from cairn.anchors.engine import Checker

        self.ws = ws
        self._own = checker is None
        # A one-shot recall judges a dozen anchors: cheaper than loading and saving the persistent
        # verdict cache, which holds every anchor of the repository (1 MB at 10,000 notes). Long-lived
        # callers pass their own Checker, cache and all.
        self.checker = checker or Checker(ws, target, use_cache=False)

    @property
    def owns_checker(self) -> bool:
        """Whether the checker was made for this assessor (so its HEAD was read just now)."""
        return self._own

    @property
    def head(self) -> str | None:
        head = getattr(self.checker, "head", None)
        return head if isinstance(head, str) else None

    def assess(self, notes: Sequence[Note], now: datetime) -> dict[str, Freshness]:
        report = self.checker.check(notes, now=now)
        lives = half_lives(self.ws)
        out: dict[str, Freshness] = {}
        for checked in report.notes:
            note = checked.note
            if note is None:
                continue
            expired, factor = decay(note.kind, note.last_reviewed, note.expires_at(self.ws.config), now, lives)
            anchors = tuple(
                AnchorState(v.anchor.label(), v.status, v.current, v.changed_in, v.message, v.where)
                for v in checked.anchors
            )
            stale = [a for a in anchors if a.status in ("changed", "deleted")]
            line = _line(note, stale, expired, now, self.ws)
            if stale:
                factor *= STALE_FACTOR
            factor *= STATUS_FACTOR.get(note.status, 1.0)
            state = "stale" if stale else ("expired" if expired else "fresh")
            out[note.id] = Freshness(state, line, factor, anchors)
        return out

    def close(self) -> None:
        if self._own:
            self.checker.close()


def _line(note: Note, stale: list[AnchorState], expired: bool, now: datetime, ws: Workspace) -> str:
    reviewed = note.last_reviewed
    age = format_age(now - reviewed) if reviewed else "at an unknown date"
    if stale:
        first = stale[0]
        more = f" (and {len(stale) - 1} more anchor{'s' if len(stale) > 2 else ''})" if len(stale) > 1 else ""
        # The engine's message names the commit and the place (now first, as recorded second).
        text = f"STALE: {first.message}{more}; check the code before relying on this note"
        if expired:
            text += f"; also expired: last reviewed {age}"
        return text
    if expired:
        return f"expired: last reviewed {age}"
    commits = [a.data.get("commit") for a in note.anchors if isinstance(a.data.get("commit"), str)]
    if commits:
        return f"fresh, verified at {str(commits[-1])[:7]} {age}"
    return f"fresh, reviewed {age}"
