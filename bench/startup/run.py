"""Whole-process start-up of `cairn recall PATH:LINE` and `cairn search Q`, cold and through `cairn daemon`,
against `python -c pass` and ripgrep measured in the same run on the same repository.

    .venv/bin/python bench/startup/run.py                       # 2,000 notes over 400 files (~1 minute)
    .venv/bin/python bench/startup/run.py --notes 10000 --files 2000

The repository comes from the recall bench's generator (bench/recall/run.py). Each command runs `--runs`
times after one warm-up; the figures are wall-clock p50/p95 and the CPU time of the process tree (for the
daemon: the client plus the daemon's share, read from /proc). Goals (issue: fast from the first
keystroke): ≤ 5× `python -c pass` at 2,000 notes, ≤ 150 ms at 10,000 notes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CAIRN = str(Path(sys.executable).parent / "cairn")


def _recall_bench() -> Any:
    spec = importlib.util.spec_from_file_location("recall_bench", HERE.parent / "recall" / "run.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _proc_cpu(pid: int) -> float:
    """CPU seconds of a live process: its threads' run time from /proc/PID/task/*/schedstat (nanoseconds,
    so a 5 ms request is not rounded to a 10 ms clock tick) plus its finished children's (the git it runs;
    clock ticks, all the kernel keeps for them)."""
    ns = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            ns += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # a thread that ended meanwhile
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return ns / 1e9 + (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def measure(argv: list[str], cwd: Path, runs: int, env: dict[str, str],
            daemon_pid: int | None = None) -> dict[str, Any]:
    walls: list[float] = []
    cpus: list[float] = []
    daemon_cpus: list[float] = []
    subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)  # warm the page cache
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        daemon_before = _proc_cpu(daemon_pid) if daemon_pid else 0.0
        t0 = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # microseconds, not clock ticks
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        daemon_cpus.append((_proc_cpu(daemon_pid) - daemon_before) if daemon_pid else 0.0)
        cpus.append(cpu + daemon_cpus[-1])
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()[-500:]}")
    walls.sort()
    return {"p50_ms": round(statistics.median(walls) * 1000, 1),
            "p95_ms": round(walls[min(len(walls) - 1, int(len(walls) * 0.95))] * 1000, 1),
            "cpu_p50_ms": round(statistics.median(cpus) * 1000, 1),
            "daemon_cpu_p50_ms": round(statistics.median(daemon_cpus) * 1000, 1)}


def daemon_rows(root: Path, env: dict[str, str], target: str, query: str, runs: int,
                suffix: str) -> dict[str, dict[str, Any]]:
    """recall and search through a daemon started with `env`; "_same": whether its recall printed exactly
    what the in-process command prints."""
    rows: dict[str, dict[str, Any]] = {}
    subprocess.run([CAIRN, "daemon", "start"], cwd=root, env=env, capture_output=True, check=True)
    try:
        status = subprocess.run([CAIRN, "daemon", "status"], cwd=root, env=env, capture_output=True, text=True)
        pid = int(status.stdout.split()[2].rstrip(","))
        rows["cairn recall" + suffix] = measure([CAIRN, "recall", target], root, runs, env, pid)
        rows["cairn search" + suffix] = measure([CAIRN, "search", query], root, runs, env, pid)
        cold = {**env, "CAIRN_NO_DAEMON": "1"}
        warm_out = subprocess.run([CAIRN, "recall", target], cwd=root, env=env, capture_output=True).stdout
        cold_out = subprocess.run([CAIRN, "recall", target], cwd=root, env=cold, capture_output=True).stdout
        rows["_same"] = {"same": warm_out == cold_out}
    finally:
        subprocess.run([CAIRN, "daemon", "stop"], cwd=root, env=env, capture_output=True, check=False)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--workdir", help="where to generate the repository (default: a temp folder)")
    parser.add_argument("--baseline-src", metavar="DIR",
                        help="also measure the daemon rows with the `cairn` package from DIR (a same-run "
                             "baseline, e.g. `git archive main sidecar | tar -x -C /tmp/base` → /tmp/base/sidecar)")
    args = parser.parse_args()

    rb = _recall_bench()
    rng = random.Random(4)
    base = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="cairn-bench-startup-"))
    root = base / "repo"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    print(f"generating {args.notes} notes over {args.files} files in {root} ...", flush=True)
    rb.git(root, "init", "-q", "-b", "main")
    code = rb.make_code(root, args.files, rng)
    rb.git(root, "add", "-A")
    rb.git(root, "commit", "-q", "-m", "code")
    rb.make_notes(root, code, args.notes, rb.git(root, "rev-parse", "HEAD"), rng)
    rb.git(root, "add", "-A")
    rb.git(root, "commit", "-q", "-m", "notes")
    path, funcs = code[len(code) // 2]
    target = f"{path}:{funcs[2][1] + 1}"
    query = "retry session"
    env = {k: v for k, v in os.environ.items() if k != "CAIRN_NO_DAEMON"}
    cold = {**env, "CAIRN_NO_DAEMON": "1"}
    subprocess.run([CAIRN, "index"], cwd=root, env=cold, capture_output=True, check=True)

    rows: dict[str, dict[str, Any]] = {}
    rows["python -c pass"] = measure([sys.executable, "-c", "pass"], root, args.runs, env)
    rg = shutil.which("rg")
    if rg:
        rows["rg -l -F PATH agent-context"] = measure([rg, "-l", "-F", path, "agent-context"], root, args.runs, env)
    rows["cairn recall (cold)"] = measure([CAIRN, "recall", target], root, args.runs, cold)
    rows["cairn search (cold)"] = measure([CAIRN, "search", query], root, args.runs, cold)
    if args.baseline_src:
        # The same commands through a daemon running other sources (e.g. `git archive` of main): a
        # same-run baseline for a change to the daemon path. One daemon per repository at a time.
        base_env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [args.baseline_src,
                                                                        env.get("PYTHONPATH")]))}
        rows.update(daemon_rows(root, base_env, target, query, args.runs, " (daemon, baseline src)"))
        rows.pop("_same")
    rows.update(daemon_rows(root, env, target, query, args.runs, " (daemon)"))
    same = bool(rows.pop("_same")["same"])
    base_ms = rows["python -c pass"]["p50_ms"]
    print(f"\n{args.notes} notes / {args.files} files, {args.runs} runs each, load average "
          f"{os.getloadavg()[0]:.1f}; daemon output identical to cold: {same}")
    base_cpu = rows["python -c pass"]["cpu_p50_ms"] or 1.0
    print(f"{'command':34} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms':>8} {'of it daemon':>13} {'× python':>9} "
          f"{'CPU × python':>13}")
    for name, row in rows.items():
        print(f"{name:34} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} {row['cpu_p50_ms']:8.1f} "
              f"{row['daemon_cpu_p50_ms']:13.1f} {row['p50_ms'] / base_ms:9.1f} {row['cpu_p50_ms'] / base_cpu:13.1f}")
    out = Path("bench/output/startup")
    out.mkdir(parents=True, exist_ok=True)
    (out / f"results-{args.notes}.json").write_text(json.dumps(
        {"notes": args.notes, "files": args.files, "load": os.getloadavg(), "rows": rows, "same": same}, indent=2))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
