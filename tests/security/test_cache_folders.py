"""Issue 11 item 10: a read-only or replaced index folder is one line naming the folder, never a traceback.

Before: `cairn search` printed `internal error: FileExistsError` (index folder replaced by a file) or
`PermissionError` (read-only folder). Now the search index falls back to an in-memory index with one
line naming the folder, and an unusable cache folder is a one-line usage error naming it.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.conftest import GitRepo
from tests.mcp.helpers import CAIRN_BIN, cairn, cairn_env, setup_repo_with_note


def _index_dir(repo: GitRepo) -> str:
    return str(repo.root / ".git" / "cairn" / "index")


@pytest.mark.parametrize("replace_with", ["file", "lock-folder"])
def test_replaced_index_folder_is_named_in_one_line_and_search_still_works(repo: GitRepo, replace_with: str) -> None:
    note_id = setup_repo_with_note(repo)
    cairn(repo, "search", "adds", check=True)  # builds the index on disk
    index = repo.root / ".git" / "cairn" / "index"
    shutil.rmtree(index)
    if replace_with == "file":
        index.write_text("not a folder")
    else:
        (index / "lock").mkdir(parents=True)  # the lock file replaced by a folder
    for args in (("search", "adds"), ("recall", "src/app.py", "--query", "adds")):
        out = cairn(repo, *args)
        assert out.returncode == 0, out.stderr
        assert note_id in out.stdout
        line = [x for x in out.stderr.splitlines() if x.strip()]
        assert len(line) == 1 and _index_dir(repo) in line[0] and "internal error" not in line[0], out.stderr


def test_replaced_cache_folder_is_a_one_line_error(repo: GitRepo) -> None:
    setup_repo_with_note(repo)
    cache = repo.root / ".git" / "cairn"
    shutil.rmtree(cache, ignore_errors=True)
    cache.write_text("not a folder")
    for args in (("search", "adds"), ("check",), ("add", "--kind", "gotcha", "--title", "t", "--body", "b")):
        out = cairn(repo, *args)
        assert out.returncode == 2, (args, out.stderr)
        assert out.stderr.strip().splitlines() == [out.stderr.strip()] and str(cache) in out.stderr
        assert "internal error" not in out.stderr and "Traceback" not in out.stderr


def _without_dac_override(repo: GitRepo, *args: str) -> subprocess.CompletedProcess[str]:
    """`cairn ARGS` as a process that honours file permissions even when the tests run as root: root
    ignores a folder's mode only through CAP_DAC_OVERRIDE, which setpriv drops (CI runs as root)."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "util-linux's setpriv is needed to test permissions as root"
        drop = "-dac_override,-dac_read_search"
        prefix = [setpriv, f"--inh-caps={drop}", f"--bounding-set={drop}", "--"]
    return subprocess.run([*prefix, CAIRN_BIN, *args], cwd=repo.root, capture_output=True, text=True, timeout=120,
                          env=cairn_env(repo))


def test_read_only_index_folder_is_named_in_one_line(repo: GitRepo) -> None:
    note_id = setup_repo_with_note(repo)
    cairn(repo, "search", "adds", check=True)
    index = repo.root / ".git" / "cairn" / "index"
    shutil.rmtree(index)
    index.mkdir()
    index.chmod(0o555)
    try:
        out = _without_dac_override(repo, "search", "adds")
        assert out.returncode == 0 and note_id in out.stdout
        assert len(out.stderr.strip().splitlines()) == 1 and str(index) in out.stderr
    finally:
        index.chmod(0o755)
