"""`cairn mcp`: the memory of the repository as MCP tools for coding agents (stdio).

Agents outside VS Code (Claude Code, Codex, Cursor, ...) reach Cairn here. The tools are thin: each
validates its input, calls the engine (recall, search, anchors, the note store) and returns JSON or
markdown. The descriptions are written for the agent: they say *when* to call each tool, because an
agent that does not recall before editing, or does not write down what it learned, makes the memory
useless. Every failure is a one-line tool error; a lost race on `update_note` returns the note's
current version and text so the agent can re-apply its change.

Safety: every path is checked by `Workspace.check_repo_path` (no `..`, no absolute paths outside the
repository, no symlink escapes, nothing in `.git`), and notes are added and changed only through
`cairn.notes.edit` (the same rules as `cairn add`/`cairn update`), which writes through `NoteStore`.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.shared.exceptions import MCPError
from mcp.types import INTERNAL_ERROR, INVALID_PARAMS
from pydantic import Field, ValidationError

from cairn.errors import CairnError, ConflictError, UsageError
from cairn.limits import MAX_BUDGET, MAX_SEARCH_LIMIT, MIN_BUDGET, line_number, recall_budget, search_limit
from cairn.notes.edit import NoteChange, note_payload, repo_path
from cairn.notes.edit import add_note as do_add_note
from cairn.notes.edit import update_note as do_update
from cairn.workspace import Workspace

INSTRUCTIONS = """\
Cairn is this repository's memory: short notes (decisions, patterns, gotchas) anchored to the code they
describe, which know when that code changed. Call `recall` with a file (and line) BEFORE you edit it, to
learn the decisions and pitfalls that apply. After you make a decision, find a surprising bug, or change
code a note describes, record it with `add_note` or fix the note with `update_note` (read it first with
`get_note`; pass the version you read). Use `check` or `affected` to find notes your changes made stale."""

RECALL_DESC = """Recall what the repository's memory says about a file (or a line of it) BEFORE you read
deeply or edit it: decisions, patterns and gotchas anchored to that code, ranked (what is anchored at
the line first, then the file, the directory...; freshest first within each), within a token budget.
Call it at the start of every task for each file you are about to change. Returns markdown. `path` is
relative to the repository root; `line` is 1-based; `query` narrows to a topic."""

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
    """MCPServer whose tool errors are always one line (no SDK prefix, no pydantic multi-line dumps), and
    whose resources are the workspace's notes as they are at each request (`cairn.mcp.resources`)."""

    workspace: Workspace | None = None

    async def get_prompt(self, name: str, arguments: dict[str, Any] | None = None, context: Any = None) -> Any:
        # The SDK replaces a prompt function's error by "Error rendering prompt NAME": find ours again.
        try:
            return await super().get_prompt(name, arguments, context)
        except ValueError as exc:
            cause: BaseException | None = exc
            while cause is not None:
                if isinstance(cause, PromptFailure):
                    raise MCPError(code=INVALID_PARAMS, message=str(cause)) from None
                if isinstance(cause, ValidationError):
                    raise MCPError(code=INVALID_PARAMS, message=_one_line_validation(name, cause)) from None
                cause = cause.__cause__
            raise MCPError(code=INVALID_PARAMS, message=" ".join(str(exc).split())) from None

    async def list_resources(self) -> list[Any]:
        from mcp.types import Resource

        listed = list(await super().list_resources())
        if self.workspace is None:
            return listed
        from cairn.mcp.resources import MIME, list_notes

        try:
            notes = list_notes(self.workspace)
        except CairnError as exc:
            raise MCPError(code=INTERNAL_ERROR, message=str(exc)) from None
        return listed + [Resource(uri=n.uri, name=n.name, title=n.title, description=n.description, mime_type=MIME)
                         for n in notes]

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


class PromptFailure(Exception):
    """A prompt that cannot be built from its arguments; its message is the one line the client sees."""


def _fail(exc: CairnError) -> ToolError:
    return ToolError(str(exc))


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


def build_server(ws: Workspace) -> CairnMCPServer:
    """The MCP server for one workspace, with every tool registered."""
    from cairn import __version__

    server = CairnMCPServer("cairn", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING")
    server.workspace = ws
    _register_resources_and_prompts(server, ws)

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
            return note_payload(_store(ws).get(id), ws)
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
            if kind == "session" and not body.strip():
                from cairn.notes.model import SESSION_TEMPLATE

                body = SESSION_TEMPLATE
            note = do_add_note(ws, kind, title, body, tags or [], anchors or [], extra=_client_author(ctx))
        except CairnError as exc:
            raise _fail(exc) from None
        return note_payload(note, ws)

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
        try:
            change = NoteChange(title=title, status=status, body=body, append=append, tags=tags,
                                supersedes=supersedes, anchors=anchors, reviewed=reviewed or reanchor,
                                author=_client_author(ctx)["author"])
            note = do_update(ws, id, version, change)
        except ConflictError as exc:
            raise ToolError(
                f"conflict: {exc.message}. current version: {exc.current_version}. "
                f"Current text follows; re-apply your change to it and call update_note again with "
                f"version {exc.current_version}.\n{exc.current_text or ''}"
            ) from None
        except CairnError as exc:
            raise _fail(exc) from None
        return note_payload(note, ws)

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


def _register_resources_and_prompts(server: CairnMCPServer, ws: Workspace) -> None:
    """The note template (`cairn://notes/{+id}`; listing is `CairnMCPServer.list_resources`) and the
    prompts of `cairn.mcp.prompts`. Engine errors become one-line resource/prompt errors."""
    from cairn.mcp import prompts
    from cairn.mcp.resources import MIME, TEMPLATE, TEMPLATE_DESC, read_note

    @server.resource(TEMPLATE, name="note", title="Cairn note", description=TEMPLATE_DESC, mime_type=MIME)
    def note(id: str) -> str:
        try:
            return read_note(ws, id)
        except CairnError as exc:
            raise ResourceError(str(exc)) from None

    @server.prompt(name="start-task", title="Start a task with the repository's memory",
                   description=prompts.START_TASK_DESC)
    def start_task(
        task: Annotated[str, Field(description="what you are about to do, in a sentence")],
        files: Annotated[str | None, Field(
            description='files you will touch: "path" or "path:line", separated by commas or spaces')] = None,
    ) -> str:
        try:
            return prompts.start_task(ws, task, files)
        except CairnError as exc:
            raise PromptFailure(str(exc)) from None

    @server.prompt(name="update-stale-notes", title="Update the notes whose code changed",
                   description=prompts.UPDATE_STALE_DESC)
    def update_stale_notes(
        since: Annotated[str | None, Field(
            description="a revision: only the commits after it (default: this branch and the working tree)")] = None,
    ) -> list[str]:
        try:
            return prompts.update_stale_notes(ws, since)
        except CairnError as exc:
            raise PromptFailure(str(exc)) from None


def run_stdio(ws: Workspace) -> None:
    """Serve `ws` over stdin/stdout until the client disconnects."""
    build_server(ws).run("stdio")
