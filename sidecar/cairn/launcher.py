"""The `cairn` executable's entry point: try a warm daemon first, else the full CLI.

Kept apart from cairn.cli so that a forwarded `cairn recall` imports neither argparse nor the command
modules: the whole client is this file, cairn/__init__.py and cairn/daemon/client.py.
"""

from __future__ import annotations

import sys


def main() -> int:
    argv = sys.argv[1:]
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
