"""Helpers shared by command modules: workspace discovery, output, argument types."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def workspace(args: argparse.Namespace) -> Any:
    """The workspace the command runs in (cwd, after `-C`)."""
    from cairn.workspace import Workspace

    return Workspace.discover(notes_root=getattr(args, "notes_root", None))


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def use_color(stream: Any = None) -> bool:
    import os

    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def add_example(parser: argparse.ArgumentParser, *examples: str) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "example:\n" + "\n".join(f"  {e}" for e in examples)
