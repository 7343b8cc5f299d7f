"""`cairn serve`: the language server on stdio (the VS Code extension starts it)."""

from __future__ import annotations

import argparse
from typing import Any

from cairn.commands.common import add_example


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the language server on stdio (for editors)")
    p.add_argument("--stdio", action="store_true", help="accepted for editor compatibility; stdio is the default")
    add_example(p, "cairn serve")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from cairn.server.app import main

    return main()
