"""Reads through the client API never claim more than the person saw: a
conversation ack carries its bound, and what was read with read receipts off is
never receipted once they are back on (RECEIPTS.md §5, §8)."""

from __future__ import annotations

import asyncio

from held_uplink import HeldUplink
from test_client_basics import settle

from desktop_chat.client import ChatMessage


async def received(clients, alice, bob, texts: list[str]) -> list[ChatMessage]:
    sent = [await alice.chat_manager.send_message(ChatMessage.text("bob", t)) for t in texts]
    await clients.events(bob).wait(
        "on_messages_received",
        lambda _recorder: bob.chat_manager.get_message(sent[-1].msg_id) is not None,
    )
    return [bob.chat_manager.get_message(m.msg_id) for m in sent]


def read_at_alice(alice, messages: list[ChatMessage]) -> list[bool]:
    return [alice.chat_manager.get_message(m.msg_id).has_read_ack for m in messages]


async def test_conversation_ack_with_a_bound_reads_only_up_to_it(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob")
    bob_laptop = await clients.login("bob")
    messages = await received(clients, alice, bob, ["one", "two", "three", "four"])
    assert await bob.chat_manager.send_conversation_read_ack("alice", messages[1].conv_seq)
    await clients.events(alice).wait("on_conversation_read")
    await settle(bob)
    assert read_at_alice(alice, messages) == [True, True, False, False]
    assert bob.chat_manager.get_conversation("alice").unread_count == 2
    assert [bob.chat_manager.get_message(m.msg_id).recipient_read for m in messages] == [
        True,
        True,
        False,
        False,
    ]
    # The reader's laptop clears only what was read.
    await clients.events(bob_laptop).wait("on_conversation_read")
    assert bob_laptop.chat_manager.get_conversation("alice").unread_count == 2
    assert [bob_laptop.chat_manager.get_message(m.msg_id).recipient_read for m in messages] == [
        True,
        True,
        False,
        False,
    ]


async def test_a_conversation_ack_held_in_a_slow_uplink_never_covers_newer_messages(clients):
    """bob reads; his ack waits in a stalled uplink while alice's next message reaches
    the server and bob's screen. When the ack gets through, only what he saw is read."""
    await clients.harness.start()
    uplink = HeldUplink(clients.harness.server.port)
    await uplink.start()
    try:
        alice = await clients.login("alice")
        bob = await clients.login("bob", server_url=uplink.url)
        seen = await received(clients, alice, bob, ["seen"])
        await settle(bob)
        uplink.hold()
        assert await bob.chat_manager.send_conversation_read_ack("alice") is True
        late = await received(clients, alice, bob, ["arrived after he looked"])
        uplink.release()
        await clients.events(alice).wait("on_conversation_read")
        await settle(bob)
        await asyncio.sleep(0.3)  # time for a receipt that must not come
        assert uplink.held_bytes > 0, "the ack must really have waited in the uplink"
        assert read_at_alice(alice, seen) == [True]
        assert read_at_alice(alice, late) == [False]
        assert bob.chat_manager.get_conversation("alice").unread_count == 1
    finally:
        await uplink.aclose_for_test()


async def test_what_was_read_with_receipts_off_is_never_receipted_later(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob", require_ack=False)
    messages = await received(clients, alice, bob, ["private one", "private two"])
    manager = bob.chat_manager
    # Receipts off: bob reads both, as the app does (a private read).
    await manager.mark_message_read_locally(messages[0])
    await manager.mark_conversation_read_locally("alice")
    await settle(bob)
    # Receipts back on: a new message arrives and bob reads the whole chat.
    bob.options.require_ack = True
    newer = await received(clients, alice, bob, ["after the switch"])
    assert await manager.send_conversation_read_ack("alice") is True
    assert await manager.send_message_read_ack(messages[0]) is True
    await clients.events(alice).wait("on_conversation_read")
    await settle(bob)
    await asyncio.sleep(0.3)  # time for a receipt that must not come
    assert read_at_alice(alice, messages) == [False, False]
    assert read_at_alice(alice, newer) == [True]
    assert [m.msg_id for m in clients.events(alice).flat("on_messages_read")] == []


async def test_a_badge_stays_right_when_a_read_overtakes_a_held_conversation_ack(clients):
    """bob reads the chat (its ack waits in the uplink), then reads alice's next message
    too: once both reach the server, his badge is 0, not the server's count at the
    moment it handled the first ack."""
    await clients.harness.start()
    uplink = HeldUplink(clients.harness.server.port)
    await uplink.start()
    try:
        alice = await clients.login("alice")
        bob = await clients.login("bob", server_url=uplink.url)
        await received(clients, alice, bob, ["first"])
        await settle(bob)
        uplink.hold()
        assert await bob.chat_manager.send_conversation_read_ack("alice") is True
        (late,) = await received(clients, alice, bob, ["second"])
        assert await bob.chat_manager.send_message_read_ack(late) is True
        uplink.release()
        await clients.events(alice).wait("on_messages_read")
        await settle(bob)
        await asyncio.sleep(0.3)
        assert bob.chat_manager.get_conversation("alice").unread_count == 0
        assert read_at_alice(alice, [late]) == [True]
    finally:
        await uplink.aclose_for_test()
