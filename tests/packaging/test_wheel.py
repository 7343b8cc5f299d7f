"""The wheel a team installs: built from this tree, installed into a clean virtualenv outside the
repository, and used the way a person and their editor and agent use it — every command, `serve`
through a raw LSP `initialize`, `mcp` through the official MCP client.

The installed `cairn` must work with nothing of this checkout on PATH or on `sys.path`: the test runs it
from a temporary repository with a PATH of the new venv and the system's bin folders only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

import cairn
from tests.conftest import GIT_ENV

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed ({result.returncode}):\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`python -m build` (isolated, as a release would) into a folder outside the repository."""
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)])
    wheels = list(out.glob("*.whl"))
    sdists = list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, list(out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


@pytest.fixture(scope="module")
def installed(dists: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean venv (no system site-packages) with the wheel installed; returns its bin folder."""
    env_dir = tmp_path_factory.mktemp("clean") / "venv"
    venv.create(env_dir, with_pip=True, clear=True)
    bin_dir = env_dir / "bin"
    run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(dists["wheel"])])
    return bin_dir


@pytest.fixture
def user_env(installed: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of a user who installed the wheel: no checkout venv on PATH, no PYTHONPATH."""
    keep = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PATH"}}
    home = tmp_path / "home"
    home.mkdir()
    return {**keep, **GIT_ENV, "HOME": str(home), "PATH": f"{installed}:/usr/local/bin:/usr/bin:/bin"}


@pytest.fixture
def project(tmp_path: Path, user_env: dict[str, str]) -> Iterator[Path]:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("".join(f"def f{i}():\n    return {i}\n\n" for i in range(20)))
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "start"]):
        run(["git", *args], cwd=root, env=user_env)
    yield root


def test_dists_pass_twine_check_and_hold_only_the_package(dists: dict[str, Path]) -> None:
    run([sys.executable, "-m", "twine", "check", "--strict", str(dists["wheel"]), str(dists["sdist"])])
    names = zipfile.ZipFile(dists["wheel"]).namelist()
    assert "cairn/py.typed" in names and "cairn/server/app.py" in names and "cairn/mcp/server.py" in names
    assert not [n for n in names if n.startswith(("tests/", "bench/", "extension/"))]
    assert dists["wheel"].name == f"cairn_context-{cairn.__version__}-py3-none-any.whl"


def test_installed_cli_runs_every_command_outside_the_checkout(
    installed: Path, project: Path, user_env: dict[str, str]
) -> None:
    exe = str(installed / "cairn")

    def cairn_(*args: str, code: int = 0) -> str:
        result = subprocess.run([exe, *args], cwd=project, env=user_env, capture_output=True, text=True)
        assert result.returncode == code, f"cairn {' '.join(args)} -> {result.returncode}: {result.stderr}"
        return result.stdout

    assert cairn_("--version").strip() == f"cairn {cairn.__version__}"
    # Imported from the venv, not from this checkout.
    where = run([str(installed / "python"), "-c", "import cairn; print(cairn.__file__)"], cwd=project, env=user_env)
    assert str(installed.parent) in where.stdout and str(ROOT) not in where.stdout
    cairn_("init")
    path = cairn_("add", "--kind", "gotcha", "--title", "f3 must stay pure", "--anchor", "src/app.py:10-11",
                  "--body", "Callers cache f3's result.").strip()
    note_id = Path(path).with_suffix("").relative_to("agent-context").as_posix()
    assert json.loads(cairn_("show", note_id, "--json"))["title"] == "f3 must stay pure"
    assert note_id in cairn_("list")
    cairn_("index")
    assert "f3 must stay pure" in cairn_("recall", "src/app.py:10")
    assert note_id in cairn_("search", "pure")
    assert json.loads(cairn_("check", "--json"))["notes"]
    run(["git", "add", "-A"], cwd=project, env=user_env)
    run(["git", "commit", "-qm", "note"], cwd=project, env=user_env)
    (project / "src" / "app.py").write_text((project / "src" / "app.py").read_text().replace("return 3", "return 33"))
    run(["git", "commit", "-qam", "change f3"], cwd=project, env=user_env)
    assert "change f3" in cairn_("check", code=1)


def _frame(message: dict[str, object]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _read_frame(stream: object) -> dict[str, object]:
    read = stream.readline  # type: ignore[attr-defined]
    length = 0
    while (line := read().strip()) != b"":
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return json.loads(stream.read(length))  # type: ignore[attr-defined]


def test_installed_language_server_answers_initialize(installed: Path, project: Path, user_env: dict[str, str]) -> None:
    proc = subprocess.Popen([str(installed / "cairn"), "serve"], cwd=project, env=user_env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdin and proc.stdout
        proc.stdin.write(_frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": None, "rootUri": project.as_uri(), "capabilities": {}}}))
        proc.stdin.flush()
        reply = _read_frame(proc.stdout)
        while "id" not in reply:  # skip the notifications (log messages) sent before the answer
            reply = _read_frame(proc.stdout)
        info = reply["result"]["serverInfo"]  # type: ignore[index]
        assert info == {"name": "cairn", "version": cairn.__version__}
        for message in ({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}, {"jsonrpc": "2.0", "method": "exit"}):
            proc.stdin.write(_frame(message))
        proc.stdin.flush()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


async def test_installed_mcp_server_starts_for_the_official_client(
    installed: Path, project: Path, user_env: dict[str, str]
) -> None:
    params = StdioServerParameters(command=str(installed / "cairn"), args=["mcp"], cwd=str(project), env=user_env)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        init = await session.initialize()
        assert init.server_info.name == "cairn" and init.server_info.version == cairn.__version__
        tools = {t.name for t in (await session.list_tools()).tools}
        assert {"recall", "search", "add_note", "update_note"} <= tools
