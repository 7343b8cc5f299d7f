"""The compact fingerprint stored with each anchor, so it can be judged without its recorded commit.

Frontmatter keys (all optional except path/lines; older or hand-written anchors simply have fewer):

```yaml
- path: src/auth/session.py
  lines: 10-42
  commit: 3f2c1ab...            # HEAD when recorded (absent in a repository without commits)
  blob: 9c1d0e4f5a6b            # 12-hex git blob id of the whole file as anchored (may be uncommitted)
  hash: 1a2b3c4d5e6f7081        # exact hash of the anchored lines (line endings normalised)
  ws: 9f8e7d6c5b4a3f2e          # the same with all whitespace removed
  lh: a1b2c3 d4e5f6 ...         # 6-hex whitespace-insensitive hash of each anchored line
  ctx: 0a1b2c 3d4e5f 6a7b8c | 9d0e1f 2a3b4c 5d6e7f   # 3 nearest non-blank lines above | below
```

`blob` lets the engine fetch the exact anchored file even when the commit is gone (squash, rebase) as
long as that content exists anywhere in the object store, and makes "file unchanged" a dictionary
lookup. `hash`/`ws` decide intact vs reformatted vs changed; `lh` and `ctx` let the engine align the
block inside a file it has never seen and tell duplicated blocks and one-line anchors apart by their
surroundings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cairn.anchors.text import block_hash, line_hash, nonblank_neighbours, ws_hash

CONTEXT_LINES = 3
KEYS = ("blob", "hash", "ws", "lh", "ctx")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    return str(value).strip() or None


@dataclass(frozen=True)
class Fingerprint:
    blob: str | None
    hash: str | None
    ws: str | None
    line_hashes: tuple[str, ...]
    above: tuple[str, ...]
    below: tuple[str, ...]

    @property
    def usable(self) -> bool:
        """Enough to judge by content alone."""
        return bool(self.hash and self.ws and self.line_hashes)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Fingerprint:
        lh = _text(data.get("lh"))
        ctx = _text(data.get("ctx")) or ""
        above, _, below = ctx.partition("|")
        return cls(
            blob=_text(data.get("blob")),
            hash=_text(data.get("hash")),
            ws=_text(data.get("ws")),
            line_hashes=tuple(lh.split()) if lh else (),
            above=tuple(above.split()),
            below=tuple(below.split()),
        )

    @classmethod
    def of(cls, lines: Sequence[str], start: int, end: int, blob: str | None) -> Fingerprint:
        """Fingerprint of lines `start..end` (1-based inclusive) of a file's `lines`."""
        block = lines[start - 1:end]
        up, down = nonblank_neighbours(lines, start - 1, end - 1, CONTEXT_LINES)
        return cls(
            blob=blob[:12] if blob else None,
            hash=block_hash(block),
            ws=ws_hash(block),
            line_hashes=tuple(line_hash(line) for line in block),
            above=tuple(line_hash(lines[i]) for i in up),
            below=tuple(line_hash(lines[i]) for i in down),
        )

    def to_data(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.blob:
            out["blob"] = self.blob
        if self.hash:
            out["hash"] = self.hash
        if self.ws:
            out["ws"] = self.ws
        if self.line_hashes:
            out["lh"] = " ".join(self.line_hashes)
        if self.above or self.below:
            out["ctx"] = f"{' '.join(self.above)} | {' '.join(self.below)}".strip()
        return out
