"""Fixtures of the client's unit tests: `device`, one signed-in device's real store,
applier, outbox and notifier with no socket (`canned.py`), on a SQLite file in the
test's tmp dir, with delivery acks on (a test flips switches on `device.options`).
`async def` tests run on the loop the root conftest gives each test (the outbox's
task and the Notifier need one)."""

from __future__ import annotations

from pathlib import Path

import pytest
from canned import Device


@pytest.fixture
def device(tmp_path: Path) -> Device:
    return Device(tmp_path, require_delivery_ack=True)
