"""Network faults between a real `ChatClient` and a real `desktop-chat-server` process,
made by a TCP proxy in the test (asyncio, 127.0.0.1):
- a connection cut mid-frame with a TCP reset, in either direction;
- a server that stops answering without closing (a blackhole): the client must notice
  through its keepalive pings, reconnect once the network is back, and lose nothing.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from fault_tools import (
    PASSWORD,
    ServerProcess,
    TcpProxy,
    close_all,
    create_users,
    db_rows,
    new_client,
    wait_until,
)

from desktop_chat.client import ChatMessage, MessageStatus

PING = 0.5  # keepalive interval and timeout in the blackhole tests, seconds each
NOTICE_BOUND = 3.0  # a silent server must be noticed within this (interval + timeout + slack)


async def _setup(tmp_path, **alice_options):
    db = tmp_path / "server.db"
    create_users(db, ["alice", "bob"])
    server = ServerProcess(db, tmp_path / "server.log")
    await server.start()
    proxy = TcpProxy(server.port)
    await proxy.start()
    alice, alice_events = new_client(proxy.url, tmp_path / "alice", **alice_options)
    bob, bob_events = new_client(server.url, tmp_path / "bob")
    await alice.login("alice", PASSWORD)
    await bob.login("bob", PASSWORD)
    return db, server, proxy, (alice, alice_events), (bob, bob_events)


def assert_recovered(client, events) -> None:
    """Connected again, on its own, after every drop it noticed (how many drops one
    fault makes is the network's timing, not the client's promise)."""
    drops = events.count("on_disconnected")
    assert client.is_connected and drops >= 1
    assert events.count("on_connected") == 1 + drops and client.reconnects == drops
    assert events.count("on_token_did_expire") == 0


async def _teardown(server, proxy, clients) -> None:
    await proxy.aclose_for_test()  # first: nothing may wait on a held connection
    await close_all(clients)
    await server.aclose_for_test()


@pytest.mark.parametrize(
    ("direction", "frame_type"),
    [("c2s", "send"), ("s2c", "send_ok")],
    ids=["send-frame-cut-before-the-server-has-it", "send_ok-cut-after-the-server-stored-it"],
)
async def test_connection_reset_mid_frame(tmp_path, direction, frame_type):
    db, server, proxy, (alice, alice_ev), (bob, bob_ev) = await _setup(
        tmp_path, send_timeout_seconds=5.0
    )
    try:
        await wait_until(lambda: alice.store.outbox_size() == 0, 5, "alice idle")
        proxy.arm_cut(direction)
        started = time.monotonic()
        sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "around the cut"))
        # The cut hit the frame we meant, in its middle.
        assert len(proxy.cuts) == 1
        cut = proxy.cuts[0]
        assert cut["direction"] == direction and cut["opcode"] == 1  # a text frame
        assert json.loads(cut["payload"])["type"] == frame_type
        assert 0 < cut["forwarded"] < cut["total"]
        # The client noticed, reconnected by itself, and the resend from its outbox
        # got the message confirmed: no manual reconnect, no second message.
        assert sent.status is MessageStatus.SUCCESS, sent.status
        assert_recovered(alice, alice_ev)
        assert time.monotonic() - started < 5
        await wait_until(lambda: alice.store.message(sent.msg_id).has_deliver_ack, 5, "✓✓")
        after = await alice.chat_manager.send_message(ChatMessage.text("bob", "after the cut"))
        assert after.status is MessageStatus.SUCCESS
        await wait_until(lambda: len(bob_ev.ids("on_messages_received")) >= 2, 5, "bob has 2")
        await asyncio.sleep(0.2)
        received = [m.body.content for (ms,) in bob_ev.calls["on_messages_received"] for m in ms]
        assert received == ["around the cut", "after the cut"]
        assert db_rows(db, "SELECT msg_id, conv_seq FROM messages ORDER BY conv_seq") == [
            (sent.msg_id, 1),
            (after.msg_id, 2),
        ]
    finally:
        await _teardown(server, proxy, [alice, bob])


async def _blackhole_then_restore(tmp_path, notice_bound: float):
    """Blackhole alice's connection with a message in flight; returns what happened."""
    db, server, proxy, (alice, alice_ev), (bob, bob_ev) = await _setup(
        tmp_path,
        ping_interval_seconds=PING,
        ping_timeout_seconds=PING,
        # Only the keepalive may notice the silence; every request, the sign-in first,
        # has room on a loaded machine (2 s timed a sign-in out once in a parallel run).
        request_timeout_seconds=10.0,
        send_timeout_seconds=0.5,
    )
    try:
        await wait_until(lambda: alice.store.outbox_size() == 0, 5, "alice idle")
        proxy.blackhole()
        silent_since = time.monotonic()
        during = await alice.chat_manager.send_message(ChatMessage.text("bob", "into the void"))
        assert during.status is MessageStatus.PENDING  # held, not confirmed
        noticed = await wait_until(
            lambda: alice_ev.count("on_disconnected") >= 1,
            notice_bound,
            "alice's client noticing the silent server",
        )
        noticed = time.monotonic() - silent_since
        proxy.restore()
        await wait_until(lambda: alice_ev.count("on_connected") >= 2, 10, "reconnect")
        await wait_until(
            lambda: alice.store.message(during.msg_id).status is MessageStatus.SUCCESS,
            5,
            "the held message confirmed",
        )
        await wait_until(lambda: bob_ev.count("on_messages_received") >= 1, 5, "bob has it")
        await asyncio.sleep(0.3)
        assert bob_ev.ids("on_messages_received") == {during.msg_id: 1}
        assert db_rows(db, "SELECT msg_id FROM messages") == [(during.msg_id,)]
        assert_recovered(alice, alice_ev)
        return noticed
    finally:
        await _teardown(server, proxy, [alice, bob])


async def test_silent_server_is_noticed_within_the_keepalive_bound(tmp_path):
    noticed = await _blackhole_then_restore(tmp_path, notice_bound=NOTICE_BOUND)
    assert noticed < NOTICE_BOUND


async def test_silent_server_is_noticed_and_recovered_from_without_loss(tmp_path):
    noticed = await _blackhole_then_restore(tmp_path, notice_bound=NOTICE_BOUND)
    assert noticed >= 2 * PING * 0.9  # it was the keepalive that noticed, not anything else
    print(f"\nsilent server noticed after {noticed:.1f} s")
