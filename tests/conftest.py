"""Test-wide set-up: run `async def` tests on a fresh asyncio loop, bounded in time,
and the shared fixtures:
- `harness`: a real server on 127.0.0.1, port 0, with a SQLite file, started (and
  restarted) in the test's loop, handing out signed-in `WireClient`s;
- `clients`: real `ChatClient`s (one data_dir per device) whose callbacks are recorded;
- `qt_loop`: a qasync loop on pytest-qt's QApplication, for tests of Qt code with
  asyncio (never block on qtbot.waitSignal inside a coroutine: see PLATFORM.md).
Nothing is mocked: frames cross a real websocket.

Every test that uses the QApplication runs as the app does (`ui.gui_gc`): Python's
cyclic garbage is collected on the GUI thread only, during Qt tests and once after
a row of them, so a worker thread (`asyncio.to_thread`, password hashing) never runs
a QObject's destructor. One that did left the main thread's event dispatcher with
timers of a freed object: a rare SIGSEGV inside `app.exec()` in a later test.

With DESKTOP_CHAT_TEST_BACKEND=postgres the `harness` server is a cluster node on
a private PostgreSQL instead (a fresh database per test): the same tests check the
PostgreSQL server. Tests that open the SQLite file themselves are marked
`sqlite_only` and skipped there.

Fixtures that own async resources expose `aclose_for_test()`; it runs on the
test's own loop after the test, so servers and sockets never outlive it.
pytest-qt tests that need a Qt loop build their own qasync loop instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import inspect
import os
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import qasync

from desktop_chat.client import ChatClient, ChatEventHandler, ChatOptions, ConnectionEventHandler
from desktop_chat.server import ChatServer, ServerConfig
from desktop_chat.wire_client import WireClient

ASYNC_TEST_TIMEOUT = 90.0


async def _run(test, kwargs: dict, timeout: float = ASYNC_TEST_TIMEOUT) -> None:
    try:
        await asyncio.wait_for(test(**kwargs), timeout)
    finally:
        for value in kwargs.values():
            closer = getattr(value, "aclose_for_test", None)
            if closer is not None:
                await closer()


def _uses_qt(item: pytest.Item | None) -> bool:
    return item is not None and "qapp" in getattr(item, "fixturenames", ())


# While Qt tests run, whether the automatic collector was on before them (else None).
_gc_before_qt: bool | None = None


def _end_qt_gc() -> None:
    """Leave the Qt tests' regime: collect what they left in reference cycles here,
    on the GUI thread (their fixtures' values are released by now), then give the
    automatic collector back."""
    global _gc_before_qt
    if _gc_before_qt is None:
        return
    gc.collect()
    if _gc_before_qt:
        gc.enable()
    _gc_before_qt = None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """Qt tests run with the automatic collector off, from the first one's set-up to
    after the teardown of the last one in a row; in between, only the GUI thread
    collects (`_gc_on_the_gui_thread`, and once at the end of the row)."""
    global _gc_before_qt
    if _uses_qt(item) and _gc_before_qt is None:
        _gc_before_qt = gc.isenabled()
        gc.disable()
    try:
        return (yield)
    finally:
        if not _uses_qt(nextitem):
            _end_qt_gc()


@pytest.fixture(autouse=True)
def _gc_on_the_gui_thread(request: pytest.FixtureRequest):
    """During a Qt test, the app's own collector runs Python's collections from a
    QTimer on the GUI thread (whenever the test runs the Qt loop)."""
    if not _uses_qt(request.node):
        yield
        return
    from desktop_chat.ui.gui_gc import GuiThreadCollector

    request.getfixturevalue("qapp")
    collector = GuiThreadCollector()
    collector.start()
    yield
    collector.stop()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Give the collector back (a run stopped early, -x); and empty the clipboard
    while Python still runs: a QMimeData made in Python and handed to it would
    otherwise be deleted by Qt at process exit, after Python has finalized (SIGSEGV
    in Shiboken::Object::destroy)."""
    _end_qt_gc()
    if "PySide6.QtWidgets" not in sys.modules:
        return
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is not None:
        app.clipboard().clear()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    # A long fault run may ask for more time: @pytest.mark.timeout(N) raises both bounds.
    marker = pyfuncitem.get_closest_marker("timeout")
    timeout = float(marker.args[0]) - 10 if marker and marker.args else ASYNC_TEST_TIMEOUT
    asyncio.run(_run(pyfuncitem.obj, kwargs, timeout))
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
        if reply.get("code") == "USER_NOT_FOUND":
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


BACKEND = os.environ.get("DESKTOP_CHAT_TEST_BACKEND", "sqlite")


@pytest.fixture(scope="session")
def server_postgres():
    """A private PostgreSQL for the whole session (only on the postgres backend)."""
    from cluster.engines import PostgresEngine

    root = Path(tempfile.mkdtemp(prefix="desktop-chat-pg-"))
    engine = PostgresEngine(root)
    try:
        engine.start()
        yield engine
    finally:
        engine.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def server_config(tmp_path: Path, request: pytest.FixtureRequest) -> ServerConfig:
    config = _sqlite_config(tmp_path)
    if BACKEND == "postgres":
        if request.node.get_closest_marker("sqlite_only"):
            pytest.skip("opens the SQLite file itself")
        engine = request.getfixturevalue("server_postgres")
        config = dataclasses.replace(config, database_url=engine.fresh_database(), node_name="test")
    return config


def _sqlite_config(tmp_path: Path) -> ServerConfig:
    return ServerConfig(
        host="127.0.0.1",
        port=0,
        db_path=tmp_path / "server.db",
        allow_registration=True,
        # Cheap hashes keep tests fast; production uses argon2-cffi's defaults.
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        argon2_parallelism=1,
        # Tests send bursts no person would: the limits get tests of their own.
        rate_message_burst=5000,
        rate_ack_burst=5000,
        registration_burst=10_000,
        # Every test client comes from 127.0.0.1: the per-address limits on connections
        # waiting to sign in and on password hashing get tests of their own too.
        max_unauthenticated_per_address=10_000,
        hash_waiting_per_address=10_000,
        hash_queue=10_000,
    )


@pytest.fixture
def harness(server_config: ServerConfig) -> Harness:
    return Harness(server_config)


CALLBACKS = [field.name for field in dataclasses.fields(ChatEventHandler)]


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
                field.name: self._recorder(field.name)
                for field in dataclasses.fields(ConnectionEventHandler)
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
        if "server_url" not in options:  # (given, it works while the server is down)
            options["server_url"] = self.harness.url
        client = ChatClient(
            ChatOptions(**{**defaults, **options}),
            self.data_dir(device),
        )
        recorder = Recorder()
        client.chat_manager.add_event_handler("recorder", recorder.handler())
        client.add_connection_event_handler("recorder", recorder.connection_handler())
        self.recorders[id(client)] = recorder
        self.all.append(client)
        return client

    async def settle(self, *clients: ChatClient) -> None:
        """Wait until each client's outbox is empty (its acks went out), bounded."""
        for _ in range(250):
            if all(c.store is None or c.store.outbox_size() == 0 for c in clients):
                await asyncio.sleep(0.05)
                return
            await asyncio.sleep(0.02)
        raise TimeoutError("outboxes did not drain")

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


@pytest.fixture
def qt_loop(qapp):
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()
    asyncio.set_event_loop(None)
    close_qt_timers(loop)


def close_qt_timers(loop: qasync.QEventLoop) -> None:
    """Delete the closed loop's timer object now, on the GUI thread. qasync never
    stops the Qt timer of a cancelled `call_later` (a finished `wait_for`'s timeout is
    one), so a closed loop still has Qt timers running for up to a minute; whoever
    deleted the object later (in any thread, during any test) would have to stop them."""
    import shiboken6

    assert loop.is_closed()
    timer = loop._timer  # qasync 0.28's _SimpleTimer: the QObject every callback runs on
    if shiboken6.isValid(timer):
        shiboken6.delete(timer)
