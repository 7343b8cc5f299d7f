"""The note store: tolerant loading, atomic conditional writes, index.json."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from cairn.errors import ConflictError, NotFoundError, UsageError
from cairn.notes.index_json import build_index_text, write_index_json
from cairn.notes.store import NoteStore
from cairn.workspace import Workspace
from tests.conftest import GitRepo


def make_store(repo: GitRepo) -> NoteStore:
    return NoteStore(Workspace.at(repo.root))


def test_one_invalid_note_never_stops_the_others(repo: GitRepo) -> None:
    store = make_store(repo)
    good = store.create("decision", "Good note", "body")
    repo.write("agent-context/gotchas/broken.md", "---\ntitle: [x\n---\n")
    repo.write("agent-context/patterns/nokind.md", "---\ntitle: No kind\n---\nbody\n")
    result = store.load()
    assert [n.id for n in result.notes] == [good.id]
    assert sorted(e.path for e in result.errors) == [
        "agent-context/gotchas/broken.md", "agent-context/patterns/nokind.md"]


def test_duplicate_ids_differing_in_case_are_reported(repo: GitRepo) -> None:
    repo.write("agent-context/decisions/jwt.md", "---\ntitle: a\nkind: decision\n---\n")
    repo.write("agent-context/decisions/JWT.md", "---\ntitle: b\nkind: decision\n---\n")
    result = make_store(repo).load()
    assert len(result.notes) == 1
    assert len(result.errors) == 1 and "duplicate id" in result.errors[0].message


def test_anchor_symlink_escaping_the_repository_is_invalid(repo: GitRepo, tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("x = 1\n")
    os.symlink(outside, repo.root / "link.py")
    repo.write("agent-context/decisions/s.md",
               "---\ntitle: s\nkind: decision\nanchors:\n  - path: link.py\n    lines: 1-1\n---\n")
    result = make_store(repo).load()
    assert not result.notes
    (error,) = result.errors
    assert error.line == 5 and "outside the repository" in error.message


def test_create_gives_unique_ids(repo: GitRepo) -> None:
    store = make_store(repo)
    a = store.create("gotcha", "Same title")
    b = store.create("gotcha", "Same title")
    assert (a.id, b.id) == ("gotchas/same-title", "gotchas/same-title-2")


def test_conditional_update_conflict_carries_both_versions(repo: GitRepo) -> None:
    store = make_store(repo)
    note = store.create("decision", "T", "first\n")
    mine = store.update(note.id, note.version, lambda m, b: (m, b + "mine\n"))
    with pytest.raises(ConflictError) as info:
        store.update(note.id, note.version, lambda m, b: (m, b + "theirs\n"))
    err = info.value
    assert err.expected_version == note.version and err.current_version == mine.version
    assert err.current_text is not None and "mine" in err.current_text
    assert "theirs" not in (repo.root / note.rel_path).read_text()


def test_update_refuses_to_write_an_invalid_note(repo: GitRepo) -> None:
    store = make_store(repo)
    note = store.create("decision", "T")

    def breaks(meta: dict, body: str) -> tuple[dict, str]:
        meta["kind"] = "nonsense"
        return meta, body

    with pytest.raises(Exception, match="unknown kind"):
        store.update(note.id, note.version, breaks)
    assert store.get(note.id).kind == "decision"


def test_unknown_and_escaping_ids(repo: GitRepo) -> None:
    store = make_store(repo)
    with pytest.raises(NotFoundError):
        store.get("decisions/nope")
    with pytest.raises(UsageError):
        store.get("../../etc/passwd")


def test_concurrent_threads_never_lose_an_update(repo: GitRepo) -> None:
    store = make_store(repo)
    note = store.create("pattern", "Counter", "")
    writers, per_writer = 6, 10

    def work(n: int) -> None:
        own = NoteStore(Workspace.at(repo.root))
        for i in range(per_writer):
            while True:
                current = own.get(note.id)
                try:
                    own.update(note.id, current.version, lambda m, b, n=n, i=i: (m, b + f"w{n}-{i}\n"))
                    break
                except ConflictError:
                    continue

    threads = [threading.Thread(target=work, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    body_lines = [line for line in store.get(note.id).body.splitlines() if line]
    assert sorted(body_lines) == sorted(f"w{n}-{i}" for n in range(writers) for i in range(per_writer))


def test_index_json_is_deterministic_and_tracks_writes(repo: GitRepo) -> None:
    store = make_store(repo)
    a = store.create("decision", "Alpha", tags=["auth", "db"])
    store.create("gotcha", "Beta", tags=["db"])
    path = write_index_json(store)
    data = json.loads(path.read_text())
    assert set(data["notes"]) == {"decisions/alpha", "gotchas/beta"}
    assert data["tags"] == {"auth": ["decisions/alpha"], "db": ["decisions/alpha", "gotchas/beta"]}
    first = path.read_text()
    # Same notes, another "clone": byte-identical output regardless of load order.
    assert build_index_text(reversed(store.load().notes)) == first
    store.update(a.id, None, lambda m, b: ({**m, "tags": ["auth"]}, b))
    data = json.loads(path.read_text())
    assert data["tags"]["db"] == ["gotchas/beta"]
    assert data["notes"]["decisions/alpha"]["updated"] is not None


def test_create_refuses_a_kind_folder_symlinked_outside(repo: GitRepo, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (repo.root / "agent-context").mkdir()
    os.symlink(outside, repo.root / "agent-context" / "gotchas")
    with pytest.raises(UsageError, match="outside the notes folder"):
        make_store(repo).create("gotcha", "Escape")
    assert list(outside.iterdir()) == []


def test_a_load_from_the_parse_cache_equals_a_fresh_parse(repo: GitRepo) -> None:
    store = make_store(repo)
    store.create("decision", "Cached note", "body", tags=["a", "b"],
                 extra={"ttl": "30d", "supersedes": ["decisions/old"], "custom": {"k": [1, 2.5, None, True]}})
    repo.write("agent-context/decisions/anchored.md",
               "---\ntitle: Anchored\nkind: decision\nreviewed: 2026-01-02T03:04:05+02:00\nanchors:\n"
               "  - path: src/a.py\n    lines: 3-9\n    commit: 0123abc\n    lh: f02dfd a7dce6\n---\nbody\n")
    repo.write("agent-context/decisions/odd.md", "---\ntitle: Odd\nkind: decision\nwhen: !!timestamp 2026-01-02\n---\n")
    repo.write("agent-context/gotchas/broken.md", "---\ntitle: [x\n---\n")
    old = os.path.getmtime(repo.root / "agent-context" / "decisions" / "odd.md") - 10
    for path in (repo.root / "agent-context").rglob("*.md"):
        os.utime(path, (old, old))  # settled: not racily clean, so the parse cache keeps them
    fresh = store.load()
    cached = store.load()
    assert (repo.root / ".git" / "cairn" / "notes-parsed.marshal").exists()
    assert cached == fresh and len(fresh.notes) == 3 and len(fresh.errors) == 1
    assert [n.key_lines for n in cached.notes] == [n.key_lines for n in fresh.notes]
    assert [a.data for n in cached.notes for a in n.anchors] == [a.data for n in fresh.notes for a in n.anchors]
    assert [(n.reviewed, n.ttl) for n in cached.notes] == [(n.reviewed, n.ttl) for n in fresh.notes]
    from cairn.notes.parse_cache import ParseCache

    ws = store.ws
    kept = ParseCache(ws.cache_dir(), f"{ws.root}\0{ws.config!r}").entries
    # Every file but the one holding a datetime (marshal cannot store it: parsed again each time).
    assert sorted(kept) == ["agent-context/decisions/anchored.md", "agent-context/decisions/cached-note.md",
                            "agent-context/gotchas/broken.md"]
