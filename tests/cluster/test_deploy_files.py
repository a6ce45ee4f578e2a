"""The files in deploy/, checked with the real programs where there are some.

- `deploy/haproxy.cfg`: the real HAProxy accepts it with its addresses from the
  environment, refuses it without them, and, in front of three stand-in nodes (small
  websockets servers that answer /healthz), sends WebSockets only to the healthy ones,
  with the client's address appended to X-Forwarded-For, and retries a connection that
  lands on a node that just died on another node.
- `deploy/systemd/desktop-chat-server@.service`: the keys a node needs, the variables it
  reads matching `node1.env.example`, and, where systemd-analyze exists, no key it rejects.
- `deploy/compose.yaml` sets every variable haproxy.cfg requires (the compose file is not
  run here: no container engine).
- Every server option the deploy files and docs/deployment.md name exists in
  `desktop-chat-server --help` (an expected failure until the cluster flags land).
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from engines import free_port, require
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.sync.server import serve

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
HAPROXY_CFG = DEPLOY / "haproxy.cfg"
UNIT = DEPLOY / "systemd" / "desktop-chat-server@.service"
NODE_ENV = DEPLOY / "systemd" / "node1.env.example"
COMPOSE = DEPLOY / "compose.yaml"
DEPLOYMENT_DOC = ROOT / "docs" / "deployment.md"

WAIT_SECONDS = 10.0
FLAG = re.compile(r"--[a-z][a-z0-9-]*")


def haproxy_env(listen: int, nodes: list[int], **extra: str) -> dict[str, str]:
    """The environment deploy/haproxy.cfg reads, for HAProxy on `listen` in front of
    `nodes` (ports on 127.0.0.1)."""
    return {
        **os.environ,
        "DC_LISTEN": f"127.0.0.1:{listen}",
        "DC_MAXCONN": "1000",  # well under the descriptor limits of test machines
        "DC_LOG": "stdout",
        **{f"DC_NODE{n}": f"127.0.0.1:{port}" for n, port in enumerate(nodes, 1)},
        **extra,
    }


def check_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require("haproxy"), "-c", "-f", str(HAPROXY_CFG)],
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
    )


# ---------------------------------------------------------------- haproxy.cfg


def test_haproxy_accepts_the_config_with_its_addresses_from_the_environment():
    done = check_config(haproxy_env(free_port(), [free_port(), free_port(), free_port()]))
    assert done.returncode == 0, done.stderr
    assert "Configuration file is valid" in done.stdout


def test_haproxy_refuses_the_config_without_a_node_address():
    env = haproxy_env(free_port(), [free_port(), free_port(), free_port()])
    del env["DC_NODE3"]
    done = check_config(env)
    assert done.returncode != 0
    assert "'server' expects" in done.stderr


class FakeNode:
    """A stand-in for a node: /healthz answers `status`; a WebSocket gets the node's
    name, and the node remembers the X-Forwarded-For it came with."""

    def __init__(self, name: str, status: int = 200) -> None:
        self.name = name
        self.status = status
        self.checks: list[tuple[str, str | None]] = []
        self.forwarded_for: list[list[str]] = []
        self.server = serve(self._handle, "127.0.0.1", 0, process_request=self._request)
        self.port = self.server.socket.getsockname()[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _request(self, connection, request):
        if request.path.startswith("/healthz"):
            self.checks.append((request.path, request.headers.get("Host")))
            body = "ok\n" if self.status == 200 else "no database\n"
            return connection.respond(self.status, body)
        return None

    def _handle(self, ws) -> None:
        self.forwarded_for.append(
            [
                hop.strip()
                for line in ws.request.headers.get_all("X-Forwarded-For")
                for hop in line.split(",")
            ]
        )
        ws.send(self.name)
        for _ in ws:
            pass

    def stop(self) -> None:
        """Stop as a dying node does: connecting is refused, open connections close."""
        self.server.shutdown()
        self.thread.join(WAIT_SECONDS)


class RunningHAProxy:
    def __init__(self, env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.process = subprocess.Popen(
            [require("haproxy"), "-db", "-f", str(HAPROXY_CFG)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()

    def wait_for(self, text: str) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        with self.changed:
            while not any(text in line for line in self.lines):
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    raise AssertionError(f"haproxy never said {text!r}:\n{''.join(self.lines)}")
                self.changed.wait(min(left, 0.1))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.reader.join(5)


@pytest.fixture
def cluster_front():
    """Three stand-in nodes (node2 without its database) behind deploy/haproxy.cfg."""
    require("haproxy")
    nodes = [FakeNode("node1"), FakeNode("node2", status=503), FakeNode("node3")]
    listen = free_port()
    me = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    proxy = RunningHAProxy(haproxy_env(listen, [n.port for n in nodes], DC_USER=me, DC_GROUP=group))
    try:
        yield listen, nodes, proxy
    finally:
        proxy.stop()
        for node in nodes:
            with contextlib.suppress(Exception):
                node.stop()


def open_through(stack: contextlib.ExitStack, listen: int, **headers: str) -> tuple[object, str]:
    """A WebSocket through HAProxy (closed with `stack`), and the node it reached."""
    ws = stack.enter_context(
        connect(f"ws://127.0.0.1:{listen}/", additional_headers=headers, open_timeout=5)
    )
    return ws, ws.recv(timeout=5)


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {WAIT_SECONDS} s")
        time.sleep(0.05)


def test_haproxy_sends_websockets_to_healthy_nodes_with_the_clients_address(cluster_front):
    listen, nodes, proxy = cluster_front
    node1, node2, _ = nodes
    proxy.wait_for("Server nodes/node2 is DOWN")

    with contextlib.ExitStack() as stack:
        reached = [
            open_through(stack, listen, **{"X-Forwarded-For": "203.0.113.9"})[1] for _ in range(4)
        ]
    # leastconn: with connections held, they alternate over the two healthy nodes.
    assert sorted(reached) == ["node1", "node1", "node3", "node3"]
    assert node2.forwarded_for == []
    # The forged entry stays to the left; HAProxy's own (the peer it saw) is the last.
    assert node1.forwarded_for[0] == ["203.0.113.9", "127.0.0.1"]
    wait_until(lambda: all(node.checks for node in nodes), "every node checked")
    for node in nodes:
        assert set(node.checks) == {("/healthz", "desktop-chat")}


def test_haproxy_retries_a_connection_to_a_node_that_just_died_on_another(cluster_front):
    listen, (node1, _, _), proxy = cluster_front
    proxy.wait_for("Server nodes/node2 is DOWN")
    with contextlib.ExitStack() as stack:
        held = {}  # node name -> the WebSocket held on it
        for _ in range(2):
            ws, name = open_through(stack, listen)
            held[name] = ws
        assert set(held) == {"node1", "node3"}
        node1.stop()
        with pytest.raises(ConnectionClosed):
            held["node1"].recv(timeout=5)
        started = time.monotonic()
        # Before the checks notice (2 x 500 ms), leastconn picks the dead node (it holds
        # nothing now); the refused connection is redispatched to the live one at once.
        # With "no option redispatch" instead, this connection fails.
        _, reached = open_through(stack, listen)
        elapsed = time.monotonic() - started
    assert reached == "node3"
    assert elapsed < 2.0, f"reconnected after {elapsed:.2f} s"


# ---------------------------------------------------------------- the systemd unit


def unit_entries(path: Path) -> dict[str, list[str]]:
    """`Section.Key` -> its values, in order, with continued lines joined."""
    entries: dict[str, list[str]] = {}
    section = ""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        entries.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return entries


def env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def test_the_unit_runs_one_node_per_instance_with_its_own_environment_file():
    unit = unit_entries(UNIT)
    (exec_start,) = unit["Service.ExecStart"]
    words = exec_start.split()
    assert words[0].endswith("/desktop-chat-server")
    pairs = dict(zip(words[1::2], words[2::2], strict=False))
    assert pairs["--database"] == "${DC_DATABASE}"
    assert pairs["--redis"] == "${DC_REDIS}"
    assert pairs["--node-name"] == "%i"
    assert pairs["--port"] == "${DC_PORT}"
    assert pairs["--host"] == "${DC_HOST}"
    assert pairs["--trusted-proxy"] == "${DC_TRUSTED_PROXY}"
    assert unit["Service.EnvironmentFile"] == ["/etc/desktop-chat/%i.env"]
    assert unit["Service.Restart"] == ["on-failure"]
    assert unit["Service.LimitNOFILE"] == ["65536"]
    for key, value in {
        "DynamicUser": "yes",
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
    }.items():
        assert unit[f"Service.{key}"] == [value], key
    assert unit["Install.WantedBy"] == ["multi-user.target"]


def test_the_example_environment_file_sets_exactly_what_the_unit_reads():
    (exec_start,) = unit_entries(UNIT)["Service.ExecStart"]
    used = set(re.findall(r"\$\{?(DC_[A-Z_]+)\}?", exec_start))
    assert set(env_file(NODE_ENV)) == used


def test_systemd_accepts_every_key_of_the_unit(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is missing (Debian's systemd package has it)")
    # verify wants the program to exist; the instance name fills in %i.
    copy = tmp_path / "desktop-chat-server@node1.service"
    copy.write_text(
        UNIT.read_text().replace("/opt/desktop-chat/bin/desktop-chat-server", "/bin/true")
    )
    done = subprocess.run(
        [analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    complaints = [line for line in done.stderr.splitlines() if copy.name in line]
    assert complaints == []


# ---------------------------------------------------------------- compose.yaml


def test_compose_gives_haproxy_every_address_its_config_requires():
    # "${DC_X}" without a "-default", outside ".if defined(...)": HAProxy refuses the
    # file when it is unset.
    config = re.sub(r"^\s*\.if .*?^\s*\.endif", "", HAPROXY_CFG.read_text(), flags=re.M | re.S)
    required = set(re.findall(r'"\$\{(DC_[A-Z0-9_]+)\}"', config))
    assert required == {"DC_LISTEN", "DC_NODE1", "DC_NODE2", "DC_NODE3"}
    compose = COMPOSE.read_text()
    for name in required:
        assert re.search(rf"^\s+{name}:", compose, re.MULTILINE), name


# ---------------------------------------------------------------- the server's options


def _after_command(words: list[str]) -> tuple[str, list[str]] | None:
    """('serve' or 'adduser', the flags) of a desktop-chat-server command line."""
    for i, word in enumerate(words):
        if Path(word).name == "desktop-chat-server":
            rest = words[i + 1 :]
            if "#" in rest:
                rest = rest[: rest.index("#")]
            kind = "adduser" if rest[:1] == ["adduser"] else "serve"
            return kind, [w for w in rest if FLAG.fullmatch(w)]
    return None


def code_in(markdown: str) -> list[str]:
    """The code of a Markdown text: each line of its code blocks (continued lines
    joined) and each inline code span (which may run over a line break)."""
    snippets, prose, in_block, pending = [], [], False, ""
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            in_block = not in_block
        elif in_block and line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
        elif in_block:
            snippets.append(pending + line)
            pending = ""
        else:
            prose.append(line)
    spans = re.findall(r"`([^`]+)`", "\n".join(prose))
    return snippets + [" ".join(span.split()) for span in spans]


def used_flags() -> dict[str, set[str]]:
    """Every server option named in deploy/ and docs/deployment.md, per command."""
    flags: dict[str, set[str]] = {"serve": set(), "adduser": set()}

    (exec_start,) = unit_entries(UNIT)["Service.ExecStart"]
    kind, found = _after_command(exec_start.split())
    flags[kind] |= set(found)
    flags["serve"] |= set(FLAG.findall(env_file(NODE_ENV)["DC_EXTRA_ARGS"]))
    # The nodes' command lists: "      - --database".
    flags["serve"] |= set(re.findall(r"^\s*-\s+(--[a-z][a-z0-9-]*)\s*$", COMPOSE.read_text(), re.M))

    for snippet in code_in(DEPLOYMENT_DOC.read_text()):
        command = _after_command(snippet.split())
        if command is not None:
            flags[command[0]] |= set(command[1])
        for extra in re.findall(r"DC_EXTRA_ARGS=(.*)", snippet):
            flags["serve"] |= set(FLAG.findall(extra))
        if snippet.startswith("--"):  # `--trusted-proxy ADDR` in the text
            flags["serve"].add(snippet.split()[0])
    return flags


def server_help(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-m", "desktop_chat.server.cli", *args, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return set(FLAG.findall(done.stdout))


def test_the_flag_check_finds_the_options_of_a_cluster_node():
    flags = used_flags()
    assert {"--database", "--redis", "--node-name", "--workers", "--trusted-proxy"} <= flags[
        "serve"
    ]
    assert {"--host", "--port", "--tls-cert", "--tls-key", "--allow-registration"} <= flags["serve"]
    assert "--db" in flags["adduser"]


def test_every_option_the_deploy_files_and_docs_use_exists():
    flags = used_flags()
    assert sorted(flags["serve"] - server_help()) == []
    assert sorted(flags["adduser"] - server_help("adduser")) == []
