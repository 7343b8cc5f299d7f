"""Commits named for stale anchors are kept with the verdict cache (`VerdictCache.walks`).

Real repository, real `cairn check` processes. After one note is edited, a stale anchor judged again
takes its `changed_in` from the stored walk (same tip) instead of walking history again; every answer
equals `cairn check --no-cache`.
"""

from __future__ import annotations

import json
import marshal

from cairn.anchors.cache import VerdictCache
from cairn.workspace import Workspace
from tests.anchors.helpers import func_lines, py_module
from tests.anchors.test_check_result_cache import answer, cairn, settle
from tests.conftest import GitRepo


def _changed_in(out: str) -> dict[str, str | None]:
    data = json.loads(out)
    return {n["title"]: a.get("changed_in") for n in data["notes"] for a in n["anchors"]}


def test_a_stale_anchor_is_named_from_the_stored_walk_after_a_note_edit(repo: GitRepo) -> None:
    repo.write("src/auth.py", py_module("auth", 6))
    repo.write("src/db.py", py_module("db", 4))
    first = repo.commit("Initial")
    assert cairn(repo, "init").returncode == 0
    a = func_lines(repo.read("src/auth.py"), "auth_func_2")
    d = func_lines(repo.read("src/db.py"), "db_func_1")
    for title, anchor in (("Sessions are JWT", f"src/auth.py:{a[0]}-{a[1]}"),
                          ("Pool size", f"src/db.py:{d[0]}-{d[1]}")):
        added = cairn(repo, "add", "--kind", "decision", "--title", title, "--anchor", anchor, "--body", "Why.")
        assert added.returncode == 0, added.stderr
    repo.commit("Notes")
    repo.write("src/auth.py", repo.read("src/auth.py").replace("auth step 2", "auth stage two"))
    change = repo.commit("Change auth step 2")
    settle(repo)

    out = answer(cairn(repo, "check", "--json"))
    assert out == answer(cairn(repo, "check", "--json", "--no-cache"))
    assert _changed_in(out[1])["Sessions are JWT"] == change
    cache = VerdictCache(Workspace.at(repo.root).cache_dir())
    assert [named for named in cache.walks.values()] == [(change, None)]

    # Another note edited: the stale verdict is judged again, its commit comes from the stored walk.
    note = next(p for p in (repo.root / "agent-context").rglob("*.md") if "Pool size" in p.read_text())
    note.write_text(note.read_text().replace("Why.", "Why, edited."))
    settle(repo)
    edited = answer(cairn(repo, "check", "--json"))
    assert edited == answer(cairn(repo, "check", "--json", "--no-cache"))
    assert _changed_in(edited[1])["Sessions are JWT"] == change

    # Probe that the stored walk is what answers: put another commit there and drop the verdicts.
    path = Workspace.at(repo.root).cache_dir() / "verdicts.marshal"
    raw = marshal.loads(path.read_bytes())
    raw["walks"] = {key: (first, None) for key in raw["walks"]}
    raw["entries"] = {}
    path.write_bytes(marshal.dumps(raw))
    note.write_text(note.read_text().replace("Why, edited.", "Why, edited twice."))
    settle(repo)
    assert _changed_in(answer(cairn(repo, "check", "--json"))[1])["Sessions are JWT"] == first
