"""One answer to "is this a note file, and what is its id?" (`cairn.notes.files`), shared by everyone.

The store, the search index, the language server's session and its file watcher are asked about the
same awkward notes folder (a top-level README.md, a README.md in a subfolder, hidden folders and files,
symlinks out of and inside the folder, two ids that differ only in case) and must give the same answer.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

from cairn.index import NoteIndex
from cairn.notes.files import modified_since, note_id_for, scan
from cairn.notes.store import NoteStore
from cairn.server.session import Session
from cairn.server.watcher import classify
from cairn.workspace import Workspace
from tests.conftest import GitRepo

NOTE = "---\ntitle: {title}\nkind: decision\n---\n\nShared marker word zebrafish.\n"
NOTES = "agent-context"
# (path below the notes root, whether it is a note)
LAYOUT = [
    ("README.md", False),  # the folder's readme for people
    ("decisions/README.md", True),  # deeper down a README is a note like any other
    ("decisions/use-jwt.md", True),
    ("decisions/deep/nested.md", True),
    (".drafts/hidden-folder.md", False),
    ("decisions/.hidden-file.md", False),
    ("decisions/not-markdown.txt", False),
]


def build(repo: GitRepo, tmp_path: Path) -> Workspace:
    for rel, _ in LAYOUT:
        repo.write(f"{NOTES}/{rel}", NOTE.format(title=rel.replace("/", " ")))
    outside = tmp_path / "outside.md"
    outside.write_text(NOTE.format(title="outside"), encoding="utf-8")
    os.symlink(outside, repo.root / NOTES / "decisions" / "escape.md")
    os.symlink(repo.root / NOTES / "decisions" / "use-jwt.md", repo.root / NOTES / "decisions" / "alias.md")
    return Workspace.at(repo.root)


# Symlinks are never followed: neither the link out of the folder nor the one to a note inside it is a note.
EXPECTED = sorted(rel[:-3] for rel, is_note in LAYOUT if is_note)


def test_the_rule_itself() -> None:
    assert note_id_for("README.md") is None
    assert note_id_for("decisions/README.md") == "decisions/README"
    assert note_id_for("a/.b/c.md") is None and note_id_for(".c.md") is None and note_id_for("a//c.md") is None
    assert note_id_for("a/c.txt") is None and note_id_for("a/c.md") == "a/c"


def test_store_index_session_and_watcher_agree_on_the_notes(repo: GitRepo, tmp_path: Path) -> None:
    ws = build(repo, tmp_path)
    assert sorted(f.id for f in scan(ws.notes_root)) == EXPECTED

    store = NoteStore(ws)
    loaded = store.load()
    assert sorted(n.id for n in loaded.notes) == EXPECTED and not loaded.errors
    assert sorted(store.note_id(p) for p in store.note_files()) == EXPECTED

    index = NoteIndex(ws)
    index.refresh()
    assert sorted(hit.id for hit in index.search("zebrafish", limit=50)) == EXPECTED
    # Told about single files (the incremental path), the index applies the same rule.
    report = index.refresh([ws.notes_root / rel for rel, _ in LAYOUT])
    assert not report.added and not report.removed
    index.close()

    session = Session(ws)
    snapshot = session.refresh()
    assert sorted(snapshot.notes) == EXPECTED and not snapshot.errors

    changed = [ws.notes_root / rel for rel, _ in LAYOUT]
    notes, code, _, _ = classify(session, changed)
    assert sorted(store.note_id(p) for p in notes) == sorted(rel[:-3] for rel, is_note in LAYOUT if is_note)
    assert not code  # a non-note file inside the notes folder is not code either


def test_modified_since_asks_about_the_same_files(repo: GitRepo, tmp_path: Path) -> None:
    """The agent's Stop hook asks whether a note changed during the session: only what scan() lists counts."""
    ws = build(repo, tmp_path)
    latest = max(f.mtime_ns for f in scan(ws.notes_root))
    assert modified_since(ws.notes_root, latest) and not modified_since(ws.notes_root, latest + 1)
    later = latest + 10_000_000_000
    for rel, is_note in LAYOUT:
        if not is_note:  # a readme, a hidden file, a text file: touched, still no note changed
            os.utime(ws.notes_root / rel, ns=(later, later))
    os.utime(tmp_path / "outside.md", ns=(later, later))  # behind a symlink
    assert not modified_since(ws.notes_root, later)
    os.utime(ws.notes_root / "decisions/deep/nested.md", ns=(later, later))
    assert modified_since(ws.notes_root, later)
    assert not modified_since(tmp_path / "missing", 0)


def test_store_and_session_report_the_same_duplicate_id(repo: GitRepo) -> None:
    repo.write(f"{NOTES}/decisions/jwt.md", NOTE.format(title="a"))
    repo.write(f"{NOTES}/decisions/JWT.md", NOTE.format(title="b"))
    ws = Workspace.at(repo.root)
    loaded = NoteStore(ws).load()
    snapshot = Session(ws).refresh()
    assert len(loaded.notes) == 1 and len(snapshot.notes) == 1
    assert [n.id for n in loaded.notes] == list(snapshot.notes)
    assert [str(e) for e in loaded.errors] == [str(e) for e in snapshot.errors]
    assert "duplicate id" in loaded.errors[0].message


def test_no_module_writes_its_own_note_file_rule() -> None:
    """Everyone asks `cairn.notes.files`: no other module tests for `.md` or the README by itself."""
    source = Path(__file__).resolve().parent.parent / "sidecar" / "cairn"
    users = {"notes/store.py", "index/core.py", "server/session.py", "server/watcher.py", "server/diagnostics.py"}
    own_rules = []
    for path in sorted(source.rglob("*.py")):
        rel = path.relative_to(source).as_posix()
        if rel == "notes/files.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = any(isinstance(n, ast.ImportFrom) and n.module == "cairn.notes.files" for n in ast.walk(tree))
        if rel in users:
            assert imported, f"{rel} should use cairn.notes.files"
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in (".md", "README.md") and rel in users:
                own_rules.append(f"{rel}:{node.lineno}")
    assert not own_rules, "note-file rules outside cairn.notes.files: " + ", ".join(own_rules)
