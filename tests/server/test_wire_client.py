"""The lean raw test client's contract: a closed connection is a ConnectionError,
whether it closed before a request was sent or while its reply was awaited (tests
that kill a server mid-stream rely on one exception type, whatever the timing)."""

from __future__ import annotations

import asyncio

import pytest


async def test_a_request_on_a_closed_connection_is_a_connection_error(harness):
    await harness.start()
    alice = await harness.device("alice")
    await harness.stop()
    for _ in range(200):
        if alice.closed:
            break
        await asyncio.sleep(0.01)
    assert alice.closed
    with pytest.raises(ConnectionError):
        await alice.call("fetch_conversations")
