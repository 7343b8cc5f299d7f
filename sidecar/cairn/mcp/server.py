"""`cairn mcp`: the memory of the repository as MCP tools for coding agents (stdio).

Agents outside VS Code (Claude Code, Codex, Cursor, ...) reach Cairn here. The tools are thin: each
validates its input, calls the engine (recall, search, anchors, the note store) and returns JSON or
markdown. The descriptions are written for the agent: they say *when* to call each tool, because an
agent that does not recall before editing, or does not write down what it learned, makes the memory
useless. Every failure is a one-line tool error; a lost race on `update_note` returns the note's
current version and text so the agent can re-apply its change.

Safety: every path is checked by `Workspace.check_repo_path` (no `..`, no absolute paths outside the
repository, no symlink escapes, nothing in `.git`), and notes are written only through `NoteStore`,
which resolves ids under the notes root.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field, ValidationError

from cairn.errors import CairnError, ConflictError, UsageError
from cairn.limits import MAX_BUDGET, MAX_SEARCH_LIMIT, MIN_BUDGET, line_number, recall_budget, search_limit
from cairn.workspace import Workspace

INSTRUCTIONS = """\
Cairn is this repository's memory: short notes (decisions, patterns, gotchas) anchored to the code they
describe, which know when that code changed. Call `recall` with a file (and line) BEFORE you edit it, to
learn the decisions and pitfalls that apply. After you make a decision, find a surprising bug, or change
code a note describes, record it with `add_note` or fix the note with `update_note` (read it first with
`get_note`; pass the version you read). Use `check` or `affected` to find notes your changes made stale."""

RECALL_DESC = """Recall what the repository's memory says about a file (or a line of it) BEFORE you read
deeply or edit it: decisions, patterns and gotchas anchored to that code, ranked, freshest first, within
a token budget. Call it at the start of every task for each file you are about to change. Returns
markdown. `path` is relative to the repository root; `line` is 1-based; `query` narrows to a topic."""

SEARCH_DESC = """Full-text search over all notes (titles, bodies, tags) when you do not know which file is
involved, e.g. "how do we handle auth tokens" or "retry policy". Returns ids, titles, freshness and a
snippet; read a hit in full with `get_note`."""

CHECK_DESC = """Check which notes are stale (their anchored code changed or was deleted), expired
(not reviewed for too long) or invalid. Give `paths` to check only notes anchored in those files. Use it
after editing code to see which notes you must update (`update_note`) or re-confirm (`mark_reviewed`)."""

GET_DESC = """Read one note in full: frontmatter fields, body, anchors and its `version`. Call it before
`update_note` and pass that version back, so a concurrent change is never overwritten."""

ADD_DESC = """Record new knowledge AFTER you make a significant decision, establish a pattern, or hit a
surprising bug or pitfall the next agent must know. kind: decision | pattern | gotcha | session (a
session note, at the end of a significant session: what changed, why, what you decided not to do and
why, what the next session should know; an empty body gives that template). Anchor it to
the code it is about with `anchors` as "PATH:START-END" strings (1-based, inclusive), so it shows up
when someone recalls that code and goes stale when the code changes. Write the body for the next
person: what, why, what was rejected, what to watch out for. Returns the new note with its id."""

UPDATE_DESC = """Change an existing note when it is out of date: after you changed the code it describes,
when `check`/`affected` says it is stale, or when you learned more. Pass the note `id` and the `version`
you read with `get_note`; only the fields you give change (`body` replaces the body, `append` adds a
paragraph, `anchors` replaces the anchors and records them at the current lines, `reviewed: true` does what
`mark_reviewed` does in the same write (after you rewrote a stale note for the new code), `status:
archived` retires a note, `superseded` with `supersedes` on the new note replaces it). Anchors whose code
only moved are re-recorded at their new lines with any update. If the note changed since you read
it, the update is refused and the error carries the current version and text: re-apply your change to
that text and call again with the new version."""

REVIEWED_DESC = """Confirm a note is still true of the code as it is now, after you read it against that
code (e.g. a stale note whose code change did not affect what it says). In one write, refused if the note
changed since `version`: re-records every anchor at the code's current lines (fingerprints included, so
`check` finds the note fresh afterwards) and sets `reviewed` to now (clears `expired`, boosts it in
recall). Refused with an error, nothing written, when an anchor's code was deleted: give the note new
`anchors` with update_note (or drop that anchor) instead."""

AFFECTED_DESC = """The notes whose anchored code was changed since a revision (default: where this branch
forked from the default branch), with the hunks that touched them and whether each note was updated in
the same range. Call it before you finish a task or open a pull request, and update the listed notes."""

_LOG = logging.getLogger("cairn.mcp")


def _one_line_validation(name: str, exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ())) or "arguments"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return f"{name}: invalid arguments: " + "; ".join(parts)


class CairnMCPServer(MCPServer[Any]):
    """MCPServer whose tool errors are always one line (no SDK prefix, no pydantic multi-line dumps)."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, ValidationError):
                raise ToolError(_one_line_validation(name, cause)) from cause
            if isinstance(cause, ToolError):
                raise ToolError(str(cause)) from cause
            raise


def _fail(exc: CairnError) -> ToolError:
    return ToolError(str(exc))


def repo_path(ws: Workspace, path: str) -> str:
    """A tool's path argument as a checked repository-relative path (absolute ones must be inside)."""
    if not isinstance(path, str) or not path.strip():
        raise UsageError("path must be a non-empty string")
    if Path(path).is_absolute():
        return ws.check_repo_path(ws.rel(path))
    return ws.check_repo_path(path)


def _store(ws: Workspace) -> Any:
    from cairn.notes.store import NoteStore

    return NoteStore(ws)


def _client_author(ctx: Any) -> dict[str, Any]:
    """`{"author": "agent:<client name>"}` for a write through MCP (the client's initialize clientInfo)."""
    from cairn.recall.provenance import agent_author

    name = None
    try:
        params = ctx.session.client_params if ctx is not None else None
        name = getattr(getattr(params, "client_info", None), "name", None)
    except Exception:  # no request context (a direct call): still an agent's write
        name = None
    return {"author": agent_author(name if isinstance(name, str) and name.strip() else "mcp")}


def _note_payload(note: Any, ws: Workspace | None = None) -> dict[str, Any]:
    from cairn.commands.notes import note_json

    data = note_json(note, with_body=True)
    if ws is not None:
        from cairn.recall.provenance import Provenance

        data["provenance"] = Provenance(ws).line(note)
    extra = {k: v for k, v in note.meta.items() if k not in {
        "title", "kind", "tags", "status", "created", "reviewed", "updated", "anchors"}}
    if extra:
        data["other_fields"] = json.loads(json.dumps(extra, default=str))
    return data


def _record(ws: Workspace, specs: list[str]) -> list[dict[str, Any]]:
    from cairn.anchors.record import record_anchor
    from cairn.commands.common import parse_anchor_spec

    anchors = []
    for spec in specs:
        if not isinstance(spec, str):
            raise UsageError(f"anchor {spec!r} must be a string PATH:START-END")
        path, start, end = parse_anchor_spec(spec)
        anchors.append(record_anchor(ws, repo_path(ws, path), start, end))
    return anchors


def check_notes_folder(ws: Workspace, kind: str) -> None:
    """Refuse to write when the notes root, or the kind's folder, leads outside it (a symlink)."""
    from cairn.notes.model import kind_folder

    root = ws.notes_root.resolve()
    try:
        root.relative_to(ws.root.resolve())
    except ValueError:
        raise UsageError(f"{ws.notes_root_rel} leads outside the repository; refusing to write notes") from None
    folder = ws.notes_root / kind_folder(kind)
    try:
        folder.resolve().relative_to(root)
    except ValueError:
        raise UsageError(f"{ws.notes_root_rel}/{kind_folder(kind)} leads outside the notes folder; "
                         "refusing to write there") from None


def _clean_tags(tags: list[str]) -> list[str]:
    out: list[str] = []
    for tag in tags:
        for part in str(tag).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def build_server(ws: Workspace) -> CairnMCPServer:
    """The MCP server for one workspace, with every tool registered."""
    from cairn import __version__

    server = CairnMCPServer("cairn", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING")

    @server.tool(description=RECALL_DESC)
    def recall(
        path: Annotated[str, Field(description="file path relative to the repository root")],
        line: Annotated[int | None, Field(description="1-based line to focus on")] = None,
        query: Annotated[str | None, Field(description="optional topic to narrow the recall")] = None,
        budget: Annotated[int | None, Field(
            description=f"token budget of the pack ({MIN_BUDGET} to {MAX_BUDGET})")] = None,
    ) -> str:
        from cairn.recall import recall as do_recall

        try:
            rel = repo_path(ws, path)
            line = line_number(line) if line is not None else None
            budget = recall_budget(budget) if budget is not None else None
            pack = do_recall(ws, rel, line=line, query=query, budget=budget)
        except CairnError as exc:
            raise _fail(exc) from None
        return str(pack.to_markdown())

    @server.tool(description=SEARCH_DESC)
    def search(
        query: Annotated[str, Field(description="words to look for", min_length=1)],
        limit: Annotated[int, Field(description=f"maximum number of hits (1 to {MAX_SEARCH_LIMIT})")] = 10,
    ) -> dict[str, Any]:
        from cairn.recall import search as do_search

        try:
            if not query.strip():
                raise UsageError("query must not be empty")
            hits = do_search(ws, query, search_limit(limit))
        except CairnError as exc:
            raise _fail(exc) from None
        return {"hits": [h.to_dict() for h in hits]}

    @server.tool(description=CHECK_DESC)
    def check(
        paths: Annotated[list[str] | None, Field(description="only notes anchored in these files")] = None,
    ) -> dict[str, Any]:
        from cairn.affected import check_report

        try:
            rels = [repo_path(ws, p) for p in paths] if paths else None
            return check_report(ws, rels)
        except CairnError as exc:
            raise _fail(exc) from None

    @server.tool(description=GET_DESC)
    def get_note(id: Annotated[str, Field(description="note id, e.g. decisions/use-jwt")]) -> dict[str, Any]:
        try:
            return _note_payload(_store(ws).get(id), ws)
        except CairnError as exc:
            raise _fail(exc) from None

    @server.tool(description=ADD_DESC)
    def add_note(
        kind: Annotated[str, Field(description="decision | pattern | gotcha (or a kind configured in config.toml)")],
        title: Annotated[str, Field(description="one-line title", min_length=1, max_length=200)],
        body: Annotated[str, Field(description="markdown body: what, why, what to watch out for")],
        tags: Annotated[list[str] | None, Field(description="tags, e.g. [auth, security]")] = None,
        anchors: Annotated[list[str] | None, Field(
            description='code ranges as "PATH:START-END", e.g. ["src/auth.py:10-42"]')] = None,
        ctx: Context | None = None,
    ) -> dict[str, Any]:
        try:
            if kind in ws.config.kinds:
                check_notes_folder(ws, kind)
            recorded = _record(ws, anchors or [])
            if kind == "session" and not body.strip():
                from cairn.notes.model import SESSION_TEMPLATE

                body = SESSION_TEMPLATE
            note = _store(ws).create(kind, title, body, _clean_tags(tags or []), recorded,
                                     extra=_client_author(ctx))
        except CairnError as exc:
            raise _fail(exc) from None
        return _note_payload(note, ws)

    @server.tool(description=UPDATE_DESC)
    def update_note(
        id: Annotated[str, Field(description="note id, e.g. decisions/use-jwt")],
        version: Annotated[str, Field(description="the version you read with get_note", min_length=1)],
        title: Annotated[str | None, Field(description="new one-line title")] = None,
        body: Annotated[str | None, Field(description="new body (replaces the whole body)")] = None,
        append: Annotated[str | None, Field(description="a paragraph to add at the end of the body")] = None,
        tags: Annotated[list[str] | None, Field(description="new tag list (replaces the tags)")] = None,
        status: Annotated[str | None, Field(description="active | superseded | archived")] = None,
        supersedes: Annotated[list[str] | None, Field(description="ids of notes this one replaces")] = None,
        anchors: Annotated[list[str] | None, Field(
            description='new anchors as "PATH:START-END" (replaces them; recorded at HEAD)')] = None,
        reviewed: Annotated[bool, Field(
            description="the note is true of the code as it is now: as mark_reviewed, in the same write")] = False,
        reanchor: Annotated[bool, Field(
            description="the same as reviewed (kept for older callers)")] = False,
        ctx: Context | None = None,
    ) -> dict[str, Any]:
        from cairn.notes.model import STATUSES
        from cairn.timeutil import format_timestamp, now_utc

        try:
            if title is not None and (not title.strip() or "\n" in title):
                raise UsageError("title must be one non-empty line")
            if status is not None and status not in STATUSES:
                raise UsageError(f"unknown status {status!r} (expected one of: {', '.join(STATUSES)})")
            if body is not None and append is not None:
                raise UsageError("give either body or append, not both")
            recorded = _record(ws, anchors) if anchors is not None else None
            author = _client_author(ctx)["author"]
            store = _store(ws)
            if supersedes:
                for other in supersedes:
                    store.path_of(other)

            def change(meta: dict[str, Any], old_body: str) -> tuple[dict[str, Any], str]:
                new_body = old_body
                if title is not None:
                    meta["title"] = title.strip()
                if status is not None:
                    meta["status"] = status
                if tags is not None:
                    meta["tags"] = _clean_tags(tags)
                if supersedes is not None:
                    meta["supersedes"] = list(supersedes)
                if recorded is not None:
                    meta["anchors"] = recorded
                    if reviewed or reanchor:
                        meta["reviewed"] = format_timestamp(now_utc())
                if body is not None:
                    text = body if body.endswith("\n") or not body else body + "\n"
                    new_body = "\n" + text if old_body.startswith("\n") and not text.startswith("\n") else text
                if append is not None:
                    sep = "\n\n" if new_body.strip() else "\n"
                    new_body = new_body.rstrip("\n") + sep + append.rstrip("\n") + "\n"
                if new_body != old_body or title is not None or recorded is not None:
                    # An agent rewrote what the note says: a person has not reviewed this text yet.
                    meta["author"] = author
                    meta.pop("reviewed_by", None)
                return meta, new_body

            from cairn.reviewed import mark_reviewed as confirm
            from cairn.reviewed import update_following_moves

            if (reviewed or reanchor) and recorded is None:
                # One meaning of "reviewed": the anchors are re-recorded at the code as it is now.
                note = confirm(ws, id, version, change=change)
            elif recorded is not None:
                note = store.update(id, version, change)  # new anchors, recorded now (and reviewed if asked)
            else:
                note = update_following_moves(ws, id, version, change)
        except ConflictError as exc:
            raise ToolError(
                f"conflict: {exc.message}. current version: {exc.current_version}. "
                f"Current text follows; re-apply your change to it and call update_note again with "
                f"version {exc.current_version}.\n{exc.current_text or ''}"
            ) from None
        except CairnError as exc:
            raise _fail(exc) from None
        return _note_payload(note, ws)

    @server.tool(description=REVIEWED_DESC)
    def mark_reviewed(
        id: Annotated[str, Field(description="note id")],
        version: Annotated[str | None, Field(description="the version you checked (optional)")] = None,
    ) -> dict[str, Any]:
        from cairn.reviewed import mark_reviewed as confirm

        try:
            note = confirm(ws, id, version)
        except ConflictError as exc:
            raise ToolError(f"conflict: {exc.message}. current version: {exc.current_version}") from None
        except CairnError as exc:
            raise _fail(exc) from None
        return {"id": note.id, "version": note.version, "reviewed": note.meta.get("reviewed")}

    @server.tool(description=AFFECTED_DESC)
    def affected(
        since: Annotated[str | None, Field(description="revision to compare with (default: merge base)")] = None,
    ) -> dict[str, Any]:
        from cairn.affected import find_affected

        try:
            return find_affected(ws, since).to_json()
        except CairnError as exc:
            raise _fail(exc) from None

    return server


def run_stdio(ws: Workspace) -> None:
    """Serve `ws` over stdin/stdout until the client disconnects."""
    build_server(ws).run("stdio")
