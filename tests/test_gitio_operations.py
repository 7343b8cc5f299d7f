"""The named git operations `cairn.gitio` offers the rest of the engine (nothing else runs git).

Real throwaway repositories: HEAD read fresh after it moves, tree entries and blobs at a revision
(symlinks and file names with pathspec characters included), the first-parent line through a merge,
the index a pre-commit hook commits from (`GIT_INDEX_FILE` honoured), and the demo's commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn.errors import CairnError, UsageError
from cairn.gitio import forget_repo, open_repo
from cairn.gitio.ranges import default_since, resolve_commit
from cairn.gitio.staging import (
    commit,
    in_index,
    init_repository,
    move,
    stage,
    stage_all,
    staged_blob,
    staged_paths,
    unstaged_paths,
)
from tests.conftest import GitRepo


@pytest.fixture(autouse=True)
def _fresh_repo_cache(repo: GitRepo) -> Iterator[None]:
    yield
    forget_repo(repo.root)


def test_head_is_read_fresh_after_it_moves(repo: GitRepo) -> None:
    git = open_repo(repo.root)
    assert git.head() is None  # no commits yet
    repo.write("a.txt", "one\n")
    first = repo.commit("first")
    assert git.head() == first
    repo.write("a.txt", "two\n")
    second = repo.commit("second")
    assert git.head() == second and git.first_parent(second) == first and git.first_parent(first) is None
    assert resolve_commit(repo.root, "HEAD") == second
    with pytest.raises(UsageError, match="unknown revision 'nope'"):
        resolve_commit(repo.root, "nope")


def test_tree_entry_and_blob_at_a_revision(repo: GitRepo) -> None:
    repo.write("d/a*b.txt", "star\n")
    repo.write("d/axb.txt", "x\n")
    (repo.root / "link").symlink_to("d/axb.txt")
    repo.commit("files")
    git = open_repo(repo.root)
    star = git.tree_entry("HEAD", "d/a*b.txt")  # a pathspec character is taken literally
    assert star is not None and star.kind == "blob" and not star.is_symlink
    assert git.blob_at("HEAD", "d/a*b.txt") == b"star\n"
    link = git.tree_entry("HEAD", "link")
    assert link is not None and link.is_symlink and git.blob_at("HEAD", "link") == b"d/axb.txt"
    folder = git.tree_entry("HEAD", "d")
    assert folder is not None and folder.kind == "tree" and git.blob_at("HEAD", "d") is None
    assert git.tree_entry("HEAD", "missing.txt") is None and git.blob_at("HEAD", "d/a") is None
    assert git.tree_entry("no-such-rev", "link") is None
    # HEAD is a moving name: a later commit is seen at once.
    repo.write("d/a*b.txt", "moved on\n")
    repo.commit("edit")
    assert git.blob_at("HEAD", "d/a*b.txt") == b"moved on\n"


def test_mainline_follows_first_parents_through_a_merge(repo: GitRepo) -> None:
    repo.write("a.txt", "a\n")
    base = repo.commit("base")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("b.txt", "b\n")
    side = repo.commit("side work")
    repo.git("checkout", "-q", "main")
    repo.write("c.txt", "c\n")
    main_work = repo.commit("main work")
    repo.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
    merge = repo.head()
    git = open_repo(repo.root)
    assert git.mainline(merge) == [merge, main_work, base]
    assert git.mainline("side") == [side, base]
    assert git.mainline("no-such-branch") == []
    assert git.first_parent(merge) == main_work and git.parents(merge) == [main_work, side]
    assert default_since(repo.root) == main_work  # on the default branch: what the last commit changed


def test_staging_reads_and_writes_the_index_being_committed(repo: GitRepo, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write("a*.txt", "committed\n")
    repo.write("ab.txt", "other\n")
    repo.commit("base")
    repo.write("a*.txt", "staged\n")
    repo.git("add", "a*.txt")  # git's own glob: both files, but only one changed
    repo.write("a*.txt", "staged\nand more in the working tree\n")
    repo.write("ab.txt", "unstaged edit\n")
    assert staged_paths(repo.root) == {"a*.txt"}
    assert unstaged_paths(repo.root) == {"a*.txt", "ab.txt"}
    assert staged_blob(repo.root, "a*.txt") == b"staged\n" and staged_blob(repo.root, "new.txt") is None
    assert in_index(repo.root, "a*.txt") and not in_index(repo.root, "a?.txt")
    stage(repo.root, ["a*.txt"])  # literal: ab.txt stays unstaged
    assert unstaged_paths(repo.root) == {"ab.txt"}

    # A hook's GIT_INDEX_FILE (what `git commit -a` hands its hooks) is the index these read and write.
    other_index = tmp_path / "next-index"
    repo.git("read-tree", "HEAD", f"--index-output={other_index}")
    monkeypatch.setenv("GIT_INDEX_FILE", str(other_index))
    assert staged_paths(repo.root) == set()
    stage(repo.root, ["ab.txt"])
    assert staged_paths(repo.root) == {"ab.txt"}
    monkeypatch.delenv("GIT_INDEX_FILE")
    assert staged_paths(repo.root) == {"a*.txt"}  # the real index is untouched
    with pytest.raises(CairnError, match="git add failed"):
        stage(repo.root, ["no-such-file.txt"])


def test_building_a_repository_with_named_commits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "built"
    root.mkdir()
    monkeypatch.delenv("GIT_INDEX_FILE", raising=False)
    init_repository(root, "trunk")
    (root / "a.txt").write_text("a\n", encoding="utf-8")
    stage_all(root)
    commit(root, "first", author=("Ada Demo", "ada@example.com"), date="2026-09-01T10:00:00Z")
    move(root, "a.txt", "b.txt")
    commit(root, "rename", author=("Ada Demo", "ada@example.com"), date="2026-09-02T10:00:00Z")
    (root / "b.txt").write_text("b\n", encoding="utf-8")
    commit(root, "edit", author=("Ada Demo", "ada@example.com"), date="2026-09-03T10:00:00Z", all_tracked=True)
    git = open_repo(root)
    try:
        line = git.mainline("HEAD")
        assert [git.subject(sha) for sha in line] == ["edit", "rename", "first"]
        assert git.blob_at("HEAD", "b.txt") == b"b\n" and git.tree_entry("HEAD", "a.txt") is None
        assert git.resolve("trunk") == line[0]
        raw = git.read_object(line[0]) or b""
        assert b"author Ada Demo <ada@example.com> 1788429600 +0000" in raw
        assert b"committer Ada Demo <ada@example.com> 1788429600 +0000" in raw
    finally:
        forget_repo(root)


def test_the_demo_is_built_through_the_named_operations(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m cairn.demo DIR` (make run, the e2e tests): five dated commits by the demo author, printed
    newest first as `git log --oneline` would."""
    from cairn.demo import main

    monkeypatch.delenv("GIT_INDEX_FILE", raising=False)
    target = tmp_path / "demo"
    try:
        assert main([str(target)]) == 0
        git = open_repo(target)
        line = git.mainline("HEAD")
        printed = capsys.readouterr().out.splitlines()
        assert printed[1:] == [f"{sha[:7]} {git.subject(sha)}" for sha in line]
        assert [git.subject(sha) for sha in line] == [
            "Use banker's rounding for invoice lines", "Rename pool module", "Add request logging",
            "Record the team's notes", "Initial service skeleton"]
        assert git.tree_entry("HEAD", "src/db/connection_pool.py") is not None
        assert all(b"author Ada Demo <ada@example.com>" in (git.read_object(sha) or b"") for sha in line)
    finally:
        forget_repo(target)


def test_a_commit_subject_is_cut_at_a_newline_only(repo: GitRepo) -> None:
    repo.write("a.txt", "a\n")
    repo.git("add", "a.txt")
    repo.git("commit", "-q", "-m", "Keep a\u2028b together\n\nThe body.")
    assert open_repo(repo.root).subject(repo.head()) == "Keep a\u2028b together"
