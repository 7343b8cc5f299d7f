"""`gitio.catfile.CatFile`: the persistent `git cat-file --batch` child behind `GitRepo`'s object reads."""

from __future__ import annotations

import os

from cairn.gitio.catfile import CatFile
from cairn.gitio.repo import GitRepo, blob_id
from tests.conftest import GitRepo as Repo


def test_reads_objects_reports_missing_ones_and_restarts(repo: Repo) -> None:
    repo.write("a.txt", "alpha\n")
    repo.write("dir/b b.txt", "beta\n")
    head = repo.commit("two files")
    cat = CatFile(repo.root, dict(os.environ))
    try:
        sha, kind, data = cat.read(f"{head}:a.txt") or ("", "", b"")
        assert (sha, kind, data) == (blob_id(b"alpha\n"), "blob", b"alpha\n")
        assert cat.read(f"{head}:dir/b b.txt") == (blob_id(b"beta\n"), "blob", b"beta\n")
        commit = cat.read(head)
        assert commit is not None and commit[1] == "commit" and b"two files" in commit[2]
        assert cat.read("0" * 40) is None  # missing
        assert cat.read(f"{head}:nope.txt") is None
        assert cat.read("a\nb") is None  # a name git could not read as one line
        cat.close()
        assert cat.read(f"{head}:a.txt") is not None  # a closed (or dead) child is started again
    finally:
        cat.close()


def test_git_repo_reads_blobs_and_checks_commits_through_it(repo: Repo) -> None:
    repo.write("a.txt", "alpha\n")
    head = repo.commit("one file")
    git = GitRepo(repo.root)
    try:
        assert git.has_commit(head) and not git.has_commit("f" * 40)
        assert git.read_blob(blob_id(b"alpha\n")[:12]) == b"alpha\n"
        assert git.read_object(f"{head}:a.txt") == b"alpha\n"
        assert git.subject(head) == "one file"
    finally:
        git.close()
