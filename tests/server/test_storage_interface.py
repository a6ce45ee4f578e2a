"""The storage seam holds: `interface.Store` names exactly the public methods of
`SqliteStore`, with the same parameters, and `PostgresStore` implements each of
them with the interface's signature; both backends declare the interface's
return types (its row dataclasses, never bare tuples); only the backends (the
SQLite one is store.py and the modules split from it) name a database driver;
importing the interface loads none.

When a method is added to SqliteStore, the first test fails until the interface
and PostgresStore have it too (and the contract suite, tests/cluster/storage,
checks it on both)."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import desktop_chat.server
from desktop_chat.server.storage.interface import Store
from desktop_chat.server.storage.postgres import PostgresStore
from desktop_chat.server.store import SqliteStore

SERVER = Path(desktop_chat.server.__file__).parent
# The SQLite backend: store.py and the modules split out of it (its mixins, rows,
# schema and migrations), which is exactly what store.py imports from the server.
SQLITE_BACKEND = {
    "store.py",
    "store_groups.py",
    "store_edits.py",
    "store_blobs.py",
    "blob_files.py",
    "store_messages.py",
    "store_errors.py",
    "rows.py",
    "schema.py",
    "migrations.py",
}
POSTGRES_BACKEND = {"storage/postgres.py"} | {
    f"storage/{path.name}" for path in (SERVER / "storage").glob("postgres_*.py")
}
BACKENDS = SQLITE_BACKEND | POSTGRES_BACKEND
# Still catch sqlite3.Error beside StoreError: to convert when the server takes Store.
TO_CONVERT = {"hub.py", "service.py", "sessions.py"}
# PostgreSQL-only: a request's events at once in one lock-ordered statement (and with
# the COMMIT, in one round trip); the committed log heads (a node's head check); a
# ping (its health check).
POSTGRES_EXTRAS = {
    "append_event_batch",
    "commit_after",
    "commit_events",
    "lock_waits_at_most",
    "log_heads",
    "ping",
}


def public(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


def interface_members() -> set[str]:
    return {
        name
        for klass in Store.__mro__
        if klass not in (object,) and klass.__module__.endswith("interface")
        for name in vars(klass)
        if not name.startswith("_")
    }


def test_the_interface_names_exactly_sqlite_stores_public_methods():
    members = interface_members()
    assert public(SqliteStore) == members


def test_postgres_store_has_the_interface_and_its_extras_only():
    assert public(PostgresStore) == interface_members() | POSTGRES_EXTRAS


def parameters(function) -> list[tuple[str, object, object]]:
    return [
        (p.name, p.kind, p.default)
        for p in inspect.signature(function).parameters.values()
        if p.name != "self"
    ]


@pytest.mark.parametrize("name", sorted(interface_members()))
def test_every_method_has_the_interfaces_signature(name):
    declared = getattr(Store, name)
    if isinstance(declared, property):
        assert isinstance(getattr(SqliteStore, name), property)
        assert isinstance(getattr(PostgresStore, name), property)
        return
    assert parameters(getattr(SqliteStore, name)) == parameters(declared)
    assert parameters(getattr(PostgresStore, name)) == parameters(declared)
    returns = inspect.signature(declared).return_annotation
    if name != "request":  # a generator function under @contextmanager
        assert inspect.signature(getattr(SqliteStore, name)).return_annotation == returns
        assert inspect.signature(getattr(PostgresStore, name)).return_annotation == returns


def drivers_named(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names & {"sqlite3", "psycopg", "psycopg_pool"}


def server_imports(path: Path) -> set[str]:
    """The desktop_chat.server modules `path` imports, as paths relative to SERVER."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        for module in modules:
            if module.startswith("desktop_chat.server."):
                found.add(module.removeprefix("desktop_chat.server.").replace(".", "/") + ".py")
    return found


def test_the_sqlite_backend_is_store_py_and_the_modules_it_is_made_of():
    reached, todo = set(), ["store.py"]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo.extend(server_imports(SERVER / module))
    assert reached == SQLITE_BACKEND, "a module store.py imports is part of the SQLite backend"


def test_only_the_backends_name_a_database_driver():
    naming = {str(path.relative_to(SERVER)) for path in SERVER.rglob("*.py") if drivers_named(path)}
    assert naming - BACKENDS <= TO_CONVERT, "catch the StoreError family, not a driver's errors"
    assert naming >= TO_CONVERT, "converted: take it off TO_CONVERT"


def test_importing_the_interface_loads_no_postgres_driver():
    code = (
        "import sys, desktop_chat.server.storage, desktop_chat.server.storage.interface;"
        " sys.exit('psycopg' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


@pytest.mark.parametrize("path", sorted((SERVER / "storage").glob("*.py")), ids=lambda p: p.name)
def test_storage_modules_say_what_they_own_and_stay_small(path):
    assert ast.get_docstring(ast.parse(path.read_text())), f"{path.name} has no docstring"
    assert len(path.read_text().splitlines()) <= 500
