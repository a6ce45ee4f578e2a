"""Sign-up and password-guessing floods against a `desktop-chat-server` process with the
production password-hash cost: a real person's sign-in and signed-in traffic keep
their latency (measured against the no-flood baseline of the same run).

Each flood is 64 connections from two addresses (32 each: as many as one address may
hold before signing in) sending the next attempt as soon as the last is answered,
while the latencies are measured (bounded in time and count).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
import statistics
import time

from hostile_tools import ServerProcess

from desktop_chat.bench.common import bulk_accounts
from desktop_chat.server.auth import Passwords
from desktop_chat.server.config import ServerConfig, wall_clock_ms
from desktop_chat.server.store import SqliteStore
from desktop_chat.wire_client import WireClient, text_body

PASSWORD = "correct horse"
FLOOD_CONNECTIONS = 64
FLOOD_MAX_SECONDS = 30.0  # per attacker, if the measurement were slower still
FLOOD_ATTEMPTS = 300  # per connection, at most
SIGN_INS = 5  # measured one after another, per phase
SENDS = 20
# Generous, so two busy cores never make them flake: unthrottled, the sign-up flood
# alone took a sign-in from 0.13 s to 6 s.
SIGN_IN_RATIO_BOUND = 5.0
SEND_BOUND_SECONDS = 0.1


def add_user_with_production_hash(db, name: str) -> None:
    store = SqliteStore(db)
    try:
        with store.request():
            store.create_user(name, Passwords(ServerConfig()).hash_now(PASSWORD), wall_clock_ms())
        store.commit()
    finally:
        store.close()


async def sign_in_seconds(url: str) -> float:
    """The median time of a real sign-in (from the login frame to its reply)."""
    times = []
    for _ in range(SIGN_INS):
        client = await WireClient.connect(url)
        try:
            started = time.monotonic()
            await client.login("alice", PASSWORD)
            times.append(time.monotonic() - started)
        finally:
            await client.close()
    return statistics.median(times)


async def send_seconds(sender: WireClient, counter: itertools.count) -> float:
    times = []
    for _ in range(SENDS):
        started = time.monotonic()
        await sender.request(
            "send",
            msg_id=f"latency-{next(counter):05d}",
            chat_type="chat",
            to="carol",
            body=text_body("ping"),
        )
        times.append(time.monotonic() - started)
        await asyncio.sleep(0.02)
    return statistics.median(times)


class Flood:
    """FLOOD_CONNECTIONS closed-loop attackers from `sources`, until `stop()`."""

    def __init__(self, url: str, sources: tuple[str, ...], attempt) -> None:
        self.url = url
        self.sources = sources
        self.attempt = attempt
        self.attempts = 0
        self.reconnects = 0
        self.connected = 0
        self.all_connected = asyncio.Event()
        self.stopped = asyncio.Event()
        self.names = itertools.count()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        await asyncio.gather(
            *(self._attacker(self.sources[n % len(self.sources)]) for n in range(FLOOD_CONNECTIONS))
        )

    async def _attacker(self, source: str) -> None:
        client = await WireClient.connect(self.url, local_addr=(source, 0))
        self.connected += 1
        if self.connected == FLOOD_CONNECTIONS:
            self.all_connected.set()
        try:
            await asyncio.wait_for(self.all_connected.wait(), 30)
            deadline = time.monotonic() + FLOOD_MAX_SECONDS
            for _ in range(FLOOD_ATTEMPTS):
                if self.stopped.is_set() or time.monotonic() > deadline:
                    return
                if client.closed:  # closed at the sign-in deadline: come back
                    self.reconnects += 1
                    await client.close()
                    client = await WireClient.connect(self.url, local_addr=(source, 0))
                with contextlib.suppress(ConnectionError):
                    await self.attempt(client, next(self.names))
                    self.attempts += 1
        finally:
            await client.close()

    async def started(self) -> None:
        await asyncio.wait_for(self.all_connected.wait(), 30)
        await asyncio.sleep(0.5)  # every attacker has attempts in flight

    async def stop(self) -> int:
        self.stopped.set()
        await asyncio.wait_for(self.task, 90)
        return self.attempts


async def sign_up(client: WireClient, n: int) -> None:
    await client.call("register", username=f"flood{n:06d}", password="flood password")


async def guess(client: WireClient, n: int) -> None:
    name = "alice" if n % 2 else f"guess{n:06d}"
    await client.call("login", username=name, password=f"guess {n}")


async def test_sign_in_and_signed_in_traffic_keep_their_latency_under_floods(tmp_path):
    db = tmp_path / "server.db"
    tokens = bulk_accounts(db, ["bob", "carol"])
    add_user_with_production_hash(db, "alice")
    server = ServerProcess(db, tmp_path / "server.log", "--allow-registration")
    bob: WireClient | None = None
    try:
        await server.start()
        bob = await WireClient.connect(server.url)
        await bob.request("resume", token=tokens["bob"])
        counter = itertools.count()
        figures = {
            "baseline": (await sign_in_seconds(server.url), await send_seconds(bob, counter))
        }
        for phase, sources, attempt in (
            ("sign-up flood", ("127.0.0.2", "127.0.0.3"), sign_up),
            ("guessing flood", ("127.0.0.4", "127.0.0.5"), guess),
        ):
            flood = Flood(server.url, sources, attempt)
            await flood.started()
            sign_in = await sign_in_seconds(server.url)
            send = await send_seconds(bob, counter)
            attempts = await flood.stop()
            figures[phase] = (sign_in, send, attempts)
        base_sign_in, base_send = figures["baseline"]
        report = [f"baseline: sign-in {base_sign_in:.3f} s, send {base_send * 1000:.1f} ms"]
        for phase in ("sign-up flood", "guessing flood"):
            sign_in, send, attempts = figures[phase]
            report.append(
                f"{phase} ({attempts} attempts): sign-in {sign_in:.3f} s"
                f" ({sign_in / base_sign_in:.2f}x), send {send * 1000:.1f} ms"
                f" ({send / base_send:.2f}x)"
            )
        print("\n" + "\n".join(report))
        for phase in ("sign-up flood", "guessing flood"):
            sign_in, send, _ = figures[phase]
            assert sign_in < SIGN_IN_RATIO_BOUND * base_sign_in, report
            assert send < SEND_BOUND_SECONDS, report
        # The sign-up flood created only what one address may create.
        with contextlib.closing(sqlite3.connect(db)) as check:
            (created,) = check.execute(
                "SELECT COUNT(*) FROM users WHERE username LIKE 'flood%'"
            ).fetchone()
        assert created <= 2 * 10, report  # two addresses
    finally:
        if bob is not None:
            await bob.close()
        await server.aclose_for_test()
