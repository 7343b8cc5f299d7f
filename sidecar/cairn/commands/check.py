"""`cairn check` (are the notes still true of the code?) and `cairn review-done` (alias `mark-reviewed`).

Output contract: `--json` prints one object `{"notes": [...]}`; the human form prints one
line per stale anchor, `path:line: note stale: <why> — <title> [<note file>]`, grouped by note and
coloured on a terminal, plain when piped, then expired notes; invalid notes go to stderr. Exit 0 when
nothing is stale, 1 when something is, 2 on usage errors or invalid notes.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from typing import Any

from cairn.commands.common import add_example, print_json, use_color, workspace

EXIT_OK, EXIT_STALE, EXIT_USAGE = 0, 1, 2


def register(sub: Any) -> None:
    p = sub.add_parser("check", help="verdict for every note's anchors; exit 1 when something is stale")
    p.add_argument("paths", nargs="*", metavar="PATH", help="only notes anchored in (or stored in) these paths")
    p.add_argument("--json", action="store_true", help='one JSON object: {"notes": [{id, path, state, anchors, ...}]}')
    p.add_argument("--rev", metavar="REV", help="judge against this commit instead of the working tree")
    p.add_argument("--update", action="store_true",
                   help="refresh the line numbers of moved/reformatted anchors (stale ones are left for "
                        "`cairn review-done`, which confirms a changed anchor still holds)")
    p.add_argument("--no-cache", action="store_true", help="ignore and do not write the verdict cache")
    add_example(p, "cairn check", "cairn check --json src/auth/", "cairn check --rev origin/main",
                "cairn check --update")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("review-done", aliases=["mark-reviewed"],
                       help="confirm a note still holds for the code as it is now: re-record its anchors at the "
                            "current lines and set `reviewed` (clears stale and expired)")
    p.add_argument("id", help="note id (path under agent-context/ without .md) or its file path")
    p.add_argument("--version", dest="expected_version", metavar="VERSION",
                   help="only if the note is still at this version")
    p.add_argument("--json", action="store_true", help="print {id, path, reviewed, version}")
    add_example(p, "cairn review-done decisions/use-jwt-not-sessions")
    p.set_defaults(func=cmd_review_done)


def _paint(text: str, code: str, on: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if on else text


def cmd_check(args: argparse.Namespace) -> int:
    ws = workspace(args)
    paths = [ws.rel(p) for p in args.paths] or None
    tty = sys.stdout.isatty()
    color = use_color(sys.stdout)
    result_cache = _result_cache(ws, args, paths, tty, color)
    if result_cache is not None:
        hit = result_cache.lookup()
        if hit is not None:
            sys.stderr.write(hit.stderr)
            sys.stdout.write(hit.stdout)
            return hit.code
    from cairn.anchors.engine import Checker, update_anchors
    from cairn.anchors.target import Target
    from cairn.notes import NoteStore

    target = Target.at_rev(args.rev) if args.rev else Target.worktree()
    loaded = NoteStore(ws).load(result_cache.note_files if result_cache is not None else None)
    if result_cache is not None:
        result_cache.sign_anchored(a.path for n in loaded.notes for a in n.anchors)
    with Checker(ws, target, use_cache=not args.no_cache) as checker:
        report = checker.check(loaded.notes, loaded.errors, paths=paths)
        updated: list[str] = []
        if args.update:
            if target.kind == "rev":
                print("cairn: --update ignored with --rev (anchors follow the working tree)", file=sys.stderr)
            else:
                updated = update_anchors(ws, report, checker)
    err = io.StringIO()
    for result in report.invalid:
        for e in result.errors:
            print(str(e), file=err)
    out = io.StringIO()
    if args.json:
        if tty:
            json.dump(report.to_json(), out, indent=2, ensure_ascii=False)
            out.write("\n")
        else:
            # Piped to a script or CI: compact (the C encoder; indenting 10,000 anchors costs 0.5 s).
            out.write(json.dumps(report.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n")
    else:
        _print_human(report, out, color)
    code = EXIT_USAGE if report.invalid else EXIT_STALE if report.stale else EXIT_OK
    sys.stderr.write(err.getvalue())
    sys.stdout.write(out.getvalue())
    if updated:
        print(f"cairn: re-anchored moved/reformatted anchors in {len(updated)} note(s): {', '.join(updated)}",
              file=sys.stderr)
    if result_cache is not None:
        from cairn.check_cache import StoredResult

        result_cache.store(StoredResult(out.getvalue(), err.getvalue(), code), _valid_until(ws, report),
                           complete=_complete(report))
    return code


def _result_cache(ws: Any, args: argparse.Namespace, paths: list[str] | None, tty: bool, color: bool) -> Any:
    """The whole-check result cache (`cairn.check_cache`) for a plain whole check of the working tree,
    else None: paths, --rev, --update and --no-cache always check."""
    if args.no_cache or args.rev or args.update or paths or ws.git_dir is None:
        return None
    from cairn.check_cache import CheckResultCache
    from cairn.gitio import open_repo

    return CheckResultCache(ws, open_repo(ws.root), f"json={bool(args.json)} tty={tty} color={color}")


def _valid_until(ws: Any, report: Any) -> int | None:
    """When the stored answer stops holding by the clock alone: the first expiry of a note not yet expired."""
    soonest = None
    for result in report.notes:
        note = result.note
        if note is None or result.expired:
            continue
        at = note.expires_at(ws.config)
        if at is not None:
            ns = int(at.timestamp() * 1_000_000_000)
            soonest = ns if soonest is None else min(soonest, ns)
    return soonest


def _complete(report: Any) -> bool:
    """Whether the answer depends only on what the result cache's key covers: not when a stale verdict's
    commit could not be named (which objects the repository holds can change without moving HEAD)."""
    return all(v.changed_in is not None for n in report.notes for v in n.anchors if v.stale)


def _print_human(report: Any, out: Any, color: bool) -> None:
    for result in report.stale:
        if color:
            print(_paint(f"{result.title}", "1", True) + "  " + _paint(f"[{result.path}]", "2", True), file=out)
        for v in result.stale_anchors:
            path, line, _ = v.location
            prefix = "  " if color else ""
            where = _paint(f"{path}:{line}:", "36", color)
            state = _paint("note stale:", "31;1", color)
            print(f"{prefix}{where} {state} {v.message} — {result.title} [{result.path}]", file=out)
    expired = report.expired
    if expired and color and report.stale:
        print(file=out)
    for result in expired:
        note = result.note
        reviewed = note.last_reviewed.strftime("%Y-%m-%d") if note is not None and note.last_reviewed else "never"
        label = _paint("note expired:", "33;1", color)
        print(f"{result.path}:1: {label} last reviewed {reviewed}; confirm it with `cairn review-done {result.id}`"
              f" — {result.title}", file=out)
    if color:
        c = report.counts()
        anchors = sum(len(n.anchors) for n in report.notes)
        from cairn.plural import counted

        summary = (f"{counted(c['notes'], 'note')}, {counted(anchors, 'anchor')}: {c['stale']} stale, "
                   f"{c['expired']} expired, {c['invalid']} invalid")
        print(_paint(summary, "2", True), file=out)


def cmd_review_done(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cairn.notes import NoteStore
    from cairn.reviewed import mark_reviewed

    ws = workspace(args)
    note_id = args.id
    if note_id.endswith(".md") and Path(note_id).exists():
        note_id = NoteStore(ws).note_id(Path(note_id).resolve())
    from cairn.commands.notes import agent_author_meta, person_reviewer

    # A person's review is recorded as theirs (provenance); an agent running the command is not a person.
    reviewer = None if agent_author_meta() else person_reviewer(ws)
    note = mark_reviewed(ws, note_id, args.expected_version, reviewed_by=reviewer)
    reviewed = note.meta.get("reviewed")
    if args.json:
        print_json({"id": note.id, "path": note.rel_path, "reviewed": reviewed, "version": note.version})
    else:
        print(f"{note.rel_path}: reviewed {reviewed}")
    return EXIT_OK
