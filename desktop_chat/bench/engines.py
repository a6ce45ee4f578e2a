"""Private PostgreSQL, Redis and HAProxy servers on 127.0.0.1, for the benches and tests.

Owns the engines the cluster benches (`receipts --backend postgres`, `cluster`) and
the cluster tests stand on. Each is the real Debian program, started on a free port
in a directory of its own, and stopped by its owner:

- `PostgresEngine`: `initdb` (as the `postgres` user when we are root: initdb
  refuses root) and `pg_ctl start`, listening on 127.0.0.1 and a private socket
  directory. fsync is off unless asked for (the benches and the durability tests
  ask); with it on, full_page_writes is on too: PostgreSQL's own durable defaults.
  One template database holds the schema; `fresh_database()` clones it in about
  0.1 s. `postmaster_pid()` names the process whose children are the backends
  (the benches count their CPU).
- `RedisEngine`: `redis-server` with no persistence; `restart()` and
  `kill_pubsub_clients()` for the fault tests.
- `HAProxy`: `haproxy` with the checked-in `deploy/haproxy.cfg` in front of a list of
  server ports (leastconn, `GET /healthz` checks, long tunnel timeouts for websockets).
- `find_program(name)` (a path or None) and `program(name)` (a path, or
  `MissingProgram` naming the Debian package to install). The test suite wraps
  this in its own pytest-aware `require()` (tests/cluster/engines.py).

Never: import pytest, listen on anything but 127.0.0.1, or wait without a bound.
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
from typing import IO

START_SECONDS = 20.0
PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
# The Debian package that installs each program.
PACKAGES = {
    "initdb": "postgresql",
    "pg_ctl": "postgresql",
    "psql": "postgresql-client",
    "redis-server": "redis-server",
    "redis-cli": "redis-tools",
    "haproxy": "haproxy",
}


class MissingProgram(RuntimeError):
    """An engine's program is not installed."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.package = PACKAGES.get(name, name)
        super().__init__(
            f"{name} is not installed: apt-get install {self.package}"
            " (as root; ./scripts/test installs postgresql, redis-server and haproxy)"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def find_program(name: str) -> str | None:
    for directory in PG_BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    return shutil.which(name)


def program(name: str) -> str:
    """The path of `name`, or MissingProgram naming its package."""
    path = find_program(name)
    if path is None:
        raise MissingProgram(name)
    return path


def _wait_port(
    port: int, timeout: float, what: str, process: subprocess.Popen[bytes] | None
) -> None:
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
    programs = ("initdb", "pg_ctl", "psql")

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

    def options(self) -> str:
        """The server's settings, the same on every start."""
        durable = "on" if self.fsync else "off"
        return (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sockets}"
            f" -c fsync={durable} -c synchronous_commit=on -c full_page_writes={durable}"
            " -c max_connections=200"
        )

    def start(self) -> None:
        initdb = program("initdb")
        self.root.mkdir(parents=True, exist_ok=True)
        self.sockets.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sockets, "postgres")
        self._run([initdb, "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8"])
        self.start_again()
        self.psql(f"CREATE DATABASE {self.TEMPLATE}")

    def psql(self, sql: str, database: str = "postgres") -> str:
        psql = program("psql")
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

    def postmaster_pid(self) -> int | None:
        """The running server's postmaster (the parent of every backend), if any."""
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

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
        pg_ctl = program("pg_ctl")
        log = str(self.root / "log")
        self._run([pg_ctl, "-w", "-D", str(self.data), "-l", log, "-o", self.options(), "start"])


class RedisEngine:
    programs = ("redis-server", "redis-cli")

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = program("redis-server")
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
        cli = program("redis-cli")
        subprocess.run(
            [cli, "-p", str(self.port), "CLIENT", "KILL", "TYPE", "pubsub"],
            capture_output=True,
            timeout=10,
            check=True,
        )


class HAProxy:
    """The checked-in `deploy/haproxy.cfg`, run as ourselves in front of `backends`
    (its addresses come from the environment, as in production). The file is in the
    checkout, not in an installed package: without it, start() says so."""

    CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "haproxy.cfg"
    programs = ("haproxy",)

    def __init__(self, root: Path, backends: list[int]) -> None:
        self.root = root
        self.backends = backends
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[str] | None = None

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
        haproxy = program("haproxy")
        if not self.CONFIG.exists():
            raise FileNotFoundError(f"{self.CONFIG} is missing: HAProxy runs from a checkout")
        self.root.mkdir(parents=True, exist_ok=True)
        self._log = (self.root / "haproxy.log").open("w")
        self.process = subprocess.Popen(
            [haproxy, "-f", str(self.CONFIG), "-db"],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
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
        if self._log is not None:
            self._log.close()
            self._log = None
