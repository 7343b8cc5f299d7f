"""What the committed agent configuration shares: the launcher that finds Cairn, and reading a JSON file.

`cairn init --agents` (`agents.py`: the MCP server entries) and the agent hooks' installer
(`agent_hooks/install.py`: `.claude/settings.json`) both write files every teammate uses, so both run
Cairn through the same `sh` search below, and both merge into a JSON object the user may have written
by hand, read with the same strict, one-line-error rules. Kept apart from both so neither imports the
other.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cairn.errors import CairnError

# Where a teammate's Cairn is, in order: their own override, the repository's untracked virtualenv
# (a `.venv` holding tracked files came from a commit and is skipped), `cairn` on PATH, the folder pipx
# and `uv tool` install into, an interpreter that can import cairn, then uvx fetching the package.
# `$0` is the subcommand (`mcp`), passed as the first argument after the script as `sh -c` does.
LAUNCHER = (
    'r=$(git rev-parse --show-toplevel 2>/dev/null || pwd); '
    'v="$r/.venv/bin/cairn"; [ -n "$(git -C "$r" ls-files -- .venv 2>/dev/null)" ] && v=; '
    'for c in "$CAIRN_BIN" "$v" "$(command -v cairn)" "$HOME/.local/bin/cairn"; do '
    '[ -n "$c" ] && [ -x "$c" ] && exec "$c" "$0"; done; '
    'for p in python3 python; do command -v $p >/dev/null && $p -c "import cairn" 2>/dev/null '
    '&& exec $p -m cairn "$0"; done; '
    'command -v uvx >/dev/null && exec uvx --from cairn-context cairn "$0"; '
    'echo "cairn: not installed; pipx install cairn-context (or set CAIRN_BIN)" >&2; exit 127'
)


def load_json_object(path: Path) -> dict[str, Any]:
    """The JSON object in `path` ({} when the file is missing or blank); a one-line CairnError naming the
    file when it is not valid JSON or not an object, so nothing the user wrote is overwritten."""
    if not path.is_file():
        return {}
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CairnError(f"not valid JSON ({exc}); fix it or remove it, then run again", path=str(path)) from None
    if not isinstance(data, dict):
        raise CairnError("expected a JSON object at the top level", path=str(path))
    return data


__all__ = ["LAUNCHER", "load_json_object"]
