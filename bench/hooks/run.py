"""Benchmark: what `cairn hooks install` adds to everyday git commands (wall time of the whole command).

Workspace: FILES generated Python files, NOTES notes with two anchors each, and three branches: `docs`
changes only a README (no anchored file: post-checkout's shell fast path), `code` changes anchored
functions in 20 files (the hook syncs in Python and prints what went stale, waited for synchronously),
and `ff` is one commit ahead of `main` touching anchored code (a fast-forward `git merge`).

Each command is timed ROUNDS times without the hooks (the same-run baseline: plain git), then with them
(the default waits, as a user meets them). The verdict cache is warm (a sync ran after installing),
which is the steady state: every hook run leaves it warm for the next.

Usage: `python bench/hooks/run.py [--files 400] [--notes 1000] [--rounds 9] [--dir DIR]`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CAIRN = str(Path(sys.executable).parent / "cairn")
ENV = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
       "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com", "GIT_CONFIG_NOSYSTEM": "1"}
for var in ("CAIRN_HOOK_WAIT", "CAIRN_HOOKS", "PYTHONDONTWRITEBYTECODE"):  # as a user's shell has them
    ENV.pop(var, None)


def run(root: Path, *args: str) -> str:
    return subprocess.run(list(args), cwd=root, env=ENV, capture_output=True, text=True, check=True).stdout


def git(root: Path, *args: str) -> str:
    return run(root, "git", *args)


def source(i: int, changed: bool = False) -> str:
    out = []
    for k in range(20):
        op = "-" if changed and k % 4 == 0 else "+"
        out.append(f"def f_{i}_{k}(x):\n    y = x * {k} {op} {i}\n    return y\n\n")
    return "".join(out)


def build(root: Path, files: int, notes: int) -> None:
    git(root, "init", "-q", "-b", "main")
    for i in range(files):
        path = root / f"src/pkg{i % 20:02d}/mod{i:04d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source(i))
    (root / "README.md").write_text("readme\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "code")
    run(root, CAIRN, "init")
    folder = root / "agent-context/decisions"
    for n in range(notes):
        i, k = n % files, (n // files) % 20
        a, b = f"src/pkg{i % 20:02d}/mod{i:04d}.py", f"src/pkg{(i + 1) % files % 20:02d}/mod{(i + 1) % files:04d}.py"
        (folder / f"note-{n:05d}.md").write_text(
            f"---\ntitle: note {n}\nkind: decision\ntags: [bench]\nstatus: active\ncreated: 2026-01-01T00:00:00Z\n"
            f"anchors:\n  - path: {a}\n    lines: {4 * k + 1}-{4 * k + 3}\n  - path: {b}\n    lines: 1-3\n---\n\n"
            f"Body of note {n}.\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "notes")
    git(root, "checkout", "-q", "-b", "docs")
    (root / "README.md").write_text("readme, edited\n")
    git(root, "commit", "-q", "-am", "docs")
    git(root, "checkout", "-q", "-b", "code", "main")
    for i in range(0, min(files, 20)):
        (root / f"src/pkg{i % 20:02d}/mod{i:04d}.py").write_text(source(i, changed=True))
    git(root, "commit", "-q", "-am", "code")
    git(root, "checkout", "-q", "main")


def timed(root: Path, rounds: int, steps: list[list[str]]) -> list[float]:
    """Wall time of the first step, repeated; the other steps put the repository back."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        git(root, *steps[0])
        times.append(time.perf_counter() - start)
        for step in steps[1:]:
            git(root, *step)
    return times


def scenarios(root: Path, rounds: int) -> dict[str, list[float]]:
    out = {}
    out["checkout docs (no anchored file changed)"] = timed(root, rounds, [["checkout", "-q", "docs"],
                                                                          ["checkout", "-q", "main"]])
    out["checkout code (20 anchored files changed)"] = timed(root, rounds, [["checkout", "-q", "code"],
                                                                           ["checkout", "-q", "main"]])
    out["checkout -b (same commit)"] = timed(root, rounds, [["checkout", "-q", "-b", "tmp"],
                                                            ["checkout", "-q", "main"], ["branch", "-D", "tmp"]])
    out["merge --ff-only code"] = timed(root, rounds, [["merge", "-q", "--ff-only", "code"],
                                                      ["reset", "-q", "--hard", "main@{1}"]])
    return out


def sync_cpu(root: Path, rounds: int) -> list[float]:
    """CPU seconds (user + sys) of the `cairn sync` the hooks run, after checking out `code` and back."""
    import resource

    out = []
    for i in range(rounds):
        subprocess.run(["git", "checkout", "-q", "code" if i % 2 == 0 else "main"], cwd=root,
                       env={**ENV, "CAIRN_HOOKS": "0"}, check=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        run(root, CAIRN, "sync")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        out.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    git(root, "checkout", "-q", "main")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="cairn-bench-hooks-"))
    if root.exists() and any(root.iterdir()):
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    build(root, args.files, args.notes)
    print(f"{args.files} files, {args.notes} notes ({2 * args.notes} anchors), {args.rounds} rounds; "
          f"load average {os.getloadavg()[0]:.1f}")
    plain = scenarios(root, args.rounds)
    run(root, CAIRN, "hooks", "install")
    git(root, "add", ".gitattributes")
    git(root, "commit", "-q", "-m", "hooks")
    run(root, CAIRN, "sync")  # the steady state: the verdict cache and watch list are warm
    for name in ("docs", "code"):
        git(root, "checkout", "-q", name)
        git(root, "merge", "-q", "--no-edit", "main")
    git(root, "checkout", "-q", "main")
    hooked = scenarios(root, args.rounds)
    print(f"{'command':<45} {'plain p50':>10} {'hooked p50':>11} {'hooked max':>11} {'added p50':>10}")
    for name, times in plain.items():
        with_hooks = hooked[name]
        p0, p1 = statistics.median(times), statistics.median(with_hooks)
        print(f"{name:<45} {1000 * p0:>8.0f}ms {1000 * p1:>9.0f}ms {1000 * max(with_hooks):>9.0f}ms "
              f"{1000 * (p1 - p0):>8.0f}ms")
    cpu = sync_cpu(root, args.rounds)
    print(f"CPU of the hooks' `cairn sync` after a checkout that changes 20 anchored files: "
          f"p50 {1000 * statistics.median(cpu):.0f} ms, max {1000 * max(cpu):.0f} ms")
    status = git(root, "status", "--porcelain")
    print(f"working tree after all runs: {status or 'clean'}")
    if args.dir is None:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
