"""Tools for the fault tests: a restartable `desktop-chat-server` process, accounts
written straight into its database, a TCP proxy that can cut or blackhole a
connection, callback recorders for `ChatClient`s, a collector of what the asyncio
loop reports (an exception nobody retrieved), and bounded waits.

Everything is real: server processes, sockets on 127.0.0.1, SQLite files. Every
wait has a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import re
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop_chat.client import ChatClient, ChatEventHandler, ChatOptions, ConnectionEventHandler
from desktop_chat.server.auth import Passwords
from desktop_chat.server.config import ServerConfig, wall_clock_ms
from desktop_chat.server.store import SqliteStore

SERVER = str(Path(sys.executable).with_name("desktop-chat-server"))
PASSWORD = "correct horse"


def create_users(db: Path, names: list[str]) -> None:
    """Accounts written through the server's own store, sharing one cheap argon2id hash
    (the server verifies with the hash's own parameters, so sign-ins stay fast)."""
    cheap = ServerConfig(argon2_time_cost=1, argon2_memory_kib=8192, argon2_parallelism=1)
    password_hash = Passwords(cheap).hash_now(PASSWORD)
    store = SqliteStore(db)
    try:
        with store.request():
            for name in names:
                store.create_user(name, password_hash, wall_clock_ms())
        store.commit()
    finally:
        store.close()


def db_rows(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows read by an independent connection: what is committed in the file."""
    with contextlib.closing(sqlite3.connect(db, timeout=10)) as conn:
        return conn.execute(sql, params).fetchall()


async def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll `predicate` every 10 ms; return the seconds it took, or raise TimeoutError."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{what}: not within {timeout} s")
        await asyncio.sleep(0.01)
    return time.monotonic() - start


class ServerProcess:
    """`desktop-chat-server` as a subprocess on one database. The first start uses port 0;
    every restart listens on the port it got, so clients find the same address again."""

    def __init__(self, db: Path, log: Path, *extra: str, prefix: tuple[str, ...] = ()) -> None:
        self.db = db
        self.log = log
        self.extra = extra
        self.prefix = prefix
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def stderr_tail(self) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text()[-2000:]
        return ""

    async def start(self) -> str:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        with self.log.open("a") as err:
            self.proc = subprocess.Popen(
                [
                    *self.prefix,
                    SERVER,
                    *("--port", str(self.port), "--db", str(self.db)),
                    *("--log-level", "WARNING", *self.extra),
                ],
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
            )
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.proc.stdout.readline), 30)
        match = re.fullmatch(r"listening on ws://127\.0\.0\.1:(\d+)\n", line)
        assert match, f"server did not start: {line!r}; stderr: {self.stderr_tail()}"
        port = int(match.group(1))
        assert self.port in (0, port)
        self.port = port
        self.starts += 1
        return self.url

    def sigkill(self) -> None:
        """SIGKILL now, from synchronous code (no await between a decision and the kill)."""
        assert self.proc is not None and self.proc.poll() is None
        os.kill(self.proc.pid, signal.SIGKILL)

    async def wait_exit(self) -> int:
        assert self.proc is not None
        return await asyncio.wait_for(asyncio.to_thread(self.proc.wait), 30)

    async def aclose_for_test(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            await self.wait_exit()
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()


class LoopReports:
    """What the running loop reports to its exception handler while installed, such
    as "Future exception was never retrieved" (the future's `__del__` reports it, so
    `messages()` collects garbage first)."""

    def __init__(self) -> None:
        self.contexts: list[dict[str, Any]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous = None

    def install(self) -> LoopReports:
        self._loop = asyncio.get_running_loop()
        self._previous = self._loop.get_exception_handler()
        self._loop.set_exception_handler(lambda loop, context: self.contexts.append(context))
        return self

    def remove(self) -> None:
        gc.collect()
        if self._loop is not None:
            self._loop.set_exception_handler(self._previous)
            self._loop = None

    def __enter__(self) -> LoopReports:
        return self.install()

    def __exit__(self, *exc_info: Any) -> None:
        self.remove()

    def messages(self) -> list[str]:
        gc.collect()
        return [f"{c.get('message')}: {c.get('exception')!r}" for c in self.contexts]


# ---------------------------------------------------------------------- clients


class Recorder:
    """Every callback one ChatClient fired, in order."""

    NAMES = (
        "on_messages_received",
        "on_messages_delivered",
        "on_messages_read",
        "on_message_status_changed",
    )
    CONNECTION = ("on_connected", "on_disconnected", "on_token_did_expire", "on_error")

    def __init__(self) -> None:
        self.calls: dict[str, list[tuple]] = defaultdict(list)
        self.times: dict[str, list[float]] = defaultdict(list)

    def attach(self, client: ChatClient) -> None:
        client.chat_manager.add_event_handler(
            "recorder", ChatEventHandler(**{n: self._recorder(n) for n in self.NAMES})
        )
        client.add_connection_event_handler(
            "recorder", ConnectionEventHandler(**{n: self._recorder(n) for n in self.CONNECTION})
        )

    def _recorder(self, name: str):
        def record(*args: Any) -> None:
            self.calls[name].append(args)
            self.times[name].append(time.monotonic())

        return record

    def count(self, name: str) -> int:
        return len(self.calls[name])

    def ids(self, name: str) -> Counter[str]:
        """How often each msg_id appeared in a list callback."""
        return Counter(m.msg_id for (items,) in self.calls[name] for m in items)


def new_client(url: str, data_dir: Path, **options: Any) -> tuple[ChatClient, Recorder]:
    defaults: dict[str, Any] = dict(
        require_delivery_ack=True,
        ack_batch_seconds=0.02,
        reconnect_initial_seconds=0.05,
        reconnect_max_seconds=0.5,
        send_timeout_seconds=3.0,
        request_timeout_seconds=5.0,
    )
    client = ChatClient(ChatOptions(server_url=url, **{**defaults, **options}), data_dir)
    recorder = Recorder()
    recorder.attach(client)
    return client, recorder


async def close_all(clients: list[ChatClient]) -> None:
    for client in clients:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.close(flush_seconds=0.5), 15)


# ---------------------------------------------------------------------- the proxy


def ws_frame(data: bytes) -> tuple[int, int, bytes]:
    """(opcode, total length, payload start) of the websocket frame starting `data`,
    with the payload unmasked (client frames are masked)."""
    opcode, masked, length, offset = data[0] & 0x0F, data[1] & 0x80, data[1] & 0x7F, 2
    if length == 126:
        length, offset = struct.unpack("!H", data[2:4])[0], 4
    elif length == 127:
        length, offset = struct.unpack("!Q", data[2:10])[0], 10
    payload = b""
    if masked:
        key = data[offset : offset + 4]
        offset += 4
        body = data[offset : offset + length]
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(body))
    else:
        payload = data[offset : offset + length]
    return opcode, offset + length, payload


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (SO_LINGER 0), not a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class TcpProxy:
    """A TCP proxy on 127.0.0.1 in front of the server. It can:
    - `arm_cut(direction, frame_type=None)`: forward the first half of the next
      websocket frame going that way ("c2s" client to server, "s2c" back), or of the
      next one of that `type` when given, then reset both sockets;
    - `cut_all()`: reset every connection it carries, now (synchronous, so a test can
      cut at an exact point);
    - `blackhole()` / `restore()`: hold every byte in both directions while keeping
      the TCP connections open (a server that stops answering without closing)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.cuts: list[dict[str, Any]] = []
        self.accepted = 0
        self._armed: str | None = None
        self._armed_type: str | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def arm_cut(self, direction: str, frame_type: str | None = None) -> None:
        assert direction in ("c2s", "s2c")
        self._armed = direction
        self._armed_type = frame_type

    def cut_all(self) -> int:
        """Reset both ends of every connection; returns how many ends were reset."""
        ends = [w for w in self._writers if not w.transport.is_closing()]
        for writer in ends:
            reset(writer)
        return len(ends)

    def _cut_here(self, data: bytes, direction: str) -> bool:
        if self._armed != direction:
            return False
        if self._armed_type is None:
            return True
        with contextlib.suppress(Exception):  # not a frame, or not JSON: not the one
            return json.loads(ws_frame(data)[2]).get("type") == self._armed_type
        return False

    def blackhole(self) -> None:
        self.flowing.clear()

    def restore(self) -> None:
        self.flowing.set()

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter):
        self.accepted += 1
        try:
            server_r, server_w = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", self.upstream_port), 5
            )
        except (OSError, TimeoutError):
            reset(client_w)
            return
        ends = (client_w, server_w)
        self._writers.update(ends)
        for reader, writer, direction in (
            (client_r, server_w, "c2s"),
            (server_r, client_w, "s2c"),
        ):
            task = asyncio.create_task(self._pump(reader, writer, direction, ends))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(self, reader, writer, direction: str, ends) -> None:
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                await self.flowing.wait()  # a blackhole holds the bytes, sends nothing
                if self._cut_here(data, direction):
                    self._armed = None
                    await self._cut(data, writer, direction, ends)
                    return
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        for end in ends:
            if not end.transport.is_closing():
                end.close()

    async def _cut(self, data: bytes, writer, direction: str, ends) -> None:
        opcode, total, payload = ws_frame(data)
        part = min(total, len(data)) // 2
        writer.write(data[:part])
        await writer.drain()
        await asyncio.sleep(0.1)  # the far end reads the partial frame first
        self.cuts.append(
            {"direction": direction, "opcode": opcode, "total": total, "forwarded": part}
            | {"payload": payload}
        )
        for end in ends:
            reset(end)

    async def aclose_for_test(self) -> None:
        if self._server is not None:
            self._server.close()
        self.flowing.set()
        for writer in list(self._writers):
            reset(writer)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
