"""The language server (`cairn serve`): pygls over the engine, one module per feature.

`app.build_server()` wires the features; engine work goes through `session.Session` (the state machine
of one workspace), which drives the anchor engine through `checkers.py` and publishes immutable
`views.PublishedState`s that the features read; note writes go through `note_writes.py` to the engine's
one edit path. `state.ServerState` holds what the features share (sessions per workspace, per-document
caches, published diagnostics, the typed `options.InitializationOptions`). Lines are 1-based inside the
engine and `Session`; the feature modules convert to LSP's 0-based positions at the edge.
"""
