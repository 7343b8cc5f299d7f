"""The layering of `sidecar/cairn`, checked on the source (run by `make check` and by pytest).

The engine (notes, anchors, gitio, index, recall, config, workspace, sync, review, …) answers every
question; the adapters (the language server, the MCP server, the CLI) translate. This test reads every
module's imports with `ast` (nothing is imported or executed) and holds four rules:

1. the engine imports no adapter, and neither pygls/lsprotocol nor mcp;
2. an adapter imports no other adapter, except the CLI starting a server (`cairn serve`, `cairn mcp`);
3. no import cycles among the modules (imports inside functions count; `if TYPE_CHECKING:` ones do not);
4. only `cairn/gitio/*` runs git: no other module builds a git command line (a list or tuple starting
   with "git", or a "git ..." string handed to a process-starting call), calls a repository's raw runner
   (`.run([...])` on a repository, `._run`, `git_process`), or imports GitPython. Starting other
   programs is fine (the daemon spawning itself, `cairn review --run` piping to the user's agent), and
   so is git named inside a shell script's text (the hooks write one; git runs it, not Cairn).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "sidecar"
PACKAGE = "cairn"

# The adapter each top-level module belongs to; every other module is the engine.
# The daemon is the CLI's warm process (it runs the CLI's own command code), the launcher its entry point.
ADAPTERS = {"server": "server", "mcp": "mcp", "commands": "cli", "cli": "cli", "__main__": "cli", "launcher": "cli",
            "hook_entry": "cli",
            "daemon": "cli"}
THIRD_PARTY_ADAPTER_ONLY = ("pygls", "lsprotocol", "mcp")
# The CLI is how a user starts the servers: it may import their entry points, nothing else of them.
ENTRY_POINTS = {("cli", "cairn.server.app"), ("cli", "cairn.mcp")}
# Cycles allowed to remain: none (the server's view types live in server/views.py, which session.py,
# checkers.py and saved_state.py all import; agent_config.py broke agents <-> agent_hooks/install).
KNOWN_CYCLES: set[frozenset[str]] = set()

# Rule 4. The package allowed to run git, and the modules still converting to its named operations
# (none left: `anchors/history.py` uses `GitRepo.mainline` / `first_parent`, and `GitRepo.run` is gone).
GIT_PACKAGE = "cairn.gitio"
PENDING_GIT_BOUNDARY: set[str] = set()
GITPYTHON = "git"
# Calls that start a process (subprocess, os, asyncio); a git command line handed to any of them runs git.
SPAWNERS = frozenset({"run", "Popen", "call", "check_call", "check_output", "getoutput", "getstatusoutput",
                      "system", "popen", "execv", "execvp", "execvpe", "execl", "execlp", "spawnv", "spawnvp",
                      "posix_spawn", "posix_spawnp", "create_subprocess_exec", "create_subprocess_shell"})
# The gitio internals that run git; nothing outside the package names them.
GIT_RUNNERS = frozenset({"_run", "git_process", "checked_output"})



@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported module (a cairn module, or the top-level name of a third-party one)
    line: int


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SOURCE / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SOURCE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(name: str, path: Path, known: dict[str, Path]) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skip = _type_checking_lines(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom) or node.lineno in skip:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            # `from cairn.notes import store` imports the submodule; `from cairn.notes import Note` the package.
            targets = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in known else origin for a in node.names]
        for target in dict.fromkeys(targets):
            if target == PACKAGE or target.startswith(PACKAGE + "."):
                while target not in known:
                    target = target.rpartition(".")[0]
                if target != name:
                    yield Import(name, target, node.lineno)
            else:
                yield Import(name, target.partition(".")[0], node.lineno)


def all_imports() -> list[Import]:
    known = modules()
    return [imp for name, path in known.items() for imp in imports_of(name, path, known)]


def adapter_of(module: str) -> str | None:
    parts = module.split(".")
    return ADAPTERS.get(parts[1]) if len(parts) > 1 else None


def where(imp: Import) -> str:
    return f"{imp.module} (line {imp.line}) imports {imp.target}"


def test_the_engine_imports_no_adapter() -> None:
    wrong = []
    for imp in all_imports():
        if adapter_of(imp.module) is not None:
            continue
        if adapter_of(imp.target) is not None or imp.target in THIRD_PARTY_ADAPTER_ONLY:
            wrong.append(where(imp))
    assert not wrong, "the engine must not import an adapter:\n" + "\n".join(wrong)


def test_adapters_do_not_import_each_other() -> None:
    wrong = []
    for imp in all_imports():
        mine, theirs = adapter_of(imp.module), adapter_of(imp.target)
        if mine is None or theirs is None or mine == theirs or (mine, imp.target) in ENTRY_POINTS:
            continue
        wrong.append(where(imp))
    assert not wrong, "adapters must go through the engine, not through each other:\n" + "\n".join(wrong)


def import_cycles(edges: list[Import]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {}
    for imp in edges:
        if imp.target.startswith(PACKAGE + ".") or imp.target == PACKAGE:
            graph.setdefault(imp.module, set()).add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    cycles = [c for c in import_cycles(all_imports()) if frozenset(c) not in KNOWN_CYCLES]
    assert not cycles, "import cycles in sidecar/cairn:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def _starts_with_git(node: ast.expr) -> bool:
    """Whether `node` is a git command line: `["git", ...]`, `("git", ...)`, `["git"] + rest`, or a
    string (plain or f-string) whose first word is git."""
    if isinstance(node, ast.List | ast.Tuple):
        return bool(node.elts) and isinstance(node.elts[0], ast.Constant) and node.elts[0].value == "git"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _starts_with_git(node.left)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.split(" ", 1)[0] == "git"
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return str(node.values[0].value).split(" ", 1)[0] == "git"
    return False


def _looks_like_repo(node: ast.expr) -> bool:
    """A receiver that is a `GitRepo`: `repo`, `self.repo`, `open_repo(...)`, `repo_for(...)`, `GitRepo(...)`."""
    if isinstance(node, ast.Call):
        node = node.func
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    return name.lower().endswith("repo") or name in ("open_repo", "repo_for", "GitRepo")


def git_boundary_breaches(name: str, source: str) -> list[str]:
    """Where module `name` (its `source`) runs git itself instead of through `cairn.gitio` (rule 4)."""
    if name == GIT_PACKAGE or name.startswith(GIT_PACKAGE + "."):
        return []
    found = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        imported = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
        if any(module.partition(".")[0] == GITPYTHON for module in imported):
            found.append(f"{name} (line {line}) imports GitPython")
        elif isinstance(node, ast.ImportFrom) and any(a.name in GIT_RUNNERS for a in node.names):
            found.append(f"{name} (line {line}) imports gitio's raw git runner")
        elif isinstance(node, ast.List | ast.Tuple) and _starts_with_git(node):
            found.append(f"{name} (line {line}) builds a git command line")
        elif isinstance(node, ast.Attribute) and node.attr in GIT_RUNNERS and \
                (node.attr != "_run" or _looks_like_repo(node.value)):
            found.append(f"{name} (line {line}) calls gitio's raw git runner (.{node.attr})")
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            argv = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "args"), None)
            if called in SPAWNERS and argv is not None and _starts_with_git(argv):
                found.append(f"{name} (line {line}) runs git")
            elif called == "run" and isinstance(func, ast.Attribute) and _looks_like_repo(func.value):
                found.append(f"{name} (line {line}) runs raw git through a repository's .run")
            elif called == "run" and isinstance(func, ast.Attribute) and isinstance(argv, ast.List | ast.Tuple) \
                    and not (isinstance(func.value, ast.Name) and func.value.id == "subprocess"):
                found.append(f"{name} (line {line}) runs a raw command line through .run([...])")
    return found


def test_only_gitio_runs_git() -> None:
    wrong, converted = [], []
    for name, path in modules().items():
        breaches = git_boundary_breaches(name, path.read_text(encoding="utf-8"))
        if name in PENDING_GIT_BOUNDARY:
            converted += [] if breaches else [name]
            continue
        wrong += breaches
    assert not wrong, "only cairn.gitio runs git; use (or add) a named operation there:\n" + "\n".join(wrong)
    assert not converted, f"converted, remove from PENDING_GIT_BOUNDARY: {', '.join(converted)}"


def test_the_git_boundary_checker_sees_git_run_outside_gitio() -> None:
    """Rule 4 catches each way of running git, and lets other programs and git-in-script-text through."""
    breaches = [
        "import git", "from git import Repo", "from git.exc import GitCommandError",
        'subprocess.run(["git", "status"], cwd=root)', 'subprocess.Popen(("git", "log"))',
        'subprocess.check_output(args=["git"] + rest)', 'os.system("git gc")',
        'subprocess.run(f"git log {rev}", shell=True)', 'argv = ["git", "-c", "core.quotepath=off", *args]',
        'open_repo(root).run(["rev-parse", "HEAD"])', 'self.repo.run(args, check=False)',
        'repo_for(ws.root).run(["ls-files"])', 'thing.run(["rev-list", tip])', 'repo._run(["log"])',
        "from cairn.gitio.repo import git_process",
    ]
    for source in breaches:
        assert git_boundary_breaches("cairn.review", source), source
        assert not git_boundary_breaches("cairn.gitio.ranges", source), source
    allowed = [
        'subprocess.run([sys.executable, "-m", "cairn", "daemon", "run"])', "subprocess.run(argv, input=text)",
        'subprocess.run([*cairn, *step], cwd=target)', "asyncio.run(main())", "anyio.run(worker, 3)",
        "self._run(job)",
        'LAUNCHER = "r=$(git rev-parse --show-toplevel)"', 'text = "#!/bin/sh\\ngit diff --name-only"',
        "from cairn.gitio import open_repo\nopen_repo(root).head()", "import gitdb_like_name",
    ]
    for source in allowed:
        assert not git_boundary_breaches("cairn.review", source), source


def test_the_checker_sees_a_cycle_and_a_layering_breach() -> None:
    """The rules above would catch what they are for (so a green run means something)."""
    edges = [Import("cairn.notes.store", "cairn.notes.index_json", 1),
             Import("cairn.notes.index_json", "cairn.notes.store", 2),
             Import("cairn.recall", "cairn.index", 3)]
    assert import_cycles(edges) == [["cairn.notes.index_json", "cairn.notes.store"]]
    assert adapter_of("cairn.server.session") == "server" and adapter_of("cairn.commands.notes") == "cli"
    assert adapter_of("cairn.notes.store") is None


if __name__ == "__main__":  # pragma: no cover - a quick report: `python tests/test_import_contract.py`
    for cycle in import_cycles(all_imports()):
        print("cycle:", " <-> ".join(cycle))
