"""The note store: every note under the notes root, read tolerantly and written safely.

Reads never fail as a whole: each broken file becomes a `NoteError` and the rest load. Writes are
atomic (temporary file + rename in the same folder) and conditional: a writer names the version it read
and loses with a `ConflictError` carrying both texts if the file changed meanwhile. A lock file in the
workspace cache serialises the check-and-rename across processes and threads, so two writers can never
both pass the check and silently overwrite each other.
"""

from __future__ import annotations

import contextlib
import copy
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cairn.atomicfile import atomic_create, atomic_write
from cairn.errors import CairnError, ConflictError, NotFoundError, UsageError
from cairn.filelock import exclusive_lock
from cairn.gitio.files import read_regular, safe_dir
from cairn.notes.document import content_version, parse_note, render
from cairn.notes.files import NOTE_SUFFIX, SKIPPED_FILES, IdClaims, NoteFile, note_id_for, scan
from cairn.notes.index_json import update_index_json
from cairn.notes.model import Note, NoteError, kind_folder
from cairn.timeutil import format_timestamp, now_utc
from cairn.workspace import Workspace

# atomic_write/atomic_create are re-exported for the modules that import them from here.
__all__ = ["NOTE_SUFFIX", "SKIPPED_FILES", "LoadResult", "NoteStore", "atomic_create", "atomic_write", "slugify"]

MetaChange = Callable[[dict[str, Any], str], tuple[dict[str, Any], str]]


@dataclass(frozen=True)
class LoadResult:
    """All notes of a workspace: the valid ones and one error per problem in the others."""

    notes: list[Note]
    errors: list[NoteError]

    def by_id(self) -> dict[str, Note]:
        return {note.id: note for note in self.notes}


def slugify(title: str, limit: int = 60) -> str:
    """A file-name-safe slug of a title: lowercase ASCII words joined by dashes."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    words = re.findall(r"[a-z0-9]+", text)
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            break
        slug = candidate
    return slug or "note"


def _under(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


class NoteStore:
    """Reads and writes the notes of one workspace."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    # ---- paths -------------------------------------------------------------------------------
    @property
    def root(self) -> Path:
        return self.ws.notes_root

    def note_id(self, path: Path) -> str:
        rel = path.relative_to(self.root).as_posix()
        return rel[: -len(NOTE_SUFFIX)] if rel.endswith(NOTE_SUFFIX) else rel

    def rel_path(self, path: Path) -> str:
        return path.relative_to(self.ws.root).as_posix()

    def path_of(self, note_id: str) -> Path:
        """The file of a note id; refuses ids that would leave the notes root."""
        text = note_id.strip().replace("\\", "/")
        if text.endswith(NOTE_SUFFIX):
            text = text[: -len(NOTE_SUFFIX)]
        prefix = self.ws.notes_root_rel + "/"
        if text.startswith(prefix):
            text = text[len(prefix):]
        parts = [p for p in text.split("/") if p not in ("", ".")]
        if not parts or ".." in parts or text.startswith("/"):
            raise UsageError(f"{note_id!r} is not a note id (e.g. decisions/use-jwt)")
        path = self.root.joinpath(*parts).with_name(parts[-1] + NOTE_SUFFIX)
        try:
            path.resolve().relative_to(self.root.resolve())
        except ValueError:
            raise UsageError(f"{note_id!r} leads outside the notes folder") from None
        return path

    def is_note_file(self, path: Path) -> bool:
        """Whether `path` is (or would be) a note file of this workspace (rules: `cairn.notes.files`)."""
        try:
            rel = path.resolve().relative_to(self.root.resolve())
        except ValueError:
            return False
        return path.suffix == NOTE_SUFFIX and note_id_for(rel.as_posix()) is not None

    def note_files(self) -> list[Path]:
        """Every note file, in path order (one `cairn.notes.files.scan` of the notes root)."""
        return [Path(found.path) for found in scan(self.root)]

    def write_target(self, path: Path) -> Path:
        """`path` if Cairn may write a note there: a non-symlink under a notes folder reached without symlinks.

        Raises UsageError (one line) otherwise; nothing is written.
        """
        root = self.root  # raises when the notes root itself is unsafe
        if path.is_symlink():
            raise UsageError(f"{self.rel_path(path)} is a symlink; refusing to write through it")
        if not safe_dir(self.ws.root, path.parent) or not _under(path, root):
            raise UsageError(f"{self.rel_path(path)}: its folder is a symlink or outside the notes folder; "
                             "refusing to write there")
        return path

    # ---- reading -----------------------------------------------------------------------------
    def parse_text(self, path: Path, data: bytes, memo: dict[str, str | None] | None = None,
                   ids: tuple[str, str] | None = None) -> Note | list[NoteError]:
        """Parse one note file's bytes (also used for unsaved editor buffers).

        `memo` shares the anchor-path checks of one load; `ids` is (repository-relative path, note id)
        when the caller already knows them (the scan of the notes root does).
        """
        rel, note_id = ids if ids is not None else (self.rel_path(path), self.note_id(path))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return [NoteError(rel, 1, f"not valid UTF-8 (byte {exc.start})", note_id)]
        result = parse_note(text, rel, note_id, self.ws.config, content_version(data))
        if isinstance(result, Note):
            problems = self.check_anchor_paths(result, memo)
            if problems:
                return problems
        return result

    def check_anchor_paths(self, note: Note, memo: dict[str, str | None] | None = None) -> list[NoteError]:
        errors = []
        for anchor in note.anchors:
            problem = memo.get(anchor.path, "") if memo is not None else ""
            if problem == "":
                try:
                    self.ws.check_repo_path(anchor.path)
                    problem = None
                except CairnError as exc:
                    problem = exc.message
                if memo is not None:
                    memo[anchor.path] = problem
            if problem is not None:
                errors.append(NoteError(note.rel_path, anchor.line, f"anchor {problem}", note.id))
        return errors

    def read_file(self, path: Path, memo: dict[str, str | None] | None = None,
                  ids: tuple[str, str] | None = None) -> Note | list[NoteError]:
        # Never through a symlink, never outside the repository (the relative path skips a Path round trip).
        data = read_regular(self.ws.root, ids[0] if ids is not None else path)
        if data is None:
            why = "a symlink (never followed)" if path.is_symlink() else "not a readable regular file"
            rel, note_id = ids if ids is not None else (self.rel_path(path), self.note_id(path))
            return [NoteError(rel, 1, f"cannot read: {why}", note_id)]
        return self.parse_text(path, data, memo, ids)

    def load(self, files: Sequence[NoteFile] | None = None) -> LoadResult:
        """Every note under the notes root; invalid ones become errors, never exceptions.

        One scan of the notes root names the files with their stat data (the parse cache's key) and
        ids (`files`: a scan the caller already made); anchor paths are checked once per path per load,
        whether the note was parsed or cached.
        """
        from cairn.notes.parse_cache import ParseCache

        notes: list[Note] = []
        errors: list[NoteError] = []
        claims = IdClaims()
        checked: dict[str, str | None] = {}  # anchor path -> problem (None: fine), once per load
        cache = ParseCache(self.ws.cache_dir() if self.ws.git_dir is not None else None,
                           f"{self.ws.root}\0{self.ws.config!r}")
        prefix = self.rel_path(self.root) + "/"
        for found in scan(self.root) if files is None else files:
            rel = prefix + found.rel
            result = cache.get_signed(rel, found.size, found.mtime_ns, found.ino)
            if isinstance(result, Note):
                # The cache is keyed on the note file; its anchored files may have changed since (an
                # anchored file swapped for a symlink out of the repository): check their paths again.
                problems = self.check_anchor_paths(result, checked)
                if problems:
                    result = problems
            if result is None:
                result = self.read_file(Path(found.path), checked, (rel, found.id))
                cache.put_signed(rel, found.size, found.mtime_ns, found.ino, result)
            duplicate = claims.claim(found.id, rel)
            if duplicate is not None:
                errors.append(duplicate)
                continue
            if isinstance(result, Note):
                notes.append(result)
            else:
                errors.extend(result)
        cache.save()
        return LoadResult(notes, errors)

    def get(self, note_id: str) -> Note:
        """One valid note by id; raises NotFoundError or CairnError (invalid, with its first problem)."""
        path = self.path_of(note_id)
        if not path.is_file() or path.is_symlink():
            raise NotFoundError(f"no note {note_id!r} (looked for {self.rel_path(path)})")
        result = self.read_file(path)
        if isinstance(result, list):
            first = result[0]
            raise CairnError(first.message, path=first.path, line=first.line)
        return result

    # ---- writing -----------------------------------------------------------------------------
    def _locked(self) -> contextlib.AbstractContextManager[None]:
        return exclusive_lock(self.ws.cache_dir() / "notes.lock")

    def _after_write(self, note: Note) -> None:
        update_index_json(self, [note])

    def create(
        self,
        kind: str,
        title: str,
        body: str = "",
        tags: Sequence[str] = (),
        anchors: Sequence[dict[str, Any]] = (),
        extra: dict[str, Any] | None = None,
        note_id: str | None = None,
    ) -> Note:
        """Write a new note; the id is `<kind folder>/<slug of title>`, made unique with a suffix."""
        if kind not in self.ws.config.kinds:
            raise UsageError(f"unknown kind {kind!r} (expected one of: {', '.join(sorted(self.ws.config.kinds))})")
        if not title.strip():
            raise UsageError("a note needs a non-empty title")
        if "\n" in title:
            raise UsageError("the title must be one line")
        stamp = format_timestamp(now_utc())
        meta: dict[str, Any] = {"title": title.strip(), "kind": kind}
        meta["tags"] = sorted({t.strip() for t in tags if t.strip()})
        meta["status"] = "active"
        meta["created"] = stamp
        meta["reviewed"] = stamp
        if anchors:
            meta["anchors"] = [dict(a) for a in anchors]
        for key, value in (extra or {}).items():
            meta.setdefault(key, value)
        text_body = body if body.endswith("\n") or not body else body + "\n"
        text = render(meta, "\n" + text_body if text_body else "")
        with self._locked():
            if note_id is not None:
                path = self.path_of(note_id)
                if path.exists():
                    raise ConflictError(f"note {note_id!r} already exists", self.rel_path(path), None,
                                        None, path.read_text(encoding="utf-8", errors="replace"), text)
            else:
                folder = self.root / kind_folder(kind)
                try:
                    folder.resolve().relative_to(self.root.resolve())
                except ValueError:
                    raise UsageError(f"{self.rel_path(folder)} leads outside the notes folder (a symlink?); "
                                     "refusing to write there") from None
                slug = slugify(title)
                path = folder / f"{slug}{NOTE_SUFFIX}"
                n = 2
                while path.exists():
                    path = folder / f"{slug}-{n}{NOTE_SUFFIX}"
                    n += 1
            result = self.parse_text(path, text.encode("utf-8"))
            if isinstance(result, list):
                raise CairnError(result[0].message, path=result[0].path, line=result[0].line)
            self.write_target(path)
            if not atomic_create(path, text):
                raise ConflictError(f"{self.rel_path(path)} was created by another writer", self.rel_path(path),
                                    None, None, None, text)
            self._after_write(result)
        return result

    def update(self, note_id: str, expected_version: str | None, change: MetaChange, touch: bool = True) -> Note:
        """Apply `change(meta, body) -> (meta, body)` to a note, only if it is still at `expected_version`.

        `expected_version=None` means "whatever is there now" (the check still runs under the lock,
        so the change is applied to the latest text and nothing is lost). Sets `updated` when `touch`.
        Raises ConflictError (nothing written) when the file changed since `expected_version`.
        """
        path = self.write_target(self.path_of(note_id))
        with self._locked():
            found = read_regular(self.ws.root, path)
            if found is None:
                raise NotFoundError(f"no note {note_id!r} (looked for {self.rel_path(path)})") from None
            data = found
            current = data.decode("utf-8", errors="replace")
            current_version = content_version(data)
            if expected_version is not None and expected_version != current_version:
                raise ConflictError(
                    f"note {note_id!r} changed since you read it (you had version {expected_version}, "
                    f"it is now {current_version}); re-read it and apply your change again",
                    self.rel_path(path), expected_version, current_version, current, None,
                )
            parsed = self.parse_text(path, data)
            if isinstance(parsed, list):
                raise CairnError(f"cannot update an invalid note: {parsed[0].message}",
                                 path=parsed[0].path, line=parsed[0].line)
            meta, body = change(copy.deepcopy(parsed.meta), parsed.body)
            if touch and (meta != parsed.meta or body != parsed.body):
                meta["updated"] = format_timestamp(now_utc())
            text = render(meta, body, current)
            result = self.parse_text(path, text.encode("utf-8"))
            if isinstance(result, list):
                raise CairnError(f"refusing to write an invalid note: {result[0].message}",
                                 path=result[0].path, line=result[0].line)
            if text != current:
                atomic_write(path, text)
                self._after_write(result)
        return result

    def set_anchors(self, note_id: str, expected_version: str | None, anchors: Sequence[dict[str, Any]]) -> Note:
        def change(meta: dict[str, Any], body: str) -> tuple[dict[str, Any], str]:
            meta["anchors"] = [dict(a) for a in anchors]
            return meta, body

        return self.update(note_id, expected_version, change)

    def mark_reviewed(self, note_id: str, expected_version: str | None = None) -> Note:
        """Record that someone confirmed the note is still true (sets `reviewed` to now)."""
        def change(meta: dict[str, Any], body: str) -> tuple[dict[str, Any], str]:
            meta["reviewed"] = format_timestamp(now_utc())
            return meta, body

        return self.update(note_id, expected_version, change, touch=False)
