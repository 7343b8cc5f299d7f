"""One writer of the stress test: appends unique lines to notes with expected versions, retrying on conflict.

usage: stress_worker.py cli|mcp WORKER_ID WRITES NOTE_ID...   (run in the repository; prints JSON stats)
Every write must either land or be refused as a conflict; anything else exits non-zero.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

CAIRN = str(Path(sys.executable).parent / "cairn")


def version_of(note_id: str) -> str:
    """The store's version token, read straight from the file (what `cairn show --json` would print)."""
    return hashlib.sha256(Path(f"agent-context/{note_id}.md").read_bytes()).hexdigest()[:16]


def run_cli(worker: int, writes: int, notes: list[str]) -> dict[str, Any]:
    stats = {"landed": 0, "conflicts": 0}
    for k in range(writes):
        note_id = notes[(worker + k) % len(notes)]
        line = f"stress-w{worker}-k{k}"
        while True:
            version = version_of(note_id)
            proc = subprocess.run([CAIRN, "update", note_id, "--version", version, "--append", line],
                                  capture_output=True, text=True, timeout=60)
            if proc.returncode == 0:
                stats["landed"] += 1
                break
            if proc.returncode == 2 and "changed since you read it" in proc.stderr:
                stats["conflicts"] += 1
                continue
            raise SystemExit(f"cli write failed ({proc.returncode}): {proc.stderr}")
    return stats


async def run_mcp(worker: int, writes: int, notes: list[str]) -> dict[str, Any]:
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    stats = {"landed": 0, "conflicts": 0}
    params = StdioServerParameters(command=CAIRN, args=["mcp"], cwd=str(Path.cwd()), env=dict(__import__("os").environ))
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        for k in range(writes):
            note_id = notes[(worker + k) % len(notes)]
            line = f"stress-w{worker}-k{k}"
            while True:
                got = await session.call_tool("get_note", {"id": note_id})
                if got.is_error:
                    raise SystemExit(f"get_note failed: {got.content}")
                version = json.loads(got.content[0].text)["version"]
                res = await session.call_tool("update_note", {"id": note_id, "version": version, "append": line})
                text = "".join(getattr(c, "text", "") for c in res.content)
                if not res.is_error:
                    stats["landed"] += 1
                    break
                if text.startswith("conflict:"):
                    stats["conflicts"] += 1
                    continue
                raise SystemExit(f"mcp write failed: {text}")
    return stats


def main() -> int:
    mode, worker, writes, notes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    if mode == "cli":
        stats = run_cli(worker, writes, notes)
    else:
        import anyio

        stats = anyio.run(run_mcp, worker, writes, notes)
    print(json.dumps({"worker": worker, "mode": mode, **stats}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
