"""`cairn search` and `cairn recall`: what do we know about X, and what should I know before touching
this file. Heavy modules (tantivy, the anchor engine, GitPython) are imported inside the commands."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cairn.commands.common import add_example, print_json, workspace
from cairn.limits import line_number, recall_budget, search_limit


def register(sub: Any) -> None:
    p = sub.add_parser("search", help="full-text search over the notes (BM25, filters, phrases, prefixes)")
    p.add_argument("query", nargs="+", help='words, "a phrase", sess*, -word, kind: tag: path: status: filters')
    p.add_argument("--limit", type=int, default=10, help="at most this many results (default 10)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_example(p, "cairn search session expiry", "cairn search 'kind:decision tag:auth \"refresh token\"'",
                "cairn search 'path:src/billing retr*' --json")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("recall", help="the notes that matter for a file (and line), as a context pack")
    p.add_argument("target", metavar="PATH[:LINE]", help="a file in the repository, optionally with a line")
    p.add_argument("--query", help="what you are about to do; ranks relevant notes higher")
    p.add_argument("--budget", type=int, help="token budget of the pack (default: [recall] budget, 2000)")
    p.add_argument("--json", action="store_true", help="the pack as JSON instead of markdown")
    add_example(p, "cairn recall src/auth/session.py:42", "cairn recall src/billing/invoice.py --query 'add VAT'",
                "cairn recall src/api/routes.py --budget 800 --json")
    p.set_defaults(func=cmd_recall)


def _notice(message: str) -> None:
    print(message, file=sys.stderr)


def _warm_index(ws: Any) -> Any:
    """The daemon's open, refreshed index of this workspace when running inside `cairn daemon`; else None
    (recall and search then open and refresh the index themselves, as a cold run does)."""
    daemon = sys.modules.get("cairn.daemon.server")
    active = getattr(daemon, "ACTIVE", None)
    return active.get(ws) if active is not None else None


def cmd_search(args: argparse.Namespace) -> int:
    from cairn.recall import search

    limit = search_limit(args.limit, "--limit")
    ws = workspace(args)
    hits = search(ws, " ".join(args.query), limit, index=_warm_index(ws), notice=_notice)
    if args.json:
        print_json({"query": " ".join(args.query), "hits": [h.to_dict() for h in hits]})
        return 0
    if not hits:
        print("no notes match", file=sys.stderr)
        return 0
    for hit in hits:
        state = "" if hit.state in (None, "fresh") else f" [{hit.state}]"
        status = "" if hit.status == "active" else f" ({hit.status})"
        print(f"{hit.id}  {hit.title}{status}{state}  ({hit.kind}, {hit.score:.2f})")
        if hit.snippet:
            print(f"    {hit.snippet}")
    return 0


def split_target(text: str) -> tuple[str, int | None]:
    """`PATH[:LINE]`: a trailing `:<digits>` is the line (paths containing ':' elsewhere still work)."""
    path, sep, tail = text.rpartition(":")
    if sep and path and tail.isdigit():
        return path, line_number(int(tail) if len(tail) <= 1000 else tail, f"{text}: line")
    return text, None


def cmd_recall(args: argparse.Namespace) -> int:
    import os

    from cairn.recall import recall

    ws = workspace(args)
    path, line = split_target(args.target)
    budget = recall_budget(args.budget, "--budget") if args.budget is not None else None
    absolute = os.path.abspath(path)
    pack = recall(ws, ws.rel(absolute), line=line, query=args.query, budget=budget, index=_warm_index(ws),
                  notice=_notice)
    if args.json:
        sys.stdout.write(pack.to_json() + "\n")
    else:
        sys.stdout.write(pack.to_markdown())
    return 0
