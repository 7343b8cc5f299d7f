"""`cairn hooks install|uninstall` and `cairn sync` in temporary repositories."""

from __future__ import annotations

import json
import os
import select
import stat
import time
from pathlib import Path

from tests.conftest import GitRepo
from tests.mcp.helpers import cairn, git, setup_repo_with_note

OLD_POST_MERGE = """#!/bin/sh
echo "old post-merge ran with $1" >> "$(git rev-parse --git-dir)/old-hook.log"
exit 0
"""

OLD_POST_REWRITE = """#!/bin/sh
while read old new rest; do echo "rewrite $old -> $new" >> "$(git rev-parse --git-dir)/old-hook.log"; done
"""


def _hook(repo: GitRepo, name: str, text: str, folder: str = ".git/hooks") -> Path:
    path = repo.root / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


WAIT = {"CAIRN_HOOK_WAIT": "60"}  # the foreground waits for each sync: no race with the next step


def test_install_chains_reports_stale_and_uninstall_restores(repo: GitRepo) -> None:
    note_id = setup_repo_with_note(repo)
    old = _hook(repo, "post-merge", OLD_POST_MERGE)
    installed = cairn(repo, "hooks", "install", check=True)
    assert "kept your post-merge hook" in installed.stdout
    assert (repo.root / ".git/hooks/post-merge.cairn-chained").read_text() == OLD_POST_MERGE
    assert "cairn-managed hook" in old.read_text()
    repo.commit("attributes")
    script = old.read_text()
    again = cairn(repo, "hooks", "install", check=True)  # idempotent: nothing chained twice
    assert "kept your" not in again.stdout and old.read_text() == script
    assert (repo.root / ".git/hooks/post-merge.cairn-chained").read_text() == OLD_POST_MERGE
    assert repo.read(".gitattributes").count("merge=cairn-note") == 1
    status = cairn(repo, "hooks", "status", check=True).stdout
    assert "post-merge: installed (chained)" in status and "post-checkout: installed" in status

    git(repo, "checkout", "-q", "-b", "feature", **WAIT)
    repo.write("src/app.py", repo.read("src/app.py").replace("return x + 2\n", "return x + 20\n"))
    repo.commit("change f2")
    git(repo, "checkout", "-q", "main", **WAIT)
    merged = git(repo, "merge", "--no-ff", "--no-edit", "feature", **WAIT)
    out = merged.stdout + merged.stderr
    assert f"cairn: note went stale: {note_id}" in out, out
    assert "anchored lines changed" in out
    assert "old post-merge ran with 0" in (repo.root / ".git/old-hook.log").read_text()
    # The same state again says nothing new.
    again = cairn(repo, "sync", check=True)
    assert "went stale" not in again.stdout

    removed = cairn(repo, "hooks", "uninstall", check=True)
    assert "restored previous hooks: post-merge" in removed.stdout
    assert old.read_text() == OLD_POST_MERGE
    assert not (repo.root / ".git/hooks/post-checkout").exists()
    assert not (repo.root / ".git/hooks/post-merge.cairn-chained").exists()
    attributes = repo.root / ".gitattributes"
    assert not attributes.exists() or "cairn" not in attributes.read_text()
    assert git(repo, "config", "--get", "merge.cairn-note.driver", check=False).returncode != 0


def wait_for_background_syncs(repo: GitRepo) -> None:
    """Block until every sync a hook started has exited (pidfd: an event, not a sleep)."""
    log = repo.root / ".git/cairn/sync.log"
    if not log.exists():
        return
    for line in log.read_text().splitlines():
        if not line.startswith("sync pid "):
            continue
        try:
            fd = os.pidfd_open(int(line.split()[-1]))
        except ProcessLookupError:
            continue
        try:
            select.select([fd], [], [], 60)
        finally:
            os.close(fd)


def test_news_is_shown_by_the_operation_that_caused_it_never_later(repo: GitRepo) -> None:
    note_id = setup_repo_with_note(repo)
    cairn(repo, "hooks", "install", check=True)
    repo.commit("attributes")
    git(repo, "checkout", "-q", "-b", "feature", **WAIT)
    repo.write("src/app.py", repo.read("src/app.py").replace("return x + 2\n", "return x + 20\n"))
    repo.commit("change f2")
    git(repo, "checkout", "-q", "main", **WAIT)
    merged = git(repo, "merge", "--no-edit", "feature", CAIRN_HOOK_WAIT="0")
    out = merged.stdout + merged.stderr
    # The foreground did not wait: it says so for this merge, in one line.
    assert "went stale" not in out and "cairn: still checking notes in the background" in out, out
    wait_for_background_syncs(repo)
    # The background result is never shown by a later, unrelated git command.
    for args in (("checkout", "-q", "-b", "other"), ("checkout", "-q", "main")):
        nxt = git(repo, *args, **WAIT)
        assert "went stale" not in nxt.stdout + nxt.stderr
    # It was recorded, so no later sync announces it either.
    assert list(json.loads((repo.root / ".git/cairn/stale.json").read_text())["stale"]) == [note_id]
    assert "went stale" not in cairn(repo, "sync", check=True).stdout


def test_hooks_leave_moved_anchors_to_explicit_commands(repo: GitRepo) -> None:
    note_id = setup_repo_with_note(repo)
    cairn(repo, "hooks", "install", check=True)
    repo.commit("attributes")
    git(repo, "checkout", "-q", "-b", "feature", **WAIT)
    repo.write("src/app.py", "# header\n# more\n" + repo.read("src/app.py"))
    repo.commit("shift code down")
    git(repo, "checkout", "-q", "main", **WAIT)
    git(repo, "merge", "--no-edit", "feature", **WAIT)
    assert git(repo, "status", "--porcelain").stdout == ""
    shown = json.loads(cairn(repo, "show", note_id, "--json", check=True).stdout)
    assert shown["anchors"][0]["lines"] == [4, 5]  # recorded lines untouched by the hooks
    # The derived state knows where the code is now; check follows it (fresh, exit 0).
    locations = json.loads((repo.root / ".git/cairn/locations.json").read_text())
    assert locations["moved"][note_id] == [{"recorded": ["src/app.py", 4, 5], "current": ["src/app.py", 6, 7]}]
    checked = cairn(repo, "check", "--json")
    assert checked.returncode == 0
    assert json.loads(checked.stdout)["notes"][0]["anchors"][0]["current"] == {"path": "src/app.py",
                                                                               "lines": [6, 7]}
    # An explicit command records the new lines (and index.json).
    written = cairn(repo, "sync", "--write", check=True)
    assert "re-anchored 1 note(s)" in written.stdout
    shown = json.loads(cairn(repo, "show", note_id, "--json", check=True).stdout)
    assert shown["anchors"][0]["lines"] == [6, 7]
    index = json.loads(repo.read("agent-context/index.json"))
    assert index["notes"][note_id]["anchors"] == ["src/app.py:6-7"]


def test_post_rewrite_chained_with_stdin(repo: GitRepo) -> None:
    setup_repo_with_note(repo)
    _hook(repo, "post-rewrite", OLD_POST_REWRITE)
    cairn(repo, "hooks", "install", check=True)
    repo.commit("attributes")
    before = repo.head()
    git(repo, "commit", "-q", "--amend", "-m", "amended", CAIRN_HOOK_WAIT="60")
    log = (repo.root / ".git/old-hook.log").read_text()
    assert f"rewrite {before} -> {repo.head()}" in log


def test_core_hooks_path_is_respected(repo: GitRepo) -> None:
    setup_repo_with_note(repo)
    git(repo, "config", "core.hooksPath", ".husky")
    _hook(repo, "post-checkout", '#!/bin/sh\necho "husky post-checkout $3" >> .husky-ran\n', folder=".husky")
    cairn(repo, "hooks", "install", check=True)
    assert "cairn-managed hook" in (repo.root / ".husky/post-checkout").read_text()
    assert not (repo.root / ".git/hooks/post-checkout").exists()
    git(repo, "checkout", "-q", "-b", "other")
    assert "husky post-checkout 1" in (repo.root / ".husky-ran").read_text()
    cairn(repo, "hooks", "uninstall", check=True)
    assert "husky post-checkout" in (repo.root / ".husky/post-checkout").read_text()


def _checkout_times(repo: GitRepo, rounds: int, **env: str) -> list[float]:
    times = []
    for i in range(rounds):
        branch = "b" if i % 2 == 0 else "main"
        start = time.perf_counter()
        git(repo, "checkout", "-q", branch, **env)
        times.append(time.perf_counter() - start)
    return times


def test_checkout_overhead_is_small(repo: GitRepo) -> None:
    """Measures `git checkout` with and without the hooks (reported, loosely bounded: CI machines vary)."""
    setup_repo_with_note(repo)
    git(repo, "checkout", "-q", "-b", "b")
    repo.write("src/app.py", repo.read("src/app.py").replace("return x + 9\n", "return x + 90\n"))
    repo.commit("b")
    git(repo, "checkout", "-q", "main")
    plain = _checkout_times(repo, 6)
    cairn(repo, "hooks", "install", check=True)
    hooked = _checkout_times(repo, 6)
    plain_ms = 1000 * sorted(plain)[len(plain) // 2]
    hooked_ms = 1000 * sorted(hooked)[len(hooked) // 2]
    report = f"checkout median: {plain_ms:.0f} ms without hooks, {hooked_ms:.0f} ms with hooks"
    print(report)
    out = os.environ.get("CAIRN_TIMING_OUT")
    if out:
        Path(out).write_text(report + "\n")
    assert hooked_ms - plain_ms < 2000, report


def test_checkout_fast_path_notices_a_note_added_since_the_last_sync(repo: GitRepo) -> None:
    """The shell fast path trusts its watch list only while no note changed since it was written."""
    setup_repo_with_note(repo)
    cairn(repo, "hooks", "install", check=True)
    repo.write("src/other.py", "def g():\n    return 1\n")
    repo.commit("attributes, other file")
    git(repo, "checkout", "-q", "-b", "feature")
    repo.write("src/other.py", "def g():\n    return 2\n")
    repo.commit("g returns 2")
    git(repo, "checkout", "-q", "main", **WAIT)  # a sync ran: the watch list does not name src/other.py
    assert "src/other.py" not in (repo.root / ".git/cairn/watch-paths").read_text()
    fast = git(repo, "checkout", "-q", "feature", **WAIT)  # nothing anchored changed: sh only
    assert fast.stderr == ""
    git(repo, "checkout", "-q", "main", **WAIT)
    added = cairn(repo, "add", "--kind", "gotcha", "--title", "g is one", "--anchor", "src/other.py:1-2",
                  check=True).stdout.strip()
    note_id = added.removeprefix("agent-context/").removesuffix(".md")
    switched = git(repo, "checkout", "-q", "feature", **WAIT)
    assert f"cairn: note went stale: {note_id}" in switched.stderr, switched.stderr
    squash_env = {**WAIT}
    git(repo, "checkout", "-q", "-f", "main", **squash_env)
    git(repo, "branch", "-q", "-m", "feature", "feature2")
    merged = git(repo, "merge", "--squash", "feature2", **squash_env)  # HEAD does not move
    assert f"cairn: note went stale: {note_id}" in merged.stdout + merged.stderr, merged.stderr
