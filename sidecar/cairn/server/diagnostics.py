"""Diagnostics (source `cairn`): stale and expired notes in code, problems in note files.

Pushed (textDocument/publishDiagnostics) for open documents from their buffers, and for the workspace
from the session's published state: a file with a stale anchor shows up in the Problems panel without being
opened. Codes and `data` follow docs/ARCHITECTURE.md: `stale | expired | invalid | broken-anchor`,
`data: {noteId, notePath}`, related information pointing at the note file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import quote

from lsprotocol import types

from cairn.gitio.files import read_regular_text
from cairn.notes.files import note_id_for
from cairn.server.convert import line_range, path_to_uri
from cairn.server.session import Session
from cairn.server.state import ServerState
from cairn.server.views import AnchorView, FileView, NoteFileView, NoteView, PublishedState
from cairn.textlines import split_lines

SOURCE = "cairn"


def _note_location(session: Session, view: NoteView) -> types.Location:
    line = max(0, view.note.line_of("title") - 1)
    pos = types.Position(line=line, character=0)
    return types.Location(uri=path_to_uri(session.root / view.note.rel_path), range=types.Range(start=pos, end=pos))


def anchor_diagnostic(session: Session, view: NoteView, anchor: AnchorView,
                      lines: Sequence[str] | None, encoding: str) -> types.Diagnostic | None:
    """The diagnostic of one anchor shown in a code file, or None when its note is fresh."""
    title = " ".join(view.note.title.split())
    if anchor.stale:
        message = f"note stale: {anchor.message or 'anchored lines changed'} — {title}"
        severity, code = types.DiagnosticSeverity.Warning, "stale"
    elif view.state == "expired":
        message = f"note expired: {view.age or 'not reviewed within its ttl'} — {title}"
        severity, code = types.DiagnosticSeverity.Information, "expired"
    else:
        return None
    return types.Diagnostic(
        range=line_range(lines, anchor.shown[1], anchor.shown[2], encoding),
        message=message,
        severity=severity,
        source=SOURCE,
        code=code,
        data={"noteId": view.id, "notePath": view.note.rel_path, "version": view.note.version},
        related_information=[types.DiagnosticRelatedInformation(
            location=_note_location(session, view), message=f"{view.note.kind}: {title}")],
    )


def code_diagnostics(session: Session, view: FileView, lines: Sequence[str] | None,
                     encoding: str) -> list[types.Diagnostic]:
    out = []
    seen: set[tuple[str, int]] = set()
    for anchor in view.anchors:
        note = view.notes.get(anchor.note_id)
        if note is None or (note.id, anchor.index) in seen:
            continue
        seen.add((note.id, anchor.index))
        diag = anchor_diagnostic(session, note, anchor, lines, encoding)
        if diag is not None:
            out.append(diag)
    return out


def note_diagnostics(session: Session, view: NoteFileView, lines: Sequence[str] | None,
                     encoding: str) -> list[types.Diagnostic]:
    out = []
    note_id = view.note.id if view.note else (view.errors[0].note_id if view.errors else None)
    data = {"noteId": note_id, "notePath": view.path}
    for error in view.errors:
        out.append(types.Diagnostic(range=line_range(lines, error.line, error.line, encoding), message=error.message,
                                    severity=types.DiagnosticSeverity.Error, source=SOURCE, code="invalid",
                                    data=data))
    for line, message in view.broken:
        out.append(types.Diagnostic(range=line_range(lines, line, line, encoding), message=message,
                                    severity=types.DiagnosticSeverity.Error, source=SOURCE,
                                    code="broken-anchor", data=data))
    return out


def _signature(diagnostics: list[types.Diagnostic]) -> tuple[tuple[object, ...], ...]:
    return tuple((d.range.start.line, d.range.end.line, d.range.end.character, d.message, d.code, d.severity,
                  repr(d.data)) for d in diagnostics)


def _publish(state: ServerState, uri: str, diagnostics: list[types.Diagnostic], version: int | None = None) -> None:
    """Send diagnostics unless the client already has exactly these (a checkout republishes little)."""
    signature = _signature(diagnostics)
    if state.published.get(uri) == signature:
        return
    state.published[uri] = signature
    state.server.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version))


def publish_first(state: ServerState, uri: str, diagnostics: list[types.Diagnostic], version: int | None) -> None:
    """Diagnostics of an open document computed by the start-up's first phase (`Session.first_views`)."""
    _publish(state, uri, diagnostics, version)


async def publish_document(state: ServerState, uri: str) -> None:
    """Diagnostics of one open document, judged on its buffer."""
    doc = state.document(uri)
    ref = state.resolve(uri, quiet=True)
    if ref is None:
        return
    lines = split_lines(doc[1]) if doc else None
    version = doc[0] if doc else None
    if ref.is_note:
        got_note = await state.note_file_view(uri)
        if got_note is not None:
            _publish(state, uri, note_diagnostics(ref.session, got_note[1], lines, state.encoding), version)
        return
    got = await state.file_view(uri, quiet=True)
    if got is None:
        _publish(state, uri, [], version)
        return
    current = state.document(uri)
    if doc is not None and (current is None or current[0] != version):
        return  # a newer edit is on its way; its own run will publish
    _publish(state, uri, code_diagnostics(ref.session, got[1], lines, state.encoding), version)


def _read_lines(root: Path, rel: str) -> list[str] | None:
    """A file's lines (up to 2 MB), never through a symlink (cairn.gitio.files)."""
    text = read_regular_text(root, rel, 2 * 1024 * 1024)
    return None if text is None else split_lines(text)


def workspace_diagnostics(session: Session, snap: PublishedState, skip: Iterable[str], code_paths: set[str] | None,
                          note_paths: set[str] | None, encoding: str) -> dict[str, list[types.Diagnostic]]:
    """Diagnostics of files that are not open (runs on the engine thread).

    `code_paths`/`note_paths`: only those files (what changed since the last publish); None: every file
    that has something to show. Files listed with an empty list are to be cleared.
    """
    open_uris = set(skip)
    root_uri = path_to_uri(session.root)
    out: dict[str, list[types.Diagnostic]] = {}

    def uri_of(rel: str) -> str:
        return f"{root_uri}/{quote(rel)}"

    for rel in snap.flagged_paths() if code_paths is None else code_paths:
        uri = uri_of(rel)
        if uri in open_uris:
            continue
        interesting = [a for a in snap.by_path.get(rel, ())
                       if a.note_id in snap.notes and (a.stale or snap.notes[a.note_id].state == "expired")]
        if not interesting:
            out[uri] = []
            continue
        view = FileView(rel, tuple(interesting), snap.notes, snap.generation)
        out[uri] = code_diagnostics(session, view, None, encoding)
    by_file: dict[str, list[tuple[int, str]]] = {}
    for error in snap.errors:
        if note_paths is None or error.path in note_paths:
            by_file.setdefault(error.path, []).append((error.line, error.message))
    for rel, problems in by_file.items():
        uri = uri_of(rel)
        if uri in open_uris:
            continue
        lines = _read_lines(session.root, rel)
        note_id = note_id_for(rel.removeprefix(session.ws.notes_root_rel + "/")) or rel
        out[uri] = [types.Diagnostic(range=line_range(lines, line, line, encoding), message=message,
                                     severity=types.DiagnosticSeverity.Error, source=SOURCE, code="invalid",
                                     data={"noteId": note_id, "notePath": rel}) for line, message in problems]
    if note_paths is None:
        candidates = [v for v in snap.notes.values() if v.state == "stale"]
    else:
        candidates = [v for v in snap.notes.values() if v.note.rel_path in note_paths] if note_paths else []
        for rel in note_paths:
            out.setdefault(uri_of(rel), [])
    for note_view in candidates:
        broken = [a for a in note_view.anchors if a.status == "deleted"]
        note = note_view.note
        uri = uri_of(note.rel_path)
        if not broken or uri in open_uris:
            continue
        lines = _read_lines(session.root, note.rel_path)
        out.setdefault(uri, []).extend(
            types.Diagnostic(range=line_range(lines, note.anchors[a.index].line, note.anchors[a.index].line, encoding),
                             message=f"broken anchor {note.anchors[a.index].label()}: "
                                     f"{a.message or 'the anchored code no longer exists'}",
                             severity=types.DiagnosticSeverity.Error, source=SOURCE, code="broken-anchor",
                             data={"noteId": note_view.id, "notePath": note.rel_path})
            for a in broken)
    for uri in open_uris:
        out.pop(uri, None)
    return out


async def publish_all(state: ServerState, session: Session) -> None:
    """Republish what changed in one workspace: open documents from buffers, the rest from the published state."""
    code_paths, note_paths = session.take_affected()
    snap = session.published
    open_uris = []
    for uri in state.open_uris():
        ref = state.resolve(uri, quiet=True)
        if ref is None or ref.session is not session:
            continue
        open_uris.append(uri)
        touched = code_paths if not ref.is_note else note_paths
        if touched is None or ref.rel in touched:
            await publish_document(state, uri)
        else:
            state.carry_forward(uri, snap.generation)  # nothing it shows changed: keep its cached view
    if not state.options.workspace_diagnostics:
        return  # the client asked for diagnostics of open documents only
    found = await state.run(workspace_diagnostics, session, snap, open_uris, code_paths, note_paths,
                            state.encoding)
    for uri, diags in found.items():
        if diags or uri in state.published:
            _publish(state, uri, diags)
    if code_paths is None:
        root_prefix = path_to_uri(session.root) + "/"
        for uri, signature in list(state.published.items()):
            if signature and uri.startswith(root_prefix) and uri not in found and uri not in open_uris:
                _publish(state, uri, [])
