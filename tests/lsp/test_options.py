"""Initialization options: typed (`cairn.server.options`), built from the extension's own settings.

As ruff-vscode does, the options are built from package.json's contributed defaults the way the
extension builds them (extension/src/server.ts), so a default changed on one side only fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

from pytest_lsp import LanguageClient

from cairn.config import DEFAULT_CONFIG_TOML, Config
from cairn.limits import MAX_BUDGET, MIN_BUDGET
from cairn.server.options import WIRE_NAMES, InitializationOptions, read_options

from .conftest import Workspace, start

ROOT = Path(__file__).resolve().parents[2]


def contributed() -> dict[str, dict[str, object]]:
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    return dict(package["contributes"]["configuration"]["properties"])


def options_from_settings(settings: dict[str, object]) -> dict[str, object]:
    """What `CairnServer.doStart` sends: notesRoot only when set, recallBudget and opensDocuments always."""
    notes_root = settings["cairn.notesRoot"]
    return {**({"notesRoot": notes_root} if notes_root else {}), "recallBudget": settings["cairn.recall.budget"],
            "opensDocuments": True}


def test_the_extension_defaults_are_valid_options() -> None:
    props = contributed()
    defaults = {name: spec.get("default") for name, spec in props.items()}
    options, problem = read_options(options_from_settings(defaults))
    assert problem is None
    assert options == InitializationOptions(recall_budget=Config().recall_budget, opens_documents=True)
    assert f"budget = {Config().recall_budget}" in DEFAULT_CONFIG_TOML


def test_one_recall_budget_range() -> None:
    assert contributed()["cairn.recall.budget"]["minimum"] == MIN_BUDGET
    assert contributed()["cairn.recall.budget"]["maximum"] == MAX_BUDGET
    options, problem = read_options({"recallBudget": MIN_BUDGET})
    assert problem is None and options.recall_budget == MIN_BUDGET
    options, problem = read_options({"recallBudget": MIN_BUDGET - 1})
    assert options == InitializationOptions()
    assert problem is not None
    assert f"recallBudget {MIN_BUDGET - 1} is out of range ({MIN_BUDGET} to {MAX_BUDGET} tokens)" in problem


def test_bad_options_are_one_line_and_fall_back_to_defaults() -> None:
    for raw, expected in ((["x"], "must be an object"), ({"notesRoot": 3}, "notesRoot: expected a string"),
                          ({"recallBudget": "2000"}, "recallBudget: expected an integer"),
                          ({"workspaceDiagnostics": "no"}, "workspaceDiagnostics: expected true or false")):
        options, problem = read_options(raw)
        assert options == InitializationOptions()
        assert problem is not None and expected in problem and "\n" not in problem, problem
    assert read_options({"somethingNewer": 1}) == (InitializationOptions(), None)


def test_every_option_is_documented() -> None:
    architecture = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for wire in WIRE_NAMES.values():
        assert f"`{wire}`" in architecture, wire


async def test_the_server_says_what_is_wrong_and_keeps_going(client: LanguageClient, ws: Workspace) -> None:
    ws.note("f1", [("src/app.py", 1, 2)])
    ws.repo.commit("note")
    await start(client, ws.root, options={"recallBudget": 5})
    assert client.cairn_status[-1].notes == 1  # type: ignore[attr-defined]
    warnings = [m.message for m in client.log_messages if "initializationOptions" in m.message]
    assert warnings == [f"cairn: invalid initializationOptions (recallBudget 5 is out of range ({MIN_BUDGET} to "
                        f"{MAX_BUDGET} tokens)); using the defaults"]
