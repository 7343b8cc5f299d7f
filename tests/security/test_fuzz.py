"""Fuzzing the protocol edges: any parameters get an answer (a result or a one-line error), and the next
request is still answered.

Hypothesis generates JSON values (wrong types, huge and negative numbers, nulls, arrays where objects go,
deep-ish nesting) and puts them in the places the language server's requests and commands and the MCP
tools read. One server of each kind serves every example: a crash, a hang or a dropped request fails at
the first example that causes it.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import GIT_ENV, GitRepo
from tests.security.hostile import good_repo, mcp_session, text_of

TIMEOUT = 30.0

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**32, 2**53, 2**64]), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30), st.sampled_from(["", "src/app.py", "file:///etc/passwd", "../../etc/passwd", "a" * 2000]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)


def shaped(keys: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """An object with (some of) the expected keys holding any values, or anything at all instead."""
    return st.one_of(st.fixed_dictionaries({}, optional={k: v for k, v in keys.items()}), VALUES)


# ---- the language server, over raw JSON-RPC ------------------------------------------------------------
class RawLsp:
    """`cairn serve` in a subprocess with a blocking JSON-RPC client (server requests are answered null)."""

    def __init__(self, root: Any, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "cairn", "serve"], cwd=root, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self.notifications: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        assert self.proc.stdin is not None
        with self.lock:
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.proc.stdin.flush()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line.strip() == b"":
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length is None:
                continue
            message = json.loads(out.read(length))
            if "method" in message and "id" in message:  # a request from the server
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "id" in message:
                self.replies.put(message)
            else:
                self.notifications.put(message)

    def wait_notification(self, method: str) -> dict[str, Any]:
        """The params of the next notification `method` (others are dropped)."""
        while True:
            try:
                message = self.notifications.get(timeout=TIMEOUT)
            except queue.Empty:
                raise AssertionError(f"no {method} within {TIMEOUT}s") from None
            if message.get("method") == method:
                params: dict[str, Any] = message.get("params") or {}
                return params

    def request(self, method: str, params: Any) -> dict[str, Any]:
        self.next_id += 1
        msg_id = self.next_id
        self._send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        while True:
            try:
                reply = self.replies.get(timeout=TIMEOUT)
            except queue.Empty:
                raise AssertionError(f"no answer to {method} {params!r:.200} within {TIMEOUT}s") from None
            if reply.get("id") == msg_id:
                return reply

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})


@pytest.fixture(scope="module")
def lsp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RawLsp, str]]:
    root = tmp_path_factory.mktemp("fuzz-lsp") / "repo"
    root.mkdir()
    repo = GitRepo(root)
    repo.git("init", "-q", "-b", "main")
    repo.git("config", "commit.gpgsign", "false")
    note = good_repo(repo)
    env = {**os.environ, **GIT_ENV, "HOME": str(root.parent)}
    server = RawLsp(root, env)
    init = server.request("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}})
    assert "result" in init, init
    server.notify("initialized", {})
    # The server announces its first counts once the notes are loaded.
    assert server.wait_notification("cairn/statusChanged")["notes"] == 1
    yield server, root.as_uri()
    server.request("shutdown", None)
    server.notify("exit", None)
    assert server.proc.wait(timeout=TIMEOUT) == 0
    assert note


def lsp_calls(root_uri: str) -> st.SearchStrategy[tuple[str, Any]]:
    uri = st.one_of(VALUES, st.just(f"{root_uri}/src/app.py"), st.just(f"{root_uri}/agent-context/x.md"))
    position = shaped({"line": VALUES, "character": VALUES})
    document = shaped({"uri": uri})
    commands = ["cairn.newNote", "cairn.reanchor", "cairn.markReviewed", "cairn.draftUpdate", "cairn.openNote"]
    return st.one_of(
        st.tuples(st.just("cairn/search"), shaped({"query": st.one_of(VALUES, st.just("two")), "limit": VALUES})),
        st.tuples(st.just("cairn/recall"), shaped({"uri": uri, "position": position, "query": VALUES,
                                                    "budget": VALUES})),
        st.tuples(st.sampled_from(["cairn/status", "cairn/stale"]), VALUES),
        st.tuples(st.just("workspace/executeCommand"), shaped({
            "command": st.one_of(st.sampled_from(commands), VALUES),
            "arguments": st.one_of(VALUES, st.lists(shaped({"id": VALUES, "uri": uri, "version": VALUES,
                                                             "kind": VALUES, "title": VALUES}), max_size=2))})),
        st.tuples(st.sampled_from(["textDocument/hover", "textDocument/codeAction"]),
                  shaped({"textDocument": document, "position": position, "range": VALUES, "context": VALUES})),
        st.tuples(st.sampled_from(["textDocument/codeLens", "textDocument/documentLink"]),
                  shaped({"textDocument": document})),
        st.tuples(st.just("workspace/symbol"), shaped({"query": VALUES})),
    )


def assert_answered(reply: dict[str, Any], what: str) -> None:
    assert "result" in reply or "error" in reply, (what, reply)
    if "error" in reply:
        message = reply["error"].get("message", "")
        assert isinstance(message, str) and message.strip() and "\n" not in message.strip(), (what, reply)
        assert "Traceback" not in json.dumps(reply), (what, reply)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_language_server_answers_any_params(lsp: tuple[RawLsp, str], data: st.DataObject) -> None:
    server, root_uri = lsp
    method, params = data.draw(lsp_calls(root_uri))
    assert_answered(server.request(method, params), f"{method} {params!r:.300}")
    status = server.request("cairn/status", {})
    assert status.get("result", {}).get("notes") == 1, status
    found = server.request("cairn/search", {"query": "exactly two"})
    assert [h["title"] for h in found["result"]["hits"]] == ["f2 adds two"]


# ---- MCP, through the official client (kept open in a background event loop) --------------------------
class BackgroundMcp:
    """One MCP client session to `cairn mcp`, used from synchronous (hypothesis) tests."""

    def __init__(self, repo: GitRepo) -> None:
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.failed: BaseException | None = None
        self.session: Any = None
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self._main(repo),), daemon=True)
        self.thread.start()
        assert self.ready.wait(TIMEOUT), "the MCP session did not start"
        if self.failed is not None:
            raise self.failed

    async def _main(self, repo: GitRepo) -> None:
        self.stop = asyncio.Event()
        try:
            async with mcp_session(repo) as session:
                self.session = session
                self.ready.set()
                await self.stop.wait()
        except BaseException as exc:  # reported to the test thread
            self.failed = exc
            self.ready.set()

    def call(self, name: str, args: Any) -> Any:
        future = asyncio.run_coroutine_threadsafe(self.session.call_tool(name, args), self.loop)
        return future.result(TIMEOUT)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(TIMEOUT)


@pytest.fixture(scope="module")
def mcp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundMcp]:
    root = tmp_path_factory.mktemp("fuzz-mcp") / "repo"
    root.mkdir()
    repo = GitRepo(root)
    repo.git("init", "-q", "-b", "main")
    repo.git("config", "commit.gpgsign", "false")
    good_repo(repo)
    client = BackgroundMcp(repo)
    yield client
    client.close()


TOOL_KEYS = {
    "recall": ["path", "line", "query", "budget"], "search": ["query", "limit"], "check": ["paths"],
    "get_note": ["id"], "add_note": ["kind", "title", "body", "tags", "anchors"],
    "update_note": ["id", "version", "title", "body", "append", "tags", "status", "supersedes", "anchors",
                    "reviewed", "reanchor"],
    "mark_reviewed": ["id", "version"], "affected": ["since"],
}
# Values of the right type for some keys, so that examples also get past argument validation.
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "path": st.sampled_from(["src/app.py", "src/none.py", "/etc/passwd", "../x", "agent-context"]),
    "line": st.integers(min_value=-5, max_value=2**40), "budget": st.integers(min_value=-5, max_value=2**40),
    "limit": st.integers(min_value=-5, max_value=2**40), "query": st.sampled_from(["two", "AND OR (((", "x*"]),
    "id": st.sampled_from(["decisions/f2-adds-two", "../../etc/passwd", "decisions/none"]),
    "kind": st.sampled_from(["decision", "gotcha", "nope"]), "title": st.text(max_size=20),
    "anchors": st.lists(st.sampled_from(["src/app.py:1-2", "src/app.py:0-99999999999", "/etc/passwd:1-2"]),
                        max_size=2),
    "since": st.sampled_from(["HEAD", "HEAD~1", "--all", "nonexistent"]), "paths": st.lists(st.text(max_size=10)),
}
MCP_CALLS = st.sampled_from(sorted(TOOL_KEYS)).flatmap(lambda name: st.tuples(
    st.just(name), st.one_of(
        st.fixed_dictionaries({}, optional={k: VALUES for k in TOOL_KEYS[name]}),
        st.fixed_dictionaries({}, optional={k: st.one_of(PLAUSIBLE.get(k, VALUES), VALUES) for k in TOOL_KEYS[name]}),
        st.dictionaries(st.text(max_size=8), VALUES, max_size=3))))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(call=MCP_CALLS)
def test_mcp_answers_any_arguments(mcp: BackgroundMcp, call: tuple[str, dict[str, Any]]) -> None:
    name, args = call
    result = mcp.call(name, args)
    if result.is_error:
        text = text_of(result).strip()
        first, _, rest = text.partition("\n")
        assert first and "Traceback" not in text, (name, args, text)
        assert not rest or first.startswith("conflict"), (name, args, text)  # a conflict carries the text
    found = mcp.call("search", {"query": "exactly two"})
    assert not found.is_error and "f2 adds two" in text_of(found)
