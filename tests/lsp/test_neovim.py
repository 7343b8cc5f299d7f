"""A real editor other than VS Code, end to end: headless Neovim driving `cairn serve`.

Neovim (Debian's `neovim`, 0.7.2 on bookworm) is installed by `make pytest` through
scripts/ensure-neovim.sh, and by this module's fixture when it is missing (as root, from Debian apt).
It never skips: if Neovim cannot be installed, the test fails saying why.

The Lua script (nvim/cairn_e2e.lua) uses Neovim's own LSP client on a repository built here: it opens
the file, waits for the stale diagnostic, hovers the anchored line, runs "Open note" and the re-anchor
quick fix, and waits for the diagnostic to clear. This test checks what it recorded and the note on disk.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import GIT_ENV, GitRepo

from .conftest import APP_PY

HERE = Path(__file__).parent
REPO = HERE.parent.parent
SCRIPT = HERE / "nvim" / "cairn_e2e.lua"


@pytest.fixture(scope="session")
def nvim() -> str:
    """The `nvim` executable, installed from Debian apt when missing."""
    found = shutil.which("nvim")
    if found is None:
        done = subprocess.run(["bash", str(REPO / "scripts" / "ensure-neovim.sh")], capture_output=True, text=True,
                              timeout=900)
        found = shutil.which("nvim")
        if found is None:
            pytest.fail(f"Neovim is needed and could not be installed: {done.stderr.strip()}", pytrace=False)
    return found


def test_neovim_sees_the_stale_note_hovers_it_and_reanchors(nvim: str, repo: GitRepo, tmp_path: Path) -> None:
    from cairn.anchors.record import record_anchor
    from cairn.notes.store import NoteStore
    from cairn.workspace import Workspace

    repo.write("src/app.py", APP_PY)
    repo.commit("Initial code")
    ws = Workspace.at(repo.root)
    note = NoteStore(ws).create("gotcha", "f2 must stay pure", "Callers cache f2; never add side effects.\n",
                                [], [record_anchor(ws, "src/app.py", 4, 5)])
    repo.commit("A note about f2")
    repo.write("src/app.py", APP_PY.replace("return x + 2", "return x + 2  # now logged"))
    sha = repo.commit("Log f2")
    note_path = repo.root / note.rel_path
    before = note_path.read_text(encoding="utf-8")

    out = tmp_path / "nvim-result.json"
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, **GIT_ENV, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_DATA_HOME": str(home / ".local/share"), "XDG_STATE_HOME": str(home / ".local/state"),
           "XDG_CACHE_HOME": str(home / ".cache"),
           "CAIRN_ROOT": str(repo.root), "CAIRN_FILE": str(repo.root / "src" / "app.py"), "CAIRN_LINE": "4",
           "CAIRN_OUT": str(out), "CAIRN_SERVER": json.dumps([sys.executable, "-m", "cairn", "serve"])}
    done = subprocess.run([nvim, "--headless", "--clean", "-n", "-i", "NONE", "-c", f"luafile {SCRIPT}"],
                          cwd=repo.root, env=env, capture_output=True, text=True, timeout=120)
    result = json.loads(out.read_text()) if out.exists() else {}
    assert done.returncode == 0 and "error" not in result, (
        f"nvim exited {done.returncode}: {result.get('error')}\nsteps: {result.get('steps')}\n{done.stderr[-2000:]}")

    assert result["status"] == {"notes": 1, "stale": 1, "expired": 0, "invalid": 0}
    [diag] = result["diagnostics"]
    assert diag["lnum"] == 3 and diag["source"] == "cairn" and diag["code"] == "stale"
    assert "f2 must stay pure" in diag["message"] and sha[:7] in diag["message"]
    assert "f2 must stay pure" in result["hover"] and "never add side effects" in result["hover"]
    assert "Open note" in result["actions"]
    assert any(t.startswith("Re-anchor") for t in result["actions"])
    assert result["opened"] == {"uri": note_path.as_uri()}
    assert result["fixed"]["id"] == note.id and result["cleared"] is True
    assert result["status_after"] == {"notes": 1, "stale": 0, "expired": 0, "invalid": 0}
    after = note_path.read_text(encoding="utf-8")
    assert after != before and "reviewed:" in after  # re-anchored and marked reviewed, on disk
    assert result["done"] is True
