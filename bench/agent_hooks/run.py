"""Agent hook latency: `cairn agent-hook …` processes as Claude Code runs them, on two repositories.

    .venv/bin/python bench/agent_hooks/run.py [--runs 40] [--notes 10000] [--files 2000] [--workdir DIR]

Repositories: the demo workspace (`python -m cairn.demo`, 3 notes) and the 10,000-note repository of
`bench/recall` (same generator: 2,000 modules, 10,000 notes with one or two anchors). Each hook is run
as a whole process with its documented JSON input on stdin, exactly as Claude Code spawns it:

  * session-start  on a feature branch whose last commit changed an anchored file (stale notes to find);
  * post-tool-use  after a real edit (the file's content changes every run, so anchors are judged again,
                   never answered from the verdict cache) of a file with anchored notes, in a new session
                   each run (the notes are rendered every time: the worst case); and of a file no note
                   is anchored in;
  * stop           in a session that edited code and wrote no note (it answers with a block).

Each repository is measured twice in the same run: "in-process" (CAIRN_NO_DAEMON=1: the hook process
does all the work, as before any daemon runs) and "daemon" (the repository's `cairn daemon` answers, as
after the SessionStart hook started it in a repository of `[agents] daemon_at_notes` notes or more). The
daemon's answers are first checked byte for byte against the in-process ones on the same input.

Baseline in the same run: `python -c pass` (interpreter start) and `cairn --version` (the CLI's start).
Bytecode is compiled first and PYTHONDONTWRITEBYTECODE is cleared for the children, as in an installed
cairn. Figures: p50/p95 wall and CPU (user+sys of the hook process and its git children; the daemon's
own CPU is not counted there) per hook; targets: p95 < 150 ms on the demo repository (issue 14) and at
10,000 notes (issue 16). Results go to bench/output/agent_hooks/results.json.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "sidecar"))
PYTHON = sys.executable
CAIRN = str(Path(sys.executable).parent / "cairn")
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "CAIRN_BIN")}
ENV["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{ENV.get('PATH', '')}"  # cairn on PATH, as installed
ENV.update({"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "b@example.com", "GIT_COMMITTER_NAME": "Bench",
            "GIT_COMMITTER_EMAIL": "b@example.com", "GIT_CONFIG_NOSYSTEM": "1"})


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run(cmd: list[str], cwd: Path, stdin: str = "", daemon: bool = False) -> tuple[float, float, str]:
    """(wall s, CPU s of the process and its children, stdout). Without `daemon`, CAIRN_NO_DAEMON=1 (and the
    SessionStart hook starts no daemon). With it, the CPU figure leaves out the daemon's own time (it is
    not the hook process's child): the wall time is the figure that counts then."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    env = ENV if daemon else {**ENV, "CAIRN_NO_DAEMON": "1"}
    proc = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr}")
    return wall, cpu, proc.stdout


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, env=ENV, check=True, capture_output=True,
                          text=True).stdout.strip()


def figures(samples: list[tuple[float, float]]) -> dict[str, float]:
    walls = [w for w, _ in samples]
    cpus = [c for _, c in samples]
    return {"wall_p50_ms": round(pct(walls, 0.5) * 1000, 1), "wall_p95_ms": round(pct(walls, 0.95) * 1000, 1),
            "cpu_p50_ms": round(pct(cpus, 0.5) * 1000, 1), "cpu_p95_ms": round(pct(cpus, 0.95) * 1000, 1),
            "n": len(samples)}


def payload(event: str, root: Path, session: str, **extra: Any) -> str:
    data = {"session_id": session, "transcript_path": str(root / ".transcript.jsonl"), "cwd": str(root),
            "permission_mode": "default", "hook_event_name": event, **extra}
    return json.dumps(data)


def prepare_branch(root: Path, anchored: str) -> None:
    """A feature branch whose last commit changed an anchored file (the session-start case)."""
    git(root, "checkout", "-q", "-b", "bench-feature")
    text = (root / anchored).read_text(encoding="utf-8")
    (root / anchored).write_text(text.replace("\n", "\n# changed on the branch\n", 3), encoding="utf-8")
    git(root, "commit", "-q", "-am", "branch change")


def bench_modes(name: str, root: Path, anchored: str, plain: str, runs: int) -> dict[str, Any]:
    """Both ways a hook is answered, one after the other in one run: in-process (no daemon: CAIRN_NO_DAEMON=1, as
    before a daemon was started) and by the repository's warm daemon (`cairn daemon start`, as the
    SessionStart hook starts it in a large repository). Before measuring, the daemon's answer to each
    hook is checked byte for byte against the in-process answer to the same input."""
    prepare_branch(root, anchored)
    check_same_answers(root, anchored)
    out: dict[str, Any] = {"repository": name}
    out["in-process"] = bench_repo(root, anchored, plain, runs, daemon=False)
    out["session-start that starts the daemon"] = auto_start(root, 3)
    start = subprocess.run([CAIRN, "daemon", "start"], cwd=root, env=ENV, capture_output=True, text=True)
    if start.returncode != 0:
        raise SystemExit(f"cairn daemon start failed: {start.stderr}")
    try:
        out["daemon"] = bench_repo(root, anchored, plain, runs, daemon=True)
    finally:
        subprocess.run([CAIRN, "daemon", "stop"], cwd=root, env=ENV, capture_output=True)
    git(root, "checkout", "-q", "--", ".")
    return out


def auto_start(root: Path, runs: int) -> dict[str, Any]:
    """The first SessionStart of a session with no daemon running: its own wall time (it starts the daemon
    in the background and does not wait for it) and how long until the daemon answers. Only in a
    repository of `[agents] daemon_at_notes` (1,000) notes or more; else "started": 0."""
    hooks, ready = [], []
    started = 0
    for i in range(runs):
        subprocess.run([CAIRN, "daemon", "stop"], cwd=root, env=ENV, capture_output=True)
        wall, _cpu, _ = run([CAIRN, "agent-hook", "session-start"], root,
                            payload("SessionStart", root, f"auto{i}", source="startup"), daemon=True)
        begin = time.perf_counter()
        hooks.append(wall)
        deadline = begin + 60
        while time.perf_counter() < deadline:
            status = subprocess.run([CAIRN, "daemon", "status"], cwd=root, env=ENV, capture_output=True)
            if status.returncode == 0:
                started += 1
                ready.append(wall + time.perf_counter() - begin)
                break
            if not started and time.perf_counter() - begin > 5:
                break  # below the threshold: nothing was started
            time.sleep(0.02)  # polling a process we did not start: no event to wait on
        if not started:
            break
    subprocess.run([CAIRN, "daemon", "stop"], cwd=root, env=ENV, capture_output=True)
    return {"hook_wall_ms": [round(w * 1000, 1) for w in hooks], "started": started,
            "daemon_answers_after_ms": [round(r * 1000, 1) for r in ready]}


def check_same_answers(root: Path, anchored: str) -> None:
    """The daemon's answers equal the in-process ones, for each hook on the same input and session state."""
    path = root / anchored
    old = path.read_text(encoding="utf-8")
    new = old + "# compared edit\n"
    path.write_text(new, encoding="utf-8")
    inputs = [("session-start", payload("SessionStart", root, "cmp", source="startup")),
              ("post-tool-use", payload("PostToolUse", root, "cmp", tool_name="Edit",
                                        tool_input={"file_path": str(path), "old_string": old[-40:],
                                                    "new_string": new[-40:]})),
              ("stop", payload("Stop", root, "cmp", stop_hook_active=False))]
    sessions = root / ".git" / "cairn" / "agent-sessions"
    answers: dict[bool, list[str]] = {}
    for daemon in (False, True):
        shutil.rmtree(sessions, ignore_errors=True)  # the same session state for both
        if daemon:
            subprocess.run([CAIRN, "daemon", "start"], cwd=root, env=ENV, check=True, capture_output=True)
        try:
            answers[daemon] = [run([CAIRN, "agent-hook", event], root, inp, daemon=daemon)[2] for event, inp in inputs]
        finally:
            if daemon:
                subprocess.run([CAIRN, "daemon", "stop"], cwd=root, env=ENV, capture_output=True)
    shutil.rmtree(sessions, ignore_errors=True)
    path.write_text(old, encoding="utf-8")
    if answers[False] != answers[True]:
        raise SystemExit(f"the daemon's hook answers differ from the in-process ones in {root}")
    if not all(answers[False]):
        raise SystemExit(f"a hook printed nothing in the comparison run in {root}: {answers[False]}")


def bench_repo(root: Path, anchored: str, plain: str, runs: int, daemon: bool) -> dict[str, Any]:
    """Measure the hooks on `root` (on its feature branch; `anchored` has notes, `plain` none)."""
    out: dict[str, Any] = {}
    tag = "d" if daemon else "p"

    # Warm-up: the first run builds the caches (note map, verdicts, provenance) like a first session does.
    run([CAIRN, "agent-hook", "session-start"], root, payload("SessionStart", root, f"{tag}warm", source="startup"),
        daemon=daemon)

    samples = []
    answered = 0
    for i in range(runs):
        wall, cpu, stdout = run([CAIRN, "agent-hook", "session-start"], root,
                                payload("SessionStart", root, f"{tag}s{i}", source="startup"), daemon=daemon)
        samples.append((wall, cpu))
        answered += bool(stdout.strip())
    out["session-start"] = {**figures(samples), "answered": answered}

    for label, rel in (("post-tool-use (anchored file)", anchored), ("post-tool-use (file without notes)", plain)):
        samples, answered = [], 0
        path = root / rel
        for i in range(runs):
            old = path.read_text(encoding="utf-8")
            new = old + f"# edit {i}\n"
            path.write_text(new, encoding="utf-8")
            inp = payload("PostToolUse", root, f"{tag}e{label[15]}{i}", tool_name="Edit",
                          tool_input={"file_path": str(path), "old_string": old[-40:],
                                      "new_string": new[-40 - len(f"# edit {i}\n"):], "replace_all": False},
                          tool_response={"filePath": str(path), "success": True})
            wall, cpu, stdout = run([CAIRN, "agent-hook", "post-tool-use"], root, inp, daemon=daemon)
            samples.append((wall, cpu))
            answered += bool(stdout.strip())
        out[label] = {**figures(samples), "answered": answered}

    # The same hook through the command `cairn init --agents` registers (a `sh` launcher that finds
    # cairn on PATH first), as Claude Code spawns it.
    from cairn.agent_hooks.install import hook_command

    command = hook_command("post-tool-use")
    samples, answered = [], 0
    path = root / anchored
    for i in range(runs):
        old = path.read_text(encoding="utf-8")
        new = old + f"# launched edit {i}\n"
        path.write_text(new, encoding="utf-8")
        inp = payload("PostToolUse", root, f"{tag}l{i}", tool_name="Edit",
                      tool_input={"file_path": str(path), "old_string": old[-40:], "new_string": new[-40:]})
        wall, cpu, stdout = run(["sh", "-c", command], root, inp, daemon=daemon)
        samples.append((wall, cpu))
        answered += bool(stdout.strip())
    out["post-tool-use (anchored file) via the settings.json command"] = {**figures(samples), "answered": answered}

    samples, answered = [], 0
    for i in range(runs):
        # Each session edited code (its PostToolUse ran) and wrote no note: the Stop hook asks.
        edit = payload("PostToolUse", root, f"{tag}stop{i}", tool_name="Write",
                       tool_input={"file_path": str(root / plain), "content": "x = 1\n"})
        run([CAIRN, "agent-hook", "post-tool-use"], root, edit, daemon=daemon)
        wall, cpu, stdout = run([CAIRN, "agent-hook", "stop"], root,
                                payload("Stop", root, f"{tag}stop{i}", stop_hook_active=False), daemon=daemon)
        samples.append((wall, cpu))
        answered += bool(stdout.strip())
    out["stop"] = {**figures(samples), "answered": answered}
    return out


def baseline(runs: int, cwd: Path) -> dict[str, Any]:
    return {"python -c pass": figures([run([PYTHON, "-c", "pass"], cwd)[:2] for _ in range(runs)]),
            "cairn --version": figures([run([CAIRN, "--version"], cwd)[:2] for _ in range(runs)])}


def load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("bench_recall_run", ROOT / "bench" / "recall" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=2_000)
    parser.add_argument("--workdir", help="where to build the repositories (default: a temp folder)")
    parser.add_argument("--skip-large", action="store_true", help="only the demo repository")
    args = parser.parse_args()
    compileall.compile_dir(str(ROOT / "sidecar" / "cairn"), quiet=1)
    base = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="cairn-bench-hooks-"))
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    results: dict[str, Any] = {"runs": args.runs, "load_average_at_start": os.getloadavg()}

    demo = base / "demo"
    subprocess.run([PYTHON, "-m", "cairn.demo", str(demo)], env=ENV, check=True, capture_output=True)
    results["baseline"] = baseline(args.runs, demo)
    results["demo"] = bench_modes("demo", demo, "src/billing/invoice.py", "README.md", args.runs)

    if not args.skip_large:
        gen = load_generator()
        import random

        rng = random.Random(4)
        large = base / "large"
        large.mkdir()
        print(f"generating {args.notes} notes over {args.files} files ...", flush=True)
        git(large, "init", "-q", "-b", "main")
        code = gen.make_code(large, args.files, rng)
        git(large, "add", "-A")
        git(large, "commit", "-q", "-m", "code")
        gen.make_notes(large, code, args.notes, git(large, "rev-parse", "HEAD"), rng)
        (large / "README.md").write_text("bench\n", encoding="utf-8")
        git(large, "add", "-A")
        git(large, "commit", "-q", "-m", "notes")
        anchored = json.loads(subprocess.run(
            [CAIRN, "list", "--json"], cwd=large, env=ENV, capture_output=True, text=True).stdout)
        target = anchored["notes"][0]["anchors"][0]["path"]
        results["large"] = bench_modes(f"{args.notes} notes / {args.files} files", large, target, "README.md",
                                      args.runs)
    results["load_average_at_end"] = os.getloadavg()
    out_dir = ROOT / "bench" / "output" / "agent_hooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
