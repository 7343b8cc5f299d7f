"""Every anchor case (intact, moved, reformatted, changed, deleted, ...) in a temporary git repository
whose truth is known exactly."""

from __future__ import annotations

import subprocess

import pytest

from cairn.anchors import Target
from cairn.errors import CairnError
from tests.anchors.helpers import func_lines, judge, py_module, record
from tests.conftest import GitRepo


@pytest.fixture
def base(repo: GitRepo) -> GitRepo:
    repo.write("src/auth.py", py_module("auth", 8))
    repo.write("src/util.py", py_module("util", 6))
    repo.commit("Initial")
    return repo


def anchored(repo: GitRepo, func: str, path: str = "src/auth.py") -> tuple[dict, tuple[int, int]]:
    rng = func_lines(repo.read(path), func)
    return record(repo.root, path, *rng), rng


def test_untouched_is_intact(base: GitRepo) -> None:
    data, (s, e) = anchored(base, "auth_func_3")
    v = judge(base.root, data)
    assert (v.status, v.current, v.changed_in) == ("intact", ("src/auth.py", s, e), None)


def test_lines_inserted_above_move_the_anchor(base: GitRepo) -> None:
    data, (s, e) = anchored(base, "auth_func_3")
    text = base.read("src/auth.py").replace("import os\n", "import os\nimport sys\nimport re\n\n")
    base.write("src/auth.py", text)
    base.commit("Imports")
    v = judge(base.root, data)
    assert (v.status, v.current) == ("moved", ("src/auth.py", s + 3, e + 3))


def test_lines_deleted_above_move_the_anchor(base: GitRepo) -> None:
    data, (s, e) = anchored(base, "auth_func_5")
    a, b = func_lines(base.read("src/auth.py"), "auth_func_1")
    lines = base.read("src/auth.py").split("\n")
    del lines[a - 1:b + 1]
    base.write("src/auth.py", "\n".join(lines))
    base.commit("Drop func 1")
    v = judge(base.root, data)
    assert (v.status, v.current) == ("moved", ("src/auth.py", s - 5, e - 5))


def test_edit_inside_is_changed_and_names_the_commit(base: GitRepo) -> None:
    data, _ = anchored(base, "auth_func_3")
    base.write("src/other.py", "x = 1\n")
    base.commit("Unrelated")
    base.write("src/auth.py", base.read("src/auth.py").replace("compute_3(value) + 3", "compute_3(value) * 3"))
    sha = base.commit("Refactor sessions")
    base.write("src/auth.py", "# trailing edit\n" + base.read("src/auth.py"))
    base.commit("Later commit")
    v = judge(base.root, data)
    assert v.status == "changed" and v.stale and v.current is None
    assert v.changed_in == sha
    assert v.message == (f"anchored lines changed in {sha[:7]} (Refactor sessions): "
                         "now src/auth.py:21-24 (recorded 20-23)")


def test_uncommitted_edit_is_changed_uncommitted(base: GitRepo) -> None:
    data, (s, e) = anchored(base, "auth_func_3")
    base.write("src/auth.py", base.read("src/auth.py").replace("+ 3\n", "+ 33\n"))
    v = judge(base.root, data)
    assert (v.status, v.changed_in) == ("changed", "uncommitted")
    assert v.best == ("src/auth.py", s, e)


def test_whitespace_only_edit_is_reformatted(base: GitRepo) -> None:
    data, (s, e) = anchored(base, "auth_func_3")
    text = base.read("src/auth.py").replace("    log.debug('auth step 3: %s', result)",
                                            "    log.debug( 'auth step 3: %s',   result )")
    base.write("src/auth.py", text)
    base.commit("Format")
    v = judge(base.root, data)
    assert (v.status, v.current, v.fresh) == ("reformatted", ("src/auth.py", s, e), True)


def test_reindent_into_a_class_is_reformatted_and_moved(base: GitRepo) -> None:
    data, (s, e) = anchored(base, "auth_func_3")
    lines = base.read("src/auth.py").split("\n")
    block = lines[s - 1:e]
    del lines[s - 1:e]
    lines += ["class Holder:", *["    " + line for line in block]]
    base.write("src/auth.py", "\n".join(lines) + "\n")
    base.commit("Into a class")
    v = judge(base.root, data)
    assert v.status == "reformatted"
    new_start = len(lines) - len(block) + 1
    assert v.current == ("src/auth.py", new_start, new_start + len(block) - 1)


def test_lines_inserted_inside_are_changed(base: GitRepo) -> None:
    data, (s, _e) = anchored(base, "auth_func_3")
    lines = base.read("src/auth.py").split("\n")
    lines.insert(s + 1, "    audit(value)")
    base.write("src/auth.py", "\n".join(lines))
    base.commit("Audit")
    assert judge(base.root, data).status == "changed"


def test_some_lines_removed_is_changed(base: GitRepo) -> None:
    data, (s, _e) = anchored(base, "auth_func_3")
    lines = base.read("src/auth.py").split("\n")
    del lines[s + 1]
    base.write("src/auth.py", "\n".join(lines))
    base.commit("Less logging")
    assert judge(base.root, data).status == "changed"


def test_block_moved_within_file(base: GitRepo) -> None:
    data, (s, e) = anchored(base, "auth_func_2")
    lines = base.read("src/auth.py").rstrip("\n").split("\n")
    block = lines[s - 1:e + 1]
    del lines[s - 1:e + 1]
    lines += ["", *block[:-1]]
    base.write("src/auth.py", "\n".join(lines) + "\n")
    base.commit("Reorder")
    v = judge(base.root, data)
    n = len(lines)
    assert (v.status, v.current) == ("moved", ("src/auth.py", n - (e - s), n))


def test_file_renamed(base: GitRepo) -> None:
    data, (s, e) = anchored(base, "auth_func_4")
    base.git("mv", "src/auth.py", "src/authentication.py")
    base.commit("Rename")
    v = judge(base.root, data)
    assert (v.status, v.current) == ("moved", ("src/authentication.py", s, e))


def test_file_renamed_with_heavy_edits(base: GitRepo) -> None:
    data, (s, e) = anchored(base, "auth_func_4")
    text = base.read("src/auth.py")
    block = "\n".join(text.split("\n")[s - 1:e])
    new = py_module("session", 12, start=100) + "\n" + block + "\n"
    base.git("rm", "-q", "src/auth.py")
    base.write("src/session/store.py", new)
    base.commit("Rewrite auth as session store")
    # git itself does not see a rename here
    assert "R" not in base.git("show", "--name-status", "-M", "--format=", "HEAD")
    v = judge(base.root, data)
    total = len(new.rstrip("\n").split("\n"))
    assert (v.status, v.current) == ("moved", ("src/session/store.py", total - (e - s), total))


def test_block_moved_to_another_file(base: GitRepo) -> None:
    data, (s, e) = anchored(base, "auth_func_6")
    lines = base.read("src/auth.py").split("\n")
    block = lines[s - 1:e]
    del lines[s - 1:e]
    base.write("src/auth.py", "\n".join(lines))
    util = base.read("src/util.py")
    base.write("src/util.py", util + "\n" + "\n".join(block) + "\n")
    base.commit("Move func 6 to util")
    v = judge(base.root, data)
    start = len(util.split("\n"))
    assert (v.status, v.current) == ("moved", ("src/util.py", start + 1, start + 1 + e - s))


def test_deleted_code_is_deleted(base: GitRepo) -> None:
    data, (s, e) = anchored(base, "auth_func_6")
    lines = base.read("src/auth.py").split("\n")
    del lines[s - 1:e + 1]
    base.write("src/auth.py", "\n".join(lines))
    sha = base.commit("Remove func 6")
    v = judge(base.root, data)
    assert (v.status, v.changed_in, v.current) == ("deleted", sha, None)
    assert v.message.startswith(f"anchored lines deleted in {sha[:7]}")


def test_deleted_file_is_deleted(base: GitRepo) -> None:
    data, _ = anchored(base, "auth_func_6")
    base.git("rm", "-q", "src/auth.py")
    sha = base.commit("Remove auth")
    v = judge(base.root, data)
    assert (v.status, v.changed_in) == ("deleted", sha)


DUP = """\
def handler_a(request):
    check(request)
    return None

def handler_b(request):
    check(request)
    return None

def handler_c(request):
    check(request)
    return None
"""


def test_duplicated_block_edit_of_the_anchored_copy_is_changed(repo: GitRepo) -> None:
    repo.write("h.py", DUP)
    repo.commit("Handlers")
    data = record(repo.root, "h.py", 6, 7)  # handler_b's body, identical to a's and c's
    repo.write("h.py", DUP.replace("def handler_b(request):\n    check(request)",
                                   "def handler_b(request):\n    validate(request)"))
    repo.commit("Validate b")
    assert judge(repo.root, data).status == "changed"


def test_duplicated_block_follows_its_own_copy(repo: GitRepo) -> None:
    repo.write("h.py", DUP)
    repo.commit("Handlers")
    data = record(repo.root, "h.py", 6, 7)
    # handler_a changes and two lines are added above: the anchored (b) copy just moves down by 2
    text = "import x\nimport y\n" + DUP.replace("def handler_a(request):\n    check(request)",
                                                "def handler_a(request):\n    check_a(request)")
    repo.write("h.py", text)
    repo.commit("a differs")
    v = judge(repo.root, data)
    assert (v.status, v.current) == ("moved", ("h.py", 8, 9))
    # deleting the anchored copy is "deleted", not "moved to handler_c"
    repo.write("h.py", text.replace("def handler_b(request):\n    check(request)\n    return None\n\n", ""))
    repo.commit("drop b")
    assert judge(repo.root, data).status in ("deleted", "changed")


def test_one_line_anchor_among_identical_lines(repo: GitRepo) -> None:
    repo.write("h.py", DUP)
    repo.commit("Handlers")
    data = record(repo.root, "h.py", 7, 7)  # `return None` of handler_b (3 identical lines)
    repo.write("h.py", "# header\n\n" + DUP)
    repo.commit("Header")
    v = judge(repo.root, data)
    assert (v.status, v.current) == ("moved", ("h.py", 9, 9))
    repo.write("h.py", "# header\n\n" + DUP.replace("check(request)\n    return None\n\ndef handler_c",
                                                     "check(request)\n    return request\n\ndef handler_c"))
    repo.commit("b returns the request")
    assert judge(repo.root, data).status == "changed"


def test_one_line_anchor_edit_of_another_identical_line_keeps_it_intact(repo: GitRepo) -> None:
    repo.write("h.py", DUP)
    repo.commit("Handlers")
    data = record(repo.root, "h.py", 7, 7)
    repo.write("h.py", DUP.replace("check(request)\n    return None\n\ndef handler_b",
                                   "check(request)\n    return 1\n\ndef handler_b"))
    repo.commit("a returns 1")
    v = judge(repo.root, data)
    assert (v.status, v.current) == ("intact", ("h.py", 7, 7))


def test_crlf_file(repo: GitRepo) -> None:
    text = py_module("win", 5).replace("\n", "\r\n")
    (repo.root / "win.py").write_bytes(text.encode())
    repo.commit("CRLF module")
    s, e = func_lines(text.replace("\r\n", "\n"), "win_func_2")
    data = record(repo.root, "win.py", s, e)
    (repo.root / "win.py").write_bytes(("# one\r\n# two\r\n" + text).encode())
    repo.commit("Header")
    v = judge(repo.root, data)
    assert (v.status, v.current) == ("moved", ("win.py", s + 2, e + 2))
    (repo.root / "win.py").write_bytes(("# one\r\n# two\r\n" + text.replace("+ 2\r\n", "+ 22\r\n")).encode())
    repo.commit("Edit")
    assert judge(repo.root, data).status == "changed"


def test_binary_files(repo: GitRepo) -> None:
    (repo.root / "blob.bin").write_bytes(b"\x00\x01\x02abc\n" * 10)
    repo.write("a.py", py_module("a", 3))
    repo.commit("Binary")
    with pytest.raises(CairnError, match="binary"):
        record(repo.root, "blob.bin", 1, 2)
    data = record(repo.root, "a.py", 5, 8)
    (repo.root / "a.py").write_bytes(b"\x00" * 100)
    repo.commit("Now binary")
    assert judge(repo.root, data).stale


def test_record_validation(repo: GitRepo) -> None:
    repo.write("a.py", "x = 1\n")
    repo.commit("a")
    with pytest.raises(CairnError, match="only 1 lines"):
        record(repo.root, "a.py", 1, 5)
    with pytest.raises(CairnError, match="no such file"):
        record(repo.root, "missing.py", 1, 1)
    with pytest.raises(CairnError, match=r"escapes|outside"):
        record(repo.root, "../x.py", 1, 1)


def test_squashed_away_commit(repo: GitRepo) -> None:
    repo.write("a.py", py_module("a", 6))
    repo.commit("Base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("a.py", py_module("a", 6) + "\n" + py_module("feat", 2))
    repo.commit("Feature work")
    s, e = func_lines(repo.read("a.py"), "feat_func_1")
    data = record(repo.root, "a.py", s, e)
    recorded = data["commit"]
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--squash", "feature")
    repo.write("a.py", "# squashed\n" + repo.read("a.py"))
    repo.commit("Squash feature")
    repo.git("branch", "-q", "-D", "feature")
    repo.git("reflog", "expire", "--expire=now", "--all")
    repo.git("gc", "-q", "--prune=now")
    assert repo.git("cat-file", "-t", recorded, check=False) != "commit"
    v = judge(repo.root, data)
    assert (v.status, v.current) == ("moved", ("a.py", s + 1, e + 1))
    repo.write("a.py", repo.read("a.py").replace("compute_1(value) + 1", "compute_1(value) - 1"))
    repo.commit("Edit")
    v = judge(repo.root, data)
    assert v.status == "changed" and v.changed_in is None
    assert "cannot be named" in v.message and recorded[:7] in v.message


def test_shallow_clone(repo: GitRepo, tmp_path) -> None:
    repo.write("a.py", py_module("a", 6))
    repo.commit("Base")
    s, e = func_lines(repo.read("a.py"), "a_func_4")
    data = record(repo.root, "a.py", s, e)
    repo.write("a.py", "# one\n" + repo.read("a.py"))
    repo.commit("Header")
    repo.write("b.py", "y = 2\n")
    repo.commit("More")
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone)], check=True)
    v = judge(clone, data)
    assert (v.status, v.current) == ("moved", ("a.py", s + 1, e + 1))
    (clone / "a.py").write_text((clone / "a.py").read_text().replace("+ 4\n", "+ 44\n"))
    v = judge(clone, data)
    assert v.status == "changed" and "cannot be named" in v.message


def test_detached_head(base: GitRepo) -> None:
    data, (s, e) = anchored(base, "auth_func_3")
    base.write("src/auth.py", "# x\n" + base.read("src/auth.py"))
    sha = base.commit("Header")
    base.git("checkout", "-q", "--detach", sha)
    v = judge(base.root, data)
    assert (v.status, v.current) == ("moved", ("src/auth.py", s + 1, e + 1))
    base.write("src/auth.py", base.read("src/auth.py").replace("+ 3\n", "+ 4\n"))
    sha2 = base.commit("Edit while detached")
    assert judge(base.root, data).changed_in == sha2


def test_repository_without_commits(repo: GitRepo) -> None:
    repo.write("a.py", py_module("a", 4))
    s, e = func_lines(repo.read("a.py"), "a_func_2")
    data = record(repo.root, "a.py", s, e)
    assert "commit" not in data
    assert judge(repo.root, data).status == "intact"
    repo.write("a.py", "# top\n" + repo.read("a.py"))
    assert judge(repo.root, data).current == ("a.py", s + 1, e + 1)
    repo.write("a.py", repo.read("a.py").replace("+ 2\n", "+ 3\n"))
    v = judge(repo.root, data)
    assert (v.status, v.changed_in) == ("changed", "uncommitted")


def test_anchoring_uncommitted_lines(base: GitRepo) -> None:
    text = base.read("src/auth.py") + "\n" + py_module("fresh", 1, start=7)
    base.write("src/auth.py", text)
    s, e = func_lines(text, "fresh_func_7")
    data = record(base.root, "src/auth.py", s, e)
    assert judge(base.root, data).status == "intact"
    base.write("src/auth.py", "# header\n" + text)
    base.commit("Commit it with a header")
    v = judge(base.root, data)
    assert (v.status, v.current) == ("moved", ("src/auth.py", s + 1, e + 1))
    base.write("src/auth.py", base.read("src/auth.py").replace("+ 7\n", "+ 8\n"))
    sha = base.commit("Edit it")
    v = judge(base.root, data)
    assert v.status == "changed" and v.changed_in == sha


def test_judge_against_a_revision_and_a_buffer(base: GitRepo) -> None:
    data, (s, e) = anchored(base, "auth_func_3")
    first = base.head()
    base.write("src/auth.py", base.read("src/auth.py").replace("+ 3\n", "+ 4\n"))
    sha = base.commit("Edit")
    assert judge(base.root, data, Target.at_rev(first)).status == "intact"
    v = judge(base.root, data, Target.at_rev("HEAD"))
    assert (v.status, v.changed_in) == ("changed", sha)
    buffer = "# unsaved\n" + base.read("src/auth.py").replace("+ 4\n", "+ 3\n")
    v = judge(base.root, data, Target.with_buffers({"src/auth.py": buffer}))
    assert (v.status, v.current) == ("moved", ("src/auth.py", s + 1, e + 1))


def test_whitespace_then_edit_names_the_edit(base: GitRepo) -> None:
    data, _ = anchored(base, "auth_func_3")
    base.write("src/auth.py", base.read("src/auth.py").replace("    return result\n\ndef auth_func_4",
                                                                "    return  result\n\ndef auth_func_4"))
    base.commit("Whitespace")
    base.write("src/auth.py", base.read("src/auth.py").replace("+ 3\n", "+ 5\n"))
    sha = base.commit("Real edit")
    assert judge(base.root, data).changed_in == sha


def test_move_then_edit_names_the_edit(base: GitRepo) -> None:
    data, (s, e) = anchored(base, "auth_func_6")
    lines = base.read("src/auth.py").split("\n")
    block = lines[s - 1:e]
    del lines[s - 1:e]
    base.write("src/auth.py", "\n".join(lines))
    base.write("src/util.py", base.read("src/util.py") + "\n" + "\n".join(block) + "\n")
    base.commit("Move to util")
    base.write("src/util.py", base.read("src/util.py").replace("+ 6\n", "+ 7\n"))
    sha = base.commit("Edit in util")
    v = judge(base.root, data)
    # found by its distinctive lines in util.py: changed there (its best range is where it went)
    assert (v.status, v.changed_in) == ("changed", sha)
    assert v.best is not None and v.best[0] == "src/util.py"


def test_copy_added_before_the_block_does_not_steal_the_anchor(repo: GitRepo) -> None:
    body = ("    proxy_url = parse_url(proxy)\n    if not proxy_url.host:\n        raise InvalidProxyURL(\n"
            "            'Please check proxy URL.'\n        )\n    manager = proxy_manager_for(proxy)\n")
    old = "import x\n\n\ndef get_connection(url, proxy):\n    '''Old.'''\n" + body + "    return manager\n"
    repo.write("adapters.py", old)
    repo.commit("Old")
    data = record(repo.root, "adapters.py", 8, 10)  # `raise InvalidProxyURL(` .. `)`
    new = ("import x\n\n\ndef get_connection_with_tls(url, proxy, tls):\n    '''New: a copy, plus TLS.'''\n"
           + body + "    manager.tls = tls\n    return manager\n\n\n"
           + "def get_connection(url, proxy):\n    '''Old.'''\n    warn('deprecated')\n" + body
           + "    return manager\n")
    repo.write("adapters.py", new)
    repo.commit("Add get_connection_with_tls")
    v = judge(repo.root, data)
    start = new.split("\n").index("    warn('deprecated')") + 1 + 3  # 1-based line of `raise` in the old function
    assert (v.status, v.current) == ("moved", ("adapters.py", start, start + 2))


# ---- issue 10 §5: never "moved" onto boilerplate ----------------------------------------------------
ROUTES_JS = """\
const express = require('express');
const app = express();

app.get('/users', function (req, res) {
  res.write(listUsers());
  res.end(); });

app.get('/health', function (req, res) {
  res.write('ok');
  res.end(); });

module.exports = app;
"""

SERVER_JS = """\
const http = require('http');

http.createServer(function (req, res) {
  res.writeHead(200);
  res.end(); });
"""

VARIABLE_TF = """\
variable "region" {
  type    = string
  default = "eu-west-1"
}
"""


def _tf_module(name: str) -> str:
    return (f'variable "{name}_name" {{\n  type = string\n}}\n\n' + VARIABLE_TF
            + f'\noutput "{name}_id" {{\n  value = aws_instance.{name}.id\n}}\n')


def test_deleted_js_handler_is_not_moved_onto_a_later_identical_line(repo: GitRepo) -> None:
    repo.write("routes.js", ROUTES_JS)
    repo.write("README.md", "# app\n")
    repo.commit("Routes")
    data = record(repo.root, "routes.js", 9, 10)  # `res.write('ok');` / `res.end(); });`
    one = record(repo.root, "routes.js", 10, 10)  # `res.end(); });` alone
    repo.git("rm", "-q", "routes.js")
    gone = repo.commit("Drop the routes")
    repo.write("README.md", "# app\nlater\n")
    repo.commit("Docs")
    repo.write("server.js", SERVER_JS.replace("res.writeHead(200);", "res.write('ok');"))
    repo.commit("A plain http server, much later")
    for anchor in (data, one):
        v = judge(repo.root, anchor)
        assert (v.status, v.current, v.changed_in) == ("deleted", None, gone), v.message


def test_closing_brace_is_not_moved_to_another_file(repo: GitRepo) -> None:
    repo.write("a.js", "function a() {\n  run(function () {\n    go();\n  })\n}\n")
    repo.write("b.js", "function b() {\n  return 1;\n}\n")
    repo.commit("Base")
    data = record(repo.root, "a.js", 4, 4)  # `  })`
    repo.write("a.js", "function a() {\n  go();\n}\n")
    repo.write("b.js", "function b() {\n  wait(function () {\n    stop();\n  })\n  return 2;\n}\n")
    # Even in the same commit: a short, common line proves nothing unless the lines around it came along.
    sha = repo.commit("Rewrite a, wrap b")
    v = judge(repo.root, data)
    assert v.stale and v.changed_in == sha and v.current is None, v.message


def test_terraform_block_in_another_project_added_later_is_not_a_move(repo: GitRepo) -> None:
    repo.write("infra/web/variables.tf", _tf_module("web"))
    repo.write("README.md", "# infra\n")
    repo.commit("Web module")
    data = record(repo.root, "infra/web/variables.tf", 5, 8)  # the region variable block
    repo.git("rm", "-q", "-r", "infra/web")
    gone = repo.commit("Retire the web module")
    repo.write("README.md", "# infra\n\nretired web\n")
    repo.commit("Docs")
    repo.write("infra/api/variables.tf", _tf_module("api"))  # the same region block, same file name
    repo.commit("Api module")
    v = judge(repo.root, data)
    assert (v.status, v.current, v.changed_in) == ("deleted", None, gone), v.message


def test_terraform_module_renamed_in_one_commit_is_moved(repo: GitRepo) -> None:
    repo.write("infra/web/variables.tf", _tf_module("web"))
    repo.commit("Web module")
    data = record(repo.root, "infra/web/variables.tf", 5, 8)
    repo.git("rm", "-q", "-r", "infra/web")
    repo.write("infra/frontend/variables.tf", _tf_module("frontend"))
    repo.commit("Rename web to frontend")
    v = judge(repo.root, data)
    assert (v.status, v.current) == ("moved", ("infra/frontend/variables.tf", 5, 8))


def test_block_cut_and_pasted_across_files_uncommitted_is_moved(base: GitRepo) -> None:
    data, (s, e) = anchored(base, "auth_func_6")
    lines = base.read("src/auth.py").split("\n")
    block = lines[s - 1:e]
    del lines[s - 1:e]
    base.write("src/auth.py", "\n".join(lines))
    util = base.read("src/util.py")
    base.write("src/util.py", util + "\n" + "\n".join(block) + "\n")
    v = judge(base.root, data)
    start = len(util.split("\n"))
    assert (v.status, v.current) == ("moved", ("src/util.py", start + 1, start + 1 + e - s))


def test_block_removed_then_pasted_elsewhere_in_a_later_commit_is_not_moved(base: GitRepo) -> None:
    data, (s, e) = anchored(base, "auth_func_6")
    lines = base.read("src/auth.py").split("\n")
    block = lines[s - 1:e]
    del lines[s - 1:e]
    base.write("src/auth.py", "\n".join(lines))
    sha = base.commit("Remove func 6")
    base.write("src/util.py", base.read("src/util.py") + "\n" + "\n".join(block) + "\n")
    base.commit("Add a copy of it to util, later")
    v = judge(base.root, data)
    assert (v.status, v.changed_in, v.current) == ("deleted", sha, None)


def test_without_history_only_long_unique_text_is_relocated_on_content(repo: GitRepo) -> None:
    """The recorded commit is gone (squashed, shallow): content alone may relocate distinctive text only."""
    repo.write("a.py", py_module("a", 4) + "def closing():\n    pass\n")
    repo.write("b.py", py_module("b", 2))
    repo.commit("Base")
    long_block = record(repo.root, "a.py", *func_lines(repo.read("a.py"), "a_func_2"))
    short = record(repo.root, "a.py", 25, 25)  # `    pass`
    text = repo.read("a.py")
    s, e = func_lines(text, "a_func_2")
    moved = "\n".join(text.split("\n")[s - 1:e])
    repo.git("rm", "-q", "a.py")
    repo.write("b.py", repo.read("b.py") + "\n" + moved + "\n\ndef other():\n    pass\n")
    repo.commit("Move a_func_2 to b, drop a")
    for data in (long_block, short):
        data["commit"] = "0" * 40  # history cannot be asked
        data["blob"] = "0" * 12
    v = judge(repo.root, long_block)
    assert v.status == "moved" and v.current is not None and v.current[0] == "b.py"
    v = judge(repo.root, short)
    assert v.stale and v.current is None


def test_blank_line_only_change_inside_the_range_is_reformatted(base: GitRepo) -> None:
    data, (s, e) = anchored(base, "auth_func_3")
    lines = base.read("src/auth.py").split("\n")
    lines.insert(s, "")  # a blank line after the `def` line
    base.write("src/auth.py", "\n".join(lines))
    base.commit("Air")
    v = judge(base.root, data)
    assert (v.status, v.current) == ("reformatted", ("src/auth.py", s, e + 1))


def test_blank_line_removed_inside_the_range_is_reformatted(repo: GitRepo) -> None:
    text = py_module("m", 4).replace("    result = compute_2(value) + 2\n", "    result = compute_2(value) + 2\n\n")
    repo.write("m.py", text)
    repo.commit("Base")
    s, e = func_lines(text, "m_func_2")
    data = record(repo.root, "m.py", s, e)
    repo.write("m.py", py_module("m", 4))
    repo.commit("Tighten")
    v = judge(repo.root, data)
    assert (v.status, v.current) == ("reformatted", ("m.py", s, e - 1))
