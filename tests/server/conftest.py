"""Fixtures for server tests: a real server on 127.0.0.1, port 0, with a SQLite file.

`harness` starts (and restarts) a `ChatServer` in the test's loop and hands out
signed-in `WireClient`s. Nothing is mocked: frames cross a real websocket.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from desktop_chat.server import ChatServer, ServerConfig
from desktop_chat.wire_client import WireClient

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
