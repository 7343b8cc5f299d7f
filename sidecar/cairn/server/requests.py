"""Custom requests of the extension: `cairn/recall`, `cairn/search`, `cairn/status`, `cairn/stale`,
`cairn/notes`, `cairn/kinds`.

Payloads exactly as docs/ARCHITECTURE.md defines them; `lines` are 1-based, positions 0-based.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from cairn.errors import CairnError, NotFoundError, UsageError
from cairn.limits import line_number, recall_budget, search_limit
from cairn.recall.pack import MAX_HEADING_LEVEL
from cairn.server import file_views, summaries
from cairn.server.convert import to_plain
from cairn.server.protocol import CommandError
from cairn.server.state import ServerState


def _params(params: Any) -> dict[str, Any]:
    value = to_plain(params)
    return value if isinstance(value, dict) else {}


async def recall(state: ServerState, params: Any) -> dict[str, Any]:
    args = _params(params)
    uri = args.get("uri")
    empty = {"markdown": "", "pack": {"notes": []}}
    if not isinstance(uri, str):
        state.log("cairn/recall: missing uri", types.MessageType.Warning)
        return empty
    ref = state.resolve(uri)
    if ref is None:
        return empty
    position = args.get("position") if isinstance(args.get("position"), dict) else None
    line = int(position["line"]) + 1 if position and isinstance(position.get("line"), int) else None
    query = args.get("query") if isinstance(args.get("query"), str) and args.get("query") else None
    try:
        budget = recall_budget(args["budget"]) if args.get("budget") is not None else None
        if line is not None:
            line = line_number(line)
    except CairnError as exc:
        raise CommandError(f"cairn/recall: {exc}") from None
    level = args.get("headingLevel")
    heading_level = level if isinstance(level, int) and 1 <= level <= MAX_HEADING_LEVEL else 1
    doc = state.document(uri)
    buffers = None
    if doc is not None and not ref.is_note and not file_views.same_as_disk(ref.session, ref.rel, doc[1]):
        buffers = {ref.rel: doc[1]}  # judged on the unsaved text; otherwise the working tree's cached view
    try:
        markdown, pack = await state.run(ref.session.recall, ref.rel, line, query, budget, buffers, heading_level)
    except NotFoundError as exc:
        raise CommandError(f"cairn/recall: {exc}") from None  # a path that does not exist: an error, not "no notes"
    except CairnError as exc:
        state.log(f"cairn/recall {ref.rel}: {exc}", types.MessageType.Warning)
        return empty
    return {"markdown": markdown, "pack": pack}


async def search(state: ServerState, params: Any) -> dict[str, Any]:
    args = _params(params)
    query = args.get("query")
    hits: list[dict[str, Any]] = []
    try:
        limit = search_limit(args["limit"]) if args.get("limit") is not None else 20
        if not isinstance(query, str) or not query.strip():
            raise UsageError("cairn/search: the query is empty")
        for session in list(state.sessions.values()):
            hits.extend(await state.run(session.search, query, limit))
    except CairnError as exc:
        state.log(str(exc), types.MessageType.Warning)
        raise CommandError(str(exc)) from None
    hits.sort(key=lambda h: -float(h.get("score") or 0))
    return {"hits": hits[:limit]}


def status_payload(state: ServerState) -> dict[str, int]:
    total = {"notes": 0, "stale": 0, "expired": 0, "invalid": 0}
    for session in state.sessions.values():
        for key, value in session.status().items():
            total[key] += value
    return total


async def status(state: ServerState, params: Any) -> dict[str, int]:
    """The counts, answered once the workspaces have loaded (never zeros that only mean "not yet")."""
    await state.loaded()
    return status_payload(state)


async def stale(state: ServerState, params: Any) -> dict[str, Any]:
    await state.loaded()
    notes: list[dict[str, Any]] = []
    for session in state.sessions.values():
        notes.extend(summaries.stale_notes(session.root, session.published))
    return {"notes": notes}


async def kinds(state: ServerState, params: Any) -> dict[str, Any]:
    """The kinds of note configured for the document's workspace (config.toml), or for every workspace."""
    uri = _params(params).get("uri")
    ref = state.resolve(uri, quiet=True) if isinstance(uri, str) else None
    sessions = [ref.session] if ref is not None else list(state.sessions.values())
    names: dict[str, None] = {}
    for session in sessions:
        names.update(dict.fromkeys(session.ws.config.kinds))
    return {"kinds": list(names)}


async def notes(state: ServerState, params: Any) -> dict[str, Any]:
    """Every note of every workspace folder with its freshness and anchors (the extension's notes view)."""
    await state.loaded()
    out: dict[str, list[dict[str, Any]]] = {"notes": [], "invalid": []}
    for session in state.sessions.values():
        part = summaries.notes_list(session.root, session.published)
        out["notes"].extend(part["notes"])
        out["invalid"].extend(part["invalid"])
    return out


def notify_status(state: ServerState) -> None:
    """Send `cairn/statusChanged` when the counts differ from the last ones sent."""
    payload = status_payload(state)
    if payload != state.last_status:
        state.last_status = payload
        state.server.protocol.notify("cairn/statusChanged", payload)


NO_ARGUMENTS = frozenset({"cairn/status", "cairn/stale", "cairn/notes"})  # accept `{}`, `[]`, `null` or no params
REQUESTS = {"cairn/recall": recall, "cairn/search": search, "cairn/status": status, "cairn/stale": stale,
            "cairn/notes": notes, "cairn/kinds": kinds}
