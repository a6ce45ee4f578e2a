"""Test-wide set-up: run `async def` tests on a fresh asyncio loop, bounded in time,
and the `harness` fixture: a real server on 127.0.0.1, port 0, with a SQLite file,
started (and restarted) in the test's loop, handing out signed-in `WireClient`s.
Nothing is mocked: frames cross a real websocket.

Fixtures that own async resources expose `aclose_for_test()`; it runs on the
test's own loop after the test, so servers and sockets never outlive it.
pytest-qt tests that need a Qt loop build their own qasync loop instead.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
from pathlib import Path
from typing import Any

import pytest

from desktop_chat.server import ChatServer, ServerConfig
from desktop_chat.wire_client import WireClient

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


PASSWORD = "correct horse"


class Harness:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.server: ChatServer | None = None
        self.clients: list[WireClient] = []
        self._port = 0

    @property
    def url(self) -> str:
        assert self.server is not None, "call `await harness.start()` first"
        return self.server.url

    @property
    def store(self):
        assert self.server is not None and self.server.store is not None
        return self.server.store

    async def start(self, **overrides: Any) -> ChatServer:
        if overrides:
            self.config = dataclasses.replace(self.config, **overrides)
        # A restart reuses the port, so clients see the same address come back.
        config = dataclasses.replace(self.config, port=self._port)
        self.server = ChatServer(config)
        await self.server.start()
        self._port = self.server.port
        return self.server

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None

    async def restart(self) -> ChatServer:
        await self.stop()
        return await self.start()

    async def connect(self, *, hello: bool = True) -> WireClient:
        client = await WireClient.connect(self.url, hello=hello)
        self.clients.append(client)
        return client

    async def register(self, *names: str) -> None:
        client = await self.connect()
        for name in names:
            await client.request("register", username=name, password=PASSWORD)
        await client.close()

    async def device(self, name: str, *, sync: bool = True, device_name: str = "") -> WireClient:
        """A new signed-in device of `name` (registered on first use), live after sync."""
        client = await self.connect()
        reply = await client.call(
            "login", username=name, password=PASSWORD, device_name=device_name
        )
        if reply.get("code") == "INVALID_CREDENTIALS":
            await client.request("register", username=name, password=PASSWORD)
            reply = await client.call("login", username=name, password=PASSWORD)
        assert reply["type"] == "login_ok", reply
        client.username, client.token = name, reply["token"]
        if sync:
            await client.sync()
        return client

    async def resume(self, token: str, *, after_seq: int = 0) -> WireClient:
        client = await self.connect()
        reply = await client.request("resume", token=token)
        client.username, client.token = reply["username"], token
        client.last_seq = after_seq
        return client

    async def aclose_for_test(self) -> None:
        for client in self.clients:
            await client.close()
        await self.stop()


@pytest.fixture
def server_config(tmp_path: Path) -> ServerConfig:
    return ServerConfig(
        host="127.0.0.1",
        port=0,
        db_path=tmp_path / "server.db",
        allow_registration=True,
        # Cheap hashes keep tests fast; production uses argon2-cffi's defaults.
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        argon2_parallelism=1,
    )


@pytest.fixture
def harness(server_config: ServerConfig) -> Harness:
    return Harness(server_config)
