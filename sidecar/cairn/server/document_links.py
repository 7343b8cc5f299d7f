"""Document links in note files: each anchor's `path:` and `lines:` values open the code at its lines.

The target is where the code is now (the published current range, following moves), as a `file:` URI
with a `#L<line>` fragment. Paths come from a note, so they go through `Workspace.check_repo_path`:
a note cannot link outside its repository.
"""

from __future__ import annotations

import re

from lsprotocol import types

from cairn.errors import CairnError
from cairn.gitio.files import read_regular_text
from cairn.server.convert import columns, path_to_uri
from cairn.server.state import ServerState
from cairn.textlines import split_lines

_PATH = re.compile(r"^(\s*-?\s*path\s*:\s*)(['\"]?)(.*?)\2\s*(#.*)?$")
_LINES = re.compile(r"^(\s*-?\s*lines\s*:\s*)(['\"]?)(.*?)\2\s*(#.*)?$")


def _value_range(line_no: int, line: str, match: re.Match[str], encoding: str) -> types.Range:
    start = columns(line[: match.start(3)], encoding)
    end = start + columns(match.group(3), encoding)
    return types.Range(start=types.Position(line=line_no, character=start),
                       end=types.Position(line=line_no, character=end))


async def document_links(state: ServerState, params: types.DocumentLinkParams) -> list[types.DocumentLink] | None:
    uri = params.text_document.uri
    got = await state.note_file_view(uri)
    if got is None:
        return None
    ref, view = got
    note = view.note
    if note is None:
        return []
    doc = state.document(uri)
    if doc is not None:
        lines = split_lines(doc[1])
    else:
        text = read_regular_text(ref.session.ws.root, ref.path)  # never through a symlink
        if text is None:
            return []
        lines = split_lines(text)
    session = ref.session
    caps = state.server.client_capabilities.text_document
    tooltips = bool(caps and caps.document_link and caps.document_link.tooltip_support)
    snap_view = session.published.notes.get(note.id)
    out: list[types.DocumentLink] = []
    for index, anchor in enumerate(note.anchors):
        try:
            session.ws.check_repo_path(anchor.path)
        except CairnError:
            continue
        path, start = anchor.path, anchor.start
        if snap_view is not None and snap_view.note.version == note.version and index < len(snap_view.anchors):
            shown = snap_view.anchors[index].shown
            path, start = shown[0], shown[1]
        target = f"{path_to_uri(session.root / path)}#L{start}"
        tooltip = f"Open {path} at line {start}"
        first = max(0, anchor.line - 1)
        last = max(first, anchor.lines_line - 1, first + 4)
        for line_no in range(first, min(last + 1, len(lines))):
            text = lines[line_no]
            if line_no > first and text.lstrip().startswith("- "):
                break  # the next anchor item
            for pattern in (_PATH, _LINES):  # columns in the negotiated position encoding
                match = pattern.match(text)
                if match and match.group(3):
                    rng = _value_range(line_no, text, match, state.encoding)
                    out.append(types.DocumentLink(range=rng, target=target, tooltip=tooltip if tooltips else None))
    return out
