"""Test-wide set-up: run `async def` tests on a fresh asyncio loop, bounded in time.

Fixtures that own async resources expose `aclose_for_test()`; it runs on the
test's own loop after the test, so servers and sockets never outlive it.
pytest-qt tests that need a Qt loop build their own qasync loop instead.
"""

from __future__ import annotations

import asyncio
import inspect

import pytest

ASYNC_TEST_TIMEOUT = 90.0


async def _run(test, kwargs: dict) -> None:
    try:
        await asyncio.wait_for(test(**kwargs), ASYNC_TEST_TIMEOUT)
    finally:
        for value in kwargs.values():
            closer = getattr(value, "aclose_for_test", None)
            if closer is not None:
                await closer()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    asyncio.run(_run(pyfuncitem.obj, kwargs))
    return True
