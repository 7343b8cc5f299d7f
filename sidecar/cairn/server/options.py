"""The language server's initialization options, typed, with defaults and one-line validation.

The client sends them in `initialize` (`initializationOptions`, camelCase on the wire); VS Code's
extension builds them from its settings (`cairn.notesRoot`, `cairn.recall.budget`), other editors
write them by hand. Options this server does not know are ignored (a newer client may send more). A
value of the wrong type or out of range is not half-applied: the server logs one line naming the option
and what is wrong, and runs with the defaults, as jedi-language-server does.

- `notesRoot` (string): the notes folder relative to the repository root; empty or absent: the
  repository's own configuration.
- `recallBudget` (integer, `cairn.limits.MIN_BUDGET` to `MAX_BUDGET`): default token budget of
  `cairn/recall`; absent: `[recall] budget` of config.toml.
- `workspaceDiagnostics` (boolean, default true): false publishes diagnostics for open documents
  only, never for every stale note of the workspace (for editors whose problem list gets crowded).
- `opensDocuments` (boolean, default false): the client opens what `cairn.openNote`/`newNote`/
  `draftUpdate` return, so the server sends no `window/showDocument` (see documents.py).
"""

from __future__ import annotations

from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from cairn.errors import CairnError
from cairn.limits import recall_budget

WIRE_NAMES = {"notes_root": "notesRoot", "recall_budget": "recallBudget",
              "workspace_diagnostics": "workspaceDiagnostics", "opens_documents": "opensDocuments"}


def _blank_is_none(value: str | None) -> str | None:
    return value.strip() or None if value else None


def _budget_in_bounds(instance: Any, attribute: Any, value: int | None) -> None:
    if value is not None:
        try:
            recall_budget(value, WIRE_NAMES["recall_budget"])
        except CairnError as exc:
            raise ValueError(exc.message) from None


@attrs.frozen
class InitializationOptions:
    """What the client asked for; every field has a default, so `InitializationOptions()` is valid."""

    notes_root: str | None = attrs.field(default=None, converter=_blank_is_none)
    recall_budget: int | None = attrs.field(default=None, validator=_budget_in_bounds)
    workspace_diagnostics: bool = True
    opens_documents: bool = False


def _strict(kind: type, name: str) -> Any:
    """A structure hook that accepts only `kind` (no bool for int, no number for str: JSON is typed)."""
    def hook(value: Any, _: Any) -> Any:
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise TypeError(f"expected {name}, got {type(value).__name__} {value!r}")
        return value

    return hook


_converter = cattrs.Converter()
for _kind, _name in ((str, "a string"), (int, "an integer"), (bool, "true or false")):
    _converter.register_structure_hook(_kind, _strict(_kind, _name))
_converter.register_structure_hook(InitializationOptions, make_dict_structure_fn(
    InitializationOptions, _converter, notes_root=override(rename=WIRE_NAMES["notes_root"]),
    recall_budget=override(rename=WIRE_NAMES["recall_budget"]),
    workspace_diagnostics=override(rename=WIRE_NAMES["workspace_diagnostics"]),
    opens_documents=override(rename=WIRE_NAMES["opens_documents"])))


def _problems(exc: Exception) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        parts = []
        for sub in exc.exceptions:
            note = next((n for n in getattr(sub, "__notes__", []) if isinstance(n, str)), "")
            name = note.rsplit(" ", 1)[-1] if note.startswith("Structuring class") else note
            field = next((w for f, w in WIRE_NAMES.items() if f in name or w in name), "")
            parts.append(f"{field}: {sub}" if field else str(sub))
        return "; ".join(parts) or str(exc)
    return str(exc)


def read_options(raw: Any) -> tuple[InitializationOptions, str | None]:
    """The options from the client's `initializationOptions`, and a one-line warning when they were unusable."""
    if raw is None:
        return InitializationOptions(), None
    if not isinstance(raw, dict):
        return InitializationOptions(), f"initializationOptions must be an object, got {type(raw).__name__}; " \
                                        "using the defaults"
    try:
        return _converter.structure(raw, InitializationOptions), None
    except (cattrs.BaseValidationError, ValueError, TypeError) as exc:
        return InitializationOptions(), f"invalid initializationOptions ({_problems(exc)}); using the defaults"
