"""Issue 11 item 10: how notes are written — file modes, temporary files after kill -9.

- Notes were written with mode 0600 (an existing 0644 note became 0600): a rewritten file keeps its
  mode, a new one gets what the umask gives.
- A writer killed with SIGKILL between writing its temporary file and renaming it left `.…tmp` files
  that showed in `git status`: temporary files are now written under the git directory (same file
  system, so the rename stays atomic), and stale ones are removed on the next write.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.conftest import GitRepo
from tests.mcp.helpers import CAIRN_BIN, cairn, cairn_env, git, setup_repo_with_note


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _cairn_with_umask(repo: GitRepo, umask: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CAIRN_BIN, *args], cwd=repo.root, capture_output=True, text=True, timeout=60,
                          env=cairn_env(repo), preexec_fn=lambda: os.umask(umask))


def test_rewrites_keep_the_mode_and_new_notes_honour_the_umask(repo: GitRepo) -> None:
    note_id = setup_repo_with_note(repo)
    note = repo.root / "agent-context" / f"{note_id}.md"
    note.chmod(0o644)
    for args in (("review-done", note_id), ("update", note_id, "--append", "more")):
        out = _cairn_with_umask(repo, 0o077, *args)
        assert out.returncode == 0, out.stderr
        assert _mode(note) == 0o644, args
    note.chmod(0o664)
    _cairn_with_umask(repo, 0o022, "review-done", note_id)
    assert _mode(note) == 0o664
    for umask, want in ((0o022, 0o644), (0o002, 0o664), (0o077, 0o600)):
        out = _cairn_with_umask(repo, umask, "add", "--kind", "gotcha", "--title", f"umask {umask:o}", "--body", "b")
        assert out.returncode == 0, out.stderr
        assert _mode(repo.root / out.stdout.strip()) == want, (oct(umask), oct(_mode(repo.root / out.stdout.strip())))
    assert _mode(repo.root / "agent-context" / "index.json") == 0o644


KILLED_WRITER = textwrap.dedent("""
    import os, signal, sys
    from cairn.notes.store import NoteStore
    from cairn.workspace import Workspace

    real_replace = os.replace
    def replace(src, dst):
        if str(dst).endswith(".md"):
            os.kill(os.getpid(), signal.SIGKILL)  # kill -9 between the temporary file and the rename
        return real_replace(src, dst)
    os.replace = replace
    NoteStore(Workspace.discover(sys.argv[1])).update(sys.argv[2], None, lambda meta, body: (meta, body + "more\\n"))
""")


def test_a_writer_killed_mid_write_leaves_nothing_in_git_status(repo: GitRepo) -> None:
    note_id = setup_repo_with_note(repo)
    note = repo.root / "agent-context" / f"{note_id}.md"
    before = note.read_bytes()
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(repo.root), note_id], capture_output=True,
                          env=cairn_env(repo), timeout=60)
    assert proc.returncode == -9, proc.stderr
    assert note.read_bytes() == before  # atomic: the old note is intact
    assert git(repo, "status", "--porcelain", "--untracked-files=all", "--ignored").stdout == ""
    leftovers = list((repo.root / ".git" / "cairn" / "tmp").iterdir())
    assert leftovers and all(p.name.endswith(".tmp") for p in leftovers)
    # A leftover beside the note (a killed older Cairn, or another file system) and old ones in the git
    # dir are removed by the next write once they are stale.
    beside = note.parent / f".{note.name}.abc123.tmp"
    beside.write_text("half a note")
    old = time.time() - 7200
    for path in (beside, *leftovers):
        os.utime(path, (old, old))
    cairn(repo, "update", note_id, "--append", "written", check=True)
    assert not beside.exists() and not any(p.exists() for p in leftovers)
    changed = git(repo, "status", "--porcelain", "--untracked-files=all").stdout.splitlines()
    paths = {line[3:] for line in changed}  # index.json changes only if the `updated` second did
    note_rel = f"agent-context/{note_id}.md"
    assert note_rel in paths and paths <= {"agent-context/index.json", note_rel}
