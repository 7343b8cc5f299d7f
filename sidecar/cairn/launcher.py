"""The `cairn` executable's entry point: try a warm daemon first, else the full CLI.

Kept apart from cairn.cli so that a forwarded `cairn recall` imports neither argparse nor the command
modules: the whole client is this file, cairn/__init__.py and cairn/daemon/client.py.
"""

from __future__ import annotations

import sys

HOOK_EVENTS = ("session-start", "post-tool-use", "stop")


def main() -> int:
    argv = sys.argv[1:]
    if len(argv) == 2 and argv[0] == "agent-hook" and argv[1] in HOOK_EVENTS:
        # Claude Code runs this after every file edit: no argparse, no command modules (cairn.agent_hooks
        # never raises and always returns 0).
        from cairn.agent_hooks import main as run_hook

        return run_hook(argv[1])
    if argv and argv[0] in ("recall", "search", "-C"):
        from cairn import __version__
        from cairn.daemon.client import forward

        code = forward(argv, __version__)
        if code is not None:
            return code
    from cairn.cli import main as cli_main

    return cli_main(argv, forward=False)


if __name__ == "__main__":
    sys.exit(main())
