"""The language server (`cairn serve`): pygls over the engine, one module per feature.

`app.build_server()` wires the features; `engine.Session` is the only place that calls the engine, and
`state.ServerState` holds what the features share (sessions per workspace, per-document caches,
published diagnostics). Lines are 1-based inside the engine and `Session`; the feature modules convert
to LSP's 0-based positions at the edge.
"""
