"""Fixtures of the store contract suite: every test that takes `store` (or
`open_store`) runs once per backend, on a real engine:

- `sqlite`: a `SqliteStore` on a file in the test's tmp dir;
- `sqlite-blob-dir`: the same, with the bytes of files in a folder beside it
  (`blob_dir`, `blob_files.BlobFiles`);
- `postgres`: a `PostgresStore` on a fresh database of the session's private
  PostgreSQL (`tests/cluster/engines.py`; fsync off). Without PostgreSQL installed
  that half skips, and fails under CI=true; the SQLite half never needs it.

`pg_url` is a fresh database for the PostgreSQL-only tests beside the contract.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop_chat.server.store import SqliteStore

BACKENDS = ["sqlite", "sqlite-blob-dir", "postgres"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def open_store(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], object]]:
    """Open a store (another session, or the same data again) on this test's database."""
    if backend.startswith("sqlite"):
        path = tmp_path / "server.db"
        blob_dir = tmp_path / "blobs" if backend == "sqlite-blob-dir" else None

        def factory() -> object:
            return SqliteStore(path, blob_dir=blob_dir)

    else:
        from desktop_chat.server.storage.postgres import PostgresStore

        url = request.getfixturevalue("postgres").fresh_database()

        def factory() -> object:
            return PostgresStore(url)

    opened: list = []

    def open_() -> object:
        store = factory()
        opened.append(store)
        return store

    yield open_
    for store in opened:
        with contextlib.suppress(Exception):
            store.close()


@pytest.fixture
def store(open_store: Callable[[], object]):
    return open_store()


@pytest.fixture
def pg_url(postgres) -> str:
    return postgres.fresh_database()
