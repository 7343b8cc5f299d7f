"""`cairn.notes.watch.NotesWatch` lists exactly what `cairn.notes.files.scan` lists, after any change.

The daemon trusts the watch instead of walking the notes folder per request, so after every change
(made just before the call, with no waiting) the two must agree file for file, stat for stat; and a plain
note edit must be answered from the event queue, without a new walk.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cairn.index import NoteIndex
from cairn.notes.files import NoteFile, scan
from cairn.notes.watch import NotesWatch
from cairn.workspace import Workspace
from tests.conftest import GitRepo

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux-only")

NOTE = "---\ntitle: {title}\nkind: decision\n---\n\nBody {title}.\n"


def listing(found: list[NoteFile] | None) -> list[tuple[str, str, str, int, int, int]]:
    assert found is not None
    return sorted((f.id, f.rel, f.path, f.size, f.mtime_ns, f.ino) for f in found)


def agree(watch: NotesWatch, root: Path) -> None:
    assert listing(watch.files()) == listing(scan(root))


def test_plain_edits_come_from_events_without_a_walk(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    (root / "decisions").mkdir(parents=True)
    (root / "decisions/a.md").write_text(NOTE.format(title="a"))
    watch = NotesWatch(root)
    agree(watch, root)
    assert watch.walks == 1
    (root / "decisions/b.md").write_text(NOTE.format(title="b"))  # created
    agree(watch, root)
    (root / "decisions/a.md").write_text(NOTE.format(title="a longer title"))  # changed
    agree(watch, root)
    os.utime(root / "decisions/a.md", ns=(1, 1))  # touched: only the mtime
    agree(watch, root)
    os.replace(root / "decisions/b.md", root / "decisions/c.md")  # renamed
    agree(watch, root)
    (root / "decisions/c.md").unlink()  # deleted
    agree(watch, root)
    (root / "decisions/.draft.md").write_text("hidden")  # never a note
    (root / "README.md").write_text("the folder's readme")
    (root / "decisions/link.md").symlink_to(root / "decisions/a.md")  # a symlink is no note
    agree(watch, root)
    assert watch.walks == 1
    watch.close()


def test_folder_changes_walk_again(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    root.mkdir()
    watch = NotesWatch(root)
    agree(watch, root)
    (root / "new/deeper").mkdir(parents=True)
    (root / "new/deeper/x.md").write_text(NOTE.format(title="x"))
    agree(watch, root)
    (root / "new/deeper/y.md").write_text(NOTE.format(title="y"))  # inside a folder watched since the walk
    agree(watch, root)
    os.rename(root / "new", root / "moved")
    agree(watch, root)
    (root / "moved/deeper/z.md").write_text(NOTE.format(title="z"))
    agree(watch, root)
    shutil.rmtree(root / "moved")
    agree(watch, root)
    assert watch.walks >= 3
    watch.close()


def test_a_missing_or_replaced_root(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    watch = NotesWatch(root)
    assert watch.files() == []
    root.mkdir()
    (root / "a.md").write_text(NOTE.format(title="a"))
    agree(watch, root)
    shutil.rmtree(root)
    agree(watch, root)
    root.mkdir()
    (root / "b.md").write_text(NOTE.format(title="b"))
    agree(watch, root)
    watch.close()


def test_without_inotify_the_caller_walks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIRN_NO_WATCH", "1")
    watch = NotesWatch(tmp_path)
    assert not watch.available and watch.files() is None


NAMES = st.sampled_from(["a.md", "b.md", "README.md", ".h.md", "c.txt", "sub/d.md", "sub/e.md",
                         "sub/deep/f.md", ".hidden/g.md", "sub/README.md"])
OPS = st.lists(st.tuples(st.sampled_from(["write", "append", "delete", "rename", "rmdir", "touch"]), NAMES, NAMES),
               min_size=1, max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_any_sequence_of_changes_agrees_with_a_walk(tmp_path_factory: pytest.TempPathFactory,
                                                     ops: list[tuple[str, str, str]]) -> None:
    root = tmp_path_factory.mktemp("notes")
    watch = NotesWatch(root)
    agree(watch, root)
    for step, (op, name, other) in enumerate(ops):
        path, target = root / name, root / other
        try:
            if op == "write":
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(NOTE.format(title=f"t{step}"))
            elif op == "append" and path.exists():
                with path.open("a") as fh:
                    fh.write("more\n")
            elif op == "delete" and path.exists():
                path.unlink()
            elif op == "rename" and path.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
            elif op == "rmdir" and path.parent != root:
                shutil.rmtree(path.parent, ignore_errors=True)
            elif op == "touch" and path.exists():
                os.utime(path, ns=(step, step * 1000))
        except IsADirectoryError:
            continue
        agree(watch, root)
    watch.close()


def test_index_fed_by_the_watch_sees_a_note_written_just_before(repo: GitRepo) -> None:
    repo.write("src/app.py", "def f():\n    return 1\n")
    repo.write("agent-context/decisions/other.md", NOTE.format(title="other"))
    repo.commit("code")
    ws = Workspace.discover(repo.root)
    watch = NotesWatch(ws.notes_root)
    index = NoteIndex(ws, notice=lambda _m: None, files=watch.files)
    assert index.search("zebrafish") == []
    repo.write("agent-context/decisions/zebra.md", NOTE.format(title="zebrafish rule"))
    report = index.refresh()
    assert report.added == ["decisions/zebra"]
    assert [h.id for h in index.search("zebrafish")] == ["decisions/zebra"]
    (repo.root / "agent-context/decisions/zebra.md").unlink()
    assert index.refresh().removed == ["decisions/zebra"]
    assert index.search("zebrafish") == []
    assert watch.walks == 1
    watch.close()
