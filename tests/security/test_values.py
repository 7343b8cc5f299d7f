"""Issue 11 item 4: one note with an extreme value is that note's one-line error, never everybody's outage.

The attack: commit a note with `ttl: 999999999999999d` (every command exited 3 with OverflowError and the
language server served nothing) or `reviewed: 9999-12-31T23:59:59Z` (`check` crashed adding the ttl).
The property test then throws extreme values at every frontmatter field.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.conftest import GitRepo
from tests.lsp.conftest import Workspace, client, codes, hover_text, start, wait_diagnostics, ws  # noqa: F401
from tests.security.hostile import (
    GOOD_TITLE,
    ONE_LINE_ERROR,
    assert_no_crash,
    good_repo,
    mcp_session,
    run,
    text_of,
    write_note,
)

ATTACKS = {
    "huge-ttl": ("title: Huge ttl\nkind: decision\nttl: 999999999999999d\nreviewed: 2026-01-01T00:00:00Z", 4,
                 "bad ttl: duration '999999999999999d' is too long (at most 100y)"),
    "far-reviewed": ("title: Far review\nkind: decision\nreviewed: 9999-12-31T23:59:59Z", 4,
                     "bad reviewed date: '9999-12-31T23:59:59Z' is out of range (years 1970 to 2999)"),
}


@pytest.fixture
def attacked(repo: GitRepo) -> tuple[GitRepo, str]:
    good = good_repo(repo)
    for name, (fm, _, _) in ATTACKS.items():
        write_note(repo, name, fm)
    repo.commit("hostile notes")
    return repo, good


def expected_errors() -> set[str]:
    return {f"agent-context/decisions/{name}.md:{line}: {message}" for name, (_, line, message) in ATTACKS.items()}


def test_cli_reports_the_bad_notes_and_serves_the_good_one(attacked: tuple[GitRepo, str]) -> None:
    repo, good = attacked
    listed = run(repo, "list")
    assert_no_crash(listed)
    assert listed.returncode == 1  # invalid notes exist
    assert good in listed.stdout
    assert set(listed.stderr.splitlines()) == expected_errors()

    checked = run(repo, "check", "--json")
    assert_no_crash(checked)
    states = {n["id"]: n["state"] for n in json.loads(checked.stdout)["notes"]}
    assert states == {good: "fresh", "decisions/huge-ttl": "invalid", "decisions/far-reviewed": "invalid"}

    recalled = run(repo, "recall", "src/app.py:4")
    assert_no_crash(recalled)
    assert recalled.returncode == 0 and GOOD_TITLE in recalled.stdout

    found = run(repo, "search", "exactly", "two")
    assert_no_crash(found)
    assert good in found.stdout

    shown = run(repo, "show", "decisions/huge-ttl")
    assert shown.returncode == 2 and shown.stderr.strip() in expected_errors()


async def test_mcp_reports_the_bad_notes_and_serves_the_good_one(attacked: tuple[GitRepo, str]) -> None:
    repo, good = attacked
    async with mcp_session(repo) as session:
        bad = await session.call_tool("get_note", {"id": "decisions/huge-ttl"})
        assert bad.is_error and "\n" not in text_of(bad).strip()
        assert "too long (at most 100y)" in text_of(bad)
        note = await session.call_tool("get_note", {"id": good})
        assert not note.is_error and json.loads(text_of(note))["title"] == GOOD_TITLE
        checked = json.loads(text_of(await session.call_tool("check", {})))
        assert checked["summary"] == {"notes": 3, "stale": 0, "expired": 0, "invalid": 2}
        recalled = await session.call_tool("recall", {"path": "src/app.py", "line": 4})
        assert not recalled.is_error and GOOD_TITLE in text_of(recalled)


async def test_language_server_reports_the_bad_notes_and_serves_the_good_one(
        client: LanguageClient, ws: Workspace) -> None:  # noqa: F811
    ws.note("About f1", [("src/app.py", 1, 2)])
    for name, (fm, _, _) in ATTACKS.items():
        write_note(ws.repo, name, fm)
    ws.repo.commit("notes")
    await start(client, ws.root)
    assert client.cairn_status[-1].invalid == 2  # type: ignore[attr-defined]
    assert client.cairn_status[-1].notes == 3  # type: ignore[attr-defined]
    for name, (_, line, message) in ATTACKS.items():
        uri = ws.uri(f"agent-context/decisions/{name}.md")
        diags = await wait_diagnostics(client, uri, lambda d: codes(d) == ["invalid"])
        assert diags[0].range.start.line == line - 1 and diags[0].message == message
    assert "About f1" in await hover_text(client, ws.uri("src/app.py"), 1)
    result = await client.protocol.send_request_async(
        "cairn/recall", {"uri": ws.uri("src/app.py"), "position": {"line": 0, "character": 0}})
    assert "About f1" in result.markdown
    assert isinstance(await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="")), list)


# ---- property test: extreme values in every frontmatter field --------------------------------------
BIG = st.one_of(st.integers(min_value=-(10**30), max_value=10**30), st.sampled_from([2**31, 2**32, 2**63, -1, 0]))
DURATIONS = st.one_of(
    BIG, st.builds(lambda n, u: f"{n}{u}", BIG, st.sampled_from("hdwmy")),
    st.floats(allow_nan=True), st.text(max_size=20))
DATES = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.datetimes().map(lambda d: d.isoformat() + "+14:00"),
    st.sampled_from(["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+05:00", "0001-01-01", "10000-01-01"]),
    BIG, st.text(max_size=20))
NESTED = st.integers(min_value=1, max_value=200).map(lambda d: "[" * d + "]" * d)
ODD = st.one_of(st.none(), st.booleans(), BIG, st.floats(), st.text(max_size=50),
                st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))
LINES = st.one_of(st.builds(lambda a, b: f"{a}-{b}", BIG, BIG), BIG, ODD)


def yaml_value(value: Any) -> str:
    """A value as YAML text (JSON is a YAML flow subset), or raw YAML when already text of nesting."""
    return value if isinstance(value, str) and value.startswith("[") else json.dumps(value)


FIELDS = st.one_of(
    st.tuples(st.just("ttl"), DURATIONS),
    st.tuples(st.sampled_from(["created", "reviewed", "updated"]), DATES),
    st.tuples(st.sampled_from(["title", "kind", "tags", "status", "supersedes", "anchors", "extra"]),
              st.one_of(ODD, NESTED)),
    st.tuples(st.just("anchors.lines"), LINES),
    st.tuples(st.just("anchors.path"), st.one_of(ODD, NESTED)),
    st.tuples(st.just("anchors.commit"), st.one_of(ODD, NESTED)),
)


def hostile_frontmatter(key: str, value: Any) -> str:
    fields = {"title": '"Hostile"', "kind": "decision", "reviewed": "2026-01-01T00:00:00Z"}
    anchor = {"path": "src/app.py", "lines": "1-2"}
    if key.startswith("anchors."):
        anchor[key.split(".", 1)[1]] = yaml_value(value)
    else:
        fields[key] = yaml_value(value)
    text = "".join(f"{k}: {v}\n" for k, v in fields.items())
    if "anchors" not in fields:
        text += "anchors:\n" + "".join(f"  {'- ' if i == 0 else '  '}{k}: {v}\n"
                                       for i, (k, v) in enumerate(anchor.items()))
    return text


@pytest.fixture(scope="module")
def prop_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[GitRepo, str]:
    root = tmp_path_factory.mktemp("prop") / "repo"
    root.mkdir()
    repo = GitRepo(root)
    repo.git("init", "-q", "-b", "main")
    repo.git("config", "user.name", "T")
    repo.git("config", "user.email", "t@example.com")
    repo.git("config", "commit.gpgsign", "false")
    return repo, good_repo(repo)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=FIELDS)
def test_extreme_frontmatter_values_stay_one_notes_problem(
        prop_repo: tuple[GitRepo, str], field: tuple[str, Any], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from cairn import cli
    from cairn.anchors import check_workspace
    from cairn.notes import NoteStore
    from cairn.recall import recall, search
    from cairn.workspace import Workspace as Ws

    repo, good = prop_repo
    rel = write_note(repo, "hostile", hostile_frontmatter(*field))
    workspace = Ws.at(repo.root)
    loaded = NoteStore(workspace).load()
    assert good in loaded.by_id()
    for error in loaded.errors:
        assert error.path == rel and ONE_LINE_ERROR.match(str(error)), str(error)
    report = check_workspace(workspace)
    assert report.by_id()[good].state == "fresh"
    pack = recall(workspace, "src/app.py", 4)
    assert good in {n.id for n in pack.notes}
    json.loads(pack.to_json())
    assert good in {h.id for h in search(workspace, "exactly two", 10)}
    capsys.readouterr()
    monkeypatch.chdir(repo.root)  # the CLI in this process, as `cairn` run in the repository
    for argv in (["list"], ["check", "--json"], ["recall", "src/app.py:4"]):
        code = cli.main(argv)
        out = capsys.readouterr()
        assert code in (0, 1, 2), out.err
        for line in out.err.splitlines():
            assert ONE_LINE_ERROR.match(line), line
        if argv[-1] == "--json":
            assert {n["id"]: n["state"] for n in json.loads(out.out)["notes"]}[good] == "fresh"
