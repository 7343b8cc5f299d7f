"""Issue 11 item 5: numbers from a caller are bounded on every edge, and broken framing never stops the server.

The attack: `cairn/search` with `limit` >= 2^32 aborted the language server inside tantivy (rc -6), and
`cairn search --limit 4294967296` printed a Rust backtrace (exit 134). Now every edge (CLI, language
server, MCP) checks limits, budgets and lines with `cairn.limits` and answers one line; and a
`Content-Length` header that is huge or not a number, written as raw bytes to `cairn serve`, skips that
message while the next request is still answered.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.conftest import GIT_ENV, GitRepo
from tests.lsp.conftest import Workspace, client, start, ws  # noqa: F401
from tests.security.hostile import GOOD_TITLE, assert_no_crash, good_repo, mcp_session, run, text_of

HUGE = [2**32, 2**63, 10**30]


@pytest.mark.parametrize("args", [
    *[["search", "two", "--limit", str(n)] for n in HUGE],
    ["search", "two", "--limit", "0"],
    *[["recall", "src/app.py", "--budget", str(n)] for n in HUGE],
    ["recall", "src/app.py", "--budget", "-1"],
    *[["recall", f"src/app.py:{n}"] for n in HUGE],
])
def test_cli_refuses_out_of_range_numbers_in_one_line(repo: GitRepo, args: list[str]) -> None:
    good_repo(repo)
    proc = run(repo, *args)
    assert_no_crash(proc)
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and "out of range" in proc.stderr, proc.stderr
    assert proc.stdout == ""


def test_cli_in_range_numbers_still_work(repo: GitRepo) -> None:
    note = good_repo(repo)
    assert note in run(repo, "search", "two", "--limit", "1000").stdout
    assert GOOD_TITLE in run(repo, "recall", "src/app.py:4", "--budget", "100000").stdout


def test_engine_refuses_a_limit_tantivy_cannot_take(repo: GitRepo) -> None:
    from cairn.errors import UsageError
    from cairn.index import open_index
    from cairn.workspace import Workspace as Ws

    good_repo(repo)
    index = open_index(Ws.at(repo.root))
    with pytest.raises(UsageError, match="out of range"):
        index.search("two", 2**32)  # reached tantivy's collector before, which aborts the process
    assert index.search("two", 5)


async def test_language_server_answers_bad_limits_with_one_line(client: LanguageClient,  # noqa: F811
                                                               ws: Workspace) -> None:  # noqa: F811
    ws.note("About f1", [("src/app.py", 1, 2)], body="f1 adds one.\n")
    ws.repo.commit("notes")
    await start(client, ws.root)
    uri = ws.uri("src/app.py")
    bad: list[tuple[str, dict[str, Any]]] = [
        *[("cairn/search", {"query": "adds", "limit": n}) for n in HUGE],
        ("cairn/search", {"query": "adds", "limit": -1}),
        ("cairn/search", {"query": "adds", "limit": "20"}),
        *[("cairn/recall", {"uri": uri, "budget": n}) for n in HUGE],
        ("cairn/recall", {"uri": uri, "position": {"line": 2**40, "character": 0}}),
    ]
    for method, params in bad:
        with pytest.raises(JsonRpcException) as caught:
            await client.protocol.send_request_async(method, params)
        message = str(caught.value)
        assert "\n" not in message and ("out of range" in message or "whole number" in message), message
        found = await client.protocol.send_request_async("cairn/search", {"query": "adds", "limit": 5})
        assert [h.title for h in found.hits] == ["About f1"]
    recalled = await client.protocol.send_request_async(
        "cairn/recall", {"uri": uri, "position": {"line": 0, "character": 0}, "budget": 100_000})
    assert "About f1" in recalled.markdown


async def test_mcp_answers_bad_limits_with_one_line(repo: GitRepo) -> None:
    note = good_repo(repo)
    async with mcp_session(repo) as session:
        for name, args in [*[("search", {"query": "two", "limit": n}) for n in HUGE],
                           *[("recall", {"path": "src/app.py", "budget": n}) for n in HUGE],
                           ("recall", {"path": "src/app.py", "line": 2**40})]:
            result = await session.call_tool(name, args)
            assert result.is_error, (name, args, text_of(result))
            assert "\n" not in text_of(result).strip() and "out of range" in text_of(result)
            hits = json.loads(text_of(await session.call_tool("search", {"query": "two", "limit": 1000})))["hits"]
            assert [h["id"] for h in hits] == [note]


# ---- raw bytes to `cairn serve` ---------------------------------------------------------------------
def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def read_message(out: asyncio.StreamReader) -> dict[str, Any]:
    length = None
    while True:
        line = await out.readline()
        assert line, "the server closed its output"
        if line in (b"\r\n", b"\n"):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    assert length is not None
    result: dict[str, Any] = json.loads(await out.readexactly(length))
    return result


async def answer(out: asyncio.StreamReader, msg_id: int, timeout: float = 20) -> dict[str, Any]:
    """The response to request `msg_id` (notifications and server requests on the way are skipped)."""
    async def wait() -> dict[str, Any]:
        while True:
            message = await read_message(out)
            if message.get("id") == msg_id and ("result" in message or "error" in message):
                return message

    return await asyncio.wait_for(wait(), timeout)


BROKEN_HEADERS = [
    b"Content-Length: 99999999999999999999\r\n\r\n",  # int too large for a read(): the loop died
    b"Content-Length: 4294967296\r\n\r\n",  # 4 GiB that never come: the server stopped answering
    b"Content-Length: abc\r\n\r\n" + json.dumps({"jsonrpc": "2.0", "id": 99, "method": "cairn/status"}).encode(),
    b"Content-Length: -5\r\n\r\n{}",
    b"Content-Length: 12abc\r\n\r\n",
    b"X-Garbage: " + b"x" * 200_000 + b"\r\n\r\n",
]


async def test_broken_content_length_never_stops_the_server(repo: GitRepo) -> None:
    good_repo(repo)
    env = {**os.environ, **GIT_ENV, "HOME": str(repo.root.parent)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cairn", "serve", cwd=repo.root, env=env, limit=2**20,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        proc.stdin.write(frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": None, "rootUri": repo.root.as_uri(), "capabilities": {}}}))
        assert "capabilities" in (await answer(proc.stdout, 1))["result"]
        proc.stdin.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        for number, broken in enumerate(BROKEN_HEADERS, start=2):
            proc.stdin.write(broken)
            proc.stdin.write(frame({"jsonrpc": "2.0", "id": number, "method": "cairn/search",
                                    "params": {"query": "exactly two"}}))
            await proc.stdin.drain()
            reply = await answer(proc.stdout, number)
            assert [h["title"] for h in reply["result"]["hits"]] == [GOOD_TITLE], (broken[:40], reply)
        proc.stdin.write(frame({"jsonrpc": "2.0", "id": 100, "method": "shutdown"}))
        await answer(proc.stdout, 100)
        proc.stdin.write(frame({"jsonrpc": "2.0", "method": "exit"}))
        await proc.stdin.drain()
        assert await asyncio.wait_for(proc.wait(), 20) == 0
        errors = (await proc.stderr.read()).decode()
        assert "Traceback" not in errors and "ignored a message with Content-Length" in errors, errors
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
