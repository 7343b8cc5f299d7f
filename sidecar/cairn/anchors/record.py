"""Recording an anchor at HEAD (minimal: path, lines, commit; the anchor engine adds fingerprints)."""

from __future__ import annotations

import subprocess
from typing import Any

from cairn.errors import UsageError
from cairn.workspace import Workspace


def record_anchor(ws: Workspace, path: str, start: int, end: int) -> dict[str, Any]:
    file = ws.resolve_repo_path(path)
    if not file.is_file():
        raise UsageError(f"anchor {path}: no such file")
    lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    if end > len(lines):
        raise UsageError(f"anchor {path}:{start}-{end}: the file has only {len(lines)} lines")
    data: dict[str, Any] = {"path": path, "lines": f"{start}-{end}"}
    head = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=ws.root, capture_output=True, text=True)
    if head.returncode == 0:
        data["commit"] = head.stdout.strip()
    return data
