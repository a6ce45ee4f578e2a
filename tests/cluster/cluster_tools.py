"""Three real `desktop-chat-server` processes on PostgreSQL and Redis, behind HAProxy.

- `Node`: one server process (`--database URL --redis URL --node-name NAME`) on a
  port chosen before it starts (HAProxy's config names it), started, SIGKILLed and
  started again by the tests;
- `Cluster`: the nodes plus an `HAProxy` in front of them, using the checked-in
  `deploy/haproxy.cfg` when it exists;
- `check_logs`: every user's log is contiguous from 1 to its head, checked in the
  database itself; `assert_in_order`: what a raw device received was each seq at
  most once, in increasing order.

Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import redis
from engines import HAProxy, PostgresEngine, free_port

from desktop_chat.wire_client import WireClient

# `desktop-chat-server` of this checkout (the installed script may be another's).
ROOT = Path(__file__).resolve().parents[2]
SERVER = [sys.executable, "-m", "desktop_chat.server.cli"]
PASSWORD = "correct horse"
HEAD_CHECK_SECONDS = 2.0
# A node stops within about 1.5 s (docs/deployment.md); this leaves room on a busy machine.
STOP_SECONDS = 8.0


class Node:
    def __init__(self, name: str, database_url: str, redis_url: str | None, root: Path) -> None:
        self.name = name
        self.database_url = database_url
        self.redis_url = redis_url
        self.port = free_port()
        self.log = root / f"{name}.log"
        self.proc: subprocess.Popen[str] | None = None
        self.starts = 0
        self.registration_burst = 1000  # sign-ups per address at once (a test may lower it)
        self.extra: list[str] = []  # more options of desktop-chat-server (a test's)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        command = [
            *SERVER,
            *("--database", self.database_url),
            *("--node-name", self.name, "--port", str(self.port)),
            *("--allow-registration", "--registration-burst", str(self.registration_burst)),
            "--no-rate-limits",
            *("--argon2-time-cost", "1", "--argon2-memory-kib", "8192"),
            *("--trusted-proxy", "127.0.0.1", "--log-level", "WARNING"),
        ]
        if self.redis_url is not None:
            command += ["--redis", self.redis_url]
        return command + self.extra

    async def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        with self.log.open("a") as err:
            self.proc = subprocess.Popen(
                self.command(),
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.proc.stdout.readline), 30)
        assert re.fullmatch(rf"listening on ws://127\.0\.0\.1:{self.port}\n", line), (
            f"{self.name} did not start: {line!r}; log: {self.log_tail()}"
        )
        self.starts += 1

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text().splitlines()[-lines:])
        except OSError:
            return ""

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def sigkill(self) -> None:
        assert self.proc is not None and self.proc.poll() is None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    async def stop(self) -> str | None:
        """SIGTERM, then wait; what went wrong if the node did not exit cleanly in time."""
        if self.proc is None:
            return None
        problem = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.to_thread(self.proc.wait), STOP_SECONDS)
            except TimeoutError:
                problem = f"{self.name} ignored SIGTERM for {STOP_SECONDS} s"
                self.proc.kill()
                await asyncio.to_thread(self.proc.wait)
            else:
                if self.proc.returncode != 0:
                    problem = f"{self.name} exited with {self.proc.returncode} on SIGTERM"
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return problem


class Cluster:
    def __init__(
        self, root: Path, database_url: str, redis_url: str | None, nodes: int = 3
    ) -> None:
        self.root = root
        self.redis_url = redis_url
        self.nodes = [Node(f"node{i + 1}", database_url, redis_url, root) for i in range(nodes)]
        self.proxy = HAProxy(root / "haproxy", [node.port for node in self.nodes])

    @property
    def url(self) -> str:
        return self.proxy.url

    async def start(self) -> None:
        if self.redis_url is not None:
            # The Redis is the session's: the shared limits of earlier tests go.
            with redis.Redis.from_url(self.redis_url) as client:
                client.flushall()
        await asyncio.gather(*(node.start() for node in self.nodes))
        await asyncio.to_thread(self.proxy.start)

    async def stop(self) -> None:
        """Stop every node (each must exit cleanly on SIGTERM) and the proxy."""
        problems = await asyncio.gather(*(node.stop() for node in self.nodes))
        await asyncio.to_thread(self.proxy.stop)
        found = [problem for problem in problems if problem]
        assert not found, f"{found}\n{self.logs()}"

    async def aclose_for_test(self) -> None:
        await self.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {node.name}\n{node.log_tail()}" for node in self.nodes)


async def device(url: str, name: str, *, sync: bool = True) -> WireClient:
    """A signed-in raw device of `name` (registered on first use), live after sync."""
    client = await WireClient.connect(url)
    # Registered first (USER_EXISTS if it is): a failed sign-in would count in the throttle.
    await client.call("register", username=name, password=PASSWORD)
    reply = await client.call("login", username=name, password=PASSWORD)
    assert reply["type"] == "login_ok", reply
    client.username, client.token = name, reply["token"]
    if sync:
        await client.sync()
    return client


def seqs_received(client: WireClient) -> list[int]:
    return [push["seq"] for push in client.pushes if "seq" in push]


def assert_in_order(client: WireClient) -> None:
    seqs = seqs_received(client)
    assert seqs == sorted(set(seqs)), f"{client.username}: pushes out of order or twice: {seqs}"


def check_logs(postgres: PostgresEngine, database_url: str) -> dict[str, Any]:
    """Each user's events are 1..head with no gap and no duplicate, and the head row
    agrees; returns the counts."""
    database = database_url.rsplit("/", 1)[1]
    out = postgres.psql(
        "SELECT h.user_id, h.last_seq, count(e.seq), coalesce(min(e.seq), 0),"
        " coalesce(max(e.seq), 0), count(DISTINCT e.seq)"
        " FROM user_log_heads h LEFT JOIN events e ON e.user_id = h.user_id"
        " GROUP BY h.user_id, h.last_seq",
        database,
    )
    users = events = 0
    for line in out.strip().splitlines():
        user_id, head, count, low, high, distinct = (int(x) for x in line.split("|"))
        users += 1
        events += count
        assert count == distinct == head == high, f"user {user_id}: log not contiguous: {line}"
        assert count == 0 or low == 1, f"user {user_id}: log starts at {low}"
    return {"users": users, "events": events}
