"""Stress: 8 processes (4 through the CLI, 4 through MCP) x 50 conditional writes to 5 notes.

Every write either lands or is refused as a conflict (and retried with the new version); at the end
every note parses, index.json is valid, and every one of the 400 appended lines is there exactly once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import GitRepo
from tests.mcp.helpers import cairn, cairn_env, setup_repo_with_note

WORKER = Path(__file__).parent / "mcp" / "stress_worker.py"
PROCESSES = 8
WRITES = int(os.environ.get("CAIRN_STRESS_WRITES", "50"))
NOTES = 5


def test_concurrent_writers_lose_nothing(repo: GitRepo) -> None:
    setup_repo_with_note(repo)
    ids = []
    for i in range(NOTES):
        out = cairn(repo, "add", "--kind", "pattern", "--title", f"stress note {i}", "--body", "start", check=True)
        ids.append(out.stdout.strip().removeprefix("agent-context/").removesuffix(".md"))
    start = time.perf_counter()
    procs = [
        subprocess.Popen([sys.executable, str(WORKER), "cli" if w % 2 == 0 else "mcp", str(w), str(WRITES), *ids],
                         cwd=repo.root, env=cairn_env(repo), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
        for w in range(PROCESSES)
    ]
    stats = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-2000:]
        stats.append(json.loads(out.strip().splitlines()[-1]))
    elapsed = time.perf_counter() - start
    landed = sum(s["landed"] for s in stats)
    conflicts = sum(s["conflicts"] for s in stats)
    summary = (f"stress: {PROCESSES} processes x {WRITES} writes to {NOTES} notes: {landed} landed, "
               f"{conflicts} conflicts retried, {elapsed:.1f} s")
    print(summary)
    if os.environ.get("CAIRN_STRESS_OUT"):
        Path(os.environ["CAIRN_STRESS_OUT"]).write_text(summary + "\n")
    assert landed == PROCESSES * WRITES

    listed = cairn(repo, "list", "--json")
    assert listed.returncode == 0, listed.stderr  # every note parses
    seen: list[str] = []
    for note_id in ids:
        body = json.loads(cairn(repo, "show", note_id, "--json", check=True).stdout)["body"]
        seen += [line for line in body.splitlines() if line.startswith("stress-w")]
    expected = {f"stress-w{w}-k{k}" for w in range(PROCESSES) for k in range(WRITES)}
    assert len(seen) == len(expected) and set(seen) == expected
    index = json.loads(repo.read("agent-context/index.json"))
    assert set(ids) <= set(index["notes"])
