"""Fixtures for search and recall: small temporary repositories and the realistic corpus.

The corpus (`tests/recall_corpus/`) is a small web service (`code/`) and 66 notes about it (`notes/`).
Its notes name anchors by symbol (`symbol: refresh_session`) instead of line numbers, so the code can be
edited without renumbering; `build_corpus` resolves each symbol to its lines, records the anchor with the
real anchor engine at the commit that holds the code (fingerprints and all), writes real Cairn notes
and commits them, in a throwaway repository (never this repository's history).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

CORPUS = Path(__file__).resolve().parent.parent / "recall_corpus"
# The corpus's review dates are written relative to this instant; tests pass it as `now`.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author", "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV, "HOME": str(root.parent)}
    done = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {done.stderr}")
    return done.stdout.strip()


def init_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "commit.gpgsign", "false")
    return root


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD")


def _balance(line: str) -> int:
    return sum(line.count(c) for c in "([{") - sum(line.count(c) for c in ")]}")


def symbol_range(lines: list[str], symbol: str) -> tuple[int, int]:
    """1-based inclusive lines of a def/class block or an assignment statement named `symbol`."""
    name = re.escape(symbol)
    pattern = re.compile(rf"^(\s*)(?:async\s+)?(?:def|class)\s+{name}\b|^(\s*){name}\s*(?::[^=]*)?=(?!=)")
    for i, line in enumerate(lines):
        match = pattern.match(line)
        if not match:
            continue
        indent = len(match.group(1) if match.group(1) is not None else match.group(2))
        depth, end, j = _balance(line), i, i + 1
        while j < len(lines):
            text = lines[j]
            if text.strip():
                if depth <= 0 and len(text) - len(text.lstrip()) <= indent:
                    break
                depth += _balance(text)
                end = j
            j += 1
        return i + 1, end + 1
    raise AssertionError(f"symbol {symbol!r} not found")


def resolve_target(root: Path, target: str) -> tuple[str, int | None]:
    """`path`, `path:LINE` or `path#symbol` (→ the line after the symbol's first line)."""
    if "#" in target:
        path, symbol = target.split("#", 1)
        start, end = symbol_range((root / path).read_text().splitlines(), symbol)
        return path, min(start + 1, end)
    path, sep, line = target.rpartition(":")
    if sep and line.isdigit():
        return path, int(line)
    return target, None


def build_corpus(root: Path) -> Path:
    """The corpus as a real repository: code committed, then notes anchored with the engine."""
    from cairn.anchors.record import record_anchor
    from cairn.notes.document import render
    from cairn.notes.yamlio import NoteLoader
    from cairn.workspace import Workspace

    init_repo(root)
    shutil.copytree(CORPUS / "code", root, dirs_exist_ok=True)
    commit_all(root, "Shop service")
    ws = Workspace.at(root)
    for source in sorted((CORPUS / "notes").rglob("*.md")):
        text = source.read_text(encoding="utf-8")
        _, fm, body = text.split("---\n", 2)
        meta: dict[str, Any] = yaml.load(fm, Loader=NoteLoader)
        anchors = []
        for item in meta.get("anchors", []) or []:
            lines = (root / item["path"]).read_text(encoding="utf-8").splitlines()
            start, end = symbol_range(lines, item["symbol"])
            anchors.append(record_anchor(ws, item["path"], start, end))
        if anchors:
            meta["anchors"] = anchors
        else:
            meta.pop("anchors", None)
        target = root / "agent-context" / source.relative_to(CORPUS / "notes")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(meta, "\n" + body), encoding="utf-8")
    commit_all(root, "Notes about the shop")
    return root


@pytest.fixture(scope="session")
def corpus_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_corpus(tmp_path_factory.mktemp("corpus") / "shop")


def write_note(root: Path, note_id: str, title: str, kind: str = "decision", body: str = "Body.",
               tags: tuple[str, ...] = (), anchors: tuple[tuple[str, int, int], ...] = (),
               reviewed: str = "2026-11-20T10:00:00Z", status: str = "active", record: bool = True) -> Path:
    """Write a note file directly (anchors recorded with the engine when `record`)."""
    from cairn.anchors.record import record_anchor
    from cairn.notes.document import render
    from cairn.workspace import Workspace

    meta: dict[str, Any] = {"title": title, "kind": kind, "tags": list(tags), "status": status,
                            "created": reviewed, "reviewed": reviewed}
    if anchors:
        ws = Workspace.at(root)
        meta["anchors"] = [record_anchor(ws, p, s, e) if record else {"path": p, "lines": f"{s}-{e}"}
                           for p, s, e in anchors]
    path = root / "agent-context" / f"{note_id}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(meta, "\n" + body.strip() + "\n"), encoding="utf-8")
    return path


CODE = "".join(f"def handler_{i}(request):\n    value = {i}\n    return value * 2\n\n" for i in range(1, 21))


@pytest.fixture
def small_repo(tmp_path: Path) -> Path:
    """A repository with src/app/api.py (20 functions of 4 lines; handler_N at line 4N-3) committed."""
    root = init_repo(tmp_path / "repo")
    (root / "src" / "app").mkdir(parents=True)
    (root / "src" / "app" / "api.py").write_text(CODE, encoding="utf-8")
    (root / "src" / "app" / "db.py").write_text("class Pool:\n    size = 4\n", encoding="utf-8")
    (root / "src" / "other").mkdir(parents=True)
    (root / "src" / "other" / "jobs.py").write_text("def run():\n    pass\n", encoding="utf-8")
    commit_all(root, "code")
    return root


@pytest.fixture(scope="session")
def helpers() -> Any:
    """This module (CORPUS, NOW, write_note, resolve_target, git...) for tests: with pytest's importlib
    import mode a test module cannot import its conftest by name."""
    import sys

    return sys.modules[__name__]
