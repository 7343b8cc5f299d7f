"""`NoteIndex`: the Tantivy index of a workspace's notes, kept in step with the notes folder.

Layout under `ws.cache_dir()/index/` (i.e. `.git/cairn/index/`, never in the working tree):

    tantivy/        the Tantivy index
    manifest.json   {"format": N, "notes": {id: [content hash, mtime_ns, size, [anchored paths]]},
                     "code": {anchored path: [mtime_ns, size]}}
    lock            serialises updates across processes (flock)

`refresh()` compares the notes folder with the manifest: a file whose size and mtime are unchanged is
not even read; a changed one is hashed, and only when its content hash differs is it re-indexed (one
delete-by-id and one add). A note is also re-indexed when a file it anchors changed, because the index
holds the identifiers of the anchored code. So editing one note among 10,000 re-indexes one document.

A missing, unreadable, corrupt or old-format index (or one that disagrees with its manifest) is rebuilt
from the notes with a one-line notice; when another process holds the update lock longer than
`lock_timeout`, this one searches what is on disk (or, if that is unusable, an in-memory index built
from the notes) instead of waiting: a search never blocks a command and never crashes on a busy index.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import CairnError
from cairn.gitio.files import read_regular_text
from cairn.index.fields import (
    FORMAT_VERSION,
    STATUS_WEIGHT,
    IndexDoc,
    IndexedAnchor,
    anchored_identifiers,
    headings,
    lean_parse,
)
from cairn.index.query import RAW_FIELD, RAW_TOKENIZER, TOKENIZER, Compiler, QueryError, analyzer, parse
from cairn.limits import search_limit
from cairn.notes.files import NOTE_SUFFIX, NoteFile, note_id_for, scan
from cairn.plural import counted
from cairn.textlines import split_lines

if TYPE_CHECKING:
    from cairn.notes.model import Note
    from cairn.workspace import Workspace

log = logging.getLogger("cairn.index")

MANIFEST = "manifest.json"
JOURNAL = "manifest.journal"  # JSON lines of changed entries, appended after each incremental update
JOURNAL_MAX = 256 * 1024
_WRITER_HEAP = 15_000_000  # an incremental update: a few notes
# A build from nothing: with 15 MB the writer flushed ~20 small segments at 20,000 notes and then spent
# 4 s of CPU merging them; 128 MB holds them in one segment (2.4 s CPU in all, bench/README "monorepo").
# Tantivy takes arena pages as it fills, so a small repository does not pay for the budget.
_BUILD_HEAP = 128_000_000
_SNIPPET_CHARS = 160

Notice = Callable[[str], None]
# Lists the note files as `cairn.notes.files.scan` would, or None to have the index walk (a NotesWatch).
FileLister = Callable[[], Iterable[NoteFile] | None]


@dataclass(frozen=True)
class Hit:
    """One search result. `state` (fresh/stale/expired) is filled by `cairn.recall.search`, which asks
    the anchor engine; the index alone knows the note's `status` (active/superseded/archived)."""

    id: str
    path: str
    title: str
    kind: str
    status: str
    tags: tuple[str, ...]
    anchors: tuple[str, ...]
    score: float
    snippet: str
    state: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "path": self.path, "title": self.title, "kind": self.kind, "status": self.status,
                "state": self.state, "tags": list(self.tags), "anchors": list(self.anchors),
                "score": round(self.score, 4), "snippet": self.snippet}


@dataclass(eq=False)
class RefreshReport:
    """What one `refresh()` did (tests and benchmarks assert on it)."""

    scanned: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rebuilt: str | None = None  # the reason, when the whole index was rebuilt
    mode: str = "disk"  # disk | readonly | memory

    @property
    def reindexed(self) -> list[str]:
        return self.added + self.updated


def _schema(tantivy: Any) -> Any:
    """The index schema. Text fields use `cairn.index.query.analyzer` (registered as TOKENIZER)."""
    b = tantivy.SchemaBuilder()
    b.add_text_field("id", stored=True, tokenizer_name="raw")
    b.add_text_field("meta", stored=True, tokenizer_name="raw", index_option="basic")
    b.add_text_field("title", stored=False, tokenizer_name=TOKENIZER)
    b.add_text_field("tags_text", stored=False, tokenizer_name=TOKENIZER)
    b.add_text_field("body", stored=True, tokenizer_name=TOKENIZER)
    b.add_text_field("ident", stored=False, tokenizer_name=TOKENIZER)
    b.add_text_field("headings", stored=False, tokenizer_name=TOKENIZER)
    b.add_text_field("paths_text", stored=False, tokenizer_name=TOKENIZER)
    b.add_text_field(RAW_FIELD, stored=False, tokenizer_name=RAW_TOKENIZER, index_option="basic")
    b.add_text_field("kind", stored=False, tokenizer_name="raw", index_option="basic")
    b.add_text_field("status", stored=False, tokenizer_name="raw", index_option="basic")
    b.add_text_field("tag", stored=False, tokenizer_name="raw", index_option="basic")
    b.add_text_field("file", stored=False, tokenizer_name="raw", index_option="basic")
    b.add_text_field("dir", stored=False, tokenizer_name="raw", index_option="basic")
    b.add_text_field("ancestor", stored=False, tokenizer_name="raw", index_option="basic")
    b.add_integer_field("reviewed", stored=False, indexed=False, fast=True)
    return b.build()


def _dirname(path: str) -> str:
    head, _, _ = path.rpartition("/")
    return head or "."


def _doc_meta(doc: IndexDoc) -> str:
    return json.dumps({
        "p": doc.rel_path, "t": doc.title, "k": doc.kind, "s": doc.status, "g": list(doc.tags),
        "a": [[a.path, a.start, a.end] for a in doc.anchors],
        "r": doc.reviewed.timestamp() if doc.reviewed else None, "v": doc.version, "b": len(doc.body),
    }, separators=(",", ":"))


def _meta_doc(note_id: str, text: str) -> IndexDoc:
    m = json.loads(text)
    reviewed = datetime.fromtimestamp(m["r"], UTC) if m.get("r") is not None else None
    return IndexDoc(id=note_id, rel_path=m["p"], title=m["t"], kind=m["k"], status=m["s"], tags=tuple(m["g"]),
                    body="", anchors=tuple(IndexedAnchor(p, s, e) for p, s, e in m["a"]), reviewed=reviewed,
                    version=m["v"], body_chars=m.get("b", 0))


def snippet(body: str, words: Iterable[str], limit: int = _SNIPPET_CHARS) -> str:
    """The first body line that holds a query word (else the first line of prose), shortened."""
    lines = [ln.strip() for ln in split_lines(body) if ln.strip() and not ln.strip().startswith("```")]
    keys = [w.lower()[: max(4, len(w) - 2)] for w in words if len(w) >= 2]
    chosen = next((ln for ln in lines if keys and any(k in ln.lower() for k in keys)), None)
    if chosen is None:
        chosen = next((ln for ln in lines if not ln.startswith("#")), lines[0] if lines else "")
    chosen = chosen.lstrip("#>-* ").strip()
    if len(chosen) > limit:
        cut = chosen[:limit].rsplit(" ", 1)[0]
        chosen = (cut if len(cut) > limit // 2 else chosen[:limit]) + "…"
    return chosen


class NoteIndex:
    """One workspace's search index; keep one open across many calls (the server does) and call
    `refresh()` when notes may have changed (cheap when nothing did)."""

    def __init__(self, ws: Workspace, notice: Notice | None = None, lock_timeout: float = 2.0,
                 files: FileLister | None = None) -> None:
        """`files`: where `refresh()` learns which note files exist and their stat (the daemon passes a
        `cairn.notes.watch.NotesWatch`); by default it walks the notes folder each time."""
        import tantivy

        self.ws = ws
        self.t = tantivy
        self.notice: Notice = notice or (lambda msg: log.warning("%s", msg))
        self.lock_timeout = lock_timeout
        self._files = files
        self.dir = ws.cache_dir() / "index"
        self.schema = _schema(tantivy)
        self.compiler = Compiler(tantivy, self.schema, known=self._known)
        self._index: Any = None
        self._manifest: dict[str, Any] = {"format": FORMAT_VERSION, "notes": {}, "code": {}}
        self._manifest_stamp: tuple[int, int, int] | None = None
        self._notes: dict[str, Note] = {}
        self._safe: dict[str, bool] = {}
        self._safe_dirs: dict[str, bool] = {}  # check_repo_path's answers (folders, and files it decided)
        self._root = str(ws.root)
        self._notes_root = str(ws.notes_root)
        self._mutex = threading.RLock()
        self.mode = "closed"

    # ---- paths and files ---------------------------------------------------------------------
    @property
    def tantivy_dir(self) -> Path:
        return self.dir / "tantivy"

    @property
    def manifest_path(self) -> Path:
        return self.dir / MANIFEST

    def _scan_notes(self) -> dict[str, tuple[str, int, int]]:
        """Every note file (`cairn.notes.files.scan`, or the `files` lister): id → (path, mtime_ns, size)."""
        listed = self._files() if self._files is not None else None
        if listed is None:
            listed = scan(self.ws.notes_root)
        return {found.id: (found.path, found.mtime_ns, found.size) for found in listed}

    def _note_path(self, note_id: str) -> Path:
        return Path(os.path.join(self._notes_root, f"{note_id}{NOTE_SUFFIX}"))

    @contextlib.contextmanager
    def _update_lock(self) -> Iterator[bool]:
        """Hold the cross-process update lock; yields False when it stayed busy for `lock_timeout`."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with (self.dir / "lock").open("a") as fh:
            deadline = time.monotonic() + self.lock_timeout
            delay = 0.005
            while True:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        yield False
                        return
                    time.sleep(delay)
                    delay = min(delay * 2, 0.1)
            try:
                yield True
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    # ---- manifest ----------------------------------------------------------------------------
    @property
    def journal_path(self) -> Path:
        return self.dir / JOURNAL

    def _stamp(self) -> tuple[int, int, int] | None:
        """Identity of the manifest's current state (base file + journal length)."""
        try:
            st = self.manifest_path.stat()
        except OSError:
            return None
        try:
            journal = self.journal_path.stat().st_size
        except OSError:
            journal = 0
        return (st.st_mtime_ns, st.st_size, journal)

    def _read_manifest(self) -> tuple[dict[str, Any] | None, str]:
        """The manifest: the base file plus the journal of changes appended since it was written."""
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None, "missing"
        except (OSError, ValueError):
            return None, "its manifest is unreadable"
        if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION \
                or not isinstance(data.get("notes"), dict) or not isinstance(data.get("code"), dict):
            return None, "it was written in an older format"
        try:
            with self.journal_path.open(encoding="utf-8") as fh:
                for line in fh:
                    change = json.loads(line)
                    for key, section in (("n", "notes"), ("c", "code")):
                        for name, value in change.get(key, {}).items():
                            if value is None:
                                data[section].pop(name, None)
                            else:
                                data[section][name] = value
        except FileNotFoundError:
            pass
        except (OSError, ValueError, AttributeError):
            return None, "its manifest journal is damaged"
        return data, ""

    def _write_manifest(self, notes: Iterable[str] | None = None, code: Iterable[str] | None = None) -> None:
        """Record the manifest: all of it (notes=None), or only the named entries as one journal line.

        Appending keeps a one-note update O(1) with 10,000 notes; the journal is folded into the base
        file once it grows past JOURNAL_MAX bytes.
        """
        journal = self._stamp()
        if notes is not None and journal is not None and journal[2] < JOURNAL_MAX:
            change = {"n": {n: self._manifest["notes"].get(n) for n in notes},
                      "c": {c: self._manifest["code"].get(c) for c in (code or ())}}
            with self.journal_path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(change, separators=(",", ":")) + "\n")
        else:
            tmp = self.manifest_path.with_name(f".{MANIFEST}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self._manifest, separators=(",", ":")), encoding="utf-8")
            os.replace(tmp, self.manifest_path)
            with contextlib.suppress(FileNotFoundError):
                self.journal_path.unlink()
        self._manifest_stamp = self._stamp()

    def _indexed_count(self) -> int:
        return sum(1 for entry in self._manifest["notes"].values() if entry[3] is not None)

    # ---- opening -----------------------------------------------------------------------------
    def _new_index(self, path: str | None, reuse: bool = True) -> Any:
        index = self.t.Index(self.schema) if path is None else self.t.Index(self.schema, path, reuse=reuse)
        index.register_tokenizer(TOKENIZER, analyzer(self.t))
        index.register_tokenizer(RAW_TOKENIZER, analyzer(self.t, stem=False))
        return index

    def _open_disk(self) -> str:
        """Open the on-disk index; '' when it is usable, else why not."""
        manifest, why = self._read_manifest()
        if manifest is None:
            return why
        if not self.tantivy_dir.is_dir():
            return "missing"
        try:
            if not self.t.Index.exists(str(self.tantivy_dir)):
                return "missing"
            if not self.t.Index.is_compatible(str(self.tantivy_dir)):
                return "it was written by another Tantivy version"
            index = self._new_index(str(self.tantivy_dir), reuse=True)
            index.reload()
            searcher = index.searcher()
            count = searcher.num_docs
            # Touch every segment's postings and store once, so a damaged file shows now, not mid-search.
            searcher.search(self.t.Query.all_query(), 1)
        except Exception as exc:
            return f"it is damaged ({type(exc).__name__}: {str(exc).splitlines()[0][:80] if str(exc) else ''})"
        self._manifest = manifest
        if count != self._indexed_count():
            return f"it holds {counted(count, 'note')} where its manifest lists {self._indexed_count()}"
        self._index = index
        self._manifest_stamp = self._stamp()
        return ""

    def _reload_manifest_if_changed(self) -> bool:
        """Pick up another process's update; True when the manifest is still usable."""
        stamp = self._stamp()
        if stamp is None:
            return False
        if stamp == self._manifest_stamp:
            return True
        manifest, _ = self._read_manifest()
        if manifest is None:
            return False
        self._manifest = manifest
        self._manifest_stamp = stamp
        try:
            self._index.reload()
        except Exception as exc:  # tantivy raises ValueError for a damaged or vanished segment
            log.warning("cairn: could not reload the search index (%s: %s); reopening it", type(exc).__name__, exc)
            return False
        return True

    # ---- building documents ------------------------------------------------------------------
    def _read_doc(self, note_id: str, path: str, code: dict[str, list[str] | None]) -> IndexDoc | None:
        from cairn.notes.document import content_version

        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            return None
        version = content_version(data)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        rel_path = f"{self.ws.notes_root_rel}/{note_id}{NOTE_SUFFIX}"
        doc = lean_parse(text, note_id, rel_path, version)
        if doc is None:
            return IndexDoc(note_id, rel_path, "", "", "", (), "", (), None, version)
        safe = tuple(a for a in doc.anchors if self._safe_path(a.path))
        ident = anchored_identifiers(safe, lambda p: self._code_lines(p, code))
        return replace(doc, anchors=safe, ident=ident)

    def _safe_path(self, rel: str) -> bool:
        """Whether an anchor path (untrusted, from a note) may be read: inside the repository
        (`Workspace.check_repo_path` accepts it unchanged), cached per path.

        A plain, non-symlink file name in a folder that passed the same check passes too: the file
        resolves to that folder's real path plus its name. Deciding it from the folder's cached answer
        and one lstat saves a realpath (a stat per component) per anchored file, 0.9 s of CPU at 10,000
        files; anything else (a symlink, an odd name, a top-level file) takes the full check."""
        known = self._safe.get(rel)
        if known is None:
            folder, _, name = rel.rpartition("/")
            if folder and name not in ("", ".", "..") and name == name.strip() and "\\" not in name \
                    and self._checked(folder) and not os.path.islink(os.path.join(self._root, rel)):
                known = True
            else:
                known = self._checked(rel)
            self._safe[rel] = known
        return known

    def _checked(self, rel: str) -> bool:
        known = self._safe_dirs.get(rel)
        if known is None:
            try:
                known = self.ws.check_repo_path(rel) == rel
            except (CairnError, OSError, ValueError):  # outside the repository, in .git, unresolvable
                known = False
            self._safe_dirs[rel] = known
        return known

    def _code_lines(self, rel: str, cache: dict[str, list[str] | None]) -> list[str] | None:
        if rel not in cache:
            text = read_regular_text(self.ws.root, rel, self.ws.config.max_file_bytes)  # never through a symlink
            cache[rel] = None if text is None else split_lines(text)
        return cache[rel]

    def _tantivy_doc(self, doc: IndexDoc) -> Any:
        d = self.t.Document()
        d.add_text("id", doc.id)
        d.add_text("meta", _doc_meta(doc))
        d.add_text("title", doc.title)
        d.add_text("tags_text", " ".join(doc.tags))
        d.add_text("body", doc.body)
        d.add_text("ident", doc.ident)
        d.add_text("headings", headings(doc.body))
        d.add_text("paths_text", " ".join(doc.anchor_paths()))
        d.add_text(RAW_FIELD, " ".join((doc.title, " ".join(doc.tags), doc.body, doc.ident,
                                        " ".join(doc.anchor_paths()))))
        d.add_text("kind", doc.kind)
        d.add_text("status", doc.status.lower())
        for tag in doc.tags:
            d.add_text("tag", tag.lower())
        for path in doc.anchor_paths():
            d.add_text("file", path)
        for folder in dict.fromkeys(_dirname(p) for p in doc.anchor_paths()):
            d.add_text("dir", folder)
        ancestors: dict[str, None] = {}
        for path in doc.anchor_paths():
            parts = path.split("/")[:-1]
            for depth in range(1, len(parts) + 1):
                ancestors["/".join(parts[:depth])] = None
        for folder in ancestors:
            d.add_text("ancestor", folder)
        d.add_integer("reviewed", int(doc.reviewed.timestamp()) if doc.reviewed else 0)
        return d

    def _code_stat(self, rel: str) -> list[int] | None:
        try:
            st = os.stat(os.path.join(self._root, rel))
        except OSError:
            return None
        return [st.st_mtime_ns, st.st_size]

    def _entry(self, doc: IndexDoc | None, mtime: int, size: int) -> list[Any]:
        if doc is None:
            return ["", mtime, size, None]
        indexed = [a.path for a in doc.anchors] if doc.kind else None
        return [doc.version, mtime, size, None if indexed is None else list(dict.fromkeys(indexed))]

    # ---- refresh -----------------------------------------------------------------------------
    def refresh(self, paths: Iterable[Path | str] | None = None) -> RefreshReport:
        """Bring the index in step with the notes folder (or only with the given note files).

        Cheap when nothing changed: one stat per note file and per anchored code file. When the index
        folder cannot be used (read-only, replaced by a file), says so in one line naming the folder
        and searches an in-memory index instead.
        """
        try:
            return self._refresh(paths)
        except (OSError, ValueError) as exc:
            if isinstance(exc, ValueError) and "denied" not in str(exc).lower() and "exist" not in str(exc).lower():
                raise
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).splitlines()[0][:120]
            return self._in_memory(f"cairn: cannot use the search index folder {self.dir} ({why}); "
                                   "searching an in-memory index instead (remove the folder or make it writable)")

    def _in_memory(self, message: str) -> RefreshReport:
        """Search an index built in memory from the notes (the folder on disk is unusable)."""
        report = RefreshReport()
        if self.mode == "memory" and self._index is not None:
            report.mode = self.mode
            return report
        self.notice(message)
        return self._fill_in_memory(report)

    def _fill_in_memory(self, report: RefreshReport) -> RefreshReport:
        """Index every note into a new in-memory index and search that from now on."""
        index = self._new_index(None)
        self._manifest = {"format": FORMAT_VERSION, "notes": {}, "code": {}}
        self._fill(index, report)
        self._index = index
        report.mode = self.mode = "memory"
        return report

    def _refresh(self, paths: Iterable[Path | str] | None) -> RefreshReport:
        with self._mutex, self._update_lock() as acquired:
            if not acquired:
                return self._fallback()
            report = RefreshReport()
            if self.mode != "disk" or self._index is None or not self._reload_manifest_if_changed():
                why = self._open_disk()
                if why:
                    self._rebuild(why, report)
                    self.mode = "disk"
                    return report
                self.mode = "disk"
            try:
                self._incremental(paths, report)
            except Exception as exc:
                if _lock_busy(exc):  # a writer outside our lock (another tool, an old version)
                    return self._fallback()
                self._rebuild(f"it could not be updated ({type(exc).__name__}: {exc})"[:200], RefreshReport())
                report.rebuilt = "damaged"
            return report

    def _rebuild(self, why: str, report: RefreshReport) -> None:
        started = time.perf_counter()
        self._index = None
        shutil.rmtree(self.tantivy_dir, ignore_errors=True)
        for stale in (self.manifest_path, self.journal_path):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
        self.tantivy_dir.mkdir(parents=True, exist_ok=True)
        index = self._new_index(str(self.tantivy_dir), reuse=False)
        self._manifest = {"format": FORMAT_VERSION, "notes": {}, "code": {}}
        self._fill(index, report)
        self._index = index
        self._write_manifest()
        report.rebuilt = why
        took = f"{counted(len(report.added), 'note')}, {time.perf_counter() - started:.1f}s"
        if why == "missing":
            self.notice(f"cairn: search index was missing; built it ({took})")
        else:
            self.notice(f"cairn: search index rebuilt because {why} ({took})")

    def _fill(self, index: Any, report: RefreshReport) -> None:
        """Index every note into an empty `index` and fill the manifest."""
        scan = self._scan_notes()
        report.scanned = len(scan)
        code: dict[str, list[str] | None] = {}
        writer = index.writer(_BUILD_HEAP, 1)
        notes = self._manifest["notes"]
        for note_id, (path, mtime, size) in sorted(scan.items()):
            doc = self._read_doc(note_id, path, code)
            notes[note_id] = self._entry(doc, mtime, size)
            if doc is not None and doc.kind:
                writer.add_document(self._tantivy_doc(doc))
                report.added.append(note_id)
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        self._manifest["code"] = {p: s for p in self._anchored_paths() if (s := self._code_stat(p)) is not None}

    def _anchored_paths(self) -> set[str]:
        return {p for entry in self._manifest["notes"].values() if entry[3] for p in entry[3]}

    def _incremental(self, paths: Iterable[Path | str] | None, report: RefreshReport) -> None:
        notes: dict[str, list[Any]] = self._manifest["notes"]
        if paths is None:
            scan = self._scan_notes()
            gone = [nid for nid in notes if nid not in scan]
        else:
            scan = {}
            gone = []
            for raw in paths:
                given = Path(raw) if Path(raw).is_absolute() else self.ws.root / raw
                try:
                    inside = given.relative_to(self.ws.notes_root)
                except ValueError:
                    continue
                note_id = note_id_for(inside.as_posix())
                if note_id is None:
                    continue
                try:
                    st = given.lstat()
                    if not stat.S_ISREG(st.st_mode):  # a symlink is never followed: as if gone
                        raise FileNotFoundError(str(given))
                    scan[note_id] = (str(given), st.st_mtime_ns, st.st_size)
                except OSError:
                    if note_id in notes:
                        gone.append(note_id)
        report.scanned = len(scan)
        changed: dict[str, tuple[str, int, int]] = {}
        for note_id, (path, mtime, size) in scan.items():
            entry = notes.get(note_id)
            if entry is None or entry[1] != mtime or entry[2] != size:
                changed[note_id] = (path, mtime, size)
        # Notes whose anchored code changed (their identifiers may have).
        code_changes: dict[str, list[int] | None] = {}
        if paths is None:
            for rel, stamp in list(self._manifest["code"].items()):
                now = self._code_stat(rel)
                if now != stamp:
                    code_changes[rel] = now
            if code_changes:
                for note_id, entry in notes.items():
                    if entry[3] and note_id not in changed and note_id in scan \
                            and any(p in code_changes for p in entry[3]):
                        changed[note_id] = scan[note_id]
        if not changed and not gone and not code_changes:
            return
        from cairn.notes.document import content_version

        code: dict[str, list[str] | None] = {}
        touched: set[str] = set()
        writer = None
        try:
            for note_id in gone:
                entry = notes.pop(note_id)
                self._notes.pop(note_id, None)
                if entry[3] is not None:
                    writer = writer or self._index.writer(_WRITER_HEAP, 1)
                    writer.delete_documents_by_term("id", note_id)
                report.removed.append(note_id)
            for note_id, (path, mtime, size) in sorted(changed.items()):
                entry = notes.get(note_id)
                forced = entry is not None and entry[3] and any(p in code_changes for p in entry[3])
                if entry is not None and not forced:
                    try:
                        with open(path, "rb") as fh:
                            version = content_version(fh.read())
                    except OSError:
                        continue
                    if version == entry[0]:
                        entry[1], entry[2] = mtime, size  # touched, not changed
                        touched.add(note_id)
                        continue
                doc = self._read_doc(note_id, path, code)
                writer = writer or self._index.writer(_WRITER_HEAP, 1)
                if entry is not None and entry[3] is not None:
                    writer.delete_documents_by_term("id", note_id)
                notes[note_id] = self._entry(doc, mtime, size)
                self._notes.pop(note_id, None)
                if doc is not None and doc.kind:
                    writer.add_document(self._tantivy_doc(doc))
                (report.updated if entry is not None else report.added).append(note_id)
            if writer is not None:
                writer.commit()
                writer.wait_merging_threads()
                writer = None
                self._index.reload()
        finally:
            if writer is not None:
                with contextlib.suppress(Exception):
                    writer.rollback()
        code_map: dict[str, Any] = self._manifest["code"]
        for rel, stamp in code_changes.items():
            if stamp is None:
                code_map.pop(rel, None)
            else:
                code_map[rel] = stamp
        dirty_code = set(code_changes)
        for note_id in report.reindexed:
            for rel in notes[note_id][3] or ():
                if rel not in code_map and (stamp := self._code_stat(rel)) is not None:
                    code_map[rel] = stamp
                    dirty_code.add(rel)
        self._write_manifest(touched | set(report.removed) | set(report.reindexed), dirty_code)

    def _fallback(self) -> RefreshReport:
        """Another process is updating the index: search what is on disk, or an in-memory copy."""
        report = RefreshReport()
        if self._index is not None and self.mode in ("disk", "readonly"):
            self._reload_manifest_if_changed()
            report.mode = self.mode = "readonly"
            return report
        why = self._open_disk()
        if not why:
            self.notice("cairn: the search index is being updated by another process; "
                        "searching the copy on disk (the latest edits may be missing)")
            report.mode = self.mode = "readonly"
            return report
        self.notice("cairn: the search index is busy in another process and not usable yet; "
                    "searching an in-memory index instead")
        return self._fill_in_memory(report)

    def ensure(self) -> None:
        """Open (and if needed build or update) the index before the first query."""
        if self._index is None:
            self.refresh()

    # ---- queries -----------------------------------------------------------------------------
    def _run(self, query: Any, limit: int, order_by_reviewed: bool = False) -> list[tuple[float, Any, Any]]:
        self.ensure()
        with self._mutex:
            try:
                return self._search(query, limit, order_by_reviewed)
            except Exception as exc:
                # Files damaged under an open index (deleted or truncated by hand, a full disk): rebuild
                # once and answer from the new index rather than failing the command.
                self._recover(f"a search failed ({type(exc).__name__}: {str(exc)[:80]})")
                return self._search(query, limit, order_by_reviewed)

    def _search(self, query: Any, limit: int, order_by_reviewed: bool) -> list[tuple[float, Any, Any]]:
        searcher = self._index.searcher()
        if order_by_reviewed:
            result = searcher.search(query, limit, count=False, order_by_field="reviewed")
        else:
            result = searcher.search(query, limit, count=False)
        return [(float(score), searcher.doc(addr), addr) for score, addr in result.hits]

    def _known(self, word: str) -> bool:
        """Whether some note holds `word` (lowercased, unstemmed): typo and prefix variants are for others."""
        if self._index is None:
            return False
        with self._mutex:
            try:
                return bool(self._index.searcher().doc_freq(RAW_FIELD, word))
            except Exception:  # a damaged index: the search that follows recovers it
                return False

    def _recover(self, why: str) -> None:
        with self._update_lock() as acquired:
            if acquired:
                self._rebuild(why, RefreshReport())
                self.mode = "disk"
                return
        self._index = None
        self.mode = "closed"
        self._fallback()

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """BM25 search with the query language of `cairn.index.query`; raises QueryError."""
        if limit <= 0:
            return []
        limit = search_limit(limit)  # tantivy aborts the process on a collector of 2^32 or more
        parsed = parse(query)
        self.ensure()
        compiled = self.compiler.compile(parsed)
        only_filters = all(c.field is not None or c.occur == "must_not" for c in parsed.clauses)
        hits = []
        words = list(parsed.words) + [c.text for c in parsed.clauses if c.phrase]
        # Fetch a few more than asked so superseded/archived notes can sink below active ones.
        for score, doc, _ in self._run(compiled, limit * 2 + 5, order_by_reviewed=only_filters):
            note_id = doc.get_first("id")
            info = _meta_doc(note_id, doc.get_first("meta"))
            weight = STATUS_WEIGHT.get(info.status, 1.0)
            hits.append(Hit(
                id=note_id, path=info.rel_path, title=info.title, kind=info.kind, status=info.status,
                tags=info.tags, anchors=tuple(f"{a.path}:{a.start}-{a.end}" for a in info.anchors),
                score=(1.0 if only_filters else score) * weight,
                snippet=snippet(doc.get_first("body") or "", words),
            ))
        hits.sort(key=lambda h: -h.score)  # stable: equal scores keep the index's order
        return hits[:limit]

    def _docs(self, query: Any, limit: int) -> list[tuple[float, IndexDoc]]:
        return [(score, _meta_doc(doc.get_first("id"), doc.get_first("meta")))
                for score, doc, _ in self._run(query, limit)]

    def anchored_in(self, path: str, limit: int = 500) -> list[IndexDoc]:
        """Notes with an anchor in the file `path` (repository-relative)."""
        return [d for _, d in self._docs(self.t.Query.term_query(self.schema, "file", path), limit)]

    def anchored_in_dir(self, folder: str, limit: int = 500) -> list[IndexDoc]:
        """Notes with an anchor in a file directly inside `folder` ('.' for the root)."""
        return [d for _, d in self._docs(self.t.Query.term_query(self.schema, "dir", folder), limit)]

    def anchored_under(self, folder: str, limit: int = 200) -> list[IndexDoc]:
        """Notes with an anchor anywhere below `folder`."""
        query = self.t.Query.term_query(self.schema, "ancestor", folder.strip("/"))
        return [d for _, d in self._docs(query, limit)]

    def mentioning(self, words: Iterable[str], limit: int = 50) -> list[tuple[float, IndexDoc]]:
        """Notes whose title, body or tags mention any of `words` (file names, modules, symbols), by BM25."""
        Q, Occur = self.t.Query, self.t.Occur
        clauses = []
        for word in dict.fromkeys(words):
            if not self.compiler.positioned(word):
                continue
            for name, boost in (("title", 2.0), ("body", 1.0), ("tags_text", 1.5)):
                clauses.append((Occur.Should, Q.boost_query(self.compiler.phrase(name, word), boost)))
        if not clauses:
            return []
        return self._docs(Q.boolean_query(clauses), limit)

    def relevant(self, query: str, limit: int = 50) -> list[tuple[float, IndexDoc]]:
        """Notes matching a free-text query (same language as `search`), by BM25."""
        self.ensure()
        return self._docs(self.compiler.compile(parse(query, implicit_prefix=False)), limit)

    def doc(self, note_id: str) -> IndexDoc | None:
        """What the index holds for one note (recall uses it for notes whose code moved into a file)."""
        found = self._docs(self.t.Query.term_query(self.schema, "id", note_id), 1)
        return found[0][1] if found else None

    def prime(self, notes: Iterable[Note]) -> None:
        """Hand over notes the caller already parsed, so `note()` (which recall uses) does not parse them
        again; a primed note is used only while its content hash matches the index's. (The language
        server does not prime: its notes are judged views, and `note()` caches what it parses.)"""
        for note in notes:
            self._notes[note.id] = note

    def note(self, note_id: str) -> Note | None:
        """The fully parsed and validated note (None when the file is invalid or gone), cached by version."""
        from cairn.notes.store import NoteStore

        entry = self._manifest["notes"].get(note_id)
        cached = self._notes.get(note_id)
        if cached is not None and entry is not None and cached.version == entry[0]:
            return cached
        path = self._note_path(note_id)
        result = NoteStore(self.ws).read_file(path)  # a missing file comes back as an error
        if isinstance(result, list):
            return None
        self._notes[note_id] = result
        return result

    def __len__(self) -> int:
        self.ensure()
        return self._indexed_count()

    def close(self) -> None:
        with self._mutex:
            self._index = None
            self._notes.clear()
            self.mode = "closed"


def _lock_busy(exc: Exception) -> bool:
    """Whether Tantivy refused a writer because another holds its lock; tantivy-py says so only in the
    message of a ValueError ("Failed to acquire Lockfile: LockBusy...")."""
    return isinstance(exc, ValueError) and "LockBusy" in str(exc)


def open_index(ws: Workspace, notice: Notice | None = None) -> NoteIndex:
    """A refreshed index for one-shot use (the CLI); long-lived callers keep a NoteIndex instead."""
    index = NoteIndex(ws, notice=notice)
    index.refresh()
    return index


__all__ = ["Hit", "NoteIndex", "QueryError", "RefreshReport", "open_index", "snippet"]
