"""Workspace symbols: the notes matching the query (the search index), as jump targets."""

from __future__ import annotations

from lsprotocol import types

from cairn.errors import CairnError
from cairn.server.state import ServerState

LIMIT = 50


async def workspace_symbols(state: ServerState,
                            params: types.WorkspaceSymbolParams) -> list[types.SymbolInformation] | None:
    query = params.query.strip()
    out: list[types.SymbolInformation] = []
    for session in list(state.sessions.values()):
        if query:
            try:
                hits = await state.run(session.search, query, LIMIT)
            except CairnError as exc:
                state.log(f"workspace symbols: {exc}", types.MessageType.Warning)
                continue
        else:
            views = sorted(session.published.notes.values(), key=lambda v: v.id)[:LIMIT]
            hits = [{"id": v.id, "path": v.note.rel_path, "title": v.note.title, "kind": v.note.kind,
                     "state": v.state} for v in views]
        for hit in hits:
            pos = types.Position(line=0, character=0)
            out.append(types.SymbolInformation(
                name=" ".join(str(hit["title"]).split()),
                kind=types.SymbolKind.File,
                location=types.Location(uri=(session.root / hit["path"]).as_uri(),
                                        range=types.Range(start=pos, end=pos)),
                container_name=f"{hit['kind']} · {hit.get('state', '')} · {hit['id']}",
            ))
    return out
