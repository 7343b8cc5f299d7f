"""`cairn init`, `add`, `list`, `show`, `update`, `index`: creating, reading and changing notes.

The rules for adding and changing a note live in `cairn.notes.edit` (shared with the MCP tools); these
commands turn flags into its calls and print the result.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cairn.commands.common import add_example, print_json, workspace
from cairn.errors import CairnError, UsageError


def register(sub: Any) -> None:
    p = sub.add_parser("init", help="create the notes folders and configuration (idempotent)")
    p.add_argument("--agents", action="store_true",
                   help="also register the MCP server for Claude Code/VS Code, add a block to AGENTS.md/CLAUDE.md "
                        "and .github/copilot-instructions.md, and add Cairn's hooks to .claude/settings.json")
    p.add_argument("--no-agent-hooks", dest="agent_hooks", action="store_false",
                   help="with --agents: leave .claude/settings.json alone (no SessionStart/PostToolUse/Stop hooks)")
    add_example(p, "cairn init", "cairn init --agents")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("add", help="create a note; prints its path")
    p.add_argument("--kind", required=True,
                   help="decision, pattern, gotcha, session (or a configured kind); a session note without "
                        "--body starts from the template: what changed, why, what was not done, what to know")
    p.add_argument("--title", required=True, help="one-line title")
    p.add_argument("--tag", action="append", default=[], help="a tag (repeatable, or comma-separated)")
    p.add_argument("--anchor", action="append", default=[], metavar="PATH:START-END",
                   help="code range the note describes, recorded at HEAD (repeatable)")
    body = p.add_mutually_exclusive_group()
    body.add_argument("--body", help="the note's markdown body")
    body.add_argument("--body-file", metavar="FILE", help="read the body from FILE, or stdin with -")
    p.add_argument("--json", action="store_true", help="print the new note as JSON")
    add_example(p, "cairn add --kind decision --title 'Use JWT, not sessions' --tag auth \\",
                "    --anchor src/auth/session.py:10-42 --body 'We chose JWT because ...'",
                "echo 'Retry at most 3 times.' | cairn add --kind gotcha --title 'Flaky upstream' --body-file -")
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("list", help="list valid notes; errors of invalid notes go to stderr (exit 1)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--kind", help="only notes of this kind")
    p.add_argument("--tag", help="only notes with this tag")
    add_example(p, "cairn list", "cairn list --kind gotcha --json")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="show one note")
    p.add_argument("id", help="note id (path under agent-context/ without .md) or its file path")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_example(p, "cairn show decisions/use-jwt-not-sessions")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("update", help="change a note's title, tags, status, body or anchors (conditional on its "
                       "version); anchors whose code moved are re-recorded at their new lines")
    p.add_argument("id", help="note id")
    p.add_argument("--version", dest="expected_version", metavar="VERSION",
                   help="the version you read (from `cairn show --json`); refused if the note changed since")
    p.add_argument("--title", help="new title")
    p.add_argument("--status", choices=["active", "superseded", "archived"], help="new status")
    p.add_argument("--tag", action="append", default=[], help="add a tag (repeatable)")
    p.add_argument("--untag", action="append", default=[], help="remove a tag (repeatable)")
    ubody = p.add_mutually_exclusive_group()
    ubody.add_argument("--body", help="replace the body")
    ubody.add_argument("--body-file", metavar="FILE", help="replace the body from FILE, or stdin with -")
    ubody.add_argument("--append", metavar="TEXT", help="append a paragraph to the body")
    p.add_argument("--anchor", action="append", default=[], metavar="PATH:START-END",
                   help="replace the anchors with these, recorded at the current lines (repeatable)")
    p.add_argument("--drop-anchor", action="append", default=[], metavar="PATH[:START-END]",
                   help="remove the anchors at PATH (or exactly PATH:START-END) (repeatable)")
    p.add_argument("--reviewed", action="store_true",
                   help="the note is true of the code as it is now: as `cairn review-done`, in the same write "
                        "(recorded as reviewed by you, git user.name)")
    p.add_argument("--json", action="store_true", help="print the updated note as JSON")
    add_example(p, "cairn update decisions/use-jwt --version 1f2e3d4c5b6a7980 --append 'Also: rotate keys yearly.'",
                "cairn update gotchas/flaky-upstream --body-file note.md --reviewed",
                "cairn update decisions/use-jwt --anchor src/auth/session.py:12-40")
    p.set_defaults(func=cmd_update)

    p = sub.add_parser("index", help="regenerate agent-context/index.json from the notes")
    add_example(p, "cairn index")
    p.set_defaults(func=cmd_index)


def cmd_init(args: argparse.Namespace) -> int:
    from cairn.config import CONFIG_FILE, DEFAULT_CONFIG_TOML
    from cairn.notes.index_json import write_index_json
    from cairn.notes.model import KIND_FOLDERS
    from cairn.notes.store import NoteStore, atomic_create

    ws = workspace(args)
    created = []
    for folder in KIND_FOLDERS.values():
        path = ws.notes_root / folder
        if not path.is_dir():
            path.mkdir(parents=True, exist_ok=True)
            created.append(path)
        keep = path / ".gitkeep"
        if not any(path.iterdir()):
            keep.touch()
    config_path = ws.notes_root / CONFIG_FILE
    if atomic_create(config_path, DEFAULT_CONFIG_TOML):
        created.append(config_path)
    write_index_json(NoteStore(ws))
    for path in created:
        print(f"created {path.relative_to(ws.root).as_posix()}")
    print(f"cairn is set up in {ws.root / ws.notes_root_rel} ({len(created)} new entries)")
    if getattr(args, "agents", False):
        from cairn.agents import init_agents

        change = init_agents(ws, hooks=getattr(args, "agent_hooks", True))
        for rel in change.written:
            print(f"wrote {rel}")
        for rel in change.skipped:
            print(f"skipped {rel}")
    return 0


def _read_body(args: argparse.Namespace) -> str:
    if args.body is not None:
        return str(args.body)
    if args.body_file is None:
        return ""
    if args.body_file == "-":
        return sys.stdin.read()
    try:
        return Path(args.body_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read body file {args.body_file}: {exc}") from None


def cmd_add(args: argparse.Namespace) -> int:
    from cairn.notes.edit import add_note, note_json

    ws = workspace(args)
    body = _read_body(args)
    if args.kind == "session" and not body.strip() and args.body is None and args.body_file is None:
        from cairn.notes.model import SESSION_TEMPLATE

        body = SESSION_TEMPLATE
    note = add_note(ws, args.kind, args.title, body, args.tag, args.anchor, extra=agent_author_meta())
    if args.json:
        print_json(note_json(note, with_body=True))
    else:
        print(note.rel_path)
    return 0


def agent_author_meta(client: str | None = None) -> dict[str, Any] | None:
    """`{"author": "agent:<client>"}` when an agent writes (MCP, agent hooks, or a CLI run by an agent).

    A CLI run counts as an agent's when `CAIRN_AGENT` names the agent, or when Claude Code runs it
    (its Bash tool sets `CLAUDECODE=1` in the environment); otherwise a person wrote it: nothing recorded.
    """
    import os

    name = client or os.environ.get("CAIRN_AGENT") or ("claude-code" if os.environ.get("CLAUDECODE") else None)
    if not name:
        return None
    from cairn.recall.provenance import agent_author

    return {"author": agent_author(name)}


def person_reviewer(ws: Any) -> str:
    """Who a person's review is recorded as (`reviewed_by`): `git config user.name`."""
    from cairn.gitio.authorship import user_name

    return user_name(ws.root) or "a person"


def cmd_list(args: argparse.Namespace) -> int:
    from cairn.notes.edit import note_json
    from cairn.notes.store import NoteStore

    ws = workspace(args)
    result = NoteStore(ws).load()
    notes = [n for n in result.notes if (not args.kind or n.kind == args.kind) and (not args.tag or args.tag in n.tags)]
    if args.json:
        print_json({"notes": [note_json(n) for n in notes],
                    "errors": [{"path": e.path, "line": e.line, "message": e.message} for e in result.errors]})
    else:
        width = max((len(n.id) for n in notes), default=0)
        for note in notes:
            tags = f"  [{', '.join(note.tags)}]" if note.tags else ""
            print(f"{note.id:<{width}}  {note.kind:<8}  {note.title}{tags}")
    for error in result.errors:
        print(str(error), file=sys.stderr)
    return 1 if result.errors else 0


def cmd_show(args: argparse.Namespace) -> int:
    from cairn.notes.edit import note_json
    from cairn.notes.store import NoteStore

    ws = workspace(args)
    store = NoteStore(ws)
    note_id = args.id
    if note_id.endswith(".md") and Path(note_id).exists():
        note_id = store.note_id(Path(note_id).resolve())
    note = store.get(note_id)
    if args.json:
        print_json(note_json(note, with_body=True))
        return 0
    print(f"{note.title}")
    print(f"{note.kind} · {note.status} · {note.rel_path}")
    if note.tags:
        print(f"tags: {', '.join(note.tags)}")
    for anchor in note.anchors:
        print(f"anchor: {anchor.label()}" + (f" @ {anchor.commit[:7]}" if anchor.commit else ""))
    print()
    sys.stdout.write(note.body.lstrip("\n"))
    return 0


def cmd_update(args: argparse.Namespace) -> int:
    from cairn.notes.edit import NoteChange, note_json, update_note

    ws = workspace(args)
    new_body = _read_body(args) if (args.body is not None or args.body_file is not None) else None
    agent = agent_author_meta()
    change = NoteChange(title=args.title, status=args.status, body=new_body, append=args.append or None,
                        add_tags=args.tag, drop_tags=args.untag, anchors=args.anchor or None,
                        drop_anchors=args.drop_anchor, reviewed=args.reviewed,
                        author=agent["author"] if agent else None,
                        reviewed_by=person_reviewer(ws) if args.reviewed and agent is None else None)
    note = update_note(ws, args.id, args.expected_version, change)
    if args.json:
        print_json(note_json(note, with_body=True))
    else:
        print(f"{note.rel_path} (version {note.version})")
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    from cairn.notes.index_json import write_index_json
    from cairn.notes.store import NoteStore

    ws = workspace(args)
    store = NoteStore(ws)
    path = write_index_json(store)
    print(path.relative_to(ws.root).as_posix())
    errors = store.load().errors
    for error in errors:
        print(str(error), file=sys.stderr)
    return 0


__all__ = ["CairnError", "register"]
