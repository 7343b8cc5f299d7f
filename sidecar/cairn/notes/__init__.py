"""Notes on disk: the model, parsing and validation, the store, and index.json."""

from cairn.notes.model import Anchor, Note, NoteError, kind_folder
from cairn.notes.store import LoadResult, NoteStore

__all__ = ["Anchor", "LoadResult", "Note", "NoteError", "NoteStore", "kind_folder"]
