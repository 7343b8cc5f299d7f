"""The language server (`cairn serve`): pygls over the engine, one module per feature.

`app.build_server()` wires the features; engine work (judging anchors, search, recall, note writes)
goes through `engine.Session` and the `judge.py` bridge it drives, whose snapshots the features read;
`state.ServerState` holds what the features share (sessions per workspace, per-document caches,
published diagnostics, the typed `options.InitializationOptions`). Lines are 1-based inside the engine
and `Session`; the feature modules convert to LSP's 0-based positions at the edge.
"""
