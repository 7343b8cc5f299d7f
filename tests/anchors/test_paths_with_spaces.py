"""Files whose names contain spaces: git quotes/tab-terminates them in diffs; anchors must still follow."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import GitRepo


def test_edit_in_a_file_with_spaces_names_the_commit(repo: GitRepo) -> None:
    repo.write("src/my module.py", "".join(f"value_{i} = {i}\n" for i in range(1, 21)))
    repo.commit("init")
    cairn = [sys.executable, "-m", "cairn"]
    add = subprocess.run([*cairn, "add", "--kind", "gotcha", "--title", "Spaces",
                          "--anchor", "src/my module.py:8-10"], cwd=repo.root, capture_output=True, text=True)
    assert add.returncode == 0, add.stderr
    repo.commit("note")
    text = repo.read("src/my module.py").replace("value_9 = 9\n", "value_9 = 99\n")
    repo.write("src/my module.py", "# header\n" + text)
    edit = repo.commit("Change value nine")
    out = subprocess.run([*cairn, "check", "--json"], cwd=repo.root, capture_output=True, text=True)
    assert out.returncode == 1, out.stderr
    (note,) = json.loads(out.stdout)["notes"]
    (anchor,) = note["anchors"]
    assert anchor["status"] == "changed"
    assert anchor["changed_in"] == edit
    assert "Change value nine" in anchor["message"]
