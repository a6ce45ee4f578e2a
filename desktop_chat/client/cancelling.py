"""Never losing a cancel: helpers for the client's own tasks and waits.

Owns: `raise_if_cancelling`, which a retry loop calls between steps so a cancel
that some await swallowed still ends it, and `wait_shared`, which waits for a
future other callers share (an outbox waiter) for at most a while without
cancelling it.

Why: on Python 3.11, `asyncio.wait_for` returns the awaited result (or its error)
when a cancel arrives in the same loop iteration as the result, so the cancel is
lost; a loop that then retries or waits again never ends. `asyncio.timeout` and a
plain `await` never lose one.

Never: catch CancelledError to carry on.
"""

from __future__ import annotations

import asyncio
from typing import TypeVar

T = TypeVar("T")


def raise_if_cancelling() -> None:
    """CancelledError if the current task was asked to stop (`cancel()`), even if an
    await it made returned normally since."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def wait_shared(future: asyncio.Future[T], timeout: float) -> T:
    """`future`'s result, TimeoutError after `timeout` s (the future itself is left
    running for its other waiters); a cancel of the caller always propagates."""
    async with asyncio.timeout(timeout):
        return await asyncio.shield(future)
