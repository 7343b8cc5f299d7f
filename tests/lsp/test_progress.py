"""Work-done progress for the long work the server starts itself: the first load, the re-check after git.

Through pytest-lsp's client, which answers `window/workDoneProgress/create` and records `$/progress`.
"""

from __future__ import annotations

from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import APP_PY, Workspace, start, wait_for


def kinds(reports: list[object]) -> list[str]:
    return [type(r).__name__ for r in reports]


async def test_first_load_and_git_recheck_report_progress(client: LanguageClient, ws: Workspace) -> None:
    ws.note("f2 adds two", [("src/app.py", 4, 5)])
    ws.repo.commit("note")
    await start(client, ws.root)
    await wait_for(client, "$/progress", lambda: any(
        kinds(r)[-1:] == ["WorkDoneProgressEnd"] for r in client.progress_reports.values()),
        what="the first load's progress to end")
    (load,) = client.progress_reports.values()
    begin, end = load[0], load[-1]
    assert isinstance(begin, types.WorkDoneProgressBegin) and begin.title == "Cairn"
    assert begin.message == f"loading the notes of {ws.root.name}"
    assert isinstance(end, types.WorkDoneProgressEnd) and end.message == "1 note, 0 stale"

    ws.repo.git("checkout", "-q", "-b", "other")
    ws.repo.write("src/app.py", APP_PY.replace("return x + 2", "return x + 22"))
    ws.repo.commit("Change f2")
    await wait_for(client, "$/progress", lambda: sum(
        kinds(r)[-1:] == ["WorkDoneProgressEnd"] for r in client.progress_reports.values()) >= 2,
        what="a progress for the re-check after git moved HEAD")
    messages = [r[0].message for r in client.progress_reports.values() if r and hasattr(r[0], "title")]
    assert "re-checking notes after a git change" in messages


async def test_no_progress_for_a_client_without_the_capability(client: LanguageClient, ws: Workspace) -> None:
    ws.note("f2 adds two", [("src/app.py", 4, 5)])
    ws.repo.commit("note")
    await start(client, ws.root, caps=types.ClientCapabilities(window=types.WindowClientCapabilities(
        work_done_progress=False)))
    assert client.progress_reports == {}
