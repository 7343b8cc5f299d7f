"""`cairn check` on a repository with one huge anchored file: blob-id judging vs reading it.

Builds a throwaway repository with a small anchored module, records a note on it, then edits the anchored
lines and grows the module to `--mb` megabytes (a generated data file checked in by mistake) and commits.
Measures the whole `cairn check` process (wall time and peak RSS of the child) twice in the same run:

- limited: the default `[anchors] max_file_size = "5MB"`: the file is hashed (streamed) and judged by
  blob id only;
- baseline: `max_file_size = "1GB"`, i.e. what Cairn did before the limit: read, split and align the
  whole file, then walk history to name the commit.

    .venv/bin/python bench/hugefile/run.py               # 120 MB limited, 20 MB baseline
    .venv/bin/python bench/hugefile/run.py --mb 120 --baseline-mb 120   # the issue's case both ways (slow, GBs)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CAIRN = str(Path(sys.executable).parent / "cairn")
ENV = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@e", "GIT_COMMITTER_NAME": "b",
       "GIT_COMMITTER_EMAIL": "b@e", "GIT_CONFIG_NOSYSTEM": "1"}
APP = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(1, 11))


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, env=ENV, capture_output=True, text=True, check=False)


def build(root: Path, mb: int, limit: str) -> None:
    root.mkdir(parents=True)
    run(root, "git", "init", "-q", "-b", "main")
    (root / "data.py").write_text(APP)
    run(root, "git", "add", "-A")
    run(root, "git", "commit", "-qm", "data")
    run(root, CAIRN, "init")
    config = root / "agent-context" / "config.toml"
    config.write_text(config.read_text() + f'\n[anchors]\nmax_file_size = "{limit}"\n')
    run(root, CAIRN, "add", "--kind", "decision", "--title", "f2", "--anchor", "data.py:4-5", "--body", "b")
    run(root, "git", "add", "-A")
    run(root, "git", "commit", "-qm", "note")
    line = "# generated row .................................................................... %08d\n"
    with (root / "data.py").open("w") as fh:
        fh.write(APP.replace("return x + 2\n", "return x * 2\n"))  # the anchored lines change too
        for i in range(mb * 1024 * 1024 // len(line % 0)):
            fh.write(line % i)
    run(root, "git", "add", "-A")
    run(root, "git", "commit", "-qm", "data grows")


WRAP = ("import resource, subprocess, sys\n"
        "out = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "sys.stdout.write(out.stdout + '\\0' + out.stderr + '\\0' + "
        "str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n")


def measure(root: Path) -> tuple[float, float, str]:
    """Wall time and peak RSS (of the `cairn check` process tree's largest member) of one check."""
    started = time.perf_counter()
    out = run(root, sys.executable, "-c", WRAP, CAIRN, "check", "--json")
    took = time.perf_counter() - started
    stdout, stderr, rss = out.stdout.split("\0")
    message = stdout.split('"message":"')[1].split('"')[0] if '"message":"' in stdout else stderr.strip()
    return took, int(rss) / 1024, message


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=120)
    parser.add_argument("--baseline-mb", type=int, default=20)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cairn-bench-huge-"))
    try:
        rows = []
        for name, mb, limit in (("limited (5MB, default)", args.mb, "5MB"),
                                ("baseline (no limit)", args.baseline_mb, "1GB")):
            root = tmp / name.split()[0]
            build(root, mb, limit)
            took, rss, message = measure(root)
            rows.append((name, mb, took, rss, message))
        print(f"{'variant':24} {'file':>7} {'cairn check':>12} {'peak RSS*':>10}  verdict")
        for name, mb, took, rss, message in rows:
            print(f"{name:24} {mb:>5} MB {took:>10.2f} s {rss:>7.0f} MB  {message}")
        print("* peak RSS of the largest process of the check (cairn or a git child it waited for)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
