"""Benchmark: `cairn check` on a generated repository, against per-anchor `git log -L` and memcite.

    .venv/bin/python bench/anchors/run.py                 # 1,000 files, 10,000 anchors, 500 commits
    .venv/bin/python bench/anchors/run.py --files 100 --anchors 1000 --commits 50   # a quick run

Builds `bench/output/anchors/repo`: real-looking Python modules (the generator of the property tests,
tests/anchors/history_gen.py, which tracks every line by id and so knows the truth), records anchors at
the first commit, writes notes of 10 anchors each, then makes the history (each commit 1-4 edits:
functions inserted/deleted/moved/re-indented, statements edited/inserted/deleted, functions moved to
other files, files renamed). Then measures, in one run:

* cairn: cold check (no caches), unchanged re-check (verdict cache keyed by blob ids), per-anchor
  latency (p50/p99 on a sample, each anchor judged alone with no cache), and accuracy vs the truth:
  stale precision/recall and exact current ranges of fresh anchors;
* the naive approach: `git log -L START,END:PATH <recorded>..HEAD` per anchor (stale when it lists a
  commit; range assumed unchanged), on a sample, extrapolated to all anchors;
* memcite (PyPI, content hash + snippet search): FileRef captured at recording, validated at the end.

Writes `bench/output/anchors/results.json` and prints a Markdown summary.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "sidecar"))

from tests.anchors.history_gen import Line, new_world  # noqa: E402

from cairn.anchors.engine import Checker, check_workspace  # noqa: E402
from cairn.anchors.record import anchor_mapping  # noqa: E402
from cairn.anchors.text import split_lines  # noqa: E402
from cairn.gitio import forget_repo  # noqa: E402
from cairn.notes import NoteStore  # noqa: E402
from cairn.notes.document import render  # noqa: E402
from cairn.workspace import Workspace  # noqa: E402

ENV = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
       "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com", "GIT_CONFIG_NOSYSTEM": "1"}


def git(root: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=root, env=ENV, capture_output=True, text=True)
    if check and proc.returncode:
        raise SystemExit(f"git {' '.join(args)}: {proc.stderr}")
    return proc.stdout


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def build(out: Path, files: int, anchors: int, commits: int, seed: int) -> dict[str, Any]:
    if out.exists():
        shutil.rmtree(out)
    repo = out / "repo"
    repo.mkdir(parents=True)
    world = new_world(seed, files=files, functions=25)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "commit.gpgsign", "false")
    written: dict[str, str] = {}

    def sync() -> list[str]:
        changed = []
        for path in set(written) - set(world.files):
            (repo / path).unlink()
            del written[path]
            changed.append(path)
        for path in world.files:
            text = world.text(path)
            if written.get(path) != text:
                target = repo / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
                written[path] = text
                changed.append(path)
        return changed

    sync()
    git(repo, "add", "-A", "--", "pkg")
    git(repo, "commit", "-q", "-m", "Initial")
    recorded_at = git(repo, "rev-parse", "HEAD").strip()
    # Anchors, recorded at the first commit (the same mapping `cairn add --anchor` writes).
    records: list[tuple[dict[str, Any], list[Line]]] = []
    for _ in range(anchors):
        path, s, e, lines = world.pick_anchor()
        data = written[path].encode()
        mapping = anchor_mapping(path, s, e, recorded_at, split_lines(written[path]), data)
        records.append((mapping, lines))
    notes_dir = repo / "agent-context" / "decisions"
    notes_dir.mkdir(parents=True)
    (repo / "agent-context" / "patterns").mkdir()
    (repo / "agent-context" / "gotchas").mkdir()
    for n in range(0, anchors, 10):
        meta = {"title": f"Decision {n // 10}", "kind": "decision", "tags": ["bench"], "status": "active",
                "created": "2026-01-01T00:00:00Z", "reviewed": "2099-01-01T00:00:00Z",
                "anchors": [m for m, _ in records[n:n + 10]]}
        (notes_dir / f"d{n // 10:05d}.md").write_text(render(meta, "\nWhy.\n"), encoding="utf-8")
    memcite_refs = capture_memcite(repo, records)
    ops: dict[str, int] = {}
    t0 = time.perf_counter()
    for c in range(commits):
        for _ in range(random.Random(seed * 1000 + c).randint(1, 4)):
            op = world.edit()
            ops[op] = ops.get(op, 0) + 1
        changed = sync()
        git(repo, "add", "-A", "--", *changed)
        git(repo, "commit", "-q", "--allow-empty", "-m", f"Change {c}")
    history_s = time.perf_counter() - t0
    where: dict[int, tuple[str, int]] = {}
    for p, lines in world.files.items():
        for i, (uid, _) in enumerate(lines):
            where[uid] = (p, i)
    truth = [truth_of(world, where, lines, m) for m, lines in records]
    return {"repo": repo, "records": records, "truth": truth, "memcite": memcite_refs, "ops": ops,
            "history_s": history_s, "recorded_at": recorded_at}


def truth_of(world: Any, where: dict[int, tuple[str, int]], recorded: list[Line],
             mapping: dict[str, Any]) -> tuple[str, tuple[str, int, int] | None]:
    """(intact|moved|reformatted|stale, current range) — World.truth with a precomputed index."""
    pos = [where.get(uid) for uid, _ in recorded]
    if any(p is None for p in pos):
        return "stale", None
    paths = {p[0] for p in pos if p}
    idx = [p[1] for p in pos if p]
    if len(paths) != 1 or any(idx[k + 1] != idx[k] + 1 for k in range(len(idx) - 1)):
        return "stale", None
    path = paths.pop()
    now = [world.files[path][i][1] for i in idx]
    then = [t for _, t in recorded]
    rng = (path, idx[0] + 1, idx[-1] + 1)
    if now != then:
        same = ["".join(t.split()) for t in now] == ["".join(t.split()) for t in then]
        return ("reformatted", rng) if same else ("stale", None)
    start = int(str(mapping["lines"]).split("-")[0])
    return ("intact" if path == mapping["path"] and rng[1] == start else "moved"), rng


def score(truth: list[tuple[str, Any]], got: list[tuple[bool, Any]]) -> dict[str, Any]:
    """Stale precision/recall and exact current range of fresh anchors."""
    tp = fp = fn = 0
    fresh_total = fresh_exact = 0
    for (t_status, t_range), (g_stale, g_range) in zip(truth, got, strict=True):
        t_stale = t_status == "stale"
        tp += t_stale and g_stale
        fp += (not t_stale) and g_stale
        fn += t_stale and not g_stale
        if not t_stale:
            fresh_total += 1
            fresh_exact += (not g_stale) and g_range == t_range
    return {
        "stale_truth": tp + fn, "stale_precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
        "stale_recall": round(tp / (tp + fn), 4) if tp + fn else 1.0,
        "fresh_exact_range": round(fresh_exact / fresh_total, 4) if fresh_total else 1.0,
        "fresh_total": fresh_total,
    }


# ---- baselines ---------------------------------------------------------------------------------
def capture_memcite(repo: Path, records: list[tuple[dict[str, Any], list[Line]]]) -> list[Any] | None:
    try:
        from agentic_memory.evidence import FileRef
    except ImportError:
        return None
    refs = []
    for mapping, _ in records:
        s, _, e = str(mapping["lines"]).partition("-")
        ref = FileRef(path=mapping["path"], lines=(int(s), int(e)))
        ref.capture_hash(str(repo))
        refs.append(ref.to_dict())
    return refs


def run_memcite(repo: Path, refs: list[dict[str, Any]]) -> tuple[float, list[tuple[bool, Any]]]:
    from agentic_memory.evidence import FileRef
    from agentic_memory.models import ValidationStatus

    got = []
    t0 = time.perf_counter()
    for d in refs:
        ref = FileRef.from_dict(d)
        status, _ = ref.validate(str(repo))
        if status == ValidationStatus.VALID and ref.lines:
            got.append((False, (ref.path, ref.lines[0], ref.lines[1])))
        else:
            got.append((True, None))
    return time.perf_counter() - t0, got


def run_git_log_l(repo: Path, records: list[tuple[dict[str, Any], list[Line]]], sample: list[int],
                  recorded_at: str) -> tuple[float, list[tuple[bool, Any]]]:
    """The naive approach: one `git log -L` per anchor; stale when any commit touched the range."""
    got = []
    t0 = time.perf_counter()
    for i in sample:
        mapping = records[i][0]
        s, _, e = str(mapping["lines"]).partition("-")
        proc = subprocess.run(["git", "log", "--format=%H", "-s", f"-L{s},{e}:{mapping['path']}",
                               f"{recorded_at}..HEAD"], cwd=repo, capture_output=True, text=True, env=ENV)
        stale = proc.returncode != 0 or bool(proc.stdout.strip())
        got.append((stale, None if stale else (mapping["path"], int(s), int(e))))
    return time.perf_counter() - t0, got


# ---- cairn -------------------------------------------------------------------------------------
def run_cairn(repo: Path, truth: list[tuple[str, Any]], per_anchor_sample: list[int]) -> dict[str, Any]:
    forget_repo(repo)
    shutil.rmtree(repo / ".git" / "cairn", ignore_errors=True)
    ws = Workspace.at(repo)
    t0 = time.perf_counter()
    loaded = NoteStore(ws).load()
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    with Checker(ws) as checker:
        report = checker.check(loaded.notes, loaded.errors)
    cold_engine_s = time.perf_counter() - t1
    cold_total_s = time.perf_counter() - t0
    verdicts = [v for n in sorted(report.notes, key=lambda n: n.path) for v in n.anchors]
    got = [(v.stale, v.current) for v in verdicts]
    t2 = time.perf_counter()
    check_workspace(ws)
    warm_total_s = time.perf_counter() - t2
    t3 = time.perf_counter()
    with Checker(ws) as checker:
        checker.check(loaded.notes, loaded.errors)
    warm_engine_s = time.perf_counter() - t3
    cli = ROOT / ".venv" / "bin" / "cairn"
    shutil.rmtree(repo / ".git" / "cairn", ignore_errors=True)
    def child_cpu() -> float:
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        return ru.ru_utime + ru.ru_stime

    c4, t4 = child_cpu(), time.perf_counter()
    subprocess.run([str(cli), "check", "--json"], cwd=repo, capture_output=True, check=False)
    cli_cold_s, cli_cold_cpu = time.perf_counter() - t4, child_cpu() - c4
    c5, t5 = child_cpu(), time.perf_counter()
    proc = subprocess.run([str(cli), "check", "--json"], cwd=repo, capture_output=True, check=False)
    cli_warm_s, cli_warm_cpu = time.perf_counter() - t5, child_cpu() - c5
    cli_notes = json.loads(proc.stdout)["notes"] if proc.stdout else []
    # Per-anchor latency: each anchor judged alone, nothing cached but the open repository.
    anchors = [a for n in sorted(loaded.notes, key=lambda n: n.rel_path) for a in n.anchors]
    latencies = []
    with Checker(ws, use_cache=False) as checker:
        checker.verdicts([anchors[0]])
        for i in per_anchor_sample:
            ta = time.perf_counter()
            checker.judge = type(checker.judge)(checker.repo, checker.snapshot)  # no file/alignment reuse
            checker.verdicts([anchors[i]])
            latencies.append(time.perf_counter() - ta)
    return {
        "notes": len(loaded.notes), "anchors": len(anchors), "load_notes_s": round(load_s, 3),
        "cold_engine_s": round(cold_engine_s, 3), "cold_total_s": round(cold_total_s, 3),
        "unchanged_engine_s": round(warm_engine_s, 3), "unchanged_total_s": round(warm_total_s, 3),
        "cli_cold_s": round(cli_cold_s, 3), "cli_unchanged_s": round(cli_warm_s, 3),
        "cli_cold_cpu_s": round(cli_cold_cpu, 3), "cli_unchanged_cpu_s": round(cli_warm_cpu, 3),
        "cli_exit": proc.returncode, "cli_notes": len(cli_notes),
        "per_anchor_p50_ms": round(1000 * statistics.median(latencies), 2),
        "per_anchor_p99_ms": round(1000 * pct(latencies, 0.99), 2),
        "accuracy": score(truth, got), "got": got,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--anchors", type=int, default=10_000)
    parser.add_argument("--commits", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--log-l-sample", type=int, default=300)
    parser.add_argument("--latency-sample", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "output" / "anchors")
    args = parser.parse_args()

    t0 = time.perf_counter()
    data = build(args.out, args.files, args.anchors, args.commits, args.seed)
    build_s = time.perf_counter() - t0
    repo, records, truth = data["repo"], data["records"], data["truth"]
    rng = random.Random(args.seed)
    n = len(records)
    cairn = run_cairn(repo, truth, rng.sample(range(n), min(n, args.latency_sample)))
    # Notes are read in path order (d00000.md, ...), which is record order.
    sample = sorted(rng.sample(range(n), min(n, args.log_l_sample)))
    log_s, log_got = run_git_log_l(repo, records, sample, data["recorded_at"])
    log_truth = [truth[i] for i in sample]
    cairn_on_sample = score(log_truth, [cairn["got"][i] for i in sample])
    results: dict[str, Any] = {
        "params": vars(args) | {"out": str(args.out)}, "build_s": round(build_s, 1),
        "load_average_at_end": [round(x, 1) for x in os.getloadavg()], "cpus": os.cpu_count(),
        "history_ops": data["ops"], "truth_stale": sum(1 for t in truth if t[0] == "stale"),
        "truth_status": {s: sum(1 for t in truth if t[0] == s) for s in ("intact", "moved", "reformatted", "stale")},
        "cairn": {k: v for k, v in cairn.items() if k != "got"},
        "git_log_L": {"sample": len(sample), "sample_s": round(log_s, 2),
                      "per_anchor_ms": round(1000 * log_s / len(sample), 2),
                      "extrapolated_all_s": round(log_s / len(sample) * n, 1),
                      "accuracy": score(log_truth, log_got), "cairn_on_same_sample": cairn_on_sample},
    }
    results["git_log_L"]["speedup_vs_cairn_cold"] = round(results["git_log_L"]["extrapolated_all_s"]
                                                          / cairn["cold_total_s"], 1)
    if data["memcite"] is not None:
        m_s, m_got = run_memcite(repo, data["memcite"])
        results["memcite"] = {"all_s": round(m_s, 3), "accuracy": score(truth, m_got)}
    else:
        results["memcite"] = "not installed (pip install memcite)"
    mismatches = [{"anchor": records[i][0]["path"] + ":" + records[i][0]["lines"], "truth": truth[i],
                   "got": cairn["got"][i], "recorded": [t for _, t in records[i][1]]}
                  for i in range(n) if (truth[i][0] == "stale") != cairn["got"][i][0]
                  or (truth[i][0] != "stale" and tuple(truth[i][1]) != tuple(cairn["got"][i][1] or ()))]
    (args.out / "mismatches.json").write_text(json.dumps(mismatches, indent=1), encoding="utf-8")
    (args.out / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
