"""The layering of `sidecar/cairn`, checked on the source (run by `make check` and by pytest).

The engine (notes, anchors, gitio, index, recall, config, workspace, sync, review, …) answers every
question; the adapters (the language server, the MCP server, the CLI) translate. This test reads every
module's imports with `ast` (nothing is imported or executed) and holds three rules:

1. the engine imports no adapter, and neither pygls/lsprotocol nor mcp;
2. an adapter imports no other adapter, except the CLI starting a server (`cairn serve`, `cairn mcp`);
3. no import cycles among the modules (imports inside functions count; `if TYPE_CHECKING:` ones do not).
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
            "daemon": "cli"}
THIRD_PARTY_ADAPTER_ONLY = ("pygls", "lsprotocol", "mcp")
# The CLI is how a user starts the servers: it may import their entry points, nothing else of them.
ENTRY_POINTS = {("cli", "cairn.server.app"), ("cli", "cairn.mcp")}
# The cycle left: it arrived with the agent hooks (issue 14) as this round closed: agents.py installs them lazily and
# agent_hooks/install.py reads agents.py's launcher and JSON helper; a shared module for those two breaks it.
KNOWN_CYCLES = {frozenset({"cairn.agents", "cairn.agent_hooks.install"})}



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
