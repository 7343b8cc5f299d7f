"""LSP work-done progress for the long work the server starts on its own.

Two things can take seconds on a big repository with nobody having asked: the first load of a
workspace (parse every note, judge every anchor, build the search index) and the re-check after git
moved the working tree (checkout, pull, rebase). The editor shows them as progress instead of a server
that seems idle. Used only when the client advertises `window.workDoneProgress`; the server creates the
token (`window/workDoneProgress/create`), then sends begin and end (`$/progress`). A client that refuses
or does not answer the create request in time just gets no progress; the work goes on regardless.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator

from lsprotocol import types

from cairn.server.state import ServerState

CREATE_TIMEOUT_S = 5.0
_tokens = itertools.count(1)


def supported(state: ServerState) -> bool:
    window = state.server.client_capabilities.window
    return bool(window and window.work_done_progress)


@contextlib.asynccontextmanager
async def reported(state: ServerState, title: str, message: str) -> AsyncIterator[list[str]]:
    """Progress around the block; append to the yielded list to set the closing message."""
    closing: list[str] = []
    if not supported(state):
        yield closing
        return
    progress = state.server.work_done_progress
    token = f"cairn-{next(_tokens)}"
    try:
        await asyncio.wait_for(progress.create_async(token), CREATE_TIMEOUT_S)
    except Exception:  # refused, or no answer: the work runs without progress
        yield closing
        return
    progress.begin(token, types.WorkDoneProgressBegin(title=title, message=message, cancellable=False))
    try:
        yield closing
    finally:
        progress.end(token, types.WorkDoneProgressEnd(message=closing[-1] if closing else None))
