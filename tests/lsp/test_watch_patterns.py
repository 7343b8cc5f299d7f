"""The client file-watcher globs (server/watcher.py): escaping and collapsing many anchored files."""

from __future__ import annotations

from cairn.server.watcher import MAX_FILE_WATCHERS, _collapse, glob_escape


def test_glob_characters_in_file_names_are_literal() -> None:
    assert glob_escape("app/[id]/page{1,2}*?.tsx") == "app/[[]id[]]/page[{]1,2[}][*][?].tsx"
    assert glob_escape("src/café.py") == "src/café.py"


def test_many_anchored_files_collapse_to_their_folders_then_top_folders() -> None:
    few = {"src/a.py", "README.md"}
    assert _collapse(few) == ["README.md", "src/a.py"]
    many = {f"pkg{i % 10}/mod{i}.py" for i in range(MAX_FILE_WATCHERS + 1)} | {"setup.py"}
    assert _collapse(many) == ["*", *sorted(f"pkg{i}/*" for i in range(10))]
    spread = {f"top{i % 3}/d{i}/f.py" for i in range(MAX_FILE_WATCHERS * 2)}
    assert _collapse(spread) == ["top0/**", "top1/**", "top2/**"]
