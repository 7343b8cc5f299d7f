"""Benchmark of `cairn serve` through a real LSP client (pygls/pytest-lsp's LanguageClient over stdio).

Workspace: 2,000 generated Python files, 10,000 notes with 5 anchors each (50,000 anchors), one later
commit on `main` that changes 60 anchored functions (some notes stale), and a branch `other` that
rewrites 60 more. Measured, with the verdict cache and search index warm from a previous server run:

- initialize → first publishDiagnostics
- hover, code lens and `cairn/recall`: p50 / p99 over many requests on open documents
- a note file written on disk by another process → its diagnostic
- `git checkout other` (and back) → the refreshed diagnostics of a file whose note changed state
- the server's RSS (current and peak)

Usage: `python bench/server/run.py [--dir DIR] [--rebuild]` (the workspace is reused between runs).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from lsprotocol import types

FILES = 2_000
FUNCS = 30  # per file, 5 lines each
NOTES = 10_000
ANCHORS_PER_NOTE = 5
CHANGED_ON_MAIN = 60
CHANGED_ON_OTHER = 60
SEED = 7

GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com", "GIT_CONFIG_NOSYSTEM": "1"}


def git(root: Path, *args: str) -> str:
    out = subprocess.run(["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.com", *args], cwd=root,
                         env=GIT_ENV, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def file_path(i: int) -> str:
    return f"src/pkg{i % 40:02d}/mod{i:04d}.py"


def source(i: int, changed: set[int] = frozenset(), tag: str = "") -> str:  # type: ignore[assignment]
    out = []
    for k in range(FUNCS):
        body = f"    y = x * {k} + {i}\n" if k not in changed else f"    y = x * {k} - {i}  # {tag}\n"
        out.append(f"def f_{i}_{k}(x):\n    \"\"\"Function {k} of module {i}.\"\"\"\n{body}    return y\n\n")
    return "".join(out)


def build(root: Path) -> None:
    """The workspace: code, notes anchored at the first commit, a later change, a branch."""
    from cairn.anchors.record import anchor_mapping
    from cairn.anchors.text import split_lines
    from cairn.notes.document import render

    rng = random.Random(SEED)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    texts: dict[int, str] = {}
    for i in range(FILES):
        path = root / file_path(i)
        path.parent.mkdir(parents=True, exist_ok=True)
        texts[i] = source(i)
        path.write_text(texts[i])
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Generated code")
    head = git(root, "rev-parse", "HEAD")
    lines_of = {i: split_lines(t) for i, t in texts.items()}
    data_of = {i: t.encode() for i, t in texts.items()}
    kinds = ["decision", "pattern", "gotcha"]
    folders = {"decision": "decisions", "pattern": "patterns", "gotcha": "gotchas"}
    for n in range(NOTES):
        kind = kinds[n % 3]
        anchors = []
        home = rng.randrange(FILES)
        for a in range(ANCHORS_PER_NOTE):
            i = home if a < 3 else rng.randrange(FILES)
            k = rng.randrange(FUNCS)
            start = k * 5 + 1
            anchors.append(anchor_mapping(file_path(i), start, start + 3, head, lines_of[i], data_of[i]))
        meta = {"title": f"Note {n}: how module {home} handles case {n % 97}", "kind": kind,
                "tags": [f"area{n % 25}", f"team{n % 7}"], "status": "active",
                "created": "2026-11-01T10:00:00Z", "reviewed": "2026-11-20T10:00:00Z", "anchors": anchors}
        body = (f"\nModule {home} keeps case {n % 97} apart because of ordering constraint {n}.\n\n"
                f"Do not merge the branches of f_{home}_x without checking the callers in pkg{home % 40:02d}.\n")
        path = root / "agent-context" / folders[kind] / f"note-{n:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(meta, body))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Notes")
    changed = rng.sample(range(FILES), CHANGED_ON_MAIN)
    for i in changed:
        (root / file_path(i)).write_text(source(i, {0, 1, 2, 3, 4, 5}, "main"))
    git(root, "commit", "-q", "-am", "Rework the first functions of some modules")
    git(root, "checkout", "-q", "-b", "other")
    others = rng.sample([i for i in range(FILES) if i not in changed], CHANGED_ON_OTHER)
    for i in others:
        (root / file_path(i)).write_text(source(i, set(range(FUNCS)), "other"))
    git(root, "commit", "-q", "-am", "Rewrite whole modules on the other branch")
    git(root, "checkout", "-q", "main")
    (root / ".bench-other").write_text("\n".join(str(i) for i in others))
    (root / ".git" / "info" / "exclude").write_text(".bench-*\n")
    (root / ".bench-ready").write_text("ok\n")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (load-independent, unlike wall time on a busy machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def fmt(values: list[float]) -> str:
    return f"p50 {pct(values, 50):.2f} ms · p99 {pct(values, 99):.2f} ms · n={len(values)}"


class Bench:
    def __init__(self, root: Path, src: Path | None = None) -> None:
        self.root = root
        self.src = src  # another checkout's `sidecar/` to run the server from (a same-run baseline)
        self.results: dict[str, Any] = {}

    async def client(self) -> Any:
        from pytest_lsp.client import make_test_lsp_client

        client = make_test_lsp_client()
        client.status = []

        @client.feature("cairn/statusChanged")
        def status(ls: Any, params: Any) -> None:
            ls.status.append(params)

        @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
        def refresh(ls: Any, params: Any) -> None:
            return None

        @client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register(ls: Any, params: Any) -> None:
            return None  # the server's file watcher registration (VS Code would start watching)

        env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}
        if self.src is not None:
            env["PYTHONPATH"] = str(self.src)
        await client.start_io(sys.executable, "-m", "cairn", "serve", env=env)
        return client

    async def wait(self, client: Any, method: str, predicate: Any, timeout: float = 60.0) -> float:
        """Seconds until `predicate()` holds, re-checked at each `method` notification."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        while True:
            future = client.protocol.wait_for_notification_async(method)
            if predicate():
                return loop.time() - start
            if loop.time() - start > timeout:
                raise TimeoutError(f"waiting for {method}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(future, 1.0)

    async def initialize(self, client: Any) -> float:
        from pytest_lsp import client_capabilities

        params = types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"), root_uri=self.root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=self.root.as_uri(), name="bench")], process_id=os.getpid())
        started = time.perf_counter()
        await client.initialize_session(params)
        await self.wait(client, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, lambda: bool(client.diagnostics), 120)
        first = time.perf_counter() - started
        await self.wait(client, "cairn/statusChanged", lambda: bool(client.status), 120)
        return first

    async def warm(self) -> list[str]:
        """Run a server once (verdict cache, index and saved state warm); the uris it gave diagnostics."""
        client = await self.client()
        await self.initialize(client)
        await client.protocol.send_request_async("cairn/search", {"query": "module", "limit": 5})
        await self.close(client)
        return sorted(uri for uri, diagnostics in client.diagnostics.items() if diagnostics)

    async def initialize_with_open(self, client: Any, path: Path) -> tuple[float, float, float]:
        """(s until the diagnostics of `path`, the server's CPU s until then, s until the whole workspace's):
        the document opened right after `initialize`, as an editor restoring its tabs does."""
        from pytest_lsp import client_capabilities

        params = types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"), root_uri=self.root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=self.root.as_uri(), name="bench")], process_id=os.getpid())
        uri = path.as_uri()
        started = time.perf_counter()
        await client.initialize_session(params)
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id="python", version=1, text=path.read_text())))
        await self.wait(client, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, lambda: bool(client.diagnostics.get(uri)), 120)
        first = time.perf_counter() - started
        cpu = cpu_seconds(client._server.pid)
        await self.wait(client, "cairn/statusChanged", lambda: bool(client.status), 120)
        return first, cpu, time.perf_counter() - started

    async def measure(self) -> None:
        client = await self.client()
        pid = client._server.pid
        first = await self.initialize(client)
        cpu = cpu_seconds(pid)
        self.results["initialize → first diagnostics"] = (f"{first * 1000:.0f} ms wall · server CPU until then "
                                                          f"{cpu * 1000:.0f} ms (process start included)")
        rng = random.Random(SEED)

        docs = [rng.randrange(FILES) for _ in range(20)]
        for version, i in enumerate(docs, 1):
            uri = (self.root / file_path(i)).as_uri()
            client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=version, text=(self.root / file_path(i)).read_text())))
        for i in docs:  # the first request per document builds its view; the figures are for the steady state
            await client.text_document_hover_async(types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=(self.root / file_path(i)).as_uri()),
                position=types.Position(line=2, character=4)))

        async def timed(coro: Any) -> float:
            t = time.perf_counter()
            await coro
            return (time.perf_counter() - t) * 1000

        hovers, lenses, recalls = [], [], []
        hits = 0
        for _ in range(1000):
            i = rng.choice(docs)
            line = rng.randrange(FUNCS * 5)
            uri = (self.root / file_path(i)).as_uri()
            t = time.perf_counter()
            got = await client.text_document_hover_async(types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=4)))
            hovers.append((time.perf_counter() - t) * 1000)
            hits += got is not None
        for _ in range(300):
            uri = (self.root / file_path(rng.choice(docs))).as_uri()
            lenses.append(await timed(client.text_document_code_lens_async(types.CodeLensParams(
                text_document=types.TextDocumentIdentifier(uri=uri)))))
        for _ in range(200):
            uri = (self.root / file_path(rng.choice(docs))).as_uri()
            recalls.append(await timed(client.protocol.send_request_async("cairn/recall", {
                "uri": uri, "position": {"line": rng.randrange(FUNCS * 5), "character": 0}})))
        self.results["hover"] = fmt(hovers) + f" ({hits} with notes)"
        self.results["code lens"] = fmt(lenses)
        self.results["cairn/recall"] = fmt(recalls)

        # Typing: an edit inside anchored lines of an open file makes its notes stale before saving, and
        # undoing it makes them fresh again; timed from didChange to the diagnostics that reflect it.
        typing = []
        edit_doc = next(i for i in docs if not client.diagnostics.get((self.root / file_path(i)).as_uri()))
        edit_uri = (self.root / file_path(edit_doc)).as_uri()
        original = (self.root / file_path(edit_doc)).read_text()
        version = 1000
        for k in range(10):
            edited = original
            for func in range(2 * k, 2 * k + 5):  # a few neighbouring functions: some of them are anchored
                edited = edited.replace(f"    y = x * {func} + {edit_doc}\n", f"    y = x * {func} + {edit_doc} + 1\n")
            for text, want_stale in ((edited, True), (original, False)):
                version += 1
                t = time.perf_counter()
                client.text_document_did_change(types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=edit_uri, version=version),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
                await self.wait(client, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
                                lambda want=want_stale: bool(client.diagnostics.get(edit_uri)) == want, 30)
                typing.append((time.perf_counter() - t) * 1000)
        self.results["buffer edit → diagnostic"] = fmt(typing).replace("p99", "max")

        # A note written on disk by another process, anchored to code that changed on main: stale.
        from cairn.anchors.record import anchor_mapping
        from cairn.anchors.text import split_lines
        from cairn.notes.document import render

        main_head = git(self.root, "rev-parse", "HEAD~1")  # the commit the code was generated at
        note_lat = []
        changed = [i for i in range(FILES) if "main" in (self.root / file_path(i)).read_text()[:400]]
        for n, i in enumerate(changed[:10]):
            old = source(i)
            anchor = anchor_mapping(file_path(i), 1, 4, main_head, split_lines(old), old.encode())
            meta = {"title": f"Bench note {n}", "kind": "gotcha", "created": "2026-11-20T10:00:00Z",
                    "reviewed": "2026-11-20T10:00:00Z", "anchors": [anchor]}
            uri = (self.root / file_path(i)).as_uri()
            before = len(client.diagnostics.get(uri, ()))
            path = self.root / "agent-context" / "gotchas" / f"bench-{n}-{time.time_ns()}.md"
            t = time.perf_counter()
            path.write_text(render(meta, "\nWritten by another process.\n"))
            await self.wait(client, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
                            lambda uri=uri, before=before: len(client.diagnostics.get(uri, ())) > before, 30)
            note_lat.append((time.perf_counter() - t) * 1000)
            path.unlink()
        self.results["note on disk → diagnostic"] = fmt(note_lat).replace("p99", "max")

        # git checkout of the other branch: files rewritten there get stale diagnostics.
        others = [int(x) for x in (self.root / ".bench-other").read_text().split()]
        probe = next(i for i in others if (self.root / file_path(i)).as_uri() not in client.diagnostics
                     or not client.diagnostics[(self.root / file_path(i)).as_uri()])
        probe_uri = (self.root / file_path(probe)).as_uri()
        t = time.perf_counter()
        git(self.root, "checkout", "-q", "other")
        await self.wait(client, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
                        lambda: bool(client.diagnostics.get(probe_uri)), 60)
        there = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        git(self.root, "checkout", "-q", "main")
        await self.wait(client, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
                        lambda: not client.diagnostics.get(probe_uri), 60)
        back = (time.perf_counter() - t) * 1000
        self.results["git checkout → diagnostics"] = f"to other {there:.0f} ms · back to main {back:.0f} ms"

        status = Path(f"/proc/{pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss = int(fields["VmRSS"].split()[0]) / 1024
        peak = int(fields["VmHWM"].split()[0]) / 1024
        self.results["server memory"] = f"RSS {rss:.0f} MB · peak {peak:.0f} MB"
        counts = client.status[-1]
        self.results["workspace"] = (f"{FILES} files, {counts.notes} notes, {NOTES * ANCHORS_PER_NOTE} anchors, "
                                     f"{counts.stale} stale notes")
        await self.close(client)

    async def close(self, client: Any) -> None:
        for future in client.protocol._notification_futures.values():
            future.cancel()  # our pending waits; otherwise the client reports them when the server exits
        client.protocol._notification_futures.clear()
        await client.shutdown_session()
        await client.stop()


async def main_async(args: argparse.Namespace) -> int:
    root = Path(args.dir).resolve()
    if args.rebuild or not (root / ".bench-ready").exists():
        t = time.perf_counter()
        build(root)
        print(f"built {root} in {time.perf_counter() - t:.1f} s", flush=True)
    bench = Bench(root)
    load_before = os.getloadavg()[0]
    t = time.perf_counter()
    await bench.warm()
    print(f"warm-up run (cold caches, index build): {time.perf_counter() - t:.1f} s", flush=True)
    await bench.measure()
    bench.results["machine load (1-min avg)"] = f"{load_before:.1f} before · {os.getloadavg()[0]:.1f} after " \
                                                f"({os.cpu_count()} cores)"
    width = max(len(k) for k in bench.results)
    for key, value in bench.results.items():
        print(f"{key:<{width}}  {value}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", default=str(Path(__file__).resolve().parents[2] / ".cache" / "bench-server"))
    parser.add_argument("--rebuild", action="store_true")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
