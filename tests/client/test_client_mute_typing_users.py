"""Per-conversation mute (kept by the server, on every device), the typing indicator
(throttled, ephemeral: it never moves the applied seq) and user lookup, through the
client core's API."""

from __future__ import annotations

import asyncio

import pytest

from desktop_chat.client import ChatError, ChatErrorCode, ChatMessage


async def test_mute_holds_on_every_device_and_after_a_restart(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob", device="bob-phone")
    bob_laptop = await clients.login("bob", device="bob-laptop")
    await alice.chat_manager.send_message(ChatMessage.text("bob", "hi"))
    await clients.events(bob_laptop).wait("on_messages_received")

    await bob.chat_manager.set_conversation_muted("alice", True)
    assert bob.chat_manager.get_conversation("alice").is_muted
    calls = await clients.events(bob_laptop).wait("on_conversation_muted")
    assert calls == [("alice", True)]
    assert bob_laptop.chat_manager.get_conversation("alice").is_muted
    assert await clients.events(bob).wait("on_conversation_muted") == [("alice", True)]
    assert not alice.chat_manager.get_conversation("alice").is_muted

    await bob_laptop.close()
    await bob.chat_manager.set_conversation_muted("alice", False)
    await clients.harness.restart()
    back = clients.new("bob-laptop")
    await back.resume("bob")
    await asyncio.sleep(0.1)
    assert not back.chat_manager.get_conversation("alice").is_muted
    assert clients.events(back).calls["on_conversation_muted"] == [("alice", False)]
    # A new device learns it from the log too. bob's phone reconnects to the restarted
    # server on its own, after its backoff: wait for that (its first was the sign-in).
    await clients.events(bob).wait("on_connected", lambda r: len(r.calls["on_connected"]) >= 2)
    await bob.chat_manager.set_conversation_muted("alice", True)
    fresh = await clients.login("bob", device="bob-tablet")
    assert fresh.chat_manager.get_conversation("alice").is_muted


async def test_a_mute_until_a_time_ends_by_itself(clients):
    await clients.harness.start()
    bob = await clients.login("bob")
    await clients.login("alice")
    conversation = bob.chat_manager.get_conversation("alice")
    soon = clients.harness.config.clock() + 400
    await bob.chat_manager.set_conversation_muted("alice", True, until=soon)
    conversation = bob.chat_manager.get_conversation("alice")
    assert conversation.is_muted and conversation.muted_until == soon
    await asyncio.sleep(0.5)
    assert not bob.chat_manager.get_conversation("alice").is_muted
    with pytest.raises(ChatError) as refused:
        await bob.chat_manager.set_conversation_muted("alice", True, until=1)
    assert refused.value.code is ChatErrorCode.INVALID_PARAM


async def test_typing_is_shown_to_the_peer_and_throttled(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob")
    seq_before = bob.store.last_seq
    assert await alice.chat_manager.send_typing("bob") is True
    calls = await clients.events(bob).wait("on_typing")
    assert calls == [("alice", "alice")]
    assert await alice.chat_manager.send_typing("bob") is False  # within the throttle
    assert bob.store.last_seq == seq_before  # no seq: the applied log did not move
    # Messages after it apply as usual.
    await alice.chat_manager.send_message(ChatMessage.text("bob", "done typing"))
    await clients.events(bob).wait("on_messages_received")
    assert bob.store.last_seq > seq_before
    assert len(clients.events(bob).calls["on_typing"]) == 1
    group = await alice.group_manager.create_group("g", ["bob"])
    with pytest.raises(ChatError) as refused:
        await alice.chat_manager.send_typing(group.group_id)
    assert refused.value.code is ChatErrorCode.INVALID_PARAM


async def test_typing_offline_is_dropped_not_queued(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    await clients.login("bob")
    await clients.harness.stop()
    await clients.events(alice).wait("on_disconnected")
    assert await alice.chat_manager.send_typing("bob") is False
    assert alice.store.outbox_size() == 0


async def test_user_lookup(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    await clients.harness.register("bob")
    assert await alice.chat_manager.user_exists("bob") is True
    assert await alice.chat_manager.user_exists("ghost") is False
    assert await alice.chat_manager.user_exists("Not A Name") is False  # never asked
    assert await alice.chat_manager.fetch_user_info(["bob", "ghost", "bob"]) == {
        "bob": True,
        "ghost": False,
    }
    with pytest.raises(ChatError) as refused:
        await alice.chat_manager.fetch_user_info([f"user{n}" for n in range(21)])
    assert refused.value.code is ChatErrorCode.BATCH_TOO_LARGE
