"""Recall end to end in temporary repositories: ranking tiers, freshness order, stale marking (with the
real anchor engine and real commits), budgets, the library API and the CLI."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cairn.cli import main
from cairn.recall import recall, search
from cairn.workspace import Workspace


def stamp(helpers: Any, days_ago: int) -> str:
    return (helpers.NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def aged_repo(small_repo: Path, helpers: Any) -> tuple[Path, str]:
    """Four notes on four functions of api.py, of different ages; handler_2's code then changes."""
    w = helpers.write_note
    w(small_repo, "decisions/recent", "Recently reviewed", "decision", "Fresh.", anchors=(("src/app/api.py", 1, 3),),
      reviewed=stamp(helpers, 2))
    w(small_repo, "decisions/older", "Reviewed a while ago", "decision", "Older.",
      anchors=(("src/app/api.py", 9, 11),), reviewed=stamp(helpers, 100))
    w(small_repo, "gotchas/expired", "Not reviewed for too long", "gotcha", "Expired.",
      anchors=(("src/app/api.py", 13, 15),), reviewed=stamp(helpers, 200))
    w(small_repo, "decisions/stale", "About handler two", "decision", "Stale soon.",
      anchors=(("src/app/api.py", 5, 7),), reviewed=stamp(helpers, 2))
    helpers.commit_all(small_repo, "notes")
    api = small_repo / "src" / "app" / "api.py"
    api.write_text(api.read_text().replace("    value = 2\n", "    value = 2000\n"))
    sha = helpers.commit_all(small_repo, "Rewrite handler_2")
    return small_repo, sha


def test_freshness_orders_notes_in_the_same_tier(aged_repo: tuple[Path, str], helpers: Any) -> None:
    root, _sha = aged_repo
    pack = recall(Workspace.at(root), "src/app/api.py", now=helpers.NOW)
    assert [n.id for n in pack.notes] == ["decisions/recent", "decisions/older", "decisions/stale",
                                          "gotchas/expired"]
    by_id = {n.id: n for n in pack.notes}
    assert by_id["decisions/recent"].state == "fresh"
    assert by_id["decisions/recent"].freshness.startswith("fresh, verified at ")
    assert by_id["decisions/recent"].freshness.endswith(" 2 days ago")
    assert by_id["gotchas/expired"].state == "expired"
    assert by_id["gotchas/expired"].freshness == "expired: last reviewed 6 months ago"
    assert by_id["decisions/recent"].score > by_id["decisions/older"].score > by_id["decisions/stale"].score


def test_stale_notes_are_kept_and_marked_with_the_commit(aged_repo: tuple[Path, str], helpers: Any) -> None:
    root, sha = aged_repo
    pack = recall(Workspace.at(root), "src/app/api.py", line=6, now=helpers.NOW)
    stale = next(n for n in pack.notes if n.id == "decisions/stale")
    assert stale.state == "stale"
    assert stale.freshness.startswith(f"STALE: anchored lines changed in {sha[:7]} (Rewrite handler_2)")
    # Kept, but ranked below fresh notes near the line (stale x 0.5), above an expired one near it.
    assert [n.id for n in pack.notes] == ["decisions/recent", "decisions/older", "decisions/stale",
                                          "gotchas/expired"]
    assert f"- STALE: anchored lines changed in {sha[:7]} (Rewrite handler_2)" in pack.to_markdown()
    hits = search(Workspace.at(root), "handler two")
    assert [(h.id, h.state) for h in hits][:1] == [("decisions/stale", "stale")]


def test_uncommitted_edits_make_a_note_stale(small_repo: Path, helpers: Any) -> None:
    helpers.write_note(small_repo, "decisions/d", "About handler one", "decision", "x",
                       anchors=(("src/app/api.py", 1, 3),), reviewed=stamp(helpers, 1))
    helpers.commit_all(small_repo, "notes")
    api = small_repo / "src" / "app" / "api.py"
    api.write_text(api.read_text().replace("    value = 1\n", "    value = -1\n"))
    pack = recall(Workspace.at(small_repo), "src/app/api.py", line=2, now=helpers.NOW)
    assert pack.notes[0].state == "stale" and pack.notes[0].freshness.startswith("STALE: ")
    assert "uncommitted" in pack.notes[0].freshness


def test_location_tiers(small_repo: Path, helpers: Any) -> None:
    w = helpers.write_note
    recent = stamp(helpers, 1)
    w(small_repo, "d/at-line", "At the line", "decision", "a", anchors=(("src/app/api.py", 25, 27),), reviewed=recent)
    w(small_repo, "d/near-line", "Near the line", "decision", "b", anchors=(("src/app/api.py", 29, 31),),
      reviewed=recent)
    w(small_repo, "d/in-file", "Elsewhere in the file", "decision", "c", anchors=(("src/app/api.py", 61, 63),),
      reviewed=recent)
    w(small_repo, "d/mentions-function", "Callers of handler_7 must pass a request", "decision",
      "Remember handler_7.", reviewed=recent)
    w(small_repo, "d/same-dir", "Pool sizing", "decision", "d", anchors=(("src/app/db.py", 1, 2),), reviewed=recent)
    w(small_repo, "d/same-module", "Jobs", "decision", "e", anchors=(("src/other/jobs.py", 1, 2),), reviewed=recent)
    w(small_repo, "d/mentions-file", "Notes on api.py", "decision", "The api.py module is big.", reviewed=recent)
    w(small_repo, "d/unrelated", "Quokkas", "decision", "Nothing to do with it.", reviewed=recent)
    ws = Workspace.at(small_repo)
    pack = recall(ws, "src/app/api.py", line=26, now=helpers.NOW)
    assert [n.id for n in pack.notes] == ["d/at-line", "d/near-line", "d/in-file", "d/mentions-function",
                                          "d/same-dir", "d/same-module", "d/mentions-file"]
    with_query = recall(ws, str(small_repo / "src" / "app" / "api.py"), line=26, query="quokkas", now=helpers.NOW)
    assert [n.id for n in with_query.notes][-1] == "d/unrelated"
    assert with_query.to_dict()["file"] == "src/app/api.py"


def test_recall_respects_the_budget_and_reports_truncation(small_repo: Path, helpers: Any) -> None:
    for i in range(6):
        helpers.write_note(small_repo, f"d/n{i}", f"Note {i}", "decision",
                           "\n\n".join(f"Paragraph {p} of note {i}: " + "words " * 20 for p in range(4)),
                           anchors=(("src/app/api.py", 1 + 4 * i, 3 + 4 * i),), reviewed=stamp(helpers, i + 1))
    ws = Workspace.at(small_repo)
    for budget in (50, 120, 300, 700):
        pack = recall(ws, "src/app/api.py", budget=budget, now=helpers.NOW)
        assert pack.tokens <= budget and pack.truncated
    full = recall(ws, "src/app/api.py", now=helpers.NOW)
    assert len(full.notes) == 6 and not full.truncated and full.budget == 2000


def test_recall_input_errors(small_repo: Path) -> None:
    from cairn.errors import UsageError

    ws = Workspace.at(small_repo)
    with pytest.raises(UsageError, match=r"out of range \(50 to 100000 tokens\)"):
        recall(ws, "src/app/api.py", budget=10)
    with pytest.raises(UsageError, match="escapes the repository"):
        recall(ws, "../outside.py")
    with pytest.raises(UsageError, match="1-based"):
        recall(ws, "src/app/api.py", line=0)
    from cairn.errors import NotFoundError
    # A path neither in the working tree nor at HEAD is a typo: one line naming it, not every note.
    with pytest.raises(NotFoundError, match=r"^src/app/missing.py: no such file in the working tree or at HEAD$"):
        recall(ws, "src/app/missing.py")


# ---- CLI ---------------------------------------------------------------------------------------
def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_recall_and_search(aged_repo: tuple[Path, str], capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    root, sha = aged_repo
    monkeypatch.chdir(root / "src")
    code, out, _err = run(capsys, "recall", "app/api.py:6")
    assert code == 0 and out.startswith("# Cairn recall: src/app/api.py:6\n")
    assert f"STALE: anchored lines changed in {sha[:7]}" in out
    # A path that exists neither in the working tree nor at HEAD: one line, exit 2, no pack.
    code, out, err = run(capsys, "recall", "app/apy.py:6")
    assert (code, out) == (2, "")
    assert err.strip().splitlines() == [err.strip()] and "src/app/apy.py: no such file" in err
    # Deleted in the working tree but still at HEAD: recalled (its notes may explain why it was there).
    (root / "src/app/api.py").rename(root / "src/app/api.py.bak")
    code, out, _err = run(capsys, "recall", "app/api.py:6")
    (root / "src/app/api.py.bak").rename(root / "src/app/api.py")
    assert code == 0 and out.startswith("# Cairn recall: src/app/api.py:6\n")
    code, out, _ = run(capsys, "recall", "app/api.py", "--json", "--budget", "400", "--query", "handler")
    data = json.loads(out)
    assert code == 0 and data["file"] == "src/app/api.py" and data["line"] is None and data["budget"] == 400
    assert data["tokens"] <= 400 and data["head"] == sha
    assert {n["id"] for n in data["notes"]} >= {"decisions/recent"}
    assert data["notes"][0]["anchors"][0].startswith("src/app/api.py:")
    code, out, _ = run(capsys, "search", "handler", "two", "--json")
    assert code == 0 and json.loads(out)["hits"][0]["id"] == "decisions/stale"
    code, out, _ = run(capsys, "search", "Recently")
    assert code == 0 and out.startswith("decisions/recent  Recently reviewed")


@pytest.mark.parametrize("args, message", [
    (("search", '"open'), "unclosed quote"),
    (("search", "colour:red"), "unknown filter"),
    (("search", "x", "--limit", "0"), "--limit"),
    (("recall", "src/app/api.py", "--budget", "5"), "out of range (50 to 100000 tokens)"),
    (("recall", "src/app/api.py:0"), "1-based"),
])
def test_cli_errors_are_one_line_exit_2(small_repo: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], message: str) -> None:
    monkeypatch.chdir(small_repo)
    code, out, err = run(capsys, *args)
    lines = [line for line in err.splitlines() if not line.startswith("cairn: search index")]
    assert code == 2 and out == "" and len(lines) == 1 and message in lines[0]


def test_recall_judges_unsaved_editor_buffers(small_repo: Path, helpers: Any) -> None:
    from cairn.anchors.target import Target

    helpers.write_note(small_repo, "d/one", "About handler one", "decision", "x",
                       anchors=(("src/app/api.py", 1, 3),), reviewed=stamp(helpers, 1))
    helpers.commit_all(small_repo, "notes")
    ws = Workspace.at(small_repo)
    assert recall(ws, "src/app/api.py", 2, now=helpers.NOW).notes[0].state == "fresh"
    edited = (small_repo / "src" / "app" / "api.py").read_text().replace("    value = 1\n", "    value = 11\n")
    pack = recall(ws, "src/app/api.py", 2, target=Target.with_buffers({"src/app/api.py": edited}), now=helpers.NOW)
    assert pack.notes[0].state == "stale"
    # Inserting lines above in the buffer moves the anchor: still fresh, found at its new place.
    moved = "# header\n# more\n" + (small_repo / "src" / "app" / "api.py").read_text()
    pack = recall(ws, "src/app/api.py", 4, target=Target.with_buffers({"src/app/api.py": moved}), now=helpers.NOW)
    assert pack.notes[0].state == "fresh" and pack.notes[0].anchors == ["src/app/api.py:3-5 (recorded 1-3)"]


def test_freshness_factor_bounds_and_half_life(helpers: Any) -> None:
    from cairn.recall.freshness import decay

    now = helpers.NOW
    lives = {"gotcha": timedelta(days=60)}
    fresh = [decay("gotcha", now - timedelta(days=d), now + timedelta(days=1), now, lives)[1] for d in (0, 30, 60, 89)]
    assert fresh == sorted(fresh, reverse=True) and all(0.8 < f <= 1.0 for f in fresh)
    assert abs(fresh[2] - 0.9) < 1e-9  # one half-life: the recency part has halved
    overdue = [decay("gotcha", now - timedelta(days=90 + d), now - timedelta(days=d), now, lives)
               for d in (0, 60, 120, 600)]
    assert all(expired for expired, _ in overdue)
    factors = [f for _, f in overdue]
    assert factors == sorted(factors, reverse=True) and all(0.35 < f <= 0.65 for f in factors)
    assert abs((factors[1] - 0.35) - (factors[0] - 0.35) / 2) < 1e-9  # the decay halves per half-life
    assert max(factors) < min(fresh)  # any expired note ranks below any fresh one of the same tier
