"""The shared unified-diff parser (cairn.gitio.diffparse) behind `git diff` (ranges) and `git log -p` (repo)."""

from __future__ import annotations

import pytest

from cairn.gitio.diffparse import diff_start, header_paths, parse_hunk_header, unquote
from cairn.gitio.ranges import diff_files, parse_diff
from cairn.gitio.repo import FileChange, forget_repo, open_repo, parse_log
from tests.conftest import GitRepo

# As git prints it with core.quotepath on: names with non-ASCII bytes, tabs or quotes are C-quoted.
DIFF = rb'''diff --git "a/d\303\274r/old_name.txt" "b/d\303\274r/new_name.txt"
similarity index 90%
rename from "d\303\274r/old_name.txt"
rename to "d\303\274r/new_name.txt"
index 1111111..2222222 100644
--- "a/d\303\274r/old_name.txt"
+++ "b/d\303\274r/new_name.txt"
@@ -2 +2 @@ def f():
-old
+new
@@ -10,0 +11,2 @@
+x
+y
diff --git "a/tab\tname.py" "b/d\303\274r/quote\"d name.py"
similarity index 100%
rename from "tab\tname.py"
rename to "d\303\274r/quote\"d name.py"
diff --git a/new file.py b/new file.py
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/new file.py
@@ -0,0 +1,2 @@
+a
+b
\ No newline at end of file
diff --git a/gone.py b/gone.py
deleted file mode 100644
index 4444444..0000000
--- a/gone.py
+++ /dev/null
@@ -1,3 +0,0 @@
--- starts with dashes
-+++ starts with pluses
-rename from nothing
diff --git a/img.png b/img.png
index 5555555..6666666 100644
Binary files a/img.png and b/img.png differ
diff --git a/new.bin b/new.bin
new file mode 100644
index 0000000..7777777
Binary files /dev/null and b/new.bin differ
diff --git a/end.txt b/end.txt
index 8888888..9999999 100644
--- a/end.txt
+++ b/end.txt
@@ -3,2 +3,2 @@
-p
-q
\ No newline at end of file
+p
+q
@@ -9 +9,0 @@
-z
'''

EXPECTED = [
    # old path, new path, binary, hunks (old_start, old_len, new_start, new_len)
    ("dür/old_name.txt", "dür/new_name.txt", False, [(2, 1, 2, 1), (10, 0, 11, 2)]),
    ("tab\tname.py", 'dür/quote"d name.py', False, []),
    (None, "new file.py", False, [(0, 0, 1, 2)]),
    ("gone.py", None, False, [(1, 3, 0, 0)]),
    ("img.png", "img.png", True, []),
    (None, "new.bin", True, []),
    ("end.txt", "end.txt", False, [(3, 2, 3, 2), (9, 1, 9, 0)]),
]


def _shape(files: list) -> list:
    return [(f.old_path, f.new_path, f.binary, [(h.old_start, h.old_len, h.new_start, h.new_len) for h in f.hunks])
            for f in files]


def test_helpers() -> None:
    assert unquote(rb'"d\303\274r/a b.txt"') == "dür/a b.txt"
    assert unquote(b"plain name.txt") == "plain name.txt"
    assert unquote(rb'"tab\tq\"b\\s"') == 'tab\tq"b\\s'
    assert unquote("ünï.py".encode()) == "ünï.py"  # core.quotepath=off: raw UTF-8
    assert parse_hunk_header(b"@@ -3,2 +4 @@ def f():") == (3, 2, 4, 1)
    assert parse_hunk_header(b"@@ -0,0 +1,12 @@") == (0, 0, 1, 12)
    assert parse_hunk_header(b"@@ bogus") is None
    assert header_paths(b"diff --git a/x y.py b/x y.py") == ("x y.py", "x y.py")
    assert header_paths(rb'diff --git "a/\303\274" "b/\303\274"') == (None, None)
    assert diff_start(b"diff --git a/x b/x\n") == 0
    assert diff_start(b":raw\n\ndiff --git a/x b/x\n") == 6
    assert diff_start(b":raw\n") == -1


def test_git_diff_files_hunks_and_lines() -> None:
    files = parse_diff(DIFF)
    assert _shape(files) == EXPECTED
    renamed = files[0]
    assert renamed.path == "dür/new_name.txt"
    assert renamed.hunks[0].header == "@@ -2 +2 @@ def f():"
    assert renamed.hunks[0].lines == ["-old", "+new"]
    assert renamed.hunks[1].text() == "@@ -10,0 +11,2 @@\n+x\n+y"
    assert files[2].hunks[0].lines == ["+a", "+b", "\\ No newline at end of file"]
    # Body lines that look like headers stay body lines.
    assert files[3].hunks[0].lines == ["--- starts with dashes", "-+++ starts with pluses", "-rename from nothing"]
    assert files[6].hunks[0].lines == ["-p", "-q", "\\ No newline at end of file", "+p", "+q"]
    assert files[6].hunks[1].lines == ["-z"]


def test_git_log_commits_parse_the_same_files() -> None:
    raw = b":100644 100644 " + b"1" * 40 + b" " + b"2" * 40 + b" M\tend.txt\n"
    out = b"\0\0" + b"a" * 40 + b" first commit\n" + raw + b"\n" + DIFF
    out += b"\0\0" + b"b" * 40 + b" empty\n\0\0" + b"c" * 40 + b" second\n\n" + DIFF
    commits = list(parse_log(out))
    assert [(c.sha, c.subject) for c in commits] == [("a" * 40, "first commit"), ("b" * 40, "empty"),
                                                     ("c" * 40, "second")]
    assert commits[0].raw == [("end.txt", "end.txt", "1" * 40, "2" * 40)]
    assert _shape(commits[0].changes) == EXPECTED
    assert commits[1].changes == [] and commits[1].raw == []
    assert _shape(commits[2].changes) == EXPECTED
    assert all(isinstance(f, FileChange) for f in commits[2].changes)


def test_text_before_the_first_file_and_a_diff_without_trailing_newline() -> None:
    files = parse_diff(b"warning: something\n" + DIFF.rstrip(b"\n"))
    assert _shape(files) == EXPECTED
    assert files[-1].hunks[-1].lines == ["-z"]
    assert parse_diff(b"") == [] and parse_diff(b"no diff here\n") == []
    assert _shape(parse_diff(b"diff --git a/x b/x")) == [("x", "x", False, [])]


def test_malformed_hunk_header() -> None:
    text = b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ bogus @@\n+rename to y\nrename to z\n@@ -1 +1 @@\n-a\n+b\n"
    # git diff: lines after an unparsable header are read as header lines again (as before).
    files = parse_diff(text)
    assert _shape(files) == [("x", "z", False, [(1, 1, 1, 1)])]
    assert files[0].hunks[0].lines == ["-a", "+b"]
    # git log -p: everything after the first hunk header but hunk headers is skipped (as before).
    (commit,) = parse_log(b"\0\0" + b"d" * 40 + b" s\n\n" + text)
    assert _shape(commit.changes) == [("x", "x", False, [(1, 1, 1, 1)])]


def _history(repo: GitRepo, old: str, new: str, added: str) -> tuple[str, str, list]:
    body = "".join(f"line {i}\n" for i in range(1, 31))
    repo.write(old, body)
    repo.write("gone.py", "a\nb\n")
    repo.write("keep.txt", "one\ntwo")
    (repo.root / "img.bin").write_bytes(b"\0\1\2")
    base = repo.commit("base")
    (repo.root / old).rename(repo.root / new)
    repo.write(new, body.replace("line 3\n", "LINE 3\n").replace("line 20\n", "line 20\nx\ny\n"))
    (repo.root / "gone.py").unlink()
    repo.write(added, "print(1)\n")
    repo.write("keep.txt", "one\nTWO")
    (repo.root / "img.bin").write_bytes(b"\0\1\3")
    head = repo.commit("change")
    expected = sorted([
        (old, new, False, [(3, 1, 3, 1), (20, 0, 21, 2)]),
        ("gone.py", None, False, [(1, 2, 0, 0)]),
        ("img.bin", "img.bin", True, []),
        ("keep.txt", "keep.txt", False, [(2, 1, 2, 1)]),
        (None, added, False, [(0, 0, 1, 1)]),
    ], key=str)
    return base, head, expected


def test_real_git_output(repo: GitRepo) -> None:
    """Both callers against what git prints (Cairn runs git with core.quotepath=off): unicode names, a rename
    with edits, an added, a deleted, a binary file, `\\ No newline at end of file`."""
    base, head, expected = _history(repo, "dür/old_name.txt", "dür/new_name.txt", "ünï_new.py")
    try:
        files = diff_files(repo.root, base, head)
        assert sorted(_shape(files), key=str) == expected
        keep = next(f for f in files if f.path == "keep.txt")
        assert keep.hunks[0].lines == ["-two", "\\ No newline at end of file", "+TWO", "\\ No newline at end of file"]
        (commit,) = open_repo(repo.root).first_parent_log(base, head)
        assert commit.sha == head and commit.subject == "change"
        assert sorted(_shape(commit.changes), key=str) == expected
        assert len(commit.raw) == 5
    finally:
        forget_repo(repo.root)


def test_real_git_output_quoted(repo: GitRepo) -> None:
    """With git's default core.quotepath, names with spaces and non-ASCII bytes are C-quoted everywhere."""
    base, head, expected = _history(repo, "dür/old_name.txt", "dür/new_name.txt", "ünï_new.py")
    repo.write("plain name.txt", "p\n")
    repo.commit("spaced", "plain name.txt")
    repo.git("mv", "plain name.txt", "dür/mövéd name.txt")
    moved = repo.commit("pure rename")
    quoted = repo.git("diff", "-M", "-U0", base, head).encode() + b"\n"
    assert b'rename from "d\\303\\274r/old_name.txt"' in quoted
    (rename,) = parse_diff(repo.git("diff", "-M", f"{moved}~1..{moved}").encode())
    assert _shape([rename]) == [("plain name.txt", "dür/mövéd name.txt", False, [])]
    assert sorted(_shape(parse_diff(quoted)), key=str) == expected
    log = repo.git("log", "-p", "--raw", "--no-abbrev", "-U0", "-M", "--format=%x00%x00%H %s", f"{base}..{head}")
    (commit,) = parse_log(log.encode() + b"\n")
    assert sorted(_shape(commit.changes), key=str) == expected


@pytest.mark.parametrize("quoted", [False, True])
def test_edited_names_with_spaces(repo: GitRepo, quoted: bool) -> None:
    base, head, expected = _history(repo, "dür/old name.txt", "dür/new name.txt", "new file.py")
    try:
        if quoted:
            files = parse_diff(repo.git("diff", "-M", "-U0", base, head).encode() + b"\n")
        else:
            files = diff_files(repo.root, base, head)
        assert sorted(_shape(files), key=str) == expected
    finally:
        forget_repo(repo.root)
