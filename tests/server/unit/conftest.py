"""Fixtures of the server's unit tests: `server`, the real Store, Hub and Service of
one server in the test's process, on a SQLite file in the test's tmp dir, driven
without a socket (`inproc.py`). `async def` tests run on the loop the root
conftest gives each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from inproc import InProcess


@pytest.fixture
def server(tmp_path: Path) -> Iterator[InProcess]:
    node = InProcess(tmp_path)
    yield node
    node.close()
