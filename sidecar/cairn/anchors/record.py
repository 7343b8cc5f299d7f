"""Recording an anchor: where it is, at which commit, and a compact fingerprint of its content.

The anchored text is read from the working tree (so lines with uncommitted edits can be anchored);
the fingerprint (see fingerprint.py) is what lets the engine judge the anchor later even if the
recorded commit never contained that text, or no longer exists.
"""

from __future__ import annotations

from typing import Any

from cairn.anchors.fingerprint import Fingerprint
from cairn.anchors.text import decode, is_binary, split_lines
from cairn.errors import CairnError, UsageError
from cairn.gitio import blob_id, open_repo
from cairn.gitio.files import read_regular, stat_regular
from cairn.workspace import Workspace


def head_commit(ws: Workspace) -> str | None:
    """HEAD's sha, or None without git or without commits."""
    if ws.git_dir is None:
        return None
    try:
        return open_repo(ws.root).head()
    except CairnError:
        return None


def fingerprint_lines(lines: list[str], start: int, end: int, data: bytes | None) -> dict[str, str]:
    return Fingerprint.of(lines, start, end, blob_id(data) if data is not None else None).to_data()


def anchor_mapping(path: str, start: int, end: int, commit: str | None, lines: list[str],
                   data: bytes | None) -> dict[str, Any]:
    """The frontmatter mapping of an anchor over `lines` (the file's content as `data`)."""
    out: dict[str, Any] = {"path": path, "lines": f"{start}-{end}"}
    if commit:
        out["commit"] = commit
    out.update(fingerprint_lines(lines, start, end, data))
    return out


def record_anchor(ws: Workspace, path: str, start: int, end: int, text: str | None = None) -> dict[str, Any]:
    """The anchor mapping for lines `start..end` (1-based inclusive) of `path`, recorded at HEAD.

    `text` (e.g. an unsaved editor buffer) replaces the file's content on disk. Raises CairnError
    (one line) when the path leaves the repository, the file does not exist or is binary, or the
    range is not inside the file.
    """
    rel = ws.check_repo_path(path)
    label = f"{rel}:{start}-{end}"
    if not isinstance(start, int) or not isinstance(end, int) or start < 1 or end < start:
        raise UsageError(f"anchor {label}: lines must be START-END with 1 <= START <= END")
    if text is None:
        file = ws.root / rel
        if file.is_symlink():
            raise UsageError(f"anchor {label}: a symlink; anchors need a regular file in the repository")
        if not file.is_file():
            raise UsageError(f"anchor {label}: no such file")
        st = stat_regular(ws.root, rel)
        if st is not None and st.st_size > ws.config.max_file_bytes:
            raise UsageError(f"anchor {label}: the file is larger than the {ws.config.max_file_bytes} byte limit "
                             "([anchors] max_file_size)")
        found = read_regular(ws.root, rel)
        if found is None:
            raise CairnError(f"anchor {label}: cannot read it as a regular file inside the repository")
        data = found
    else:
        data = text.encode("utf-8", "surrogateescape")
    if is_binary(data):
        raise UsageError(f"anchor {label}: binary file; anchors need text")
    lines = split_lines(decode(data))
    if end > len(lines):
        raise UsageError(f"anchor {label}: the file has only {len(lines)} lines")
    return anchor_mapping(rel, start, end, head_commit(ws), lines, data)
