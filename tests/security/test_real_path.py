"""`cairn.gitio.files.real_path`: the one check every working-tree read goes through.

It answers "is this path inside the root, reached without any symlinked folder?" with one `lstat` per
folder inside the root (the engine calls it for every file of a check). The property below holds it to
the definition it replaces: the path is clean and relative to the root, and `os.path.realpath` of its
folder is that folder itself.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.gitio.files import real_path

COMPONENTS = ["a", "b", "c.py", "out", "rel", "deep", "file", "gone", ".", "..", ""]


def _tree(base: Path) -> Path:
    """A root with real folders, a folder symlinked outside, one symlinked inside, and a file."""
    root = base / "root"
    (root / "a" / "b").mkdir(parents=True)
    (base / "outside" / "deep").mkdir(parents=True)
    (root / "a" / "b" / "c.py").write_text("x = 1\n", encoding="utf-8")
    (root / "file").write_text("", encoding="utf-8")
    os.symlink(base / "outside", root / "out")
    os.symlink("a", root / "rel")
    os.symlink("b", root / "a" / "deep")
    return root


def _expected(root: Path, path: str) -> str | None:
    """The definition: a clean relative path whose folder resolves to itself."""
    if path.startswith("/"):
        return None
    parts = [p for p in PurePosixPath(path).parts if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    base = os.path.realpath(root)
    full = os.path.join(base, *parts)
    parent = os.path.dirname(full)
    return full if parent == base or os.path.realpath(parent) == parent else None


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tree(tmp_path_factory.mktemp("rp"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(COMPONENTS), min_size=0, max_size=5))
def test_real_path_refuses_symlinked_folders_as_realpath_would(tree: Path, parts: list[str]) -> None:
    root = tree
    path = "/".join(parts)
    assert real_path(root, path) == _expected(root, path)


def test_real_path_examples(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    real = os.path.realpath(root)
    assert real_path(root, "a/b/c.py") == os.path.join(real, "a", "b", "c.py")
    assert real_path(root, "./a//b/c.py") == os.path.join(real, "a", "b", "c.py")
    assert real_path(root, "out/deep/x") is None  # a folder on the way links outside
    assert real_path(root, "rel/b/c.py") is None  # links inside: still refused
    assert real_path(root, "a/deep/c.py") is None  # a symlinked folder below a real one
    assert real_path(root, "out") == os.path.join(real, "out")  # the last component is the caller's lstat
    assert real_path(root, "gone/x/y") == os.path.join(real, "gone", "x", "y")  # nothing there to follow
    assert real_path(root, "a/../file") is None
    assert real_path(root, "/etc/passwd") is None
