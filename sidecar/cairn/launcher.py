"""The `cairn` executable's entry point: try a warm daemon first, else the full CLI.

Kept apart from cairn.cli so that a forwarded `cairn recall` imports neither argparse nor the command
modules: the whole client is this file, cairn/__init__.py and cairn/daemon/client.py.
"""

from __future__ import annotations

import sys

from cairn.daemon.client import HOOK_EVENTS
from cairn.hook_entry import run_hook_event


def main() -> int:
    argv = sys.argv[1:]
    if len(argv) == 2 and argv[0] == "agent-hook" and argv[1] in HOOK_EVENTS:
        return run_hook_event(argv[1])
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
