"""The search index: query language, filters, incremental updates, recovery and concurrency."""

from __future__ import annotations

import fcntl
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from cairn.index import NoteIndex, QueryError, search
from cairn.workspace import Workspace


@pytest.fixture
def notes_repo(small_repo: Path, helpers: Any) -> Path:
    w = helpers.write_note
    w(small_repo, "decisions/jwt-sessions", "Use JWT access tokens instead of server sessions", "decision",
      "We chose JWT because sticky sessions broke on every deploy.\n\nRefresh tokens rotate.",
      tags=("auth", "security"), anchors=(("src/app/api.py", 1, 3),))
    w(small_repo, "gotchas/pool-after-fork", "Recreate the connection pool after fork", "gotcha",
      "Forked workers share sockets with the parent.", tags=("db",), anchors=(("src/app/db.py", 1, 2),))
    w(small_repo, "patterns/retry-backoff", "Retry with exponential backoff", "pattern",
      "Use full jitter so retries do not synchronise.", tags=("workers", "reliability"),
      anchors=(("src/other/jobs.py", 1, 2),))
    w(small_repo, "decisions/old-sessions", "Server sessions in Redis", "decision",
      "Replaced by JWT sessions.", tags=("auth",), status="superseded")
    w(small_repo, "patterns/handler-naming", "Handlers are named handler_N", "pattern",
      "Nothing special about sessions here.", anchors=(("src/app/api.py", 5, 7),))
    return small_repo


def ids(hits: list[Any]) -> list[str]:
    return [h.id for h in hits]


def open_index(root: Path, **kwargs: Any) -> tuple[NoteIndex, list[str]]:
    notices: list[str] = []
    index = NoteIndex(Workspace.at(root), notice=notices.append, **kwargs)
    index.refresh()
    return index, notices


# ---- query language ----------------------------------------------------------------------------
def test_words_rank_title_over_body(notes_repo: Path) -> None:
    index, _ = open_index(notes_repo)
    hits = index.search("sessions")
    assert hits[0].id == "decisions/jwt-sessions"  # title and body beat body only
    assert "decisions/old-sessions" in ids(hits)
    assert hits[-1].id in ("patterns/handler-naming", "decisions/old-sessions")


def test_superseded_notes_rank_below_active_ones(notes_repo: Path) -> None:
    index, _ = open_index(notes_repo)
    order = ids(index.search("sessions redis jwt"))
    assert order.index("decisions/jwt-sessions") < order.index("decisions/old-sessions")


def test_phrase_prefix_and_typo(notes_repo: Path) -> None:
    index, _ = open_index(notes_repo)
    assert ids(index.search('"connection pool"')) == ["gotchas/pool-after-fork"]
    assert ids(index.search('"pool connection"')) == []  # a phrase is in order
    assert "patterns/retry-backoff" in ids(index.search("expon*"))
    assert "patterns/retry-backoff" in ids(index.search("retry expon"))  # last word is a prefix too
    assert ids(index.search("backof"))[:1] == ["patterns/retry-backoff"]  # implicit prefix
    assert ids(index.search("jiter synchronise"))[:1] == ["patterns/retry-backoff"]  # one typo, 5+ letters
    assert ids(index.search("exponentail"))[:1] == ["patterns/retry-backoff"]  # a transposition
    assert ids(index.search("jwz tokenz")) == [] or "decisions/jwt-sessions" not in ids(index.search("jwz"))


def test_identifiers_of_anchored_code_are_searchable(notes_repo: Path) -> None:
    index, _ = open_index(notes_repo)
    assert ids(index.search("handler_1")) == ["decisions/jwt-sessions"]
    assert ids(index.search("handler_2")) == ["patterns/handler-naming"]
    assert ids(index.search("Pool", 1)) == ["gotchas/pool-after-fork"]


def test_filters(notes_repo: Path) -> None:
    index, _ = open_index(notes_repo)
    assert set(ids(index.search("kind:gotcha"))) == {"gotchas/pool-after-fork"}
    assert set(ids(index.search("kind:decision kind:gotcha"))) == {
        "decisions/jwt-sessions", "decisions/old-sessions", "gotchas/pool-after-fork"}
    assert set(ids(index.search("tag:auth"))) == {"decisions/jwt-sessions", "decisions/old-sessions"}
    assert set(ids(index.search("tag:AUTH -tag:security"))) == {"decisions/old-sessions"}
    assert set(ids(index.search("status:superseded"))) == {"decisions/old-sessions"}
    assert set(ids(index.search("path:src/app"))) == {
        "decisions/jwt-sessions", "gotchas/pool-after-fork", "patterns/handler-naming"}
    assert set(ids(index.search("path:src/app/api.py"))) == {"decisions/jwt-sessions", "patterns/handler-naming"}
    assert set(ids(index.search("path:./src/oth"))) == {"patterns/retry-backoff"}
    assert ids(index.search("sessions kind:pattern")) == ["patterns/handler-naming"]
    assert ids(index.search("sessions -kind:decision")) == ["patterns/handler-naming"]
    assert ids(index.search('tag:auth "sticky sessions"')) == ["decisions/jwt-sessions"]
    assert ids(index.search("+jwt sessions")) == ["decisions/jwt-sessions", "decisions/old-sessions"]
    assert ids(index.search("sessions NOT jwt")) == ["patterns/handler-naming"]
    assert ids(index.search("path:src/nowhere")) == []


def test_hits_carry_what_a_result_list_needs(notes_repo: Path) -> None:
    index, _ = open_index(notes_repo)
    hit = index.search("sticky")[0]
    assert hit.path == "agent-context/decisions/jwt-sessions.md"
    assert hit.kind == "decision" and hit.status == "active" and hit.tags == ("auth", "security")
    assert hit.anchors == ("src/app/api.py:1-3",)
    assert "sticky sessions" in hit.snippet
    assert hit.score > 0 and hit.state is None
    assert set(hit.to_dict()) == {"id", "path", "title", "kind", "status", "state", "tags", "anchors", "score",
                                  "snippet"}


@pytest.mark.parametrize("query, message", [
    ('"unclosed phrase', "unclosed quote"),
    ("kind:", "needs a value"),
    ("colour:red", "unknown filter colour:"),
    ("", "empty query"),
    ("   ", "empty query"),
    ("-", "alone is not a query term"),
    ("*", "alone is not a query term"),
    ("se*ss", "only allowed at the end"),
    ("session NOT", "NOT needs a word"),
    ("AND OR (((", "nothing to search for"),
    ("(((", "nothing to search for"),
    ("?", "nothing to search for"),
    ('"((("', "nothing to search for"),
])
def test_query_syntax_errors_are_one_line(notes_repo: Path, query: str, message: str) -> None:
    index, _ = open_index(notes_repo)
    with pytest.raises(QueryError) as caught:
        index.search(query)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_prose_colons_are_words_not_filters(notes_repo: Path) -> None:
    index, _ = open_index(notes_repo)
    assert index.search("Note: sessions")  # capitalised word before a colon: plain text
    assert index.search("!!! sessions ???")


def test_punctuation_people_type_still_searches(notes_repo: Path) -> None:
    index, _ = open_index(notes_repo)
    assert ids(index.search("what's sticky?"))[:1] == ["decisions/jwt-sessions"]
    assert ids(index.search("(exponential) backoff"))[:1] == ["patterns/retry-backoff"]
    assert isinstance(index.search("c++"), list)  # a word (its letter), not an error
    # Words that vanish in analysis (a stop word) find nothing, never every note; only excluded words
    # still mean every other note.
    assert index.search("a") == []
    assert set(ids(index.search("-sessions"))) == {"gotchas/pool-after-fork", "patterns/retry-backoff"}


@pytest.mark.parametrize("query", [["AND", "OR", "((("], ['"unterminated phrase'], ["?"]])
def test_cli_search_rejects_an_unreadable_query(notes_repo: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch, query: list[str]) -> None:
    from cairn.cli import main

    monkeypatch.chdir(notes_repo)
    code = main(["search", *query])
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if not line.startswith("cairn: search index")]
    assert code == 2 and out == "" and len(lines) == 1
    assert "nothing to search for" in lines[0] or "unclosed quote" in lines[0]
    assert main(["search", "what's", "sticky?", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["hits"][0]["id"] == "decisions/jwt-sessions"


# ---- incremental updates -------------------------------------------------------------------------
def manifest(root: Path) -> dict[str, Any]:
    """The manifest as an index would read it: the base file plus its journal."""
    data, why = NoteIndex(Workspace.at(root))._read_manifest()
    assert data is not None, why
    return data


def journal(root: Path) -> list[dict[str, Any]]:
    path = root / ".git" / "cairn" / "index" / "manifest.journal"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_unchanged_notes_are_not_even_read(notes_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index, notices = open_index(notes_repo)
    assert len(notices) == 1 and "was missing; built it (5 notes" in notices[0]
    assert len(index) == 5
    from cairn.index import core

    monkeypatch.setattr(core.NoteIndex, "_read_doc", lambda *a: pytest.fail("re-read an unchanged note"))
    report = NoteIndex(Workspace.at(notes_repo)).refresh()
    assert report.reindexed == [] and report.removed == [] and report.rebuilt is None and report.scanned == 5


def test_one_edit_reindexes_one_note(notes_repo: Path, helpers: Any) -> None:
    index, _ = open_index(notes_repo)
    before = manifest(notes_repo)["notes"]
    path = notes_repo / "agent-context" / "patterns" / "retry-backoff.md"
    path.write_text(path.read_text().replace("full jitter", "decorrelated jitter"))
    report = index.refresh()
    assert report.updated == ["patterns/retry-backoff"] and report.added == [] and report.rebuilt is None
    after = manifest(notes_repo)["notes"]
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {"patterns/retry-backoff"}
    # The update appended one journal line naming that note only; the base manifest was not rewritten.
    assert [set(line["n"]) for line in journal(notes_repo)] == [{"patterns/retry-backoff"}]
    assert ids(index.search("decorrelated")) == ["patterns/retry-backoff"]
    assert index.search("full jitter") == [] or "patterns/retry-backoff" not in ids(index.search('"full jitter"'))
    assert len(index) == 5
    # A second process sees the same index, already up to date.
    assert NoteIndex(Workspace.at(notes_repo)).refresh().reindexed == []


def test_add_delete_and_touch(notes_repo: Path, helpers: Any) -> None:
    index, _ = open_index(notes_repo)
    helpers.write_note(notes_repo, "gotchas/new-one", "Brand new gotcha about quokkas", "gotcha", "Quokkas.")
    report = index.refresh()
    assert report.added == ["gotchas/new-one"] and report.updated == []
    assert ids(index.search("quokkas")) == ["gotchas/new-one"]
    (notes_repo / "agent-context" / "gotchas" / "pool-after-fork.md").unlink()
    report = index.refresh()
    assert report.removed == ["gotchas/pool-after-fork"]
    assert index.search("fork") == []
    note = notes_repo / "agent-context" / "decisions" / "jwt-sessions.md"
    note.write_text(note.read_text())  # same bytes, new mtime
    import os

    os.utime(note, ns=(1_000_000_000, 1_000_000_000))
    assert index.refresh().reindexed == []
    assert len(index) == 5


def test_refresh_of_named_paths_only(notes_repo: Path, helpers: Any) -> None:
    index, _ = open_index(notes_repo)
    path = helpers.write_note(notes_repo, "gotchas/named", "Named refresh", "gotcha", "Wombats.")
    helpers.write_note(notes_repo, "gotchas/unnamed", "Not named", "gotcha", "Numbats.")
    report = index.refresh([path])
    assert report.added == ["gotchas/named"] and report.scanned == 1
    assert ids(index.search("wombats")) == ["gotchas/named"]
    assert index.search("numbats") == []
    assert index.refresh().added == ["gotchas/unnamed"]


def test_code_changes_refresh_identifiers(notes_repo: Path) -> None:
    index, _ = open_index(notes_repo)
    db = notes_repo / "src" / "app" / "db.py"
    db.write_text("class ConnectionPool:\n    size = 4\n")
    report = index.refresh()
    assert report.updated == ["gotchas/pool-after-fork"]
    assert ids(index.search("ConnectionPool")) == ["gotchas/pool-after-fork"]


def test_invalid_notes_are_skipped_and_tracked(notes_repo: Path) -> None:
    index, _ = open_index(notes_repo)
    bad = notes_repo / "agent-context" / "gotchas" / "broken.md"
    bad.write_text("---\ntitle: [unclosed\n---\nBody\n")
    report = index.refresh()
    assert report.added == ["gotchas/broken"]
    assert len(index) == 5
    assert index.refresh().reindexed == []  # remembered as unindexable until it changes


def test_anchor_paths_outside_the_repository_are_never_read(notes_repo: Path, helpers: Any) -> None:
    outside = notes_repo.parent / "secret.py"
    outside.write_text("def leaked_secret_function():\n    pass\n")
    note = notes_repo / "agent-context" / "gotchas" / "evil.md"
    note.write_text("---\ntitle: Evil\nkind: gotcha\nanchors:\n  - path: ../secret.py\n    lines: 1-2\n---\nx\n")
    index, _ = open_index(notes_repo)
    assert index.search("leaked_secret_function") == []


def test_anchor_path_checks_decided_per_folder_agree_with_the_workspace(notes_repo: Path) -> None:
    """The index decides most anchored files from their folder's cached check plus one lstat; on every
    kind of awkward path it must answer what `Workspace.check_repo_path` answers."""
    import os

    from cairn.errors import CairnError

    outside = notes_repo.parent / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("def leaked_secret_function():\n    pass\n")
    src = notes_repo / "src" / "app"
    os.symlink(outside / "secret.py", src / "link.py")  # a file symlink out of the repository
    os.symlink(outside, src / "linkdir")  # a folder symlink out of it
    os.symlink(src / "api.py", src / "inside-link.py")  # a symlink that stays inside
    (src / "sub").mkdir()
    ws = Workspace.at(notes_repo)
    index = NoteIndex(ws, notice=lambda _m: None)
    paths = ["src/app/api.py", "src/app/link.py", "src/app/linkdir/secret.py", "src/app/inside-link.py",
             "src/app/missing.py", "src/app/sub/new.py", "src/app/./api.py", "src/app//api.py",
             "src/app/../app/api.py", "src/app/api.py ", " src/app/api.py", "src\\app\\api.py", "src/app/.",
             "src/app/..", ".git/config", "/etc/passwd", "~/x", "src/app/sub/", "README.md", "c:/x", "src/app/\tx"]
    for rel in paths:
        try:
            expected = ws.check_repo_path(rel) == rel
        except (CairnError, OSError, ValueError):
            expected = False
        assert index._safe_path(rel) is expected, rel
    assert index._safe_path("src/app/api.py") and not index._safe_path("src/app/link.py")


# ---- recovery and concurrency --------------------------------------------------------------------
def test_deleted_index_folder_is_rebuilt(notes_repo: Path) -> None:
    open_index(notes_repo)
    shutil.rmtree(notes_repo / ".git" / "cairn" / "index")
    again, notices = open_index(notes_repo)
    assert len(notices) == 1 and "missing" in notices[0]
    assert len(again) == 5 and ids(again.search("quokkas")) == []
    assert ids(again.search("backoff"))[:1] == ["patterns/retry-backoff"]


@pytest.mark.parametrize("damage", ["meta", "segments", "manifest", "journal", "old-format", "count"])
def test_damaged_index_is_rebuilt_with_a_notice(notes_repo: Path, damage: str) -> None:
    open_index(notes_repo)
    folder = notes_repo / ".git" / "cairn" / "index"
    if damage == "meta":
        (folder / "tantivy" / "meta.json").write_text("{not json")
    elif damage == "segments":
        for file in (folder / "tantivy").iterdir():
            if file.suffix in (".idx", ".store", ".term", ".pos", ".fieldnorm", ".fast"):
                file.write_bytes(b"\0garbage" * 3)
    elif damage == "manifest":
        (folder / "manifest.json").write_text("garbage")
    elif damage == "journal":
        (folder / "manifest.journal").write_text('{"n": {"x": [1, 2')
    elif damage == "old-format":
        data = manifest(notes_repo)
        data["format"] = 0
        (folder / "manifest.json").write_text(json.dumps(data))
    elif damage == "count":
        data = manifest(notes_repo)
        data["notes"]["decisions/ghost"] = ["x", 0, 0, []]
        (folder / "manifest.json").write_text(json.dumps(data))
    index, notices = open_index(notes_repo)
    assert len(notices) == 1 and "rebuilt" in notices[0] and "\n" not in notices[0]
    assert len(index) == 5
    assert ids(index.search("backoff"))[:1] == ["patterns/retry-backoff"]


def test_busy_writer_falls_back_to_the_copy_on_disk(notes_repo: Path, helpers: Any) -> None:
    open_index(notes_repo)
    helpers.write_note(notes_repo, "gotchas/late", "Late arrival", "gotcha", "Platypus.")
    with (notes_repo / ".git" / "cairn" / "index" / "lock").open("a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        index, notices = open_index(notes_repo, lock_timeout=0)
        assert index.mode == "readonly"
        assert ids(index.search("backoff"))[:1] == ["patterns/retry-backoff"]  # works, maybe behind
        assert len(notices) == 1 and "another process" in notices[0]
    assert index.refresh().added == ["gotchas/late"]  # the lock is free again: catches up
    assert index.mode == "disk"


def test_busy_writer_without_a_usable_index_searches_in_memory(notes_repo: Path) -> None:
    folder = notes_repo / ".git" / "cairn" / "index"
    folder.mkdir(parents=True)
    with (folder / "lock").open("a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        index, notices = open_index(notes_repo, lock_timeout=0)
        assert index.mode == "memory"
        assert ids(index.search("backoff"))[:1] == ["patterns/retry-backoff"]
        assert len(notices) == 1 and "in-memory" in notices[0]


def test_two_indexes_on_one_folder_take_turns(notes_repo: Path, helpers: Any) -> None:
    first, _ = open_index(notes_repo)
    second, _ = open_index(notes_repo)
    helpers.write_note(notes_repo, "gotchas/turns", "Taking turns", "gotcha", "Echidna.")
    assert first.refresh().added == ["gotchas/turns"]
    assert second.refresh().reindexed == []  # sees the first one's update through the manifest
    assert ids(second.search("echidna")) == ["gotchas/turns"]


def test_search_function_opens_the_index(notes_repo: Path) -> None:
    assert ids(search(Workspace.at(notes_repo), "backoff", 1)) == ["patterns/retry-backoff"]
    assert search(Workspace.at(notes_repo), "backoff", 0) == []


# ---- the lean frontmatter reader ---------------------------------------------------------------------
TRICKY = [
    "title: 'it''s'\nkind: gotcha\n", 'title: "quoted \\" x"\nkind: decision\n', "title: x # comment\nkind: d\n",
    "title: |\n  multi\nkind: d\n", "tags: [a, 'b']\ntitle: t\n", "tags:\n  - a\n  - b\ntitle: t\n",
    "anchors: []\ntitle: x\n", "anchors:\n  - {path: a.py, lines: 1-2}\n", "title: yes\nkind: no\n",
    "title: a long\n  title\nkind: d\n", "anchors:\n- path: a.py\n  lines: 1-2\n",
    "anchors:\n  - path: a.py\n    lines: 1-2\n    commit: abc\n    ctx: 1 2 | 3\n  - path: b.py\n    lines: 3\n",
    "title: x\nextra:\n  nested: [1, 2]\n  more: {a: b}\nkind: d\n", "title: ~\nkind: d\n",
    "tags: [auth, security]  \nstatus: active\n", "title: 12\nkind: d\n",
    "anchors:\n  - path: a.py\n    lines: 7\n    lh: 1 2 3\n      4 5 6\n  - path: b.py\n    lines: 1-2\n",
    "anchors:\n  - path: a very\n      long path.py\n    lines: 1-2\n",
]


@pytest.mark.parametrize("fm", TRICKY)
def test_lean_frontmatter_reader_agrees_with_yaml_or_defers(fm: str) -> None:
    import yaml

    from cairn.index.fields import _LeanLoader, scan_frontmatter

    fast = scan_frontmatter(fm)
    if fast is None:
        return  # deferred to YAML: always correct
    slow = yaml.load(fm, Loader=_LeanLoader)
    needed = {"title", "kind", "tags", "status", "reviewed", "created", "anchors"}
    expected = {k: v for k, v in slow.items() if k in needed}
    if "anchors" in expected:
        expected["anchors"] = [{k: str(v) for k, v in a.items() if k in ("path", "lines")}
                               for a in expected["anchors"]]
        fast["anchors"] = [{k: str(v) for k, v in a.items()} for a in fast["anchors"]]
    assert {k: v for k, v in fast.items() if k in needed} == expected


def test_lean_frontmatter_reader_on_the_corpus(corpus_root: Path) -> None:
    from cairn.index.fields import scan_frontmatter

    files = sorted((corpus_root / "agent-context").rglob("*.md"))
    assert len(files) == 66
    assert all(scan_frontmatter(f.read_text().split("---\n")[1]) is not None for f in files)


def test_journal_is_folded_into_the_manifest(notes_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cairn.index import core

    monkeypatch.setattr(core, "JOURNAL_MAX", 200)
    index, _ = open_index(notes_repo)
    note = notes_repo / "agent-context" / "patterns" / "retry-backoff.md"
    for i in range(4):
        note.write_text(note.read_text() + f"\nEdit number {i}.\n")
        assert index.refresh().updated == ["patterns/retry-backoff"]
    assert len(journal(notes_repo)) < 4  # folded at least once
    assert ids(index.search("number"))[:1] == ["patterns/retry-backoff"]
    fresh = NoteIndex(Workspace.at(notes_repo))
    assert fresh.refresh().reindexed == [] and len(fresh) == 5


def test_concurrent_processes_on_a_missing_index(notes_repo: Path) -> None:
    """Several `cairn search` processes start at once on a repository without an index: one builds it,
    the others wait for it (or search the notes in memory); none crashes."""
    import subprocess
    import sys

    procs = [subprocess.Popen([sys.executable, "-m", "cairn", "search", "backoff", "--json"], cwd=notes_repo,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert json.loads(out)["hits"][0]["id"] == "patterns/retry-backoff"
        assert "Traceback" not in err
    assert len(NoteIndex(Workspace.at(notes_repo)).refresh().reindexed) == 0


def test_index_damaged_after_use_is_rebuilt_by_the_next_reader(notes_repo: Path) -> None:
    _, notices = open_index(notes_repo)
    notices.clear()
    folder = notes_repo / ".git" / "cairn" / "index" / "tantivy"
    for file in folder.iterdir():
        if file.suffix in (".store", ".idx", ".term"):
            file.write_bytes(b"\0" * 16)
    fresh = NoteIndex(Workspace.at(notes_repo), notice=notices.append)  # a new reader sees the damage
    fresh.refresh()
    assert ids(fresh.search("backoff"))[:1] == ["patterns/retry-backoff"]
    assert any("rebuilt" in n for n in notices)


def test_primed_notes_are_not_parsed_again(notes_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cairn.notes.store import NoteStore

    index, _ = open_index(notes_repo)
    notes = NoteStore(Workspace.at(notes_repo)).load().notes
    index.prime(notes)
    monkeypatch.setattr(NoteStore, "read_file", lambda *a: pytest.fail("parsed a primed note again"))
    assert index.note("patterns/retry-backoff") is next(n for n in notes if n.id == "patterns/retry-backoff")
