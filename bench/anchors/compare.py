"""Benchmark: `cairn check --json` of two (or more) installs on the same repository, alternately.

    .venv/bin/python bench/anchors/run.py --log-l-sample 10 --latency-sample 100     # builds the repository
    .venv/bin/python bench/anchors/compare.py bench/output/anchors/repo \\
        --cli /work/wt/base0b22/.venv/bin/cairn --cli .venv/bin/cairn --runs 3

Why a separate script: on a shared machine a speed claim needs a same-run baseline. Each round runs every
`--cli` once, one after the other, on the same repository, so both see the same load; the figures are
CPU time (user + sys of the `cairn` process and its git children, from `RUSAGE_CHILDREN`), which waiting
for a core does not inflate, and wall time for reference.

Each CLI runs once first, untimed (bytecode written, files in the page cache), with
PYTHONDONTWRITEBYTECODE cleared as in an installed cairn. Per CLI and round:
* cold: `<git dir>/cairn` removed (no verdict cache, no parsed-notes cache, no stat cache), then
  `cairn check --json`;
* unchanged: the same command again right after (every cache warm).

It also reports whether each CLI's JSON output equals the first CLI's (the verdicts, lines and messages),
so a faster engine is shown to give the same answers; `--ignore-key merged_in` drops a key the older
engine did not print.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def _child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


# As installed: bytecode is written on the first (warm-up) run and read afterwards (this machine's
# environment sets PYTHONDONTWRITEBYTECODE, which would make every run compile every module).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _run(cli: str, repo: Path) -> tuple[float, float, bytes, int]:
    c0, t0 = _child_cpu(), time.perf_counter()
    proc = subprocess.run([cli, "check", "--json"], cwd=repo, env=ENV, capture_output=True, check=False)
    return time.perf_counter() - t0, _child_cpu() - c0, proc.stdout, proc.returncode


def _strip(obj: Any, keys: set[str]) -> Any:
    if isinstance(obj, dict):
        return {k: _strip(v, keys) for k, v in obj.items() if k not in keys}
    if isinstance(obj, list):
        return [_strip(v, keys) for v in obj]
    return obj


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo", type=Path)
    parser.add_argument("--cli", action="append", required=True, help="a `cairn` executable (repeat)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ignore-key", action="append", default=[], help="JSON key left out of the comparison")
    args = parser.parse_args()
    repo: Path = args.repo.resolve()
    args.cli = [str(Path(c).absolute()) for c in args.cli]
    cache = repo / ".git" / "cairn"
    rows: dict[str, dict[str, list[float]]] = {c: {"cold_wall": [], "cold_cpu": [], "warm_wall": [],
                                                   "warm_cpu": []} for c in args.cli}
    outputs: dict[str, Any] = {}
    for cli in args.cli:
        _run(cli, repo)  # warm-up: bytecode compiled, the page cache holds the repository
    for _ in range(args.runs):
        for cli in args.cli:
            shutil.rmtree(cache, ignore_errors=True)
            wall, cpu, out, code = _run(cli, repo)
            rows[cli]["cold_wall"].append(wall)
            rows[cli]["cold_cpu"].append(cpu)
            wall, cpu, out2, _ = _run(cli, repo)
            rows[cli]["warm_wall"].append(wall)
            rows[cli]["warm_cpu"].append(cpu)
            if out2 != out:
                print(f"warning: {cli}: the unchanged re-check printed something else than the cold check",
                      file=sys.stderr)
            outputs[cli] = (_strip(json.loads(out), set(args.ignore_key)) if out else None, code)
    first = outputs[args.cli[0]]
    result = {"repo": str(repo), "runs": args.runs, "load_average_at_end": [round(x, 1) for x in os.getloadavg()],
              "cli": {}}
    for cli in args.cli:
        r = rows[cli]
        result["cli"][cli] = {
            "cold_cpu_s": [round(x, 2) for x in r["cold_cpu"]],
            "cold_cpu_median_s": round(statistics.median(r["cold_cpu"]), 2),
            "cold_wall_s": [round(x, 2) for x in r["cold_wall"]],
            "unchanged_cpu_s": [round(x, 2) for x in r["warm_cpu"]],
            "unchanged_cpu_median_s": round(statistics.median(r["warm_cpu"]), 2),
            "unchanged_wall_s": [round(x, 2) for x in r["warm_wall"]],
            "exit": outputs[cli][1], "same_output_as_first": outputs[cli] == first,
        }
    print(json.dumps(result, indent=1))
    for cli, r in result["cli"].items():
        print(f"{cli}: cold CPU {r['cold_cpu_s']} s (wall {r['cold_wall_s']}), unchanged CPU "
              f"{r['unchanged_cpu_s']} s (wall {r['unchanged_wall_s']}), exit {r['exit']}, "
              f"same output as the first: {r['same_output_as_first']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
