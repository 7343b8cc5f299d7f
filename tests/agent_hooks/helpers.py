"""Feeding recorded Claude Code hook inputs to the real `cairn agent-hook` command."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import GitRepo
from tests.mcp.helpers import CAIRN_BIN, cairn_env

SAMPLES = Path(__file__).parent / "samples"
PLACEHOLDER = "/path/to/repo"
EVENTS = {"SessionStart": "session-start", "PostToolUse": "post-tool-use", "Stop": "stop"}


def sample(name: str, repo: GitRepo, session: str | None = None) -> dict[str, Any]:
    """A recorded input with the placeholder repository path replaced by `repo`'s root."""
    text = (SAMPLES / f"{name}.json").read_text(encoding="utf-8").replace(PLACEHOLDER, str(repo.root))
    data: dict[str, Any] = json.loads(text)
    if session is not None:
        data["session_id"] = session
    return data


def apply_edit(repo: GitRepo, payload: dict[str, Any]) -> None:
    """Do to the file what the tool in `payload` did (the hook runs after the tool)."""
    tool, args = payload["tool_name"], payload["tool_input"]
    path = Path(args.get("file_path") or args["notebook_path"])
    if tool == "Write":
        path.write_text(args["content"], encoding="utf-8")
        return
    if tool == "NotebookEdit":
        path.write_text(json.dumps({"cells": [{"source": args["new_source"]}]}), encoding="utf-8")
        return
    text = path.read_text(encoding="utf-8")
    edits = args["edits"] if tool == "MultiEdit" else [args]
    for edit in edits:
        assert edit["old_string"] in text, f"sample edit does not apply: {edit['old_string']!r}"
        text = text.replace(edit["old_string"], edit["new_string"], 1)
    path.write_text(text, encoding="utf-8")


def run_hook(repo: GitRepo, payload: dict[str, Any] | str, event: str | None = None,
             **env: str) -> dict[str, Any] | None:
    """Run the hook command as Claude Code does (JSON on stdin, from the repository); its JSON answer or None.

    Asserts the hook's contract: exit 0, nothing on stderr, stdout empty or one JSON object.
    """
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    name = event or EVENTS[payload["hook_event_name"]]  # type: ignore[index]
    proc = subprocess.run([CAIRN_BIN, "agent-hook", name], cwd=repo.root, input=raw, capture_output=True, text=True,
                          timeout=120, env=cairn_env(repo, **env))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    if not proc.stdout.strip():
        return None
    answer: dict[str, Any] = json.loads(proc.stdout)
    return answer


def context_of(answer: dict[str, Any] | None, event: str) -> str:
    assert answer is not None, f"{event}: the hook printed nothing"
    out = answer["hookSpecificOutput"]
    assert out["hookEventName"] == event
    text: str = out["additionalContext"]
    return text
