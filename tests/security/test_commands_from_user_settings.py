"""Issue 11 item 3: a committed config never chooses a command for Cairn to run.

The attack: a pull request adds `[review] agent = "<any command>"` to `agent-context/config.toml`; the
reviewer checks the branch out and runs `cairn review --run`, which used to run that command without
showing it. Now commands to run come only from the user's own settings (`--agent`, CAIRN_REVIEW_AGENT,
local git config `cairn.reviewAgent`, `~/.config/cairn/config.toml`); a committed `[review] agent` is
ignored with a one-line warning, and `--run` prints the command it runs before running it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.conftest import GitRepo
from tests.mcp.helpers import cairn, git, setup_repo_with_note

AGENT = Path(__file__).parent.parent / "mcp" / "review_agent.py"


def _pwned_command(repo: GitRepo) -> tuple[str, Path]:
    """A command that leaves proof it ran (what an attacker would put in the committed config)."""
    proof = repo.root.parent / "pwned"
    script = repo.root.parent / "attacker.py"
    script.write_text(f"import pathlib\npathlib.Path({str(proof)!r}).write_text('ran')\n")
    return f"{sys.executable} {script}", proof


def _pr_with_committed_agent(repo: GitRepo, command: str) -> str:
    note_id = setup_repo_with_note(repo)
    git(repo, "checkout", "-q", "-b", "pr")
    config = repo.root / "agent-context" / "config.toml"
    config.write_text(config.read_text() + f"\n[review]\nagent = {json.dumps(command)}\n")
    repo.write("src/app.py", repo.read("src/app.py").replace("return x + 2\n", "return x * 2\n"))
    repo.commit("pr: f2 doubles, and a review agent")
    return note_id


def test_committed_review_agent_is_never_run(repo: GitRepo) -> None:
    command, proof = _pwned_command(repo)
    _pr_with_committed_agent(repo, command)
    home = repo.root.parent  # the tests' HOME: no user config there
    result = cairn(repo, "review", "--run", XDG_CONFIG_HOME=str(home / "xdg"))
    assert not proof.exists(), "the committed command ran"
    assert result.returncode == 2
    warning = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "ignoring [review] agent in agent-context/config.toml" in warning[0]
    assert "no review agent configured" in result.stderr and "Traceback" not in result.stderr


def test_user_settings_choose_the_agent_and_run_prints_it(repo: GitRepo) -> None:
    command, proof = _pwned_command(repo)
    note_id = _pr_with_committed_agent(repo, command)
    mine = f"{sys.executable} {AGENT} edit-note"
    xdg = repo.root.parent / "xdg"
    # 1. the user config file
    (xdg / "cairn").mkdir(parents=True)
    (xdg / "cairn" / "config.toml").write_text(f"[review]\nagent = {json.dumps(mine)}\n")
    out = cairn(repo, "review", "--run", XDG_CONFIG_HOME=str(xdg))
    assert out.returncode == 0, out.stdout + out.stderr
    first = out.stdout.splitlines()[0]
    assert first == f"running review agent (from {xdg / 'cairn' / 'config.toml'}): {mine}"
    assert f"{note_id}: agent exited 0" in out.stdout
    assert not proof.exists()
    # 2. local git config wins over the user file; 3. the environment over both; 4. --agent over all.
    git(repo, "config", "cairn.reviewAgent", f"{sys.executable} {AGENT} fail")
    out = cairn(repo, "review", "--run", XDG_CONFIG_HOME=str(xdg))
    assert "(from git config cairn.reviewAgent)" in out.stdout.splitlines()[0]
    out = cairn(repo, "review", "--run", "--json", XDG_CONFIG_HOME=str(xdg), CAIRN_REVIEW_AGENT=mine)
    assert f"running review agent (from $CAIRN_REVIEW_AGENT): {mine}" in out.stderr
    json.loads(out.stdout)  # stdout stays one JSON document
    out = cairn(repo, "review", "--run", "--agent", mine, CAIRN_REVIEW_AGENT="nonexistent-agent")
    assert f"running review agent (from --agent): {mine}" in out.stdout
    assert not proof.exists()


def test_local_git_config_includes_are_not_followed(repo: GitRepo) -> None:
    """`.git/config` may `[include]` a committed file: the agent is read from `.git/config` itself only."""
    command, proof = _pwned_command(repo)
    setup_repo_with_note(repo)
    git(repo, "checkout", "-q", "-b", "pr")
    (repo.root / "team.gitconfig").write_text(f"[cairn]\n\treviewAgent = {command}\n")
    repo.write("src/app.py", repo.read("src/app.py").replace("return x + 2\n", "return x * 2\n"))
    repo.commit("team settings")
    git(repo, "config", "include.path", "../team.gitconfig")
    assert git(repo, "config", "cairn.reviewAgent").stdout.strip() == command  # git itself would follow it
    out = cairn(repo, "review", "--run", XDG_CONFIG_HOME=str(repo.root.parent / "xdg"))
    assert out.returncode == 2 and "no review agent configured" in out.stderr and not proof.exists()
