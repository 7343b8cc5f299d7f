"""Helpers for anchor tests: record anchors in a temporary repository and judge them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cairn.anchors import AnchorVerdict, Checker, Target, record_anchor
from cairn.gitio import forget_repo
from cairn.notes import Anchor
from cairn.workspace import Workspace


def py_module(name: str, count: int, start: int = 0) -> str:
    """A real-looking Python module with `count` distinct functions (4 lines each + blank line)."""
    out = [f'"""Module {name}."""', "", "import os", ""]
    for i in range(start, start + count):
        out += [
            f"def {name}_func_{i}(value, options=None):",
            f"    result = compute_{i}(value) + {i}",
            f"    log.debug('{name} step {i}: %s', result)",
            "    return result",
            "",
        ]
    return "\n".join(out) + "\n"


def func_lines(text: str, name: str) -> tuple[int, int]:
    """1-based line range of `def name` through its `return`."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(f"def {name}("))
    end = start
    while not lines[end].strip().startswith("return"):
        end += 1
    return start + 1, end + 1


def ws_of(root: Path) -> Workspace:
    forget_repo(root)
    return Workspace.at(root)


def anchor_of(data: dict[str, Any]) -> Anchor:
    start, _, end = str(data["lines"]).partition("-")
    return Anchor(data["path"], int(start), int(end or start), data.get("commit"), dict(data))


def record(root: Path, path: str, start: int, end: int) -> dict[str, Any]:
    return record_anchor(ws_of(root), path, start, end)


def judge(root: Path, data: dict[str, Any], target: Target | None = None) -> AnchorVerdict:
    ws = ws_of(root)
    with Checker(ws, target, use_cache=False) as checker:
        return checker.verdict(anchor_of(data))


def cur(v: AnchorVerdict) -> tuple[str, int, int] | None:
    return v.current
