"""Fixtures for the cluster suite: one private PostgreSQL and one Redis per test session
(see `engines.py`), a fresh database per test. Every test here is marked `cluster`:
`./scripts/test` runs them as their own parallel part."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from engines import PostgresEngine, RedisEngine


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(scope="session")
def postgres() -> PostgresEngine:
    # Not under pytest's tmp dir: its parents are root's (0700), and the server runs
    # as the postgres user.
    root = Path(tempfile.mkdtemp(prefix="desktop-chat-pg-"))
    engine = PostgresEngine(root)
    try:
        engine.start()
        yield engine
    finally:
        engine.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_engine(tmp_path_factory) -> RedisEngine:
    engine = RedisEngine(tmp_path_factory.mktemp("redis"))
    engine.start()
    yield engine
    engine.stop()


@pytest.fixture
def database_url(postgres: PostgresEngine) -> str:
    return postgres.fresh_database()
