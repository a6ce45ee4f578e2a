"""What the benchmark scenarios share.

Owns:
- `Proc`: a server or relay subprocess on 127.0.0.1, port 0 (its address read
  from its first line), with its CPU seconds and memory read through psutil;
- `start_server`: a real `desktop-chat-server` on a fresh SQLite file;
- `bulk_accounts`: accounts and signed-in devices written straight into the
  server's database through its own store, before the server starts, so 10,000
  members cost seconds, not 10,000 password hashes. Every account gets the same
  real argon2id hash, made once with cheap parameters: the production defaults
  (`ServerConfig`) are untouched, and the benchmark signs members in with
  `resume` and a session token, as a device that was signed in before would;
- `Lean`: a lean raw-frame client (one websocket, msgspec, counters), leaner than
  `WireClient`: it keeps no pushes, so a long run does not grow memory;
- statistics (`percentile`) and the table printed at the end.

Never: talk to anything but 127.0.0.1, or wait without a bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec
import psutil
from websockets.asyncio.client import ClientConnection, connect

HOST = "127.0.0.1"
PASSWORD = "bench-password"
encode = msgspec.json.Encoder().encode
decode = msgspec.json.Decoder().decode


# ---------------------------------------------------------------------- subprocesses


class Proc:
    """A subprocess that prints `listening on ws://HOST:PORT` once it serves."""

    def __init__(self, argv: list[str], name: str, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.popen = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.url = ""
        deadline = time.monotonic() + 30
        assert self.popen.stdout is not None
        while time.monotonic() < deadline:
            line = self.popen.stdout.readline()
            if not line:
                err = self.popen.stderr.read() if self.popen.stderr else ""
                raise RuntimeError(f"{name} exited before listening: {err[-2000:]}")
            if line.startswith("listening on "):
                self.url = line.split()[-1].strip()
                break
        if not self.url.startswith(f"ws://{HOST}:"):
            self.stop()
            raise RuntimeError(f"{name} did not start on {HOST}")
        self.ps = psutil.Process(self.popen.pid)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def cpu_seconds(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system

    def rss_bytes(self) -> int:
        return self.ps.memory_info().rss

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> Proc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def server_argv() -> list[str]:
    script = Path(sys.executable).with_name("desktop-chat-server")
    if script.exists():
        return [str(script)]
    found = shutil.which("desktop-chat-server")
    return [found] if found else [sys.executable, "-m", "desktop_chat.server.cli"]


_server_help: str | None = None


def _server_options() -> str:
    global _server_help
    if _server_help is None:
        done = subprocess.run(
            [*server_argv(), "--help"], capture_output=True, text=True, timeout=60
        )
        _server_help = done.stdout
    return _server_help


def start_server(
    db_path: Path, profile_to: Path | None = None, *, rate_limits: bool = False
) -> Proc:
    """A real `desktop-chat-server` on 127.0.0.1, port 0 (optionally under cProfile).

    Per-device rate limits are turned off unless `rate_limits`: the throughput
    scenarios measure how fast the server can go, not the limits it enforces.
    `load` keeps them (its steady rate is far under them). The cap on connections
    waiting to sign in from one address is lifted: every device here is 127.0.0.1.
    """
    args = ["--host", HOST, "--port", "0", "--db", str(db_path), "--log-level", "WARNING"]
    if not rate_limits and "--no-rate-limits" in _server_options():
        args.append("--no-rate-limits")
    if "--max-unauthenticated-per-address" in _server_options():
        # Every simulated device comes from 127.0.0.1, dozens signing in at once.
        args += ["--max-unauthenticated-per-address", "100000"]
    if profile_to is not None:
        argv = [sys.executable, "-m", "cProfile", "-o", str(profile_to)]
        argv += ["-m", "desktop_chat.server.cli", *args]
    else:
        argv = [*server_argv(), *args]
    return Proc(argv, "desktop-chat-server")


def start_relay() -> Proc:
    return Proc([sys.executable, "-m", "desktop_chat.bench.relay", "--port", "0"], "relay")


# ---------------------------------------------------------------------- accounts


_cheap_hash: str | None = None


def cheap_hash() -> str:
    """One real argon2id hash of PASSWORD with the test suite's cheap parameters."""
    global _cheap_hash
    if _cheap_hash is None:
        from argon2 import PasswordHasher

        _cheap_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    return _cheap_hash


def bulk_accounts(db_path: Path, names: Iterable[str]) -> dict[str, str]:
    """Create accounts with one signed-in device each; returns name -> session token."""
    from desktop_chat.server.auth import new_token, token_digest
    from desktop_chat.server.config import wall_clock_ms
    from desktop_chat.server.store import SqliteStore

    store = SqliteStore(db_path, synchronous="OFF")
    tokens: dict[str, str] = {}
    password_hash, now = cheap_hash(), wall_clock_ms()
    try:
        with store.request():
            for name in names:
                user_id = store.create_user(name, password_hash, now)
                token = new_token()
                store.create_device(user_id, "bench", token_digest(token), now)
                tokens[name] = token
        store.commit()
    finally:
        store.close()
    return tokens


# ---------------------------------------------------------------------- a lean client


class Lean:
    """One websocket speaking raw frames. Setup uses `request`; load loops use `ws`."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.sent = 0
        self.received = 0

    @classmethod
    async def open(cls, url: str) -> Lean:
        ws = await connect(url, compression=None, max_size=64 * 1024 * 1024, open_timeout=30)
        return cls(ws)

    async def send(self, frame: dict[str, Any] | bytes) -> None:
        self.sent += 1
        await self.ws.send(frame if isinstance(frame, bytes) else encode(frame), text=True)

    async def recv(self, timeout: float) -> dict[str, Any]:
        data = await asyncio.wait_for(self.ws.recv(decode=False), timeout)
        self.received += 1
        return decode(data)

    async def request(self, type_: str, timeout: float = 30, **fields: Any) -> dict[str, Any]:
        """Send a request and return its reply (pushes before it are dropped)."""
        request_id = f"r{next(self.ids)}"
        await self.send({"type": type_, "id": request_id, **fields})
        deadline = time.monotonic() + timeout
        while True:
            frame = await self.recv(max(0.01, deadline - time.monotonic()))
            if frame.get("id") == request_id:
                if frame.get("type") == "error":
                    raise RuntimeError(f"{type_}: {frame.get('code')} {frame.get('message')}")
                return frame

    async def sign_in(self, token: str, *, live: bool = True) -> None:
        await self.request("hello", version=1, client="desktop-chat-bench")
        await self.request("resume", token=token)
        if live:
            after = 0
            for _ in range(1000):
                reply = await self.request("sync", after_seq=after, limit=1000)
                after = reply["last_seq"]
                if not reply["more"]:
                    break

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 5)


async def signed_in(url: str, tokens: list[str], *, live: bool = True, limit: int = 64):
    """Open and sign in one `Lean` per token, `limit` at a time; in the same order."""
    gate = asyncio.Semaphore(limit)

    async def one(token: str) -> Lean:
        async with gate:
            client = await Lean.open(url)
            await client.sign_in(token, live=live)
            return client

    return list(await asyncio.gather(*(one(token) for token in tokens)))


async def close_all(clients: Iterable[Lean]) -> None:
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


def raise_fd_limit() -> None:
    """Many members need many sockets: lift the soft limit to the hard one."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass


# ---------------------------------------------------------------------- figures


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def ratio(ours: float | None, floor: float | None) -> float | None:
    if ours is None or floor is None or floor == 0:
        return None
    return ours / floor


def rnd(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}" if abs(value) >= 0.1 else f"{value:.3f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def table(title: str, columns: list[str], rows: list[list[Any]]) -> str:
    cells = [[fmt(v) for v in row] for row in rows]
    widths = [
        max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)
    ]
    line = "| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| " + " | ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    return "\n".join([f"### {title}", "", line, rule, *body, ""])


def machine() -> dict[str, Any]:
    import platform
    import sqlite3

    model = ""
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                model = text.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }
