"""Connections that never sign in: a deadline for hello and sign-in, a cap per address,
and, at the process's descriptor limit, signed-in devices that keep working while
new users still get in.

Other loopback addresses (127.0.0.2 and up) stand for other people.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import time

import pytest
import trustme
from hostile_tools import RawClient, ServerProcess, wait_until
from websockets.exceptions import InvalidStatus

from desktop_chat.bench.common import PASSWORD as BULK_PASSWORD
from desktop_chat.bench.common import bulk_accounts
from desktop_chat.wire_client import WireClient, text_body

PASSWORD = "correct horse"  # the harness's password for every account


async def close_all(clients: list[WireClient]) -> None:
    """Close every client at once, bounded: what has not closed in 5 s is reset."""
    tasks = [asyncio.create_task(client.close()) for client in clients]
    if tasks:
        await asyncio.wait(tasks, timeout=5)
    for task, client in zip(tasks, clients, strict=True):
        if not task.done():
            task.cancel()
            client.ws.transport.abort()
    with contextlib.suppress(Exception):
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_connections_that_never_sign_in_are_closed_at_the_deadline(harness):
    await harness.start(sign_in_timeout_seconds=0.5)
    silent = await RawClient.open_tcp(harness.server.port)  # TCP only, no HTTP request
    no_hello = await harness.connect(hello=False)  # answers pings, never says hello
    no_sign_in = await harness.connect()  # says hello, never signs in
    alice = await harness.device("alice")  # signs in at once
    try:
        took = await wait_until(
            lambda: no_hello.closed and no_sign_in.closed, 3, "unauthenticated closed"
        )
        assert took < 2
        for client in (no_hello, no_sign_in):
            assert client.ws.close_code == 1008
            assert "sign in within" in client.ws.close_reason
        await silent.wait_closed(2)
        # A signed-in device is not subject to the deadline.
        await asyncio.sleep(0.6)
        assert not alice.closed
        await alice.request("fetch_conversations")
        # Signing out starts the deadline again.
        await alice.request("logout")
        await wait_until(lambda: alice.closed, 3, "signed-out connection closed")
    finally:
        silent.close()


async def test_unauthenticated_connections_per_address_are_capped(harness):
    await harness.start(max_unauthenticated_per_address=3)
    await harness.register("alice")
    opened: list[WireClient] = []

    async def connect(source: str) -> WireClient:
        client = await WireClient.connect(harness.url, local_addr=(source, 0))
        opened.append(client)
        return client

    try:
        waiting = [await connect("127.0.0.2") for _ in range(3)]
        with pytest.raises(InvalidStatus) as refused:
            await connect("127.0.0.2")
        assert refused.value.response.status_code == 429
        assert b"sign in" in refused.value.response.body
        await connect("127.0.0.3")  # someone else is not affected
        # A connection that signs in no longer counts against its address.
        await waiting[0].login("alice", PASSWORD)
        await connect("127.0.0.2")
        for client in waiting:
            assert not client.closed
            await client.call("fetch_conversations")  # answered (NOT_LOGGED_IN for two)
    finally:
        await close_all(opened)


SIGNED_IN = 30
HOSTILE_ADDRESSES = 10
HOSTILE_PER_ADDRESS = 30  # 300 connections against a limit of 256 descriptors


def _low_descriptor_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (128, 256))


async def test_at_the_descriptor_limit_signed_in_devices_keep_working_and_new_users_get_in(
    tmp_path,
):
    db = tmp_path / "server.db"
    names = [f"user{n:02d}" for n in range(SIGNED_IN)]
    tokens = bulk_accounts(db, [*names, "late"])
    server = ServerProcess(
        db, tmp_path / "server.log", "--sign-in-timeout", "60", preexec_fn=_low_descriptor_limit
    )
    devices: list[WireClient] = []
    hostile: list[WireClient] = []
    try:
        await server.start()
        assert "file descriptors: 256" in server.log_text()
        for name in names:
            device = await WireClient.connect(server.url)
            devices.append(device)
            await device.request("resume", token=tokens[name])
            await device.sync()
        attempts = HOSTILE_ADDRESSES * HOSTILE_PER_ADDRESS
        connecting = [
            asyncio.create_task(
                WireClient.connect(
                    server.url,
                    local_addr=(f"127.0.0.{2 + n % HOSTILE_ADDRESSES}", 0),
                    open_timeout=5,
                )
            )
            for n in range(attempts)
        ]
        await asyncio.wait(connecting, timeout=8)
        for task in connecting:
            if not task.done():
                task.cancel()  # not answered: refused too, as far as the attacker knows
            elif task.exception() is None:
                hostile.append(task.result())
        refused = attempts - len(hostile)
        held = sum(not client.closed for client in hostile)
        # Every signed-in device still sends and receives, promptly.
        started = time.monotonic()
        for n, device in enumerate(devices):
            reply = await asyncio.wait_for(
                device.call(
                    "send", msg_id=f"fdlimit-{n:04d}", chat_type="chat",
                    to=names[(n + 1) % SIGNED_IN], body=text_body("still here"),
                ),
                5,
            )  # fmt: skip
            assert reply["type"] == "send_ok", reply
        sends = time.monotonic() - started
        assert all(not device.closed for device in devices)
        # A new user still gets in.
        started = time.monotonic()
        late = await WireClient.connect(server.url, open_timeout=5)
        devices.append(late)
        await late.login("late", BULK_PASSWORD)
        sign_in = time.monotonic() - started
        assert server.fds() <= 256
        log = server.log_text()
        assert "Too many open files" not in log and "out of system resource" not in log
        print(
            f"\ndescriptor limit 256: {SIGNED_IN} signed-in devices and {held} unauthenticated"
            f" connections held, {refused} of {attempts} refused or displaced;"
            f" {SIGNED_IN} sends took {sends:.2f} s, a new sign-in {sign_in:.2f} s"
        )
    finally:
        await close_all(hostile + devices)
        await server.aclose_for_test()


async def test_a_connection_whose_tls_handshake_fails_holds_no_place(harness, tmp_path):
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1")
    cert, key = tmp_path / "server.pem", tmp_path / "server.key"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    await harness.start(tls_cert=cert, tls_key=key, sign_in_timeout_seconds=0.3)
    door = harness.server.door
    before = len(door.open)
    broken = [await RawClient.open_tcp(harness.server.port) for _ in range(5)]
    try:
        for client in broken:
            await client.send_bytes(b"GET / HTTP/1.1\r\n\r\n")  # not a TLS hello
        await wait_until(lambda: len(door.open) == before, 3, "failed handshakes forgotten")
        assert not door.waiting
    finally:
        for client in broken:
            client.close()
