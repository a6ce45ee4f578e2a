"""Fixtures for client-core tests: real `ChatClient`s against the real server.

`clients` makes signed-in clients, each with its own data_dir (a device), and
records every callback each one receives so tests can wait for them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from desktop_chat.client import ChatClient, ChatEventHandler, ChatOptions, ConnectionEventHandler

PASSWORD = "correct horse"
CALLBACKS = [
    "on_messages_received",
    "on_messages_delivered",
    "on_messages_read",
    "on_conversation_read",
    "on_group_message_read",
    "on_read_ack_for_group_message_updated",
    "on_message_status_changed",
    "on_group_messages_delivered",
    "on_conversation_updated",
    "on_group_changed",
    "on_group_ack_reminder",
]


class Recorder:
    """Every callback a client fired, in order, with its arguments."""

    def __init__(self) -> None:
        self.calls: dict[str, list[tuple]] = defaultdict(list)
        self.changed = asyncio.Event()

    def handler(self) -> ChatEventHandler:
        return ChatEventHandler(**{name: self._recorder(name) for name in CALLBACKS})

    def connection_handler(self) -> ConnectionEventHandler:
        return ConnectionEventHandler(
            **{
                name: self._recorder(name)
                for name in ("on_connected", "on_disconnected", "on_token_did_expire", "on_error")
            }
        )

    def _recorder(self, name: str):
        def record(*args: Any) -> None:
            self.calls[name].append(args)
            self.changed.set()

        return record

    def flat(self, name: str) -> list:
        """Items of a list callback, across all its calls."""
        return [item for (items,) in self.calls[name] for item in items]

    async def wait(self, name: str, predicate=None, timeout: float = 10.0) -> list:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            calls = self.calls[name]
            if calls and (predicate is None or predicate(self)):
                return calls
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{name} not fired (as expected) within {timeout} s")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)


class Clients:
    def __init__(self, harness, root: Path) -> None:
        self.harness = harness
        self.root = root
        self.all: list[ChatClient] = []
        self.recorders: dict[int, Recorder] = {}
        self._devices = 0

    def data_dir(self, device: str) -> Path:
        return self.root / device

    def new(self, device: str | None = None, **options: Any) -> ChatClient:
        self._devices += 1
        device = device or f"device{self._devices}"
        defaults = dict(
            require_delivery_ack=True,
            ack_batch_seconds=0.02,
            reconnect_initial_seconds=0.05,
            reconnect_max_seconds=0.5,
            send_timeout_seconds=3.0,
        )
        client = ChatClient(
            ChatOptions(server_url=self.harness.url, **{**defaults, **options}),
            self.data_dir(device),
        )
        recorder = Recorder()
        client.chat_manager.add_event_handler("recorder", recorder.handler())
        client.add_connection_event_handler("recorder", recorder.connection_handler())
        self.recorders[id(client)] = recorder
        self.all.append(client)
        return client

    def events(self, client: ChatClient) -> Recorder:
        return self.recorders[id(client)]

    async def login(self, name: str, device: str | None = None, **options: Any) -> ChatClient:
        """A signed-in, live client for `name` (registered on first use)."""
        client = self.new(device, **options)
        if self.harness.store.user_id(name) is None:
            await client.register(name, PASSWORD)
        await client.login(name, PASSWORD)
        return client

    async def aclose_for_test(self) -> None:
        for client in self.all:
            await client.close()
        await self.harness.aclose_for_test()


@pytest.fixture
def clients(harness, tmp_path: Path) -> Clients:
    return Clients(harness, tmp_path / "devices")
