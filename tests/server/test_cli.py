"""The `desktop-chat-server` command as a real process: port 0, signals, adduser,
and a SIGKILL after which every confirmed message is still there."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from desktop_chat.wire_client import WireClient

SERVER = str(Path(sys.executable).with_name("desktop-chat-server"))
PASSWORD = "correct horse"


class ServerProcess:
    def __init__(self, db: Path, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [SERVER, "--port", "0", "--db", str(db), "--log-level", "WARNING", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.url = ""

    async def started(self) -> str:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.proc.stdout.readline), 30)
        match = re.fullmatch(r"listening on (ws://127\.0\.0\.1:(\d+))\n", line)
        assert match, f"unexpected first line {line!r}; stderr: {self.proc.stderr}"
        assert int(match.group(2)) > 0
        self.url = match.group(1)
        return self.url

    async def wait(self) -> int:
        return await asyncio.wait_for(asyncio.to_thread(self.proc.wait), 30)

    async def aclose_for_test(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            await self.wait()


def adduser(db: Path, name: str, password: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SERVER, "adduser", name, "--db", str(db)],
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )


async def signed_in(url: str, name: str) -> WireClient:
    client = await WireClient.connect(url)
    await client.login(name, PASSWORD)
    await client.sync()
    return client


async def test_port_zero_prints_address_and_sigterm_stops_cleanly(tmp_path):
    server = ServerProcess(tmp_path / "chat.db", "--allow-registration")
    try:
        url = await server.started()
        client = await WireClient.connect(url)
        await client.request("register", username="alice", password=PASSWORD)
        server.proc.send_signal(signal.SIGTERM)
        assert await server.wait() == 0
        assert server.proc.stdout is not None
        assert server.proc.stdout.read().strip() == "stopped"
        await client.close()
    finally:
        await server.aclose_for_test()


async def test_sigint_stops_cleanly_too(tmp_path):
    server = ServerProcess(tmp_path / "chat.db")
    try:
        await server.started()
        server.proc.send_signal(signal.SIGINT)
        assert await server.wait() == 0
    finally:
        await server.aclose_for_test()


def test_adduser_reads_the_password_from_stdin(tmp_path):
    db = tmp_path / "chat.db"
    created = adduser(db, "carol", PASSWORD)
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "created user carol"
    assert PASSWORD not in created.stdout + created.stderr
    again = adduser(db, "carol", PASSWORD)
    assert again.returncode == 1 and "already exists" in again.stderr
    bad_name = adduser(db, "Carol!", PASSWORD)
    assert bad_name.returncode == 2 and "not a valid name" in bad_name.stderr
    short = adduser(db, "dave", "short")
    assert short.returncode == 2 and "8 to 256" in short.stderr


async def test_registration_is_off_unless_allowed_and_adduser_accounts_sign_in(tmp_path):
    db = tmp_path / "chat.db"
    assert adduser(db, "carol", PASSWORD).returncode == 0
    server = ServerProcess(db)
    try:
        url = await server.started()
        client = await WireClient.connect(url)
        refused = await client.call("register", username="mallory", password=PASSWORD)
        assert refused["code"] == "REGISTRATION_DISABLED"
        reply = await client.login("carol", PASSWORD)
        assert reply["username"] == "carol"
        await client.close()
    finally:
        await server.aclose_for_test()


async def test_sigkill_loses_nothing_that_was_confirmed(tmp_path):
    db = tmp_path / "chat.db"
    for name in ("alice", "bob"):
        assert adduser(db, name, PASSWORD).returncode == 0
    server = ServerProcess(db)
    url = await server.started()
    alice = await signed_in(url, "alice")
    confirmed = []

    async def keep_sending() -> None:
        for n in range(10_000):
            reply = await alice.call(
                "send",
                msg_id=f"kill-{n:07d}",
                chat_type="chat",
                to="bob",
                body={"kind": "text", "text": f"message {n}"},
            )
            if reply["type"] != "send_ok":
                return
            confirmed.append(reply["msg_id"])

    sender = asyncio.create_task(keep_sending())
    while len(confirmed) < 50:
        await asyncio.sleep(0.01)
        assert not sender.done()
    os.kill(server.proc.pid, signal.SIGKILL)
    await server.wait()
    with contextlib.suppress(ConnectionError):
        await sender
    await alice.close()

    restarted = ServerProcess(db)
    try:
        bob = await signed_in(await restarted.started(), "bob")
        stored = [
            event["message"]["msg_id"]
            for event in await bob.sync(after_seq=0)
            if event["type"] == "message"
        ]
        # Every confirmed message survived; at most the one in flight may also have.
        assert stored[: len(confirmed)] == confirmed
        assert len(stored) - len(confirmed) <= 1
        await bob.close()
    finally:
        await restarted.aclose_for_test()
