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
- `signed_in`: many lean raw-frame clients signed in at once: the tests' own
  `WireClient`, opened without its reader (`WireClient.open`: it keeps no pushes,
  so a long run does not grow memory);
- statistics (`percentile`) and the table printed at the end.

Never: talk to anything but 127.0.0.1, or wait without a bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import msgspec
import psutil

from desktop_chat.wire_client import WireClient

if TYPE_CHECKING:
    from desktop_chat.bench.engines import PostgresEngine

HOST = "127.0.0.1"
PASSWORD = "bench-password"
START_SECONDS = 30.0
encode = msgspec.json.Encoder().encode
decode = msgspec.json.Decoder().decode


# ---------------------------------------------------------------------- subprocesses


class Proc:
    """A subprocess that prints `listening on ws://HOST:PORT` once it serves.

    Its stderr goes to an anonymous file, not a pipe: a pipe nobody reads would
    block the server once it filled (a log line too many). Started with this
    checkout first on PYTHONPATH, so the server is the code of the bench that runs it.
    """

    def __init__(self, argv: list[str], name: str, env: dict[str, str] | None = None) -> None:
        self.name = name
        # Closed in stop(), which every way out of here and every owner calls.
        self.stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
        started = time.perf_counter()
        self.popen = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            env=own_env() if env is None else env,
        )
        try:
            self.url = self._wait_listening(START_SECONDS)
            # From the spawn to "listening on": the interpreter, the imports, opening
            # (and checking) the database, binding the socket.
            self.start_s = time.perf_counter() - started
            self.ps = psutil.Process(self.popen.pid)
        except BaseException:
            self.stop()
            raise

    def _wait_listening(self, timeout: float) -> str:
        stdout = self.popen.stdout
        assert stdout is not None
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([stdout], [], [], left)[0]:
                raise RuntimeError(f"{self.name} did not listen within {timeout:g} s")
            line = stdout.readline()
            if not line:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.popen.wait(10)
                raise RuntimeError(f"{self.name} exited before listening: {self.stderr_tail()}")
            if line.startswith("listening on "):
                url = line.split()[-1].strip()
                if not url.startswith(f"ws://{HOST}:"):
                    raise RuntimeError(f"{self.name} did not start on {HOST}: {line.strip()}")
                return url

    @property
    def pid(self) -> int:
        return self.popen.pid

    def cpu_seconds(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system

    def rss_bytes(self) -> int:
        return self.ps.memory_info().rss

    def stderr_tail(self, chars: int = 2000) -> str:
        with contextlib.suppress(OSError, ValueError):
            self.stderr.seek(0)
            return self.stderr.read()[-chars:]
        return ""

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        if self.popen.stdout is not None:
            self.popen.stdout.close()
        self.stderr.close()

    def __enter__(self) -> Proc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class CpuMeter:
    """CPU seconds used by the named parts of the server side of a run.

    A part is some processes, each optionally with all its descendants: a
    PostgreSQL server is its postmaster with every backend, checkpointer and WAL
    writer under it. A part's total at a `sample()` is the CPU its processes have
    used since they started, a root's exited children included (psutil's
    `children_user`/`children_system`: the postmaster waits for every backend that
    ends), so `used(before, after)` is what the part spent between the two, backends
    that came or went in between included.
    """

    def __init__(self) -> None:
        self._parts: dict[str, list[tuple[psutil.Process, bool]]] = {}

    def add(self, part: str, pid: int, *, children: bool = False) -> CpuMeter:
        self._parts.setdefault(part, []).append((psutil.Process(pid), children))
        return self

    @property
    def parts(self) -> list[str]:
        return list(self._parts)

    def sample(self) -> dict[str, float]:
        totals = {}
        for part, roots in self._parts.items():
            total = 0.0
            for root, children in roots:
                with contextlib.suppress(psutil.Error):
                    times = root.cpu_times()
                    total += times.user + times.system
                    if children:
                        total += times.children_user + times.children_system
                        for child in root.children(recursive=True):
                            with contextlib.suppress(psutil.Error):
                                times = child.cpu_times()
                                total += times.user + times.system
            totals[part] = total
        return totals

    @staticmethod
    def used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {part: max(0.0, after[part] - before.get(part, 0.0)) for part in after}


def local_postmaster(database_url: str) -> int | None:
    """The pid of the postmaster serving `database_url` on this machine (the parent
    of the backend our own connection gets), or None if psutil cannot see it."""
    import psycopg

    with psycopg.connect(database_url, connect_timeout=10, autocommit=True) as db:
        row = db.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    try:
        return psutil.Process(int(row[0])).ppid() or None
    except psutil.Error:
        return None


class PostgresTarget:
    """The PostgreSQL a bench runs on: a private server it starts in a directory of
    its own (fsync on: a durable comparison, as SQLite's synchronous=FULL is), a
    fresh database per run; or the server of `database_url`, which must be on this
    machine (its CPU is measured through psutil), every run in that one database
    under account names of its own (the bench leaves them there).

    A context manager: the private server stops, and its directory goes, on exit.
    """

    def __init__(self, database_url: str | None = None, *, fsync: bool = True) -> None:
        self.given = database_url
        self.fsync = fsync
        self.engine: PostgresEngine | None = None
        self.postmaster = 0
        self._root: Path | None = None
        self._runs = 0

    def __enter__(self) -> PostgresTarget:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        if self.given is not None:
            host = urlsplit(self.given).hostname or ""
            if host not in ("", "127.0.0.1", "localhost", "::1"):
                raise ValueError(
                    f"--database must name a PostgreSQL on this machine, not {host!r}:"
                    " the bench measures its processes' CPU and talks only to 127.0.0.1"
                )
            pid = local_postmaster(self.given)
            if pid is None:
                raise RuntimeError("cannot see the PostgreSQL server's processes (psutil)")
            self.postmaster = pid
            return
        from desktop_chat.bench.engines import PostgresEngine

        # Not under another temporary directory: the server runs as the postgres user
        # and must reach its directory (a root-owned 0700 parent would stop it).
        self._root = Path(tempfile.mkdtemp(prefix="dcbench-pg-"))
        self.engine = engine = PostgresEngine(self._root, fsync=self.fsync)
        engine.start()
        pid = engine.postmaster_pid()
        assert pid is not None, "PostgreSQL started without a postmaster.pid"
        self.postmaster = pid

    def stop(self) -> None:
        if self.engine is not None:
            self.engine.stop()
            self.engine = None
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def database(self) -> str:
        """The URL of the database for the next run."""
        self._runs += 1
        if self.given is not None:
            return self.given
        return self._started().fresh_database()

    def _started(self) -> PostgresEngine:
        if self.engine is None:
            raise RuntimeError("the private PostgreSQL is not running: use `with PostgresTarget()`")
        return self.engine

    def prefix(self) -> str:
        """What the next run's account names start with (unique in a shared database)."""
        return "" if self.given is None else f"b{secrets.token_hex(3)}"

    def settings(self) -> dict[str, Any]:
        import psycopg

        url = self.given or self._started().url("postgres")
        shown: dict[str, Any] = {}
        with psycopg.connect(url, connect_timeout=10, autocommit=True) as db:
            for name in ("server_version", "fsync", "synchronous_commit", "full_page_writes"):
                row = db.execute(f"SHOW {name}").fetchone()
                assert row is not None  # SHOW answers one row
                shown[name] = row[0]
        shown["where"] = "--database" if self.given else "private, started by the bench"
        return shown


def own_env() -> dict[str, str]:
    """The environment with this checkout first on PYTHONPATH (an installed console
    script may belong to another checkout; `-m` children then import this one)."""
    root = str(Path(__file__).resolve().parents[2])
    rest = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + rest if rest else "")}


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
    db_path: Path | None,
    profile_to: Path | None = None,
    *,
    rate_limits: bool = False,
    database_url: str | None = None,
    redis_url: str | None = None,
    node_name: str | None = None,
) -> Proc:
    """A real `desktop-chat-server` on 127.0.0.1, port 0 (optionally under cProfile):
    on the SQLite file `db_path`, or with `database_url` a node on PostgreSQL (one of
    a cluster with `redis_url`).

    Per-device rate limits are turned off unless `rate_limits`: the throughput
    scenarios measure how fast the server can go, not the limits it enforces.
    `load` keeps them (its steady rate is far under them). The cap on connections
    waiting to sign in from one address is lifted: every device here is 127.0.0.1.
    """
    args = ["--host", HOST, "--port", "0", "--log-level", "WARNING"]
    if database_url is not None:
        args += ["--database", database_url, "--node-name", node_name or "bench"]
        if redis_url is not None:
            args += ["--redis", redis_url]
    else:
        assert db_path is not None
        args += ["--db", str(db_path)]
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
    return Proc(argv, node_name or "desktop-chat-server")


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


def bulk_accounts(database: Path | str, names: Iterable[str]) -> dict[str, str]:
    """Create accounts with one signed-in device each; returns name -> session token.

    `database` is a SQLite file, or a `postgresql://` URL (its schema is migrated
    first, as a node would on open)."""
    from desktop_chat.server.auth import new_token, token_digest
    from desktop_chat.server.config import wall_clock_ms

    if isinstance(database, str):
        from desktop_chat.server.storage.postgres import PostgresStore

        store: Any = PostgresStore(database, application_name="desktop-chat-bench")
    else:
        from desktop_chat.server.store import SqliteStore

        store = SqliteStore(database, synchronous="OFF")
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


# ---------------------------------------------------------------------- lean clients


async def signed_in(
    url: str | list[str], tokens: list[str], *, live: bool = True, limit: int = 64
) -> list[WireClient]:
    """Open and sign in one `WireClient` per token, `limit` at a time; in the same order.
    `url` is one server for all, or a list: the server of each token."""
    urls = [url] * len(tokens) if isinstance(url, str) else url
    assert len(urls) == len(tokens)
    gate = asyncio.Semaphore(limit)

    async def one(where: str, token: str) -> WireClient:
        async with gate:
            client = await WireClient.open(where)
            await client.sign_in(token, live=live)
            return client

    return list(await asyncio.gather(*(one(u, t) for u, t in zip(urls, tokens, strict=True))))


async def close_all(clients: Iterable[WireClient]) -> None:
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
