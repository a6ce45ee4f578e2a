"""The client core's one-to-one receipt flows, end to end against the real server.

Each test names the RECEIPTS.md behaviour it proves; every client is a real
`ChatClient` with its own SQLite store, talking to a real server over loopback.
"""

from __future__ import annotations

import asyncio

import pytest

from desktop_chat.client import (
    ChatClient,
    ChatError,
    ChatErrorCode,
    ChatEventHandler,
    ChatMessage,
    MessageStatus,
)


async def settle(*clients: ChatClient) -> None:
    """Let in-flight acks drain (each client's outbox empty), bounded in time."""
    for _ in range(200):
        if all(c.store is None or c.store.outbox_size() == 0 for c in clients):
            await asyncio.sleep(0.05)
            return
        await asyncio.sleep(0.02)
    raise TimeoutError("outboxes did not drain")


async def test_delivery_receipt_reaches_sender(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob")
    sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "hello"))
    assert sent.status is MessageStatus.SUCCESS and sent.server_time > 0
    received = await clients.events(bob).wait("on_messages_received")
    assert [m.body.content for (msgs,) in received for m in msgs] == ["hello"]
    delivered = await clients.events(alice).wait("on_messages_delivered")
    (msgs,) = delivered[0]
    assert msgs[0].msg_id == sent.msg_id and msgs[0].has_deliver_ack
    assert not msgs[0].has_read_ack
    assert alice.chat_manager.get_message(sent.msg_id).has_deliver_ack


async def test_message_read_ack_reaches_peer_and_readers_other_device(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob", device="bob-laptop")
    bob_phone = await clients.login("bob", device="bob-phone")
    first = await alice.chat_manager.send_message(ChatMessage.text("bob", "one"))
    await alice.chat_manager.send_message(ChatMessage.text("bob", "two"))
    await clients.events(bob).wait(
        "on_messages_received", lambda r: len(r.flat("on_messages_received")) == 2
    )
    await clients.events(bob_phone).wait(
        "on_messages_received", lambda r: len(r.flat("on_messages_received")) == 2
    )
    assert bob.chat_manager.get_conversation("alice").unread_count == 2

    incoming = bob.chat_manager.get_message(first.msg_id)
    assert await bob.chat_manager.send_message_read_ack(incoming) is True

    read = await clients.events(alice).wait("on_messages_read")
    assert [m.msg_id for m in clients.events(alice).flat("on_messages_read")] == [first.msg_id]
    assert read[0][0][0].has_read_ack
    await clients.events(bob_phone).wait(
        "on_conversation_updated", lambda r: r.calls["on_conversation_updated"][-1] == ("alice", 1)
    )
    assert bob.chat_manager.get_conversation("alice").unread_count == 1
    assert bob_phone.chat_manager.get_conversation("alice").unread_count == 1
    assert bob_phone.chat_manager.get_message(first.msg_id).recipient_read


async def test_conversation_read_ack_reaches_peer_and_readers_other_device(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob", device="bob-laptop")
    bob_phone = await clients.login("bob", device="bob-phone")
    ids = []
    for n in range(5):
        ids.append((await alice.chat_manager.send_message(ChatMessage.text("bob", f"m{n}"))).msg_id)
    await clients.events(bob).wait(
        "on_messages_received", lambda r: len(r.flat("on_messages_received")) == 5
    )
    await clients.events(bob_phone).wait(
        "on_messages_received", lambda r: len(r.flat("on_messages_received")) == 5
    )

    assert await bob.chat_manager.send_conversation_read_ack("alice") is True

    calls = await clients.events(alice).wait("on_conversation_read")
    assert calls == [("bob", "alice")]
    assert all(alice.chat_manager.get_message(i).has_read_ack for i in ids)
    own = await clients.events(bob_phone).wait("on_conversation_read")
    assert own == [("bob", "alice")]
    assert bob.chat_manager.get_conversation("alice").unread_count == 0
    assert bob_phone.chat_manager.get_conversation("alice").unread_count == 0
    assert all(bob_phone.chat_manager.get_message(i).recipient_read for i in ids)
    # The server agrees: a fresh device of bob sees 0 unread too.
    fresh = await clients.login("bob", device="bob-tablet")
    assert fresh.chat_manager.get_conversation("alice").unread_count == 0


async def test_read_acks_issued_together_go_out_in_one_frame(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    # A window wide enough that issuing 20 acks (a store commit each) fits in it even
    # on a busy machine: what is promised is one frame for acks issued together.
    bob = await clients.login("bob", ack_batch_seconds=1.0)
    for n in range(20):
        await alice.chat_manager.send_message(ChatMessage.text("bob", f"m{n}"))
    await clients.events(bob).wait(
        "on_messages_received", lambda r: len(r.flat("on_messages_received")) == 20
    )
    await settle(bob)
    before = bob.outbox.frames
    for message in bob.chat_manager.get_conversation("alice").messages:
        await bob.chat_manager.send_message_read_ack(message)
    await clients.events(alice).wait(
        "on_messages_read", lambda r: len(r.flat("on_messages_read")) == 20
    )
    assert bob.outbox.frames - before == 1


async def test_acking_own_message_is_refused_clearly(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    await clients.login("bob")
    sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "mine"))
    with pytest.raises(ChatError) as refused:
        await alice.chat_manager.send_message_read_ack(sent)
    assert refused.value.code is ChatErrorCode.CANNOT_ACK_OWN_MESSAGE


async def test_send_to_unknown_user_fails_with_a_code(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    message = ChatMessage.text("nobody", "hello?")
    with pytest.raises(ChatError) as refused:
        await alice.chat_manager.send_message(message)
    assert refused.value.code is ChatErrorCode.USER_NOT_FOUND
    assert alice.chat_manager.get_message(message.msg_id).status is MessageStatus.FAIL
    assert alice.store.outbox_size() == 0


async def test_a_raising_handler_does_not_stop_the_others(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob")

    def broken(msgs):
        raise RuntimeError("handler bug")

    got = []

    async def coroutine_handler(msgs):
        got.extend(msgs)

    bob.chat_manager.add_event_handler("broken", ChatEventHandler(on_messages_received=broken))
    bob.chat_manager.add_event_handler(
        "async", ChatEventHandler(on_messages_received=coroutine_handler)
    )
    with pytest.raises(ValueError):
        bob.chat_manager.add_event_handler("async", ChatEventHandler())
    await alice.chat_manager.send_message(ChatMessage.text("bob", "still delivered"))
    await clients.events(bob).wait("on_messages_received")
    await asyncio.sleep(0.05)
    assert [m.body.content for m in got] == ["still delivered"]
    bob.chat_manager.remove_event_handler("async")
    await alice.chat_manager.send_message(ChatMessage.text("bob", "second"))
    await clients.events(bob).wait(
        "on_messages_received", lambda r: len(r.flat("on_messages_received")) == 2
    )
    await asyncio.sleep(0.05)
    assert len(got) == 1


async def test_senders_other_device_sees_the_sent_message_and_its_receipts(clients):
    await clients.harness.start()
    alice = await clients.login("alice", device="alice-laptop")
    alice_phone = await clients.login("alice", device="alice-phone")
    bob = await clients.login("bob")
    sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "from laptop"))
    copies = await clients.events(alice_phone).wait("on_messages_received")
    assert copies[0][0][0].msg_id == sent.msg_id
    await clients.events(bob).wait("on_messages_received")
    await bob.chat_manager.send_conversation_read_ack("alice")
    await clients.events(alice_phone).wait("on_conversation_read")
    assert alice_phone.chat_manager.get_message(sent.msg_id).has_read_ack
