"""Provenance in recall packs: who last wrote each note, agent or reviewed, only on this branch."""

from __future__ import annotations

from cairn.recall.provenance import PREAMBLE
from tests.conftest import GitRepo
from tests.mcp.helpers import cairn, git, setup_repo_with_note


def sections(pack: str) -> dict[str, str]:
    """Pack markdown by note title."""
    out = {}
    for part in pack.split("\n## ")[1:]:
        title = part.split("\n", 1)[0].split(". ", 1)[1]
        out[title] = part
    return out


def order(pack: str) -> list[str]:
    return list(sections(pack))


def test_provenance_lines_and_agent_notes_ranked_below_reviewed_ones(repo: GitRepo) -> None:
    setup_repo_with_note(repo, anchor="src/app.py:4-5", title="Human note")
    human_sha = repo.head()[:7]
    cairn(repo, "add", "--kind", "decision", "--title", "Agent note", "--anchor", "src/app.py:4-5",
          "--body", "Written by an agent.", check=True, CAIRN_AGENT="claude-code")
    agent_sha = repo.commit("agent note")[:7]
    git(repo, "checkout", "-q", "-b", "feature")
    cairn(repo, "add", "--kind", "gotcha", "--title", "Branch note", "--anchor", "src/app.py:4-5",
          "--body", "Only here.", check=True)
    branch_sha = repo.commit("branch note")[:7]
    cairn(repo, "add", "--kind", "gotcha", "--title", "Loose note", "--anchor", "src/app.py:4-5",
          "--body", "Not committed.", check=True)

    pack = cairn(repo, "recall", "src/app.py:4", check=True).stdout
    assert PREAMBLE in pack.splitlines()[:3]
    by_title = sections(pack)
    assert f"- provenance: last commit by Test Author ({human_sha}) · no agent author recorded\n" \
        in by_title["Human note"]
    assert (f"- provenance: last commit by Test Author ({agent_sha}) · agent-written (claude-code), "
            "not reviewed by a person\n") in by_title["Agent note"]
    assert (f"- provenance: last commit by Test Author ({branch_sha}) · no agent author recorded · "
            "only on this branch (not on main)\n") in by_title["Branch note"]
    assert "- provenance: uncommitted · no agent author recorded · only on this branch (not on main)\n" \
        in by_title["Loose note"]
    # Same tier, the agent's note is the newest, yet it ranks below every reviewed note of its tier.
    assert order(pack)[-1] == "Agent note"

    # A person reviews it: recorded as `reviewed_by`, shown, and it ranks with the others again.
    agent_id = next(line.split("id: ")[1] for line in by_title["Agent note"].splitlines() if "id: " in line)
    cairn(repo, "update", agent_id, "--reviewed", check=True)
    again = cairn(repo, "recall", "src/app.py:4", check=True).stdout
    assert "agent-written (claude-code), reviewed by Test Author" in sections(again)["Agent note"]
    assert "- provenance: uncommitted" in sections(again)["Agent note"]  # the review is not committed yet
    assert order(again)[0] == "Agent note"  # reviewed just now: the freshest

    # An agent rewriting it makes it unreviewed again.
    cairn(repo, "update", agent_id, "--append", "More.", check=True, CLAUDECODE="1")
    text = (repo.root / "agent-context" / f"{agent_id}.md").read_text(encoding="utf-8")
    assert "author: agent:claude-code" in text and "reviewed_by" not in text


def test_provenance_is_cached_by_head(repo: GitRepo) -> None:
    setup_repo_with_note(repo)
    cairn(repo, "recall", "src/app.py:4", check=True)
    cache = repo.root / ".git" / "cairn" / "authorship.json"
    assert cache.is_file() and repo.head() in cache.read_text(encoding="utf-8")
    cairn(repo, "add", "--kind", "gotcha", "--title", "Second", "--anchor", "src/app.py:7-8", check=True)
    head = repo.commit("second note")
    pack = cairn(repo, "recall", "src/app.py:7", check=True).stdout
    assert f"last commit by Test Author ({head[:7]})" in sections(pack)["Second"]
    assert head in cache.read_text(encoding="utf-8")
