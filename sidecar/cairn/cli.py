"""The `cairn` command: argument parsing and dispatch, nothing else.

Each command group lives in `cairn.commands.<group>` and registers its sub-commands; heavy imports
happen inside the command functions so that a quick command starts quickly. Every error the user can
cause ends as one line on stderr with exit code 2 (1 means "found problems" for commands that check).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from cairn import __version__
from cairn.errors import CairnError
from cairn.terminal import safe_output

# One entry per command group; each module has `register(subparsers)`.
COMMAND_MODULES = [
    "cairn.commands.notes",
    "cairn.commands.recall",
    "cairn.commands.check",
    "cairn.commands.git",
    "cairn.commands.serve",
    "cairn.commands.daemon",
    "cairn.commands.agent_hook",
]

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
PROTOCOL_COMMANDS = {"serve", "mcp"}


class Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> Parser:
    parser = Parser(
        prog="cairn",
        description="Memory for AI coding agents: notes in agent-context/, anchored to the code they describe.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  cairn add --kind decision --title 'Use JWT' --anchor src/auth.py:10-42\n"
        "  cairn check\n  cairn recall src/auth.py:12",
    )
    parser.add_argument("--version", action="version", version=f"cairn {__version__}")
    parser.add_argument("-C", dest="directory", metavar="PATH", help="run as if cairn was started in PATH")
    parser.add_argument("--notes-root", metavar="DIR", help="notes folder relative to the repository root")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None, forward: bool = False, parser: Parser | None = None) -> int:
    """Run one command here. With `forward`, read-only commands first go to a warm `cairn daemon` of the
    repository when one runs (cairn/daemon/client.py; the `cairn` executable does this in
    cairn/launcher.py before importing this module). `parser`: one `build_parser()` made earlier (the
    daemon reuses one; parsing never changes it)."""
    words = list(sys.argv[1:] if argv is None else argv)
    from cairn.daemon.client import HOOK_EVENTS

    if len(words) == 2 and words[0] == "agent-hook" and words[1] in HOOK_EVENTS:
        # An agent's hook runs after every file edit: skip building the whole parser (`python -m cairn`;
        # the executable takes the same shortcut). It never raises, always returns 0.
        from cairn.hook_entry import run_hook_event

        return run_hook_event(words[1], forward=forward)
    if forward:
        from cairn.daemon.client import forward as to_daemon

        code = to_daemon(list(sys.argv[1:] if argv is None else argv), __version__)
        if code is not None:
            return code
    parser = parser or build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    # Note text never drives the terminal (see cairn.terminal); the servers' stdout is JSON-RPC, not text.
    with safe_output(stdout=args.command not in PROTOCOL_COMMANDS):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        if args.directory:
            try:
                os.chdir(args.directory)
            except OSError as exc:
                raise CairnError(f"cannot change to {args.directory}: {exc.strerror}") from None
        return int(args.func(args) or 0)
    except CairnError as exc:
        text = str(exc)
        print(text if exc.path else f"cairn: {text}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error of ours or the user's.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # the last line of defence: never show a traceback
        if os.environ.get("CAIRN_DEBUG"):
            raise
        print(f"cairn: internal error: {type(exc).__name__}: {exc} (set CAIRN_DEBUG=1 for details)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
