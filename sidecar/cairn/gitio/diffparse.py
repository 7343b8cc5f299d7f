"""One parser for git's unified-diff text, shared by `git diff` (ranges.py) and `git log -p` (repo.py).

Both read the same per-file layout: a `diff --git a/X b/Y` line, extended header lines (`rename from`,
`rename to`, `new file mode`, `deleted file mode`, `--- `, `+++ `, `Binary files ... differ`), then
hunks, each an `@@ -a,b +c,d @@` line followed by body lines (` `, `-`, `+` or `\\` first).

The anchor engine's history walk parses large logs, so this works on bytes and does not split the whole
text into lines: it finds file starts (`\\ndiff --git `) and hunk headers (`\\n@@ `) with `bytes.find`
and only splits the few header lines of each file. Hunk bodies are only looked at when the caller keeps
their text (`git diff` for `cairn affected` / `cairn review`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

_DIFF = b"diff --git "
_NL_DIFF = b"\ndiff --git "
_NL_HUNK = b"\n@@ "
_BODY = (b" ", b"-", b"+", b"\\")


class DiffFile(Protocol):
    """What the parser fills in: the file types of ranges.py (FileDiff) and repo.py (FileChange)."""

    old_path: str | None
    new_path: str | None
    binary: bool
    hunks: list[Any]


F = TypeVar("F", bound=DiffFile)


def unquote(path: bytes) -> str:
    """A path as git prints it in diff headers: C-quoted (`"a/t\\303\\244b"`) when unusual, else raw."""
    text = path.decode("utf-8", "surrogateescape")
    if text.startswith('"') and text.endswith('"'):
        raw = text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
        text = raw.encode("latin-1", "surrogateescape").decode("utf-8", "surrogateescape")
    return text


def parse_hunk_header(line: bytes) -> tuple[int, int, int, int] | None:
    """`@@ -a[,b] +c[,d] @@ ...` → (a, b, c, d), a missing length being 1; None when malformed."""
    try:
        _, old, new, *_ = line.split(b" ", 3)
        os_, _, ol = old[1:].partition(b",")
        ns, _, nl = new[1:].partition(b",")
        return int(os_), int(ol) if ol else 1, int(ns), int(nl) if nl else 1
    except ValueError:
        return None


def diff_start(data: bytes, pos: int = 0) -> int:
    """Offset of the first `diff --git ` line at or after `pos` (a line start), or -1 when there is none."""
    if data.startswith(_DIFF, pos):
        return pos
    found = data.find(_NL_DIFF, pos)
    return found + 1 if found >= 0 else -1


def header_paths(line: bytes) -> tuple[str | None, str | None]:
    """Fallback (old, new) names from a `diff --git a/X b/Y` line; refined by the extended header."""
    body = line[len(_DIFF):]
    mid = body.find(b" b/")
    if body.startswith(b"a/") and mid > 0:
        return unquote(body[2:mid]), unquote(body[mid + 3:])
    return None, None


def header_line(current: DiffFile, line: bytes) -> None:
    """Apply one extended-header line of a file's diff to it; any other line is ignored."""
    if line.startswith((b"--- ", b"+++ ")):
        # git ends a name containing a space with a TAB on these lines (quoted or not); a name that
        # really ends in a TAB is always quoted, so dropping one trailing TAB is safe.
        name = line[4:].removesuffix(b"\t")
        path = None if name == b"/dev/null" else unquote(name).removeprefix("b/" if line[0] == 43 else "a/")
        if line[0] == 43:  # "+"
            current.new_path = path
        else:
            current.old_path = path
    elif line.startswith(b"rename from "):
        current.old_path = unquote(line[len(b"rename from "):])
    elif line.startswith(b"rename to "):
        current.new_path = unquote(line[len(b"rename to "):])
    elif line.startswith(b"new file mode"):
        current.old_path = None
    elif line.startswith(b"deleted file mode"):
        current.new_path = None
    elif line.startswith(b"Binary files"):
        current.binary = True
    if line.endswith(b" 120000") and line.startswith((b"new file mode", b"deleted file mode", b"new mode",
                                                       b"old mode", b"index ")):
        # A symlink: its "lines" are a link target, never file content; it has no lines, like a binary.
        current.binary = True


def parse_files(data: bytes, new_file: Callable[[str | None, str | None], F], new_hunk: Callable[..., Any],
                keep_text: bool = False, start: int = 0) -> list[F]:
    """The files of the diff text in `data` from `start` on (text before the first `diff --git ` is skipped).

    `new_file(old_path, new_path)` makes a file (names from its `diff --git` line); each parsable hunk
    header appends `new_hunk(old_start, old_len, new_start, new_len)` to its `hunks`.

    With `keep_text` (git diff), hunks are made as `new_hunk(..., header_text)` and get their body lines
    appended to `.lines` (decoded); a line that is not a body line ends the hunk and is read as a header
    line again, as is every line after a malformed hunk header. Without it (git log -p), everything
    after a file's first hunk header but later hunk headers is skipped.
    """
    files: list[F] = []
    n = len(data)
    pos = diff_start(data, start)
    find = data.find
    while pos >= 0:
        eol = find(b"\n", pos)
        if eol < 0:
            eol = n
        current = new_file(*header_paths(data[pos:eol]))
        files.append(current)
        nxt = find(_NL_DIFF, eol)
        end = n if nxt < 0 else nxt  # this file's text ends before `end` (its newline, if any)
        pos = -1 if nxt < 0 else nxt + 1
        first = find(_NL_HUNK, eol, end)
        for line in data[eol + 1:end if first < 0 else first].split(b"\n"):
            header_line(current, line)
        if current.binary:
            first = -1
        hunks = current.hunks
        while first >= 0:
            head = first + 1
            eol = find(b"\n", head, end)
            if eol < 0:
                eol = end
            first = find(_NL_HUNK, eol, end)
            line = data[head:eol]
            numbers = parse_hunk_header(line)
            if not keep_text:
                if numbers is not None:
                    hunks.append(new_hunk(*numbers))
                continue
            body = data[eol + 1:end if first < 0 else first].split(b"\n")
            rest = 0
            if numbers is not None:
                hunk = new_hunk(*numbers, line.decode("utf-8", "replace"))
                hunks.append(hunk)
                text = hunk.lines
                for raw in body:
                    if raw[:1] not in _BODY:
                        break
                    text.append(raw.decode("utf-8", "replace"))
                    rest += 1
            for raw in body[rest:]:
                header_line(current, raw)
    return files


__all__ = ["DiffFile", "diff_start", "header_line", "header_paths", "parse_files", "parse_hunk_header", "unquote"]
