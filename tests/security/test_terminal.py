"""Issue 11 item 8: control sequences in note text are shown, never obeyed, by everything printed to a terminal.

The attack: a note titled `Evil ESC]52;c;<base64> BEL ...` made `list`, `recall`, `check` and the
post-merge hook write the reader's clipboard (OSC 52), and other sequences clear the screen or reorder
text. Every CLI text stream goes through `cairn.terminal.safe_text` (control characters become visible
`\\u001b` for ESC), and JSON output keeps them escaped inside the string values.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import GitRepo
from tests.mcp.helpers import git, setup_repo_with_note
from tests.security.hostile import assert_no_crash, run

OSC52 = "\x1b]52;c;ZXZpbA==\x07"
EVIL_TITLE = f"Evil {OSC52} title \x1b[2J\x9b31m\u202egnp.exe\r"
CONTROLS = ["\x1b", "\x07", "\x9b", "\u202e", "\r"]
WAIT = {"CAIRN_HOOK_WAIT": "60"}


def assert_terminal_safe(text: str) -> None:
    for char in CONTROLS:
        assert char not in text, f"raw {char!r} in output: {text!r}"


@pytest.fixture
def evil(repo: GitRepo) -> tuple[GitRepo, str]:
    note_id = setup_repo_with_note(repo, title=EVIL_TITLE, body=f"Body with {OSC52} and \x1b[31mred\x1b[0m.\n")
    return repo, note_id


def make_stale(repo: GitRepo) -> None:
    repo.write("src/app.py", repo.read("src/app.py").replace("return x + 2\n", "return x + 20\n"))


def test_text_output_shows_escapes_instead_of_obeying_them(evil: tuple[GitRepo, str]) -> None:
    repo, note_id = evil
    make_stale(repo)  # so that `check` prints the note
    for args in (["list"], ["show", note_id], ["recall", "src/app.py:4"], ["check"], ["search", "evil"],
                 ["affected", "HEAD"]):
        proc = run(repo, *args)
        assert_no_crash(proc)
        assert_terminal_safe(proc.stdout + proc.stderr)
        if args[0] != "affected":
            assert "Evil \\u001b]52;c;ZXZpbA==\\u0007 title" in proc.stdout + proc.stderr, (args, proc.stdout)


def test_json_output_escapes_them_inside_string_values(evil: tuple[GitRepo, str]) -> None:
    repo, _ = evil
    make_stale(repo)
    for args, title_of in ((["check", "--json"], lambda d: d["notes"][0]["title"]),
                           (["recall", "src/app.py:4", "--json"], lambda d: d["notes"][0]["title"]),
                           (["search", "evil", "--json"], lambda d: d["hits"][0]["title"])):
        proc = run(repo, *args)
        assert_no_crash(proc)
        assert_terminal_safe(proc.stdout)
        assert title_of(json.loads(proc.stdout)).startswith(f"Evil {OSC52} title"), args


def test_hooks_print_titles_safely(evil: tuple[GitRepo, str]) -> None:
    repo, note_id = evil
    run(repo, "hooks", "install")
    repo.commit("attributes")
    git(repo, "checkout", "-q", "-b", "feature", **WAIT)
    make_stale(repo)
    repo.commit("change f2")
    git(repo, "checkout", "-q", "main", **WAIT)
    merged = git(repo, "merge", "--no-ff", "--no-edit", "feature", **WAIT)  # post-merge, waited for
    out = merged.stdout + merged.stderr
    assert f"note went stale: {note_id}" in out and "\\u001b]52" in out, out
    assert_terminal_safe(out)


def test_safe_text_keeps_ordinary_text() -> None:
    from cairn.terminal import safe_text

    text = "Straße — 日本語 tabs\tand\nnew lines, ‏rtl mark‎, emoji 🙂"
    assert safe_text(text) == text
    assert safe_text("a\r\nb") == "a\nb"
    assert safe_text("\x1b[2J\x00\x7f\x85\u2066") == "\\u001b[2J\\u0000\\u007f\\u0085\\u2066"
    assert json.loads(json.dumps(safe_text('"\x9b"'))) == '"\\u009b"'
    assert json.loads(safe_text(json.dumps("\x9b\x1b", ensure_ascii=False))) == "\x9b\x1b"
