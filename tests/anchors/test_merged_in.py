"""Issue 10 §2: a change that came in through a merge names the branch commit and the merge.

Real repositories built in the test: a `--no-ff` merge (with mainline work in between, so the branch
and the mainline differ), a squash merge, and a rebased branch.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cairn.notes import NoteStore
from tests.anchors.helpers import func_lines, judge, py_module, record, ws_of
from tests.conftest import GitRepo


@pytest.fixture
def base(repo: GitRepo) -> GitRepo:
    repo.write("src/core.py", py_module("core", 8))
    repo.write("README.md", "# project\n")
    repo.commit("Initial")
    return repo


def _feature_changes_func_3(repo: GitRepo) -> str:
    """On branch `feature`: an unrelated commit, the commit that edits core_func_3, another one after."""
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("docs.txt", "notes\n")
    repo.commit("Add docs")
    repo.write("src/core.py", repo.read("src/core.py").replace("compute_3(value) + 3", "compute_3(value) * 3"))
    sha = repo.commit("ensure_object creates the object on the root context")
    repo.write("docs.txt", "notes\nmore\n")
    repo.commit("More docs")
    return sha


def test_no_ff_merge_names_the_branch_commit_and_the_merge(base: GitRepo) -> None:
    rng = func_lines(base.read("src/core.py"), "core_func_3")
    data = record(base.root, "src/core.py", *rng)
    NoteStore(ws_of(base.root)).create("gotcha", "Core three", "Body.\n", [], [data])
    base.commit("note")
    changed = _feature_changes_func_3(base)
    base.git("checkout", "-q", "main")
    # Mainline work meanwhile: lines above the anchor move it, so the branch's line numbers differ.
    base.write("src/core.py", "import sys\n" + base.read("src/core.py"))
    base.commit("Import sys")
    base.git("merge", "-q", "--no-ff", "-m", "Merge pull request #12 from someone/feature", "feature")
    merge = base.head()
    base.write("README.md", "# project\n\nlater\n")
    base.commit("Later on main")

    v = judge(base.root, data)
    assert v.status == "changed"
    assert (v.changed_in, v.merged_in) == (changed, merge)
    assert v.message.startswith(
        f"anchored lines changed in {changed[:7]} (ensure_object creates the object on the root context), "
        f"merged in {merge[:7]} (Merge pull request #12 from someone/feature): now src/core.py:")

    out = subprocess.run([sys.executable, "-m", "cairn", "check", "--json", "--no-cache"], cwd=base.root,
                         capture_output=True, text=True)
    assert out.returncode == 1, out.stderr
    (anchor,) = json.loads(out.stdout)["notes"][0]["anchors"]
    assert (anchor["changed_in"], anchor["merged_in"]) == (changed, merge)
    human = subprocess.run([sys.executable, "-m", "cairn", "check", "--no-cache"], cwd=base.root,
                           capture_output=True, text=True)
    assert f"changed in {changed[:7]} (ensure_object" in human.stdout
    assert f"merged in {merge[:7]} (Merge pull request #12" in human.stdout


def test_merge_resolution_itself_names_the_merge_only(base: GitRepo) -> None:
    """The branch never touched the lines; the merge commit did (an evil merge): merged_in stays null."""
    rng = func_lines(base.read("src/core.py"), "core_func_5")
    data = record(base.root, "src/core.py", *rng)
    _feature_changes_func_3(base)
    base.git("checkout", "-q", "main")
    base.write("README.md", "# project\nmain\n")
    base.commit("Main work")
    base.git("merge", "-q", "--no-ff", "--no-commit", "feature")
    base.write("src/core.py", base.read("src/core.py").replace("compute_5(value) + 5", "compute_5(value) - 5"))
    base.git("add", "-A")
    base.git("commit", "-q", "-m", "Merge branch 'feature'")
    merge = base.head()
    v = judge(base.root, data)
    assert v.status == "changed"
    assert (v.changed_in, v.merged_in) == (merge, None)
    assert "merged in" not in v.message


def test_squash_merge_names_the_squash_commit(base: GitRepo) -> None:
    rng = func_lines(base.read("src/core.py"), "core_func_3")
    data = record(base.root, "src/core.py", *rng)
    _feature_changes_func_3(base)
    base.git("checkout", "-q", "main")
    base.git("merge", "-q", "--squash", "feature")
    squash = base.commit("Feature (#13)")
    v = judge(base.root, data)
    assert (v.status, v.changed_in, v.merged_in) == ("changed", squash, None)
    assert v.message.startswith(f"anchored lines changed in {squash[:7]} (Feature (#13)): now src/core.py:")


def test_rebased_branch_names_the_commit(base: GitRepo) -> None:
    rng = func_lines(base.read("src/core.py"), "core_func_3")
    data = record(base.root, "src/core.py", *rng)
    _feature_changes_func_3(base)
    base.git("checkout", "-q", "main")
    base.write("README.md", "# project\nmain\n")
    base.commit("Main work")
    base.git("checkout", "-q", "feature")
    base.git("rebase", "-q", "main")
    base.git("checkout", "-q", "main")
    base.git("merge", "-q", "--ff-only", "feature")
    rebased = base.git("log", "--format=%H", "-1", "--grep=ensure_object").strip()
    v = judge(base.root, data)
    assert (v.status, v.changed_in, v.merged_in) == ("changed", rebased, None)
