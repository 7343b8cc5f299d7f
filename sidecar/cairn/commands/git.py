"""`cairn mcp`, `hooks`, `sync`, `affected`, `review`, `merge-note`, `merge-index`: agents and git."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cairn.commands.common import add_example, print_json, workspace

EXIT_OK, EXIT_PROBLEMS = 0, 1


def register(sub: Any) -> None:
    p = sub.add_parser("mcp", help="MCP server on stdio (for Claude Code, Codex, Cursor, VS Code agents)")
    add_example(p, "cairn mcp", "cairn init --agents   # registers it for Claude Code and VS Code")
    p.set_defaults(func=cmd_mcp)

    p = sub.add_parser("hooks", help="install or remove the git hooks and merge drivers")
    hsub = p.add_subparsers(dest="hooks_command", metavar="ACTION", required=True)
    h = hsub.add_parser("install", help="post-merge/post-checkout/post-rewrite hooks running `cairn sync`, "
                        "chained after existing hooks; merge drivers for notes and index.json")
    h.add_argument("--pre-commit", action="store_true",
                   help="also a pre-commit hook that re-anchors notes whose code moved in the commit and stages them")
    h.set_defaults(func=cmd_hooks_install)
    h = hsub.add_parser("uninstall", help="remove them and restore the previous hooks")
    h.set_defaults(func=cmd_hooks_uninstall)
    h = hsub.add_parser("status", help="which hooks are installed")
    h.set_defaults(func=cmd_hooks_status)
    h = hsub.add_parser("pre-commit", help="re-anchor the notes whose anchored code moved in the staged changes "
                        "and stage them (what the pre-commit hook runs; never fails the commit)")
    h.set_defaults(func=cmd_hooks_pre_commit)
    add_example(p, "cairn hooks install", "cairn hooks install --pre-commit", "cairn hooks status",
                "cairn hooks uninstall")

    p = sub.add_parser("sync", help="judge every note, print the notes that just went stale (writes no tracked "
                       "file unless --write)")
    p.add_argument("--write", action="store_true",
                   help="also re-record moved/reformatted anchors in the notes and refresh index.json")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--hook", metavar="NAME", help=argparse.SUPPRESS)
    p.add_argument("--record", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("hook_args", nargs="*", help=argparse.SUPPRESS)
    add_example(p, "cairn sync", "cairn sync --write")
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("affected", help="notes whose anchored code changed since REV (exit 1: not updated)")
    p.add_argument("--since", metavar="REV", help="start of the range (default: merge base with the default branch)")
    p.add_argument("--format", choices=["text", "json", "github"], default="text",
                   help="text (default), json, or github workflow annotations")
    add_example(p, "cairn affected", "cairn affected --since origin/main --format github")
    p.set_defaults(func=cmd_affected)

    p = sub.add_parser("review", help="agent-ready prompts to update affected notes; --run pipes them to an agent")
    p.add_argument("--since", metavar="REV", help="start of the range (default: merge base with the default branch)")
    p.add_argument("--run", action="store_true",
                   help="pipe each prompt to your review agent (git config cairn.reviewAgent, CAIRN_REVIEW_AGENT, "
                        "~/.config/cairn/config.toml) and validate its edits")
    p.add_argument("--agent", metavar="COMMAND", help="agent command (overrides your configured one)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_example(p, "cairn review", "cairn review --run --agent 'claude -p'")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("merge-note", help="git merge driver for notes (%%O %%A %%B %%P)")
    for name in ("base", "ours", "theirs"):
        p.add_argument(name)
    p.add_argument("path", nargs="?", default="note")
    p.set_defaults(func=cmd_merge_note)

    p = sub.add_parser("merge-index", help="git merge driver for index.json (%%O %%A %%B %%P)")
    for name in ("base", "ours", "theirs"):
        p.add_argument(name)
    p.add_argument("path", nargs="?", default="index.json")
    p.set_defaults(func=cmd_merge_index)


def cmd_mcp(args: argparse.Namespace) -> int:
    from cairn.mcp import run_stdio

    run_stdio(workspace(args))
    return EXIT_OK


def cmd_hooks_install(args: argparse.Namespace) -> int:
    from cairn.hooks import install

    ws = workspace(args)
    change = install(ws, pre_commit=args.pre_commit)
    for name in change.chained:
        print(f"kept your {name} hook: it runs first (saved as {name}.cairn-chained)")
    print(f"installed hooks: {', '.join(change.installed)} ({'; '.join(change.notes)})")
    print("registered merge drivers: cairn-note, cairn-index (.gitattributes, .git/config)")
    return EXIT_OK


def cmd_hooks_uninstall(args: argparse.Namespace) -> int:
    from cairn.hooks import uninstall

    change = uninstall(workspace(args))
    print(f"removed hooks: {', '.join(change.removed) or 'none'}")
    if change.restored:
        print(f"restored previous hooks: {', '.join(change.restored)}")
    return EXIT_OK


def cmd_hooks_status(args: argparse.Namespace) -> int:
    from cairn.hooks import status

    for name, state in status(workspace(args)).items():
        print(f"{name}: {state}")
    return EXIT_OK


def cmd_hooks_pre_commit(args: argparse.Namespace) -> int:
    """Fail open: whatever goes wrong is one line on stderr and the commit goes ahead (exit 0)."""
    try:
        from cairn.precommit import reanchor_staged

        sys.stderr.write(reanchor_staged(workspace(args)).to_text())
    except Exception as exc:  # a Cairn problem never blocks a commit
        message = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        print(f"cairn: pre-commit re-anchoring skipped: {message}", file=sys.stderr)
    return EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    ws = workspace(args)
    if args.hook:
        from cairn.hooks import run_hook

        try:
            return run_hook(ws, args.hook, list(args.hook_args))
        except Exception as exc:
            print(f"cairn: sync hook failed: {exc}", file=sys.stderr)
            return EXIT_OK
    from cairn.sync import run_and_record, sync

    report = run_and_record(ws, write=args.write) if args.record else sync(ws, write=args.write)
    if args.json:
        print_json(report.to_json())
    else:
        text = report.to_text(quiet_moves=False)
        sys.stdout.write(text or f"cairn: nothing new ({report.stale} stale note(s), {report.invalid} invalid)\n")
    return EXIT_OK


def cmd_affected(args: argparse.Namespace) -> int:
    from cairn.affected import find_affected

    report = find_affected(workspace(args), args.since)
    if args.format == "json":
        print_json(report.to_json())
    elif args.format == "github":
        sys.stdout.write(report.to_github())
    else:
        sys.stdout.write(report.to_text())
    return EXIT_PROBLEMS if report.not_updated else EXIT_OK


def cmd_review(args: argparse.Namespace) -> int:
    from cairn.review import agent_command, build_prompts, committed_agent_warning, run_agent

    ws = workspace(args)
    report, prompts = build_prompts(ws, args.since)
    if not args.run:
        if args.json:
            print_json({"since": report.since, "head": report.head,
                        "prompts": [{"note": p.note_id, "path": p.path, "prompt": p.text} for p in prompts]})
        else:
            if not prompts:
                print("no affected notes: nothing to review")
            for i, prompt in enumerate(prompts):
                if i:
                    print("\n" + "=" * 80 + "\n")
                sys.stdout.write(prompt.text)
        return EXIT_OK
    warning = committed_agent_warning(ws)
    if warning:
        print(warning, file=sys.stderr)
    command, source = agent_command(ws, args.agent)
    # Show what is about to run, every time (stderr with --json, so stdout stays one JSON document).
    print(f"running review agent (from {source}): {command}", file=sys.stderr if args.json else sys.stdout,
          flush=True)
    results = [run_agent(ws, prompt, command) for prompt in prompts]
    if args.json:
        print_json({"results": [r.to_json() for r in results]})
    else:
        if not results:
            print("no affected notes: nothing to review")
        for result in results:
            kept = [v.path for v in result.verdicts if v.kept]
            print(f"{result.note_id}: agent exited {result.exit_code}; kept {len(kept)} change(s)"
                  + (f": {', '.join(kept)}" if kept else ""))
            for verdict in result.rejected:
                restored = " (restored)" if verdict.path != "HEAD" else ""
                print(f"  rejected {verdict.path}: {verdict.reason}{restored}")
    failed = any(r.rejected or r.exit_code != 0 for r in results)
    return EXIT_PROBLEMS if failed else EXIT_OK


def cmd_merge_note(args: argparse.Namespace) -> int:
    from cairn.merge import merge_note_files

    result = merge_note_files(Path(args.base), Path(args.ours), Path(args.theirs), args.path)
    for message in result.conflicts:
        print(f"cairn merge-note: {message}", file=sys.stderr)
    return EXIT_OK if result.clean else EXIT_PROBLEMS


def cmd_merge_index(args: argparse.Namespace) -> int:
    from cairn.merge import merge_index_files

    merge_index_files(Path(args.base), Path(args.ours), Path(args.theirs))
    return EXIT_OK
