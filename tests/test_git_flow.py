"""Everyday git with `cairn hooks install`: no git command fails and the working tree stays clean.

Real temporary repositories and the real hooks. After every sequence the hooks' background work is
allowed to finish (each sync a hook started is waited for through its pid, an event) before the tree
is inspected. Also the opt-in pre-commit re-anchoring (`cairn hooks install --pre-commit` and the
pre-commit framework's hook from `.pre-commit-hooks.yaml`).
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import GIT_ENV, GitRepo
from tests.mcp.helpers import cairn, git
from tests.test_hooks import wait_for_background_syncs

ROOT = Path(__file__).resolve().parent.parent
APP = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(1, 41))  # 120 lines
# Default waits (the hooks as a user meets them), and none at all (everything left to the background).
WAITS = [pytest.param({}, id="default-wait"), pytest.param({"CAIRN_HOOK_WAIT": "0"}, id="all-background")]


def _clean(repo: GitRepo) -> None:
    wait_for_background_syncs(repo)
    status = git(repo, "status", "--porcelain").stdout
    assert status == "", f"the working tree is dirty:\n{status}"


def _shifted_repo(repo: GitRepo, env: dict[str, str]) -> str:
    """The issue's set-up: a note on lines, the code shifted under it and committed, hooks installed."""
    repo.write("src/core.py", APP)
    repo.write("README.md", "readme\n")
    repo.commit("code")
    cairn(repo, "init", check=True)
    rel = cairn(repo, "add", "--kind", "gotcha", "--title", "t", "--anchor", "src/core.py:40-45", "--body", "b",
                check=True).stdout.strip()
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "note")
    lines = repo.read("src/core.py").splitlines(keepends=True)
    repo.write("src/core.py", "".join([*lines[:32], "    # c\n", "\n", *lines[32:]]))
    git(repo, "commit", "-q", "-am", "shift", **env)
    cairn(repo, "hooks", "install", check=True)
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-q", "-m", "hooks", **env)
    return rel.removeprefix("agent-context/").removesuffix(".md")


@pytest.mark.parametrize("env", WAITS)
def test_the_issue_sequence_merges_and_leaves_a_clean_tree(repo: GitRepo, env: dict[str, str]) -> None:
    note_id = _shifted_repo(repo, env)
    git(repo, "checkout", "-q", "-b", "feature", **env)
    repo.write("README.md", repo.read("README.md") + "\n")
    git(repo, "commit", "-q", "-am", "x", **env)
    git(repo, "checkout", "-q", "main", **env)
    _clean(repo)
    merged = git(repo, "merge", "feature", check=False, **env)
    assert merged.returncode == 0, merged.stderr
    _clean(repo)
    # The note still follows the code (fresh), from its recorded lines.
    checked = cairn(repo, "check", "--json")
    assert checked.returncode == 0, checked.stdout
    anchor = json.loads(checked.stdout)["notes"][0]["anchors"][0]
    assert (anchor["lines"], anchor["status"], anchor["current"]["lines"]) == ([40, 45], "moved", [42, 47])
    assert json.loads(cairn(repo, "show", note_id, "--json").stdout)["anchors"][0]["lines"] == [40, 45]


def _feature_commit(repo: GitRepo, env: dict[str, str]) -> str:
    git(repo, "checkout", "-q", "-b", "feature", "HEAD~2", **env)  # before the shift and the hooks commit
    repo.write("NOTES.txt", "feature\n")
    git(repo, "add", "NOTES.txt")
    git(repo, "commit", "-q", "-m", "feature work", **env)
    return repo.head()


@pytest.mark.parametrize("env", WAITS)
def test_rebase_leaves_a_clean_tree(repo: GitRepo, env: dict[str, str]) -> None:
    _shifted_repo(repo, env)
    _feature_commit(repo, env)
    rebased = git(repo, "rebase", "main", check=False, **env)
    assert rebased.returncode == 0, rebased.stderr
    _clean(repo)
    git(repo, "checkout", "-q", "main", **env)
    assert git(repo, "merge", "--ff-only", "feature", check=False, **env).returncode == 0
    _clean(repo)


@pytest.mark.parametrize("env", WAITS)
def test_cherry_pick_leaves_a_clean_tree(repo: GitRepo, env: dict[str, str]) -> None:
    _shifted_repo(repo, env)
    picked = _feature_commit(repo, env)
    git(repo, "checkout", "-q", "main", **env)
    _clean(repo)
    result = git(repo, "cherry-pick", picked, check=False, **env)
    assert result.returncode == 0, result.stderr
    _clean(repo)


@pytest.mark.parametrize("env", WAITS)
def test_stash_and_pop_leave_only_the_stashed_change(repo: GitRepo, env: dict[str, str]) -> None:
    _shifted_repo(repo, env)
    repo.write("src/core.py", "# local edit above the anchor\n" + repo.read("src/core.py"))
    git(repo, "stash", **env)
    _clean(repo)
    git(repo, "checkout", "-q", "-b", "elsewhere", "HEAD~1", **env)
    git(repo, "checkout", "-q", "main", **env)
    _clean(repo)
    popped = git(repo, "stash", "pop", check=False, **env)
    assert popped.returncode == 0, popped.stderr
    wait_for_background_syncs(repo)
    assert git(repo, "status", "--porcelain").stdout == " M src/core.py\n"


@pytest.mark.parametrize("env", WAITS)
def test_pull_rebase_from_a_second_clone_leaves_a_clean_tree(repo: GitRepo, env: dict[str, str],
                                                             tmp_path: Path) -> None:
    _shifted_repo(repo, env)
    other = GitRepo(tmp_path / "clone")
    subprocess.run(["git", "clone", "-q", str(repo.root), str(other.root)], check=True, capture_output=True,
                   env={**GIT_ENV, "PATH": __import__("os").environ["PATH"], "HOME": str(tmp_path)})
    for key in ("user.name", "user.email"):
        other.git("config", key, GIT_ENV["GIT_AUTHOR_NAME" if key == "user.name" else "GIT_AUTHOR_EMAIL"])
    cairn(other, "hooks", "install", check=True)
    _clean(other)
    # Upstream moves the anchored code again; the clone has a local commit of its own.
    lines = repo.read("src/core.py").splitlines(keepends=True)
    repo.write("src/core.py", "".join(["# upstream\n", *lines]))
    git(repo, "commit", "-q", "-am", "upstream shift", **env)
    other.write("LOCAL.txt", "local\n")
    git(other, "add", "LOCAL.txt")
    git(other, "commit", "-q", "-m", "local work", **env)
    pulled = git(other, "pull", "--rebase", "-q", check=False, **env)
    assert pulled.returncode == 0, pulled.stderr
    _clean(other)
    assert cairn(other, "check").returncode == 0


# ---- opt-in pre-commit re-anchoring ------------------------------------------------------------
def _note_lines(repo: GitRepo, rel: str, rev: str = "HEAD") -> list[str]:
    text = git(repo, "show", f"{rev}:{rel}").stdout
    return [line.strip() for line in text.splitlines() if line.strip().startswith("lines:")]


def _moved_in_commit(repo: GitRepo, env: dict[str, str], commit: list[str]) -> str:
    repo.write("src/core.py", APP)
    repo.commit("code")
    cairn(repo, "init", check=True)
    rel = cairn(repo, "add", "--kind", "gotcha", "--title", "t", "--anchor", "src/core.py:40-45", "--body", "b",
                check=True).stdout.strip()
    repo.commit("note")
    repo.write("src/core.py", "# one\n# two\n# three\n" + repo.read("src/core.py"))
    result = git(repo, *commit, check=False, **env)
    assert result.returncode == 0, result.stderr
    return rel


def test_pre_commit_hook_stages_the_new_lines_into_the_same_commit(repo: GitRepo) -> None:
    cairn(repo, "hooks", "install", "--pre-commit", check=True)
    assert "pre-commit: installed" in cairn(repo, "hooks", "status", check=True).stdout
    rel = _moved_in_commit(repo, {}, ["commit", "-q", "-am", "move code"])
    changed = git(repo, "show", "--name-only", "--format=", "HEAD").stdout.split()
    assert sorted(changed) == sorted(["agent-context/index.json", rel, "src/core.py"])
    assert _note_lines(repo, rel) == ["lines: 43-48"]
    _clean(repo)
    anchor = json.loads(cairn(repo, "check", "--json", check=True).stdout)["notes"][0]["anchors"][0]
    assert anchor["status"] == "intact"
    removed = cairn(repo, "hooks", "uninstall", check=True).stdout
    assert "pre-commit" in removed and not (repo.root / ".git/hooks/pre-commit").exists()


def test_pre_commit_uses_the_staged_content_and_leaves_unstaged_edits_alone(repo: GitRepo) -> None:
    cairn(repo, "hooks", "install", "--pre-commit", check=True)
    repo.write("src/core.py", APP)
    repo.commit("code")
    cairn(repo, "init", check=True)
    rel = cairn(repo, "add", "--kind", "gotcha", "--title", "t", "--anchor", "src/core.py:40-45", "--body", "b",
                check=True).stdout.strip()
    repo.commit("note")
    repo.write("src/core.py", "# staged\n" + APP)
    git(repo, "add", "src/core.py")
    repo.write("src/core.py", "# unstaged\n# unstaged\n# staged\n" + APP)  # not part of this commit
    result = git(repo, "commit", "-q", "-m", "staged move")
    assert _note_lines(repo, rel) == ["lines: 41-46"], result.stderr  # the staged content's lines
    assert git(repo, "status", "--porcelain").stdout == " M src/core.py\n"


def test_pre_commit_fails_open(repo: GitRepo) -> None:
    cairn(repo, "hooks", "install", "--pre-commit", check=True)
    repo.write("src/core.py", APP)
    repo.commit("code")
    cairn(repo, "init", check=True)
    repo.write("agent-context/config.toml", "[kinds\nbroken = \n")  # cairn cannot even load its config
    repo.write("src/core.py", "# moved\n" + APP)
    result = git(repo, "commit", "-q", "-am", "commit anyway", check=False)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("cairn:")]
    assert len(lines) == 1 and lines[0].startswith("cairn: pre-commit re-anchoring skipped: "), result.stderr
    assert git(repo, "log", "-1", "--format=%s").stdout.strip() == "commit anyway"


def test_pre_commit_framework_hook_definition(repo: GitRepo) -> None:
    """`.pre-commit-hooks.yaml` as the framework reads it; its entry run as the framework runs it."""
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "cairn-reanchor")
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    entry = shlex.split(hook["entry"])
    assert entry[0] == "cairn"
    repo.write("src/core.py", APP)
    repo.commit("code")
    cairn(repo, "init", check=True)
    rel = cairn(repo, "add", "--kind", "gotcha", "--title", "t", "--anchor", "src/core.py:40-45", "--body", "b",
                check=True).stdout.strip()
    repo.commit("note")
    repo.write("src/core.py", "# one\n" + APP)
    git(repo, "add", "src/core.py")
    ran = cairn(repo, *entry[1:], *hook.get("args", []))
    assert ran.returncode == 0 and "re-anchored and staged 1 note(s)" in ran.stderr
    # The framework fails a hook that leaves unstaged modifications: there are none.
    assert git(repo, "diff", "--name-only").stdout == ""
    git(repo, "commit", "-q", "-m", "move")
    assert _note_lines(repo, rel) == ["lines: 41-46"]


def test_recall_finds_a_note_in_a_renamed_file_without_rewriting_it(repo: GitRepo) -> None:
    """The hooks keep moved anchors' current places under the git dir; recall reads them."""
    repo.write("src/app.py", APP)
    repo.commit("code")
    cairn(repo, "init", check=True)
    rel = cairn(repo, "add", "--kind", "gotcha", "--title", "f5 rule", "--anchor", "src/app.py:13-14", "--body", "b",
                check=True).stdout.strip()
    cairn(repo, "hooks", "install", check=True)
    repo.commit("note and hooks")
    git(repo, "checkout", "-q", "-b", "rename")
    (repo.root / "lib").mkdir()
    git(repo, "mv", "src/app.py", "lib/core.py")
    git(repo, "commit", "-q", "-m", "rename")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "rename", CAIRN_HOOK_WAIT="60")
    _clean(repo)
    assert "path: src/app.py" in repo.read(rel)  # the note itself is untouched
    pack = json.loads(cairn(repo, "recall", "lib/core.py:13", "--json", check=True).stdout)
    assert [n["id"] for n in pack["notes"]] == ["gotchas/f5-rule"]
    assert pack["notes"][0]["anchors"] == ["lib/core.py:13-14 (recorded src/app.py:13-14)"]  # the place now first


def test_pre_commit_with_paths_leaves_the_notes_alone(repo: GitRepo) -> None:
    """`git commit PATH` commits a temporary index: staging a note there would leave the real index dirty."""
    cairn(repo, "hooks", "install", "--pre-commit", check=True)
    rel = _moved_in_commit(repo, {}, ["commit", "-q", "src/core.py", "-m", "only the code"])
    assert _note_lines(repo, rel) == ["lines: 40-45"]
    assert git(repo, "status", "--porcelain").stdout == ""
    assert cairn(repo, "check").returncode == 0  # still fresh: the engine follows the moved code
