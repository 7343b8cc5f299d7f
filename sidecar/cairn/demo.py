"""A demo workspace: a small service whose notes have a history, one of them gone stale.

`make run` and the editor end-to-end tests build it, so a newcomer sees in one command what Cairn is
for: notes anchored to code, following the code through an insertion above and a file rename, and one
note flagged stale because a later commit rewrote the lines it describes, naming that commit.

Usage: `python -m cairn.demo DIR [--show]` (DIR is replaced if it holds a previous demo).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from cairn.textlines import split_lines

SESSION_PY = '''\
"""Sessions: issuing and checking access tokens."""

import hmac
import time
from hashlib import sha256

TOKEN_TTL_SECONDS = 15 * 60


def create_token(user_id: str, secret: bytes) -> str:
    """A signed, short-lived token: stateless, so any API node can verify it."""
    expires = int(time.time()) + TOKEN_TTL_SECONDS
    payload = f"{user_id}:{expires}"
    signature = hmac.new(secret, payload.encode(), sha256).hexdigest()
    return f"{payload}:{signature}"


def verify_token(token: str, secret: bytes) -> str | None:
    """The user id of a valid, unexpired token; None otherwise."""
    user_id, expires, signature = token.rsplit(":", 2)
    payload = f"{user_id}:{expires}"
    expected = hmac.new(secret, payload.encode(), sha256).hexdigest()
    if not hmac.compare_digest(signature, expected):
        return None
    if int(expires) < time.time():
        return None
    return user_id
'''

INVOICE_PY = '''\
"""Invoices: totals in integer cents."""

from decimal import ROUND_HALF_UP, Decimal


def line_total(unit_price_cents: int, quantity: int, tax_rate: Decimal) -> int:
    """Total of one invoice line in cents, tax included."""
    gross = Decimal(unit_price_cents * quantity) * (1 + tax_rate)
    return int(gross.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def invoice_total(lines: list[tuple[int, int, Decimal]]) -> int:
    """Sum of the rounded line totals (never round the sum: auditors check each line)."""
    return sum(line_total(price, qty, rate) for price, qty, rate in lines)
'''

POOL_PY = '''\
"""Database connections."""

import queue

MAX_CONNECTIONS = 10


class Pool:
    """A fixed-size pool; callers must return connections with release()."""

    def __init__(self, connect):
        self._idle = queue.Queue(MAX_CONNECTIONS)
        for _ in range(MAX_CONNECTIONS):
            self._idle.put(connect())

    def acquire(self, timeout: float = 5.0):
        return self._idle.get(timeout=timeout)

    def release(self, conn) -> None:
        self._idle.put(conn)
'''

NOTES: list[dict[str, Any]] = [
    {
        "kind": "decision",
        "title": "Stateless signed tokens instead of server-side sessions",
        "tags": ["auth", "security"],
        "anchor": ("src/auth/session.py", "def create_token", 7),
        "body": (
            "We sign tokens with HMAC-SHA256 and keep no session table, so any API node can verify a\n"
            "request without a shared store.\n\n"
            "Rejected: server-side sessions in Redis (one more thing to run and fail over).\n\n"
            "Tokens live 15 minutes; clients refresh them. Never lengthen the TTL to paper over clock skew.\n"
        ),
    },
    {
        "kind": "gotcha",
        "title": "Round each invoice line, never the invoice total",
        "tags": ["billing", "money"],
        "anchor": ("src/billing/invoice.py", "def line_total", 4),
        "body": (
            "Auditors recompute every line. Rounding the sum instead of each line drifts by a cent on\n"
            "large invoices and fails the audit. Rounding is ROUND_HALF_UP, as the tax office requires.\n"
        ),
    },
    {
        "kind": "pattern",
        "title": "Always release pooled connections in a finally block",
        "tags": ["db", "reliability"],
        "anchor": ("src/db/pool.py", "    def acquire", 5),
        "body": (
            "The pool has a fixed size; a leaked connection is gone until restart. Use\n"
            "`conn = pool.acquire()` then `try: ... finally: pool.release(conn)`.\n"
        ),
    },
]


AUTHOR = ("Ada Demo", "ada@example.com")


def _commit(repo: Path, message: str, date: str, *, all_tracked: bool = False) -> None:
    from cairn.gitio.staging import commit

    commit(repo, message, author=AUTHOR, date=date, all_tracked=all_tracked)


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(split_lines(text), start=1):
        if line.startswith(needle):
            return number
    raise ValueError(needle)


def build_demo(target: Path) -> Path:
    """Create the demo repository at `target` (replacing an earlier demo there) and return it."""
    from cairn.anchors.record import record_anchor
    from cairn.notes.store import NoteStore
    from cairn.workspace import Workspace

    target = target.resolve()
    if target.exists():
        if not (target / ".git").exists() or not (target / "agent-context").exists():
            raise SystemExit(f"{target} exists and is not a Cairn demo; choose another folder")
        shutil.rmtree(target)
    (target / "src/auth").mkdir(parents=True)
    (target / "src/billing").mkdir(parents=True)
    (target / "src/db").mkdir(parents=True)
    files = {"src/auth/session.py": SESSION_PY, "src/billing/invoice.py": INVOICE_PY, "src/db/pool.py": POOL_PY}
    for rel, text in files.items():
        (target / rel).write_text(text, encoding="utf-8")
    (target / "README.md").write_text("# Demo service\n\nA tiny service with team notes in agent-context/.\n")
    from cairn.gitio.staging import init_repository, move, stage_all

    init_repository(target, "main")
    stage_all(target)
    _commit(target, "Initial service skeleton", "2026-09-01T10:00:00Z")

    from cairn.config import DEFAULT_CONFIG_TOML

    ws = Workspace.at(target)
    ws.notes_root.mkdir(parents=True, exist_ok=True)
    (ws.notes_root / "config.toml").write_text(DEFAULT_CONFIG_TOML, encoding="utf-8")
    store = NoteStore(ws)
    for spec in NOTES:
        path, needle, length = spec["anchor"]
        start = _line_of(files[path], needle)
        anchor = record_anchor(ws, path, start, start + length - 1)
        store.create(str(spec["kind"]), str(spec["title"]), str(spec["body"]), list(spec["tags"]), [anchor])
    stage_all(target)
    _commit(target, "Record the team's notes", "2026-09-02T10:00:00Z")

    # Lines inserted above an anchor: the note follows its code.
    session = SESSION_PY.replace("import time\n", "import logging\nimport time\n").replace(
        "TOKEN_TTL_SECONDS = 15 * 60\n", "TOKEN_TTL_SECONDS = 15 * 60\nlog = logging.getLogger(__name__)\n")
    (target / "src/auth/session.py").write_text(session, encoding="utf-8")
    _commit(target, "Add request logging", "2026-09-10T10:00:00Z", all_tracked=True)

    # A rename: the note follows the file.
    move(target, "src/db/pool.py", "src/db/connection_pool.py")
    _commit(target, "Rename pool module", "2026-09-15T10:00:00Z")

    # The anchored lines themselves change: the gotcha is now stale.
    invoice = INVOICE_PY.replace("ROUND_HALF_UP", "ROUND_HALF_EVEN").replace(
        "    gross = Decimal(unit_price_cents * quantity) * (1 + tax_rate)\n",
        "    net = Decimal(unit_price_cents) * quantity\n    gross = net + net * tax_rate\n")
    (target / "src/billing/invoice.py").write_text(invoice, encoding="utf-8")
    _commit(target, "Use banker's rounding for invoice lines", "2026-10-01T10:00:00Z", all_tracked=True)
    return target


def _show(target: Path) -> int:
    """Run the commands a newcomer would type, printing each with its output."""
    cairn = [sys.executable, "-m", "cairn"]
    steps = [
        ["list"],
        ["check"],
        ["recall", "src/billing/invoice.py:7"],
    ]
    for step in steps:
        print(f"\n$ cairn {' '.join(step)}", flush=True)
        result = subprocess.run([*cairn, *step], cwd=target)
        if result.returncode not in (0, 1):
            return result.returncode
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cairn.demo", description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="where to build the demo repository")
    parser.add_argument("--show", action="store_true", help="then run cairn list, check and recall on it")
    args = parser.parse_args(argv)
    target = build_demo(args.directory)
    print(f"demo workspace: {target}")
    from cairn.gitio import open_repo

    repo = open_repo(target)
    print("\n".join(f"{sha[:7]} {repo.subject(sha)}" for sha in repo.mainline("HEAD")))
    return _show(target) if args.show else 0


if __name__ == "__main__":
    sys.exit(main())
