"""`cairn affected`: notes whose anchored code a range of commits touched, in text, JSON and GitHub formats."""

from __future__ import annotations

import json

from tests.conftest import GitRepo
from tests.mcp.helpers import cairn, git, setup_repo_with_note


def _two_notes(repo: GitRepo) -> tuple[str, str]:
    first = setup_repo_with_note(repo)  # src/app.py:4-5 (f2)
    second = cairn(repo, "add", "--kind", "gotcha", "--title", "f5 quirk", "--anchor", "src/app.py:13-14",
                   "--body", "f5.", check=True).stdout.strip().removeprefix("agent-context/").removesuffix(".md")
    repo.commit("second note")
    git(repo, "checkout", "-q", "-b", "feature")
    return first, second


def test_affected_lists_touched_notes_with_hunks(repo: GitRepo) -> None:
    first, second = _two_notes(repo)
    text = repo.read("src/app.py").replace("return x + 2\n", "return x * 2\n") + "def extra():\n    pass\n"
    repo.write("src/app.py", text)
    repo.commit("f2 doubles; extra function")
    out = cairn(repo, "affected")
    assert out.returncode == 1, out.stderr
    assert f"{first}  f2 adds two  [NOT UPDATED]" in out.stdout
    assert second not in out.stdout
    assert "+    return x * 2" in out.stdout
    data = json.loads(cairn(repo, "affected", "--format", "json").stdout)
    assert [n["id"] for n in data["notes"]] == [first] and data["not_updated"] == [first]
    assert data["notes"][0]["anchors"][0]["hunks"][0]["new"] == [5, 1]
    gh = cairn(repo, "affected", "--format", "github").stdout
    assert gh.startswith(f"::warning file=src/app.py,line=5,title=cairn%3A {first}::")
    assert "was not updated" in gh

    cairn(repo, "update", first, "--append", "f2 doubles now.", check=True)
    repo.commit("update the note")
    after = cairn(repo, "affected")
    assert after.returncode == 0 and "[updated]" in after.stdout
    assert cairn(repo, "affected", "--format", "github").stdout.startswith("::notice ")


def test_insertion_inside_an_anchor_counts_and_outside_does_not(repo: GitRepo) -> None:
    first, _ = _two_notes(repo)
    lines = repo.read("src/app.py").splitlines(keepends=True)
    lines.insert(4, "    # inside f2\n")  # between lines 4 and 5 (first note)
    lines.insert(16, "# after f5, outside its anchor\n")  # after line 15 in the original
    repo.write("src/app.py", "".join(lines))
    repo.commit("insertions")
    data = json.loads(cairn(repo, "affected", "--format", "json").stdout)
    assert [n["id"] for n in data["notes"]] == [first]


def test_since_and_errors(repo: GitRepo) -> None:
    first, _ = _two_notes(repo)
    base = repo.head()
    repo.write("src/app.py", repo.read("src/app.py").replace("return x + 2\n", "return x - 2\n"))
    repo.commit("minus")
    assert cairn(repo, "affected", "--since", "HEAD").stdout.startswith("no notes describe")
    assert first in cairn(repo, "affected", "--since", base).stdout
    bad = cairn(repo, "affected", "--since", "no-such-rev")
    assert bad.returncode == 2 and bad.stderr.strip() == "cairn: unknown revision 'no-such-rev'"
