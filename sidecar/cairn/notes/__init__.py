"""Notes on disk: the model, parsing and validation, the store, and index.json.

The names below are imported on first use (PEP 562 `__getattr__`), so that a caller that needs only
`cairn.notes.files` (which files are notes) or `cairn.notes.model` does not pay for the store and its
YAML parser: about 30 ms of an agent hook's start-up (see bench/agent_hooks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cairn.notes.model import Anchor, Note, NoteError, kind_folder
    from cairn.notes.store import LoadResult, NoteStore

_HOMES = {"Anchor": "cairn.notes.model", "Note": "cairn.notes.model", "NoteError": "cairn.notes.model",
          "kind_folder": "cairn.notes.model", "LoadResult": "cairn.notes.store", "NoteStore": "cairn.notes.store"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


__all__ = ["Anchor", "LoadResult", "Note", "NoteError", "NoteStore", "kind_folder"]
