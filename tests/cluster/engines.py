"""Private PostgreSQL, Redis and HAProxy servers for the cluster tests, on 127.0.0.1.

Each engine is the real Debian program, started by the test session on a free port
in a directory of its own, and stopped with the session:

- `PostgresEngine`: `initdb` (as the `postgres` user when we are root: initdb
  refuses root) and `pg_ctl start`, listening on 127.0.0.1 and a private socket
  directory; fsync is off unless asked for (durability tests ask). One template
  database holds the schema; `fresh_database()` clones it in about 0.1 s.
- `RedisEngine`: `redis-server` with no persistence; `restart()` and
  `kill_pubsub_clients()` for the fault tests.
- `HAProxy`: `haproxy` with the checked-in `deploy/haproxy.cfg` in front of a list of
  server ports (leastconn, `GET /healthz` checks, long tunnel timeouts for websockets).

`require(name)` explains a missing program: under CI=true that is a failure, never a
skip (the test command installs the packages as root). Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

START_SECONDS = 20.0
PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_program(name: str) -> str | None:
    for directory in PG_BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    return shutil.which(name)


def require(name: str) -> str:
    """The path of `name`; fails under CI (where setup installs it), else skips."""
    path = find_program(name)
    if path is None:
        message = (
            f"{name} is missing: run ./scripts/test as root (it installs postgresql, "
            "redis-server and haproxy), or apt-get install them"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def _wait_port(port: int, timeout: float, what: str, process: subprocess.Popen | None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.02)
    raise TimeoutError(f"{what} did not listen on 127.0.0.1:{port} within {timeout} s")


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class PostgresEngine:
    TEMPLATE = "chat_template"

    def __init__(self, root: Path, *, fsync: bool = False) -> None:
        self.root = root
        self.data = root / "data"
        self.sockets = root / "run"
        self.port = free_port()
        self.fsync = fsync
        self.user = "chat"
        self._databases = 0

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def _run(self, command: list[str], timeout: float = START_SECONDS) -> None:
        done = subprocess.run(
            _as_postgres(command), capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()}")

    def start(self) -> None:
        initdb, pg_ctl = require("initdb"), require("pg_ctl")
        self.root.mkdir(parents=True, exist_ok=True)
        self.sockets.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sockets, "postgres")
        self._run([initdb, "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8"])
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sockets}"
            f" -c fsync={'on' if self.fsync else 'off'} -c synchronous_commit=on"
            " -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            [
                pg_ctl,
                "-w",
                "-D",
                str(self.data),
                "-l",
                str(self.root / "log"),
                "-o",
                options,
                "start",
            ]
        )
        self.psql(f"CREATE DATABASE {self.TEMPLATE}")

    def psql(self, sql: str, database: str = "postgres") -> str:
        psql = require("psql")
        done = subprocess.run(
            [psql, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql, self.url(database)],
            capture_output=True,
            text=True,
            timeout=START_SECONDS,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql {sql!r} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def fresh_database(self) -> str:
        """A new empty database cloned from the template; its URL."""
        self._databases += 1
        name = f"chat_test_{os.getpid()}_{self._databases}"
        self.psql(f"CREATE DATABASE {name} TEMPLATE {self.TEMPLATE}")
        return self.url(name)

    def stop(self, mode: str = "fast") -> None:
        pg_ctl = find_program("pg_ctl")
        if pg_ctl and (self.data / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres([pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop"]),
                capture_output=True,
                timeout=START_SECONDS,
            )

    def restart_after(self, seconds: float) -> None:
        """Stop now (immediate), start again after `seconds` (the outage tests)."""
        self.stop("immediate")
        time.sleep(seconds)
        self.start_again()

    def start_again(self) -> None:
        """Start the stopped server on the same port and data directory."""
        pg_ctl = require("pg_ctl")
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sockets}"
            f" -c fsync={'on' if self.fsync else 'off'} -c max_connections=200"
        )
        self._run(
            [
                pg_ctl,
                "-w",
                "-D",
                str(self.data),
                "-l",
                str(self.root / "log"),
                "-o",
                options,
                "start",
            ]
        )


class RedisEngine:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = require("redis-server")
        self.root.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                server,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_port(self.port, START_SECONDS, "redis-server", self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def kill_pubsub_clients(self) -> None:
        """Drop every pub/sub connection, as a full output buffer or a flaky link would."""
        cli = require("redis-cli")
        subprocess.run(
            [cli, "-p", str(self.port), "CLIENT", "KILL", "TYPE", "pubsub"],
            capture_output=True,
            timeout=10,
            check=True,
        )


class HAProxy:
    """The checked-in `deploy/haproxy.cfg`, run as ourselves in front of `backends`
    (its addresses come from the environment, as in production)."""

    CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "haproxy.cfg"

    def __init__(self, root: Path, backends: list[int]) -> None:
        self.root = root
        self.backends = backends
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        import grp
        import pwd

        return {
            **os.environ,
            "DC_LISTEN": f"127.0.0.1:{self.port}",
            "DC_MAXCONN": "1000",
            "DC_LOG": "stdout",
            "DC_USER": pwd.getpwuid(os.getuid()).pw_name,
            "DC_GROUP": grp.getgrgid(os.getgid()).gr_name,
            **{f"DC_NODE{n}": f"127.0.0.1:{port}" for n, port in enumerate(self.backends, 1)},
        }

    def start(self) -> None:
        haproxy = require("haproxy")
        self.root.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [haproxy, "-f", str(self.CONFIG), "-db"],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "haproxy.log").open("w"),
            env=self.environment(),
        )
        _wait_port(self.port, START_SECONDS, "haproxy", self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None
