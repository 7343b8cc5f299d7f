"""`cairn agent-hook EVENT`: the command Claude Code's hooks run (see `cairn.agent_hooks`)."""

from __future__ import annotations

import argparse
from typing import Any

from cairn.commands.common import add_example


def register(sub: Any) -> None:
    p = sub.add_parser(
        "agent-hook",
        help="answer a Claude Code hook (JSON on stdin, JSON on stdout; always exit 0)",
        description="Run by Claude Code's hooks, registered in .claude/settings.json by `cairn init --agents`. "
                    "Reads the hook's JSON input on stdin and prints the documented JSON answer, or nothing. "
                    "Errors never reach the agent: they go to <git dir>/cairn/agent-hooks.log.",
    )
    p.add_argument("event", choices=["session-start", "post-tool-use", "stop"], help="the hook event")
    add_example(p, "echo '{\"session_id\": \"s1\", \"cwd\": \".\"}' | cairn agent-hook session-start")
    p.set_defaults(func=cmd_agent_hook)


def cmd_agent_hook(args: argparse.Namespace) -> int:
    from cairn.agent_hooks import main

    return main(args.event, notes_root=getattr(args, "notes_root", None))
