"""`GET /healthz`, the load balancer's health check, and the cluster flags' refusals."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from desktop_chat.server.cli import main


async def http_get(port: int, path: str) -> tuple[int, str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    status_line, _, rest = data.decode().partition("\r\n")
    return int(status_line.split()[1]), rest.split("\r\n\r\n", 1)[1]


async def test_healthz_answers_ok_and_the_server_keeps_serving(harness):
    server = await harness.start()
    status, body = await http_get(server.port, "/healthz")
    assert (status, body) == (200, "ok\n")
    # An ordinary websocket client still gets in.
    alice = await harness.device("alice")
    assert (await alice.request("fetch_conversations"))["type"] == "conversations"


async def test_a_plain_http_request_elsewhere_is_still_refused(harness):
    server = await harness.start()
    status, _ = await http_get(server.port, "/")
    assert status == 426  # websockets: upgrade required


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--redis", "redis://127.0.0.1:1/0"], "--redis needs --database"),
        (["--database", "mysql://x"], "--database takes a postgresql:// URL"),
        (["--database", "postgresql://x/y", "--db", "x.db"], "exclude each other"),
        (["--database", "postgresql://x/y", "--workers", "0"], "--workers must be 1 or more"),
    ],
)
def test_cluster_flags_refuse_what_cannot_work(argv, message, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_help_names_the_cluster_flags():
    out = subprocess.run(
        [sys.executable, "-m", "desktop_chat.server.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    for flag in ("--database", "--redis", "--node-name", "--workers"):
        assert flag in out
