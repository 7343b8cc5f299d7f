"""JSON-RPC: every request gets an answer, even one whose params cannot be read (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.protocol import JsonRPCRequestMessage
from pytest_lsp import LanguageClient

from cairn.server.convert import to_plain

from .conftest import APP_PY, TIMEOUT, Workspace, hover_text, start

INVALID_PARAMS = -32602


async def raw_request(client: LanguageClient, method: str, params: Any, msg_id: int | str) -> Any:
    """Send a request exactly as given (the typed client API cannot send ill-typed params) and wait for
    its answer: the generic message type serialises `params` as they are, and the future registered
    under `msg_id` is resolved by the client's normal response handling."""
    protocol = client.protocol
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    protocol._request_futures[msg_id] = future
    protocol._send_data(JsonRPCRequestMessage(id=msg_id, method=method, jsonrpc="2.0", params=params))
    return await asyncio.wait_for(asyncio.wrap_future(future), TIMEOUT)


async def invalid_params(client: LanguageClient, method: str, params: Any, msg_id: int | str) -> str:
    """The error message of the InvalidParams answer to a request (fails if it succeeds or times out)."""
    with pytest.raises(JsonRpcException) as caught:
        await raw_request(client, method, params, msg_id)
    assert caught.value.code == INVALID_PARAMS, caught.value
    message = str(caught.value)
    assert "\n" not in message
    return message


async def test_requests_with_unreadable_params_are_answered_with_an_error(client: LanguageClient,
                                                                          ws: Workspace) -> None:
    note_id = ws.note("About f1", [("src/app.py", 1, 2)])
    ws.repo.commit("notes")
    await start(client, ws.root)

    # What vscode-languageclient sends for executeCommand given an explicit `undefined` token.
    command = {"command": "cairn.openNote", "arguments": [{"id": note_id}]}
    message = await invalid_params(client, types.WORKSPACE_EXECUTE_COMMAND, [command, None], 9001)
    assert "workspace/executeCommand" in message and "must be an object" in message
    # String ids are answered with their id too.
    await invalid_params(client, types.WORKSPACE_EXECUTE_COMMAND, [command, None], "raw-string-id")
    # A standard request whose object params do not fit the type.
    message = await invalid_params(client, types.TEXT_DOCUMENT_HOVER, {"textDocument": {"uri": 1}}, 9002)
    assert "textDocument/hover" in message
    # Our custom requests take an object as well.
    for n, method in enumerate(("cairn/search", "cairn/status", "cairn/recall", "cairn/stale")):
        message = await invalid_params(client, method, [{"query": "f1"}], 9100 + n)
        assert method in message and "not an array" in message
    await invalid_params(client, "cairn/search", "f1", 9200)

    # These were answers, not out-of-band popups, and the server keeps serving.
    assert not [m for m in client.messages if "Error in server" in m.message]
    result = await raw_request(client, types.WORKSPACE_EXECUTE_COMMAND, command, 9300)
    assert result.uri == ws.note_path(note_id).as_uri()
    status = await raw_request(client, "cairn/status", None, 9301)
    assert status.notes == 1
    assert "About f1" in await hover_text(client, ws.uri("src/app.py"), 1)


async def raw_message(client: LanguageClient, message: dict[str, Any]) -> Any:
    """Send a request object exactly as given, `params` member included or not, and wait for its answer."""
    protocol = client.protocol
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    protocol._request_futures[message["id"]] = future
    protocol._send_data({"jsonrpc": "2.0", **message})
    return await asyncio.wait_for(asyncio.wrap_future(future), TIMEOUT)


async def test_requests_without_arguments_accept_every_empty_params(client: LanguageClient, ws: Workspace) -> None:
    ws.note("About f1", [("src/app.py", 1, 2)])
    ws.repo.commit("notes")
    ws.repo.write("src/app.py", APP_PY.replace("return x + 1", "return x + 100"))
    ws.repo.commit("Bump f1")
    await start(client, ws.root)
    msg_id = 9400
    for method in ("cairn/status", "cairn/stale", "cairn/notes"):
        answers = []
        # {}, [] (Lua's `{}`), null, and no params member at all: JSON-RPC allows each of them.
        for params in ({"params": {}}, {"params": []}, {"params": None}, {}):
            msg_id += 1
            answers.append(to_plain(await raw_message(client, {"id": msg_id, "method": method, **params})))
        assert all(answer == answers[0] for answer in answers), answers
        if method == "cairn/status":
            assert answers[0] == {"notes": 1, "stale": 1, "expired": 0, "invalid": 0}
        else:
            assert [n["title"] for n in answers[0]["notes"]] == ["About f1"], answers[0]
    # A non-empty array is still not "no arguments"; the message names the problem, not a Python error.
    message = await invalid_params(client, "cairn/status", [1], 9500)
    assert "not an array" in message and "TypeError" not in message
    # A request that takes arguments and got none says what is missing, not a Python error.
    with pytest.raises(JsonRpcException) as caught:
        await raw_message(client, {"id": 9501, "method": "cairn/search"})
    assert "query is empty" in str(caught.value) and "TypeError" not in str(caught.value)
    assert not [m for m in client.messages if "Error in server" in m.message]


async def test_status_right_after_initialized_waits_for_the_workspace(client: LanguageClient,
                                                                      ws: Workspace) -> None:
    for n in range(1, 9):
        ws.note(f"About f{n}", [("src/app.py", 3 * n - 2, 3 * n - 1)])
    ws.repo.commit("notes")
    ws.repo.write("src/app.py", APP_PY.replace("return x + 1\n", "return x + 100\n"))
    ws.repo.commit("Bump f1")
    await start(client, ws.root, wait=False)  # `initialized` sent; the workspace is still loading
    status, stale = await asyncio.gather(raw_message(client, {"id": 9600, "method": "cairn/status"}),
                                         raw_message(client, {"id": 9601, "method": "cairn/stale"}))
    assert to_plain(status) == {"notes": 8, "stale": 1, "expired": 0, "invalid": 0}
    assert [n.title for n in stale.notes] == ["About f1"]
