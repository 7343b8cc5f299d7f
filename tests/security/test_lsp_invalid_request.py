"""Issue 11 item 10: a JSON-RPC request with `"method": 123` is answered (InvalidRequest, with its id)."""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException
from pygls.protocol import JsonRPCRequestMessage
from pytest_lsp import LanguageClient

from tests.lsp.conftest import TIMEOUT, Workspace, start

INVALID_REQUEST = -32600


async def _raw(client: LanguageClient, method: Any, msg_id: int | str) -> Any:
    """Send a request exactly as given and wait for the answer registered under its id."""
    protocol = client.protocol
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    protocol._request_futures[msg_id] = future
    protocol._send_data(JsonRPCRequestMessage(id=msg_id, method=method, jsonrpc="2.0", params={}))
    return await asyncio.wait_for(asyncio.wrap_future(future), TIMEOUT)


async def test_a_non_string_method_gets_invalid_request_with_its_id(client: LanguageClient, ws: Workspace) -> None:
    await start(client, ws.root)
    for n, method in enumerate((123, None, ["cairn/status"], {"a": 1})):
        with pytest.raises(JsonRpcException) as caught:
            await _raw(client, method, 7000 + n)
        assert caught.value.code == INVALID_REQUEST
        assert "method must be a string" in str(caught.value) and "\n" not in str(caught.value)
    # The server still answers afterwards.
    status = await client.protocol.send_request_async("cairn/status", {})
    assert status is not None
