"""Blob ids taken from git's index stat data (`cairn.gitio.index_stat`) on real repositories.

Whatever git's index says, the working-tree snapshot's key of a file is the blob id of its bytes on
disk: trusted entries save the read, every doubtful one (changed since, racily clean, filters,
skip-worktree, assume-unchanged) is read and hashed as before. Index versions 2, 3 and 4 are parsed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn.anchors.target import WorktreeSnapshot
from cairn.gitio import blob_id, forget_repo, open_repo
from cairn.gitio.index_stat import clean_entries
from tests.conftest import GitRepo

FILES = {"a.py": "alpha = 1\n", "pkg/b.py": "beta = 2\n", "pkg/deep/c.txt": "gamma\n", "d e.md": "delta\n"}


@pytest.fixture(autouse=True)
def _fresh_repo_cache(repo: GitRepo) -> Iterator[None]:
    yield
    forget_repo(repo.root)


def _committed(repo: GitRepo) -> None:
    """FILES committed with mtimes well in the past (so no entry is racily clean)."""
    past = time.time() - 60
    for rel, text in FILES.items():
        os.utime(repo.write(rel, text), (past, past))
    repo.commit("files")


def _staged_shas(repo: GitRepo) -> dict[str, str]:
    out = {}
    for line in repo.git("ls-files", "-s", "-z").split("\0"):
        if line:
            meta, _, path = line.partition("\t")
            out[path] = meta.split()[1]
    return out


def _keys(root: Path) -> tuple[dict[str, str | None], set[str]]:
    """Every listed file's key from a snapshot that trusts the index, and the files it had to read."""
    snap = WorktreeSnapshot(root, open_repo(root), None)
    snap.trust_index()
    keys = {p: snap.key(p) for p in snap.paths()}
    return keys, set(snap._data)


def _disk(root: Path, rels: list[str]) -> dict[str, str | None]:
    return {rel: blob_id((root / rel).read_bytes()) for rel in rels}


@pytest.mark.parametrize("version", ["2", "3", "4"])
def test_clean_files_take_the_index_blob_without_being_read(repo: GitRepo, version: str) -> None:
    _committed(repo)
    repo.git("update-index", "--index-version", version)
    entries = clean_entries(open_repo(repo.root), list(FILES))
    assert {p: e.sha for p, e in entries.items()} == _staged_shas(repo)
    keys, read = _keys(repo.root)
    assert keys == _disk(repo.root, list(FILES))
    assert read == set()


def test_a_changed_file_is_read_even_with_size_and_mtime_put_back(repo: GitRepo) -> None:
    _committed(repo)
    path = repo.root / "a.py"
    before = path.stat()
    path.write_text("ALPHA = 1\n", encoding="utf-8")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # ctime still moves
    keys, read = _keys(repo.root)
    assert keys == _disk(repo.root, list(FILES))
    assert keys["a.py"] != _staged_shas(repo)["a.py"] and read == {"a.py"}


def test_racily_clean_entries_are_not_trusted(repo: GitRepo) -> None:
    _committed(repo)
    future = time.time() + 30
    os.utime(repo.root / "a.py", (future, future))
    repo.git("add", "a.py")  # the entry's mtime is newer than the index file: racily clean
    entries = clean_entries(open_repo(repo.root), list(FILES))
    assert "a.py" not in entries and "pkg/b.py" in entries
    keys, read = _keys(repo.root)
    assert keys == _disk(repo.root, list(FILES)) and read == {"a.py"}


def test_skip_worktree_and_assume_unchanged_entries_are_read(repo: GitRepo) -> None:
    _committed(repo)
    repo.git("update-index", "--skip-worktree", "pkg/b.py")
    repo.git("update-index", "--assume-unchanged", "a.py")
    (repo.root / "a.py").write_text("changed behind git's back\n", encoding="utf-8")
    entries = clean_entries(open_repo(repo.root), list(FILES))
    assert "a.py" not in entries and "pkg/b.py" not in entries and "d e.md" in entries
    keys, _ = _keys(repo.root)
    assert keys == _disk(repo.root, list(FILES))


def test_filters_make_the_index_untrusted(repo: GitRepo) -> None:
    _committed(repo)
    repo.git("config", "core.autocrlf", "true")
    assert clean_entries(open_repo(repo.root), list(FILES)) == {}
    repo.git("config", "core.autocrlf", "false")
    assert clean_entries(open_repo(repo.root), list(FILES)) != {}
    repo.write("pkg/.gitattributes", "*.py text eol=crlf\n")  # untracked still applies
    assert clean_entries(open_repo(repo.root), [*FILES, "pkg/.gitattributes"]) == {}
    (repo.root / "pkg/.gitattributes").unlink()
    repo.write(".gitignore", ".gitattributes\n")
    repo.write("pkg/deep/.gitattributes", "*.txt text eol=crlf\n")  # ignored, still applies
    assert clean_entries(open_repo(repo.root), [*FILES, ".gitignore"]) == {}
    (repo.root / "pkg/deep/.gitattributes").unlink()
    (repo.root / ".gitignore").unlink()
    (repo.root / ".git/info").mkdir(exist_ok=True)
    (repo.root / ".git/info/attributes").write_text("* filter=x\n", encoding="utf-8")
    assert clean_entries(open_repo(repo.root), list(FILES)) == {}
    keys, _ = _keys(repo.root)
    assert keys == _disk(repo.root, list(FILES))


def test_no_index_or_a_damaged_one_falls_back_to_reading(repo: GitRepo) -> None:
    _committed(repo)
    index = repo.root / ".git/index"
    index.write_bytes(index.read_bytes()[:40])
    assert clean_entries(open_repo(repo.root), list(FILES)) == {}
    index.unlink()
    assert clean_entries(open_repo(repo.root), list(FILES)) == {}
