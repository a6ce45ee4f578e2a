"""A session that ends ends everywhere: signing out, a revoked token and an expired
token close every open connection of that device at once (close code 4001), and
nothing more is served on them. Other devices of the same user are not touched, and a
device that stays connected stays signed in.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

import pytest
from hostile_tools import wait_until

from desktop_chat.wire_client import WireClient, text_body

SESSION_ENDED = 4001


async def test_signing_out_closes_the_devices_other_connections(harness):
    await harness.start()
    await harness.device("bob")
    first = await harness.device("alice")
    second = await harness.resume(first.token)  # the same device, a second connection
    await second.sync()
    laptop = await harness.device("alice")  # another device of alice
    await first.request("logout")
    await wait_until(lambda: second.closed, 2, "the second connection closed")
    assert second.ws.close_code == SESSION_ENDED
    assert "signed out" in second.ws.close_reason
    assert second.pushes_of("message") == []
    # The connection that signed out may sign in again; the other device is untouched.
    assert not first.closed
    await laptop.request("send", msg_id="after-out1", chat_type="chat", to="bob",
                         body=text_body("still signed in"))  # fmt: skip
    assert not laptop.closed
    assert laptop.orphan_errors == []


async def test_nothing_is_served_on_the_other_connections_after_the_sign_out(harness):
    await harness.start()
    await harness.device("bob")
    first = await harness.device("alice")
    second = await harness.resume(first.token)
    await first.request("logout")
    # Sent at once, before the close can have reached this client.
    with contextlib.suppress(ConnectionError):
        await second.send_raw(
            '{"type": "send", "id": "late", "msg_id": "late-send1", "chat_type": "chat",'
            ' "to": "bob", "body": {"kind": "text", "text": "too late"}}'
        )
    await wait_until(lambda: second.closed, 2, "the second connection closed")
    assert harness.store.message("late-send1") is None
    assert all(frame.get("type") != "send_ok" for frame in second.orphan_errors)


@pytest.mark.sqlite_only
async def test_a_revoked_token_closes_the_devices_connections(harness):
    await harness.start(session_check_seconds=0.1)
    phone = await harness.device("alice")
    again = await harness.resume(phone.token)
    laptop = await harness.device("alice")
    # An administrator revokes the phone straight in the database.
    with contextlib.closing(sqlite3.connect(harness.config.db_path)) as db:
        db.execute(
            "UPDATE devices SET revoked = 1 WHERE id = (SELECT MIN(id) FROM devices"
            " WHERE user_id = (SELECT id FROM users WHERE username = 'alice'))"
        )
        db.commit()
    await wait_until(lambda: phone.closed and again.closed, 2, "the phone's connections closed")
    assert phone.ws.close_code == again.ws.close_code == SESSION_ENDED
    assert "revoked" in phone.ws.close_reason
    assert not laptop.closed
    await laptop.request("fetch_conversations")


async def test_an_expired_token_closes_the_connection_but_a_connected_device_stays(harness):
    now = [1_700_000_000_000]
    hour = 3600 * 1000
    await harness.start(clock=lambda: now[0], token_ttl_seconds=2 * 3600, session_check_seconds=0.1)
    kept = await harness.device("alice")
    # A connected device is in use: time passes by hours, its session stays valid.
    for _ in range(4):
        now[0] += hour + 1
        await asyncio.sleep(0.3)  # a few session checks
        await kept.request("fetch_conversations")
    assert not kept.closed
    later = await harness.resume(kept.token)  # four hours on, the token still works
    await later.request("fetch_conversations")
    # A device whose connection outlived its session (the clock jumped past it):
    now[0] += 3 * hour
    await wait_until(lambda: kept.closed and later.closed, 2, "expired connections closed")
    assert kept.ws.close_code == SESSION_ENDED
    assert "expired" in kept.ws.close_reason
    gone = await harness.connect()
    assert (await gone.call("resume", token=kept.token))["code"] == "TOKEN_INVALID"


async def test_the_connection_that_signed_out_may_sign_in_again(harness):
    await harness.start()
    client: WireClient = await harness.device("alice")
    await client.request("logout")
    await client.login("alice", "correct horse")
    await client.request("fetch_conversations")
