"""Recall: the notes that matter for a place in the code, fresh ones first, packed for a token budget.

Public API (stable; the CLI, the language server and MCP use it):

    recall(ws, path, line=None, query=None, budget=None, target=None, *, index=None, checker=None,
           now=None, max_notes=30, notice=None, heading_level=1) -> Pack
        `path` is repository-relative (or absolute inside the repository); `line` is 1-based;
        `budget` defaults to `[recall] budget` of config.toml (2000); `target` is an anchor-engine
        `Target` (default: the working tree; `Target.with_buffers({...})` for unsaved editor text).
        Pass a long-lived `index` (NoteIndex, refreshed by you) and/or an engine `Checker` to reuse
        their caches across calls; without them, recall opens and refreshes the index itself.
        `heading_level` (1-4) is the level of the pack's title in its markdown (the editor's chat uses 3).
    Pack.to_markdown() -> str, Pack.to_dict() -> dict, Pack.to_json() -> str
    search(ws, query, limit=10, *, index=None, target=None, checker=None) -> list[Hit]
        `cairn.index.search` plus each hit's `state` (fresh/stale/expired/invalid) from the anchor engine.
    count_tokens(text) -> int   the budget's token estimate (see cairn.recall.tokens)

Ranking is described in `cairn.recall.rank`, freshness in `cairn.recall.freshness`, the pack and its
budget rules in `cairn.recall.pack`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import NotFoundError, UsageError
from cairn.gitio.files import read_regular_text
from cairn.limits import line_number, recall_budget
from cairn.recall.pack import MAX_HEADING_LEVEL, Pack, PackNote, render, sanitize_body
from cairn.recall.tokens import count_tokens

if TYPE_CHECKING:
    from cairn.index import Hit, NoteIndex
    from cairn.index.core import Notice
    from cairn.workspace import Workspace

BATCH = 8
MODULE_LIMIT = 150


def _repo_path(ws: Workspace, path: str | Path) -> str:
    text = str(path)
    if Path(text).is_absolute():
        text = ws.rel(text)
    return ws.check_repo_path(text)


def _require_exists(ws: Workspace, rel: str, buffers: Any) -> None:
    """A recall for a path that is neither in the working tree nor at HEAD is a typo, not "every note"."""
    import os

    if rel in (buffers or {}) or os.path.lexists(ws.root / rel):
        return
    if ws.git_dir is not None:
        from cairn.gitio import open_repo

        if open_repo(ws.root).object_header(f"HEAD:{rel}") is not None:
            return
    raise NotFoundError("no such file in the working tree or at HEAD", path=rel)


def _open(ws: Workspace, index: NoteIndex | None, notice: Notice | None) -> NoteIndex:
    if index is not None:
        index.ensure()
        return index
    from cairn.index import open_index

    return open_index(ws, notice=notice)


def recall(ws: Workspace, path: str | Path, line: int | None = None, query: str | None = None,
           budget: int | None = None, target: Any = None, *, index: NoteIndex | None = None,
           checker: Any = None, now: datetime | None = None, max_notes: int = 30,
           notice: Notice | None = None, heading_level: int = 1) -> Pack:
    """The context pack for `path[:line]` (see the module docstring); its title a `heading_level` heading."""
    from cairn.index.fields import IndexDoc, enclosing_definition
    from cairn.index.query import terms
    from cairn.recall.freshness import STATUS_FACTOR, Assessor, decay, half_lives
    from cairn.recall.rank import SYMBOL_HERE, Candidate, line_tier, mention_words, query_text, rank_key, title_hit
    from cairn.timeutil import now_utc

    rel = _repo_path(ws, path)
    _require_exists(ws, rel, getattr(target, "buffers", None))
    if line is not None:
        line = line_number(line)
    budget = recall_budget(ws.config.recall_budget if budget is None else budget)
    if not 1 <= heading_level <= MAX_HEADING_LEVEL:
        raise UsageError(f"heading level {heading_level}: expected 1 to {MAX_HEADING_LEVEL}")
    when = now or now_utc()
    idx = _open(ws, index, notice)

    candidates: dict[str, Candidate] = {}

    def consider(doc: IndexDoc) -> Candidate:
        cand = candidates.get(doc.id)
        if cand is None:
            cand = candidates[doc.id] = Candidate(doc)
            cand.tier, cand.reason = line_tier([(a.path, a.start, a.end) for a in doc.anchors], rel, line)
        return cand

    folder = rel.rpartition("/")[0] or "."
    for doc in idx.anchored_in(rel):
        consider(doc)
    for note_id, places in _moved_here(ws, rel):
        moved_doc = idx.doc(note_id)
        if moved_doc is not None:
            cand = consider(moved_doc)
            tier, reason = line_tier(places, rel, line)
            if tier > cand.tier:
                cand.tier, cand.reason = tier, reason
    for doc in idx.anchored_in_dir(folder):
        consider(doc)
    parent = folder.rpartition("/")[0]
    if parent:
        # "The same module" stops meaning anything when it is half the repository (`src/`): skip it then.
        module = idx.anchored_under(parent, limit=MODULE_LIMIT + 1)
        if len(module) <= MODULE_LIMIT:
            for doc in module:
                consider(doc)
    buffers = getattr(target, "buffers", None) or {}
    text = buffers.get(rel)  # an unsaved editor buffer wins over the file on disk
    if text is None:
        text = read_regular_text(ws.root, rel, ws.config.max_file_bytes)  # never through a symlink
    if text and line is not None:
        here = enclosing_definition(text, line)
        if here and len(here) >= 4:
            for score, doc in idx.mentioning([here]):
                cand = consider(doc)
                if score > 0 and cand.tier < SYMBOL_HERE:
                    cand.tier, cand.reason = SYMBOL_HERE, f"mentions {here}"
    mentions = idx.mentioning(mention_words(rel, text))
    if mentions:
        top = mentions[0][0] or 1.0
        for score, doc in mentions:
            consider(doc).mention = score / top
    if query and query.strip():
        from cairn.index import QueryError

        try:
            relevant = idx.relevant(query_text(query))
        except QueryError:
            relevant = idx.relevant(" ".join(w for w in query_text(query).split() if ":" not in w) or "_")
        if relevant:
            top = relevant[0][0] or 1.0
            for score, doc in relevant:
                consider(doc).relevance = score / top

    lives = half_lives(ws)
    asked = terms(query_text(query)) if query and query.strip() else frozenset()
    # A title that holds the query's words matched the query: only those candidates need analysing.
    in_title = {c.doc.id: title_hit(asked, c.doc.title) for c in candidates.values() if c.relevance > 0}

    def optimistic(cand: Candidate) -> tuple[float, float, float]:
        kind = ws.config.kind(cand.doc.kind)
        ttl = kind.ttl if kind else None
        expires = cand.doc.reviewed + ttl if (cand.doc.reviewed and ttl) else None
        _, factor = decay(cand.doc.kind, cand.doc.reviewed, expires, when, lives)
        score = cand.base() * factor * STATUS_FACTOR.get(cand.doc.status, 1.0)
        return rank_key(cand.tier, in_title.get(cand.doc.id, 0.0), score)

    def descending(key: tuple[float, float, float]) -> tuple[float, float, float]:
        return -key[0], -key[1], -key[2]

    queue = sorted((c for c in candidates.values() if c.base() > 0),
                   key=lambda c: (descending(optimistic(c)), c.doc.id))
    # How many notes could fill the budget, from their sizes (about 4 characters a token, plus ~40
    # tokens of title, freshness and anchor lines): judging stops once those are settled.
    wanted, room = 0, budget
    for cand in queue[:max_notes]:
        wanted += 1
        room -= 40 + cand.doc.body_chars // 4
        if room <= 0:
            break
    wanted = max(1, wanted)
    assessor = Assessor(ws, target, checker)
    from cairn.recall.provenance import UNREVIEWED_AGENT_FACTOR, Provenance, unreviewed_agent

    refs = None
    if assessor.owns_checker and assessor.head is not None:
        # The checker made for this recall just asked git for HEAD: provenance reuses it (one git call fewer).
        from cairn.gitio.authorship import head_and_default_branch

        try:
            refs = head_and_default_branch(ws.root, assessor.head)
        except Exception:  # provenance is best effort (Provenance asks again, and copes)
            refs = None
    provenance = Provenance(ws, refs)
    judged: list[tuple[tuple[float, float, float], PackNote]] = []
    try:
        pos = 0
        while pos < len(queue):
            # The first batch is what could fill the budget (plus two in case some turn out stale or
            # invalid); later batches only settle the tail.
            batch = queue[pos:pos + (wanted + 2 if pos == 0 else BATCH)]
            pos += len(batch)
            notes = [n for n in (idx.note(c.doc.id) for c in batch) if n is not None]
            fresh = assessor.assess(notes, when)
            by_id = {n.id: n for n in notes}
            for cand in batch:
                note, info = by_id.get(cand.doc.id), fresh.get(cand.doc.id)
                if note is None or info is None:
                    continue  # invalid note: `cairn check` reports it; never shown as knowledge
                places = [a.current or _recorded(a.label) for a in info.anchors]
                tier, reason = line_tier(places, rel, line)
                if tier > cand.tier or cand.tier != SYMBOL_HERE:
                    cand.tier, cand.reason = tier, reason
                if cand.base() <= 0:
                    continue
                score = cand.base() * info.factor
                if unreviewed_agent(note.meta):
                    score *= UNREVIEWED_AGENT_FACTOR  # below reviewed notes of its tier
                labels = [a.where or a.label for a in info.anchors]
                judged.append((rank_key(cand.tier, in_title.get(cand.doc.id, 0.0), score), PackNote(
                    id=note.id, path=note.rel_path, title=note.title, kind=note.kind, state=info.state,
                    freshness=info.line, anchors=labels, body=sanitize_body(note.body, heading_level), score=score,
                    status=note.status, provenance=provenance.line(note),
                )))
            judged.sort(key=lambda item: (descending(item[0]), item[1].id))
            if pos < len(queue) and len(judged) >= wanted and judged[wanted - 1][0] >= optimistic(queue[pos]):
                break
    finally:
        assessor.close()
    ranked = [note for _, note in judged[:max_notes]]
    pack = Pack(repository=ws.root.name, head=assessor.head, file=rel, line=line, budget=budget,
                query=query.strip() if query and query.strip() else None, heading_level=heading_level)
    return render(pack, ranked)


def _moved_here(ws: Workspace, rel: str) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """Notes whose anchored code moved into `rel` (renamed file), with the current places of their moved
    anchors, while their recorded lines stay as they were: the git hooks' sync keeps where moved anchors
    are now under the git dir (`cairn.sync.moved_locations`)."""
    from cairn.sync import moved_locations

    return sorted((note_id, places) for note_id, places in moved_locations(ws).items()
                  if any(p[0] == rel for p in places))


def _recorded(label: str) -> tuple[str, int, int]:
    path, _, lines = label.rpartition(":")
    start, _, end = lines.partition("-")
    return path, int(start), int(end or start)


def search(ws: Workspace, query: str, limit: int = 10, *, index: NoteIndex | None = None, target: Any = None,
           checker: Any = None, notice: Notice | None = None) -> list[Hit]:
    """Search hits with their freshness state (fresh/stale/expired, invalid when the note does not parse)."""
    from cairn.recall.freshness import Assessor
    from cairn.timeutil import now_utc

    idx = _open(ws, index, notice)
    hits = idx.search(query, limit)
    if not hits:
        return hits
    notes = [n for n in (idx.note(h.id) for h in hits) if n is not None]
    assessor = Assessor(ws, target, checker)
    try:
        states = assessor.assess(notes, now_utc())
    finally:
        assessor.close()
    return [replace(h, state=states[h.id].state if h.id in states else "invalid") for h in hits]


__all__ = ["Pack", "PackNote", "count_tokens", "recall", "search"]
