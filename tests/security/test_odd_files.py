"""Issue 11 item 10: odd files in the repository — newline in a file name, submodules, huge files,
an anchored file swapped for a symlink after its note was parsed."""

from __future__ import annotations

import json
import os
import subprocess
import time

from tests.conftest import GitRepo
from tests.mcp.helpers import APP, cairn, git

WEIRD = "src/we\nird.py"


def _note_on(repo: GitRepo, path: str, lines: str = "4-5") -> str:
    cairn(repo, "init", check=True)
    out = cairn(repo, "add", "--kind", "decision", "--title", "f2 adds two", "--anchor", f"{path}:{lines}",
                "--body", "f2 must add exactly two.", check=True)
    repo.commit("note")
    return out.stdout.strip().removeprefix("agent-context/").removesuffix(".md")


def test_a_committed_change_to_a_file_named_with_a_newline_is_named(repo: GitRepo) -> None:
    repo.write(WEIRD, APP)
    repo.commit("weird name")
    _note_on(repo, WEIRD)
    repo.write(WEIRD, APP.replace("return x + 2\n", "return x * 2\n"))
    sha = repo.commit("f2 doubles")
    for args in (("check", "--json"), ("check", "--json", "--rev", "HEAD")):
        anchor = json.loads(cairn(repo, *args).stdout)["notes"][0]["anchors"][0]
        assert anchor["path"] == WEIRD and anchor["status"] == "changed"
        assert anchor["changed_in"] == sha, anchor  # not "uncommitted edits"
        assert "uncommitted" not in anchor["message"]


def test_a_file_over_the_size_limit_is_judged_by_blob_id_only(repo: GitRepo) -> None:
    repo.write("src/app.py", APP)
    repo.commit("app")
    note_id = _note_on(repo, "src/app.py")
    config = repo.root / "agent-context" / "config.toml"
    config.write_text(config.read_text() + '\n[anchors]\nmax_file_size = "64KB"\n')
    repo.commit("limit")
    big = APP + "".join(f"# filler line {i:07d} ................................................\n"
                        for i in range(4000))  # ~270 KB
    repo.write("src/app.py", big)
    repo.commit("app grows")
    started = time.perf_counter()
    checked = json.loads(cairn(repo, "check", "--json").stdout)
    took = time.perf_counter() - started
    anchor = checked["notes"][0]["anchors"][0]
    assert anchor["status"] == "changed", anchor
    assert "larger than 0.0625 MB: judged by blob id only" in anchor["message"], anchor["message"]
    assert took < 30
    # Recording an anchor in a file over the limit is refused in one line; recall still answers.
    added = cairn(repo, "add", "--kind", "gotcha", "--title", "big", "--anchor", "src/app.py:1-2", "--body", "b")
    assert added.returncode == 2 and "max_file_size" in added.stderr and len(added.stderr.splitlines()) == 1
    shown = cairn(repo, "recall", "src/app.py:4")
    assert shown.returncode == 0 and note_id in shown.stdout


def test_a_bad_size_limit_is_a_one_line_config_error(repo: GitRepo) -> None:
    repo.write("src/app.py", APP)
    repo.commit("app")
    _note_on(repo, "src/app.py")
    config = repo.root / "agent-context" / "config.toml"
    config.write_text(config.read_text() + '\n[anchors]\nmax_file_size = "lots"\n')
    out = cairn(repo, "check")
    assert out.returncode == 2 and "max_file_size" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_an_anchored_file_swapped_for_a_symlink_is_seen_despite_the_parse_cache(repo: GitRepo) -> None:
    repo.write("src/app.py", APP)
    repo.commit("app")
    note_id = _note_on(repo, "src/app.py")
    old = time.time() - 3600  # old enough for the parse cache to keep it
    os.utime(repo.root / "agent-context" / f"{note_id}.md", (old, old))
    first = json.loads(cairn(repo, "check", "--json").stdout)["notes"][0]
    assert first["state"] == "fresh"  # parsed and cached (keyed on the note file's stat)
    secret = repo.root.parent / "credentials"
    secret.write_text(APP + "# SECRET-TOKEN\n")
    (repo.root / "src" / "app.py").unlink()
    os.symlink(secret, repo.root / "src" / "app.py")  # the note file itself is untouched
    again = cairn(repo, "check", "--json")
    note = json.loads(again.stdout)["notes"][0]
    assert note["id"] == note_id and note["state"] == "invalid" and "through a symlink" in note["error"]
    assert "SECRET-TOKEN" not in again.stdout + again.stderr


def test_an_anchor_inside_a_submodule_is_judged_by_its_gitlink_at_a_revision(repo: GitRepo) -> None:
    """`check --rev` used to call such an anchor "deleted": the submodule's files are not in this
    repository's trees. It is judged by the submodule commit the superproject records instead."""
    lib = GitRepo(repo.root.parent / "lib")
    lib.root.mkdir()
    lib.git("init", "-q", "-b", "main")
    lib.write("util.py", APP)
    lib.commit("lib")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "-q", "add", str(lib.root), "vendor/lib")
    repo.commit("add the submodule")
    _note_on(repo, "vendor/lib/util.py")
    for args in (("check", "--json"), ("check", "--json", "--rev", "HEAD")):
        anchor = json.loads(cairn(repo, *args).stdout)["notes"][0]["anchors"][0]
        assert anchor["status"] == "intact", (args, anchor)
    at_rev = json.loads(cairn(repo, "check", "--json", "--rev", "HEAD").stdout)["notes"][0]["anchors"][0]
    assert "in submodule vendor/lib" in at_rev["message"] and "not checked line by line" in at_rev["message"]
    # The superproject moves the submodule to another commit: changed, and the message says why.
    sub = GitRepo(repo.root / "vendor" / "lib")
    sub.write("util.py", APP.replace("return x + 2\n", "return x * 2\n"))
    sub.git("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-am", "lib change")
    repo.commit("bump the submodule")
    moved = json.loads(cairn(repo, "check", "--json", "--rev", "HEAD").stdout)["notes"][0]["anchors"][0]
    assert moved["status"] == "changed" and "in submodule vendor/lib, now at" in moved["message"], moved
    assert subprocess.run(["git", "-C", str(repo.root), "status", "--porcelain"], capture_output=True,
                          text=True).stdout == ""
