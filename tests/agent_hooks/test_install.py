"""`cairn init --agents`: Claude Code hooks merged into .claude/settings.json, the Copilot block."""

from __future__ import annotations

import json

from cairn.agent_hooks.install import hook_command
from tests.conftest import GitRepo
from tests.mcp.helpers import cairn

USER_SETTINGS = {
    "permissions": {"allow": ["Bash(npm test)"]},
    "hooks": {
        "PostToolUse": [{"matcher": "Edit|Write", "hooks": [{"type": "command", "command": "npx prettier --write"}]}],
        "Stop": [{"hooks": [{"type": "command", "command": "./scripts/notify.sh"}]}],
    },
}


def ours(event: str, sub: str, matcher: str | None = None) -> dict[str, object]:
    group: dict[str, object] = {"matcher": matcher} if matcher else {}
    group["hooks"] = [{"type": "command", "command": hook_command(sub), "timeout": 10}]
    return group


def test_hooks_merge_into_existing_settings_and_init_is_idempotent(repo: GitRepo) -> None:
    repo.write(".claude/settings.json", json.dumps(USER_SETTINGS, indent=4))
    repo.write(".github/copilot-instructions.md", "# Copilot\n\nUse tabs.\n")
    first = cairn(repo, "init", "--agents", check=True)
    assert "wrote .claude/settings.json" in first.stdout and "wrote .github/copilot-instructions.md" in first.stdout
    settings = json.loads(repo.read(".claude/settings.json"))
    assert settings["permissions"] == USER_SETTINGS["permissions"]
    hooks = settings["hooks"]
    assert hooks["PostToolUse"] == [*USER_SETTINGS["hooks"]["PostToolUse"],  # type: ignore[index]
                                    ours("PostToolUse", "post-tool-use", "Edit|MultiEdit|Write|NotebookEdit")]
    assert hooks["Stop"] == [*USER_SETTINGS["hooks"]["Stop"], ours("Stop", "stop")]  # type: ignore[index]
    assert hooks["SessionStart"] == [ours("SessionStart", "session-start")]

    copilot = repo.read(".github/copilot-instructions.md")
    assert copilot.startswith("# Copilot\n\nUse tabs.\n\n<!-- cairn:begin")
    assert "#cairn_recall" in copilot and "offer to leave a note" in copilot

    snapshot = {p: repo.read(p) for p in (".claude/settings.json", ".github/copilot-instructions.md", "AGENTS.md")}
    second = cairn(repo, "init", "--agents", check=True)
    assert "wrote" not in second.stdout
    assert {p: repo.read(p) for p in snapshot} == snapshot

    # The managed Copilot block is replaced in place; the user's text around it stays.
    repo.write(".github/copilot-instructions.md", copilot.replace("#cairn_recall", "#old_tool") + "\nMore.\n")
    cairn(repo, "init", "--agents", check=True)
    again = repo.read(".github/copilot-instructions.md")
    assert "#old_tool" not in again and "#cairn_recall" in again and again.endswith("\nMore.\n")
    assert again.startswith("# Copilot\n\nUse tabs.\n") and again.count("<!-- cairn:begin") == 1


def test_a_user_spelled_cairn_hook_is_left_alone_and_hooks_can_be_skipped(repo: GitRepo) -> None:
    custom = {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "/opt/bin/cairn  agent-hook stop"}]}]}}
    repo.write(".claude/settings.json", json.dumps(custom))
    cairn(repo, "init", "--agents", check=True)
    hooks = json.loads(repo.read(".claude/settings.json"))["hooks"]
    assert hooks["Stop"] == custom["hooks"]["Stop"]
    assert [g["hooks"][0]["command"] for g in hooks["SessionStart"]] == [hook_command("session-start")]

    other = repo.root / "other"
    other.mkdir()
    (other / ".git").mkdir()
    proc = cairn(repo, "-C", str(other), "init", "--agents", "--no-agent-hooks")
    assert proc.returncode == 0, proc.stderr
    assert not (other / ".claude").exists() and (other / ".github" / "copilot-instructions.md").is_file()


def test_bad_settings_are_reported_in_one_line_and_kept(repo: GitRepo) -> None:
    repo.write(".claude/settings.json", '{"hooks": [1, 2]}')
    bad = cairn(repo, "init", "--agents")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert ".claude/settings.json" in bad.stderr and "`hooks` must be an object" in bad.stderr
    assert repo.read(".claude/settings.json") == '{"hooks": [1, 2]}'


def test_the_registered_commands_run_as_claude_code_runs_them(repo: GitRepo) -> None:
    import subprocess

    from tests.agent_hooks.helpers import sample
    from tests.mcp.helpers import CAIRN_BIN, cairn_env, setup_repo_with_note

    setup_repo_with_note(repo)
    cairn(repo, "init", "--agents", check=True)
    settings = json.loads(repo.read(".claude/settings.json"))
    command = settings["hooks"]["SessionStart"][0]["hooks"][0]["command"]
    stdin = json.dumps(sample("session_start", repo))
    found = subprocess.run(["sh", "-c", command], cwd=repo.root, input=stdin, capture_output=True, text=True,
                           timeout=60, env=cairn_env(repo, CAIRN_BIN=CAIRN_BIN))
    assert found.returncode == 0 and found.stderr == ""
    assert "f2 adds two" in json.loads(found.stdout)["hookSpecificOutput"]["additionalContext"]
    # Cairn nowhere to be found: the hook says nothing and exits 0 (it must never disturb the session).
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(repo.root.parent)}
    missing = subprocess.run(["sh", "-c", command], cwd=repo.root, input=stdin, capture_output=True, text=True,
                             timeout=60, env=bare)
    assert missing.returncode == 0 and missing.stdout == ""
