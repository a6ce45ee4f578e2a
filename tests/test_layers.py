"""The package's layers, read from its source: floors, no import cycle, no stray Qt.

protocol ← client ← ui, and protocol ← server; `app.py` sits on top and nothing
imports it (the demo and the UI bench are the only others above the ui); the
protocol imports no I/O; only `ui/` and the client's Qt bridge import Qt. Every
import counts, deferred ones inside functions included (a deferred import hides a
cycle, it does not remove it); imports under `if TYPE_CHECKING:` are listed apart
(they never run), and count too for the type checker's graph inside the protocol,
the server and the client, which has no cycle either."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "desktop_chat"
NO_IO = ("asyncio", "PySide6", "qasync", "websockets", "sqlite3", "psycopg", "redis")


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = modules()


def _ours(name: str) -> str | None:
    """The module of ours `name` is, or is in (a name imported from a package)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports(path: Path) -> tuple[set[str], set[str], set[str]]:
    """(our modules imported at run time, ours imported for type checking only,
    every top-level package imported at run time)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(sub) for sub in ast.walk(node))
    runtime: set[str] = set()
    typed: set[str] = set()
    packages: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            target = _ours(name) if name.startswith("desktop_chat") else None
            if id(node) in typing_only:
                if target:
                    typed.add(target)
                continue
            packages.add(name.split(".")[0])
            if target:
                runtime.add(target)
    return runtime, typed, packages


GRAPH = {name: imports(path) for name, path in MODULES.items()}


def layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "desktop_chat"


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_runtime_import_graph_has_no_cycle():
    runtime = {name: own - {name} for name, (own, _, _) in GRAPH.items()}
    assert cycles(runtime) == []


def test_the_protocol_server_and_client_have_no_cycle_even_for_the_type_checker():
    # An import under `if TYPE_CHECKING:` never runs, but it still ties the two
    # modules together: neither can be read, checked or changed without the other.
    # Inside these layers the modules form floors with type-only imports too.
    wrong = []
    for floor in ("protocol", "server", "client"):
        inside = {name for name in GRAPH if layer(name) == floor}
        edges = {
            name: {t for t in runtime | typed if t in inside} - {name}
            for name, (runtime, typed, _) in GRAPH.items()
            if name in inside
        }
        wrong += cycles(edges)
    assert wrong == []


def test_each_layer_imports_only_the_floors_below_it():
    allowed = {
        # The package itself holds only `__version__`.
        "protocol": {"desktop_chat", "protocol"},
        "client": {"desktop_chat", "protocol", "client"},
        "server": {"desktop_chat", "protocol", "server"},
    }
    wrong = []
    for name, (runtime, typed, _) in GRAPH.items():
        floors = allowed.get(layer(name))
        if floors is None:
            continue
        wrong += [(name, t) for t in sorted(runtime | typed) if layer(t) not in floors]
    assert wrong == []


def test_nothing_imports_the_app_and_only_the_top_imports_the_ui():
    top = {
        "desktop_chat.app",
        "desktop_chat.demo",
        "desktop_chat.bench.ui",
        "desktop_chat.bench.app",  # writes the app's settings for the app it starts
        "desktop_chat.bench.app_child",  # runs the app, and watches it
    }
    wrong = []
    for name, (runtime, typed, _) in GRAPH.items():
        for target in runtime | typed:
            into_ui = layer(target) == "ui" and layer(name) != "ui" and name not in top
            if target == "desktop_chat.app" or into_ui:
                wrong.append((name, target))
    assert wrong == []


def test_the_protocol_imports_no_io_and_only_the_ui_imports_qt():
    wrong = []
    for name, (_, _, packages) in GRAPH.items():
        if layer(name) == "protocol":
            wrong += [(name, p) for p in sorted(packages) if p in NO_IO]
        elif layer(name) != "ui" and name not in {
            "desktop_chat.client.qt_bridge",
            "desktop_chat.app",
            "desktop_chat.demo",
            "desktop_chat.bench.ui",
            "desktop_chat.bench.app_child",
        }:
            wrong += [(name, p) for p in sorted(packages) if p in ("PySide6", "qasync")]
    assert wrong == []


def test_the_graph_is_read_from_real_modules():
    # A broken reader would pass every test above with an empty graph.
    client_imports = GRAPH["desktop_chat.client.client"][0]
    assert any(layer(target) == "protocol" for target in client_imports)
    assert len(MODULES) > 100


def test_the_whole_package_has_no_cycle_even_for_the_type_checker():
    every = {name: (runtime | typed) - {name} for name, (runtime, typed, _) in GRAPH.items()}
    assert cycles(every) == []


def test_no_module_is_over_about_500_lines():
    # The house rule; a file that grows past it is split by what it owns.
    long = {
        str(path.relative_to(PACKAGE.parent)): n
        for path in MODULES.values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 520
    }
    assert long == {}


def test_no_function_is_over_about_60_lines():
    long = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > 65:
                    long.append((name, node.name, lines))
    assert long == []
