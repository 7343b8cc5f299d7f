"""A bulk check reads history once (evidence.py, engine.Checker._placements).

A cold `cairn check` needs history twice: evidence that code found in another file moved there in one
change (issue 10 §5), and the first-parent walk with patches that names the commits of stale anchors.
On a range without merges the walk's log answers both, so the check holds evidence back until it knows
the walk will read that log. These tests build real repositories, watch which `git log`s run through
git's own trace (GIT_TRACE), and hold the answers to those of the same anchors judged one at a time
(no holding back, evidence from its own log).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cairn.anchors import Checker
from cairn.anchors import engine as anchor_engine
from cairn.notes import Anchor
from tests.anchors.helpers import anchor_of, func_lines, py_module, record, ws_of
from tests.conftest import GitRepo

STALE = 24  # more than the walk needs to read the whole log (history.WHOLE_LOG_MIN_TRACKERS)
MOVED = (30, 31, 32)


def _history(repo: GitRepo, merged: bool) -> list[Anchor]:
    """Anchors on 34 functions of src/a.py: three move to src/b.py in one commit (on a branch merged
    with --no-ff when `merged`), then STALE of them are edited, one by one."""
    repo.write("src/a.py", py_module("a", 34))
    repo.write("src/b.py", py_module("b", 3))
    repo.commit("Initial")
    text = repo.read("src/a.py")
    anchors = [anchor_of(record(repo.root, "src/a.py", *func_lines(text, f"a_func_{i}"))) for i in range(34)]
    if merged:
        repo.git("checkout", "-q", "-b", "move")
    lines = text.split("\n")
    moved: list[str] = []
    for i in sorted(MOVED, reverse=True):
        start, end = func_lines("\n".join(lines), f"a_func_{i}")
        moved = [*lines[start - 1:end], "", *moved]
        del lines[start - 1:end + 1]
    repo.write("src/a.py", "\n".join(lines))
    repo.write("src/b.py", repo.read("src/b.py") + "\n" + "\n".join(moved) + "\n")
    repo.commit("Move three functions to b.py")
    if merged:
        repo.git("checkout", "-q", "main")
        repo.write("README.md", "main moves on\n")
        repo.commit("Readme")
        repo.git("merge", "-q", "--no-ff", "-m", "Merge branch 'move'", "move")
    for i in range(STALE):
        repo.write("src/a.py", repo.read("src/a.py").replace(f"compute_{i}(value) + {i}", f"compute_{i}(value) * {i}"))
        repo.commit(f"Change a_func_{i}")
    repo.write("README.md", "later\n")
    repo.commit("Later")
    return anchors


def _logs_run(trace: Path) -> list[str]:
    if not trace.exists():
        return []
    return [line.split("trace: built-in: git ", 1)[1] for line in trace.read_text().splitlines()
            if "trace: built-in: git " in line and " log " in f" {line.split('trace: built-in: git ', 1)[1]}"]


def _answers(verdicts: list[anchor_engine.AnchorVerdict]) -> list[tuple[object, ...]]:
    return [(v.status, v.current, v.best, v.changed_in, v.merged_in, v.message) for v in verdicts]


def _bulk_and_one_by_one(repo: GitRepo, anchors: list[Anchor], trace: Path,
                         monkeypatch: pytest.MonkeyPatch) -> tuple[list[anchor_engine.AnchorVerdict], list[str],
                                                                    list[anchor_engine.AnchorVerdict]]:
    monkeypatch.setenv("GIT_TRACE", str(trace))
    anchor_engine._WALK_MEMO.clear()  # the in-process memo of named commits: each run walks for itself
    with Checker(ws_of(repo.root), use_cache=False) as checker:
        bulk = checker.verdicts(anchors)
    logs = _logs_run(trace)
    monkeypatch.delenv("GIT_TRACE")
    anchor_engine._WALK_MEMO.clear()
    with Checker(ws_of(repo.root), use_cache=False) as checker:
        alone = [checker.verdicts([a])[0] for a in anchors]  # below the bulk size: nothing held back
    return bulk, logs, alone


def test_linear_history_is_read_with_one_log(repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    anchors = _history(repo, merged=False)
    bulk, logs, alone = _bulk_and_one_by_one(repo, anchors, tmp_path / "trace.txt", monkeypatch)

    assert len(logs) == 1 and " -p " in f" {logs[0]} " and "--first-parent" in logs[0]
    assert _answers(bulk) == _answers(alone)
    by_func = dict(enumerate(bulk))
    for i in MOVED:
        assert by_func[i].status == "moved" and by_func[i].current is not None
        assert by_func[i].current[0] == "src/b.py"
    subjects = {i: by_func[i].message for i in range(STALE)}
    for i, message in subjects.items():
        assert by_func[i].status == "changed"
        assert f"(Change a_func_{i})" in message


def test_history_with_a_merge_reads_the_evidence_log_too(repo: GitRepo, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    anchors = _history(repo, merged=True)
    bulk, logs, alone = _bulk_and_one_by_one(repo, anchors, tmp_path / "trace.txt", monkeypatch)

    # The walk's log shows the merge's first-parent diff only; the branch's own commits are evidence too.
    assert any("--topo-order" in log for log in logs)
    assert _answers(bulk) == _answers(alone)
    for i in MOVED:
        assert bulk[i].status == "moved" and bulk[i].current is not None and bulk[i].current[0] == "src/b.py"
    for i in range(STALE):
        assert bulk[i].status == "changed" and f"(Change a_func_{i})" in bulk[i].message


def test_few_stale_anchors_keep_the_evidence_log(repo: GitRepo, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Too few stale anchors for the walk to read the whole log: evidence reads its own (no patches)."""
    anchors = _history(repo, merged=False)[STALE:]  # the moved ones and others: none stale
    bulk, logs, alone = _bulk_and_one_by_one(repo, anchors, tmp_path / "trace.txt", monkeypatch)

    assert logs and all(" -p " not in f" {log} " for log in logs)
    assert _answers(bulk) == _answers(alone)
    assert all(v.fresh for v in bulk)


def test_anchors_recorded_at_two_commits_share_the_oldest_log(repo: GitRepo, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The walk reads one log from the oldest recorded commit; evidence for anchors recorded later on the
    same line is the tail of that log."""
    repo.write("src/a.py", py_module("a", 30))
    repo.write("src/b.py", py_module("b", 3))
    repo.commit("Initial")
    text = repo.read("src/a.py")
    early = [anchor_of(record(repo.root, "src/a.py", *func_lines(text, f"a_func_{i}"))) for i in range(14)]
    repo.write("README.md", "one\n")
    repo.commit("Readme")
    later = [anchor_of(record(repo.root, "src/a.py", *func_lines(text, f"a_func_{i}"))) for i in range(14, 30)]
    # Move a_func_27 to b.py (evidence needed for an anchor recorded at the later commit).
    start, end = func_lines(text, "a_func_27")
    lines = text.split("\n")
    block = lines[start - 1:end]
    del lines[start - 1:end + 1]
    repo.write("src/a.py", "\n".join(lines))
    repo.write("src/b.py", repo.read("src/b.py") + "\n" + "\n".join(block) + "\n")
    repo.commit("Move a_func_27 to b.py")
    for i in range(24):
        repo.write("src/a.py", repo.read("src/a.py").replace(f"compute_{i}(value) + {i}", f"compute_{i}(value) * {i}"))
        repo.commit(f"Change a_func_{i}")
    anchors = early + later
    assert early[0].commit != later[0].commit
    bulk, logs, alone = _bulk_and_one_by_one(repo, anchors, tmp_path / "trace.txt", monkeypatch)

    assert len(logs) == 1 and " -p " in f" {logs[0]} " and early[0].commit in logs[0]
    assert _answers(bulk) == _answers(alone)
    assert bulk[27].status == "moved" and bulk[27].current is not None and bulk[27].current[0] == "src/b.py"
    for i in range(24):
        assert bulk[i].status == "changed" and f"(Change a_func_{i})" in bulk[i].message
