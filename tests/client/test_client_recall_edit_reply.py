"""The client core's recall, edit and reply, end to end against the real server: the
SDK calls (`recall_message`, `modify_message`, `ChatMessage.reply_to`), their callbacks
on every device of both sides, and what each local store keeps."""

from __future__ import annotations

import asyncio

import pytest

from desktop_chat.client import ChatError, ChatErrorCode, ChatMessage

SECRET = "meet me behind the library"


class Clock:
    def __init__(self, start: int = 1_800_000_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1000)


async def received(clients, client, count: int = 1) -> list[ChatMessage]:
    recorder = clients.events(client)
    await recorder.wait(
        "on_messages_received", lambda r: len(r.flat("on_messages_received")) >= count
    )
    return recorder.flat("on_messages_received")


async def test_recall_reaches_every_device_and_drops_the_text_everywhere(clients):
    await clients.harness.start()
    alice = await clients.login("alice", device="alice-phone")
    alice_laptop = await clients.login("alice", device="alice-laptop")
    bob = await clients.login("bob", device="bob-phone")
    bob_laptop = await clients.login("bob", device="bob-laptop")
    sent = await alice.chat_manager.send_message(ChatMessage.text("bob", SECRET))
    await alice.chat_manager.send_message(ChatMessage.text("bob", "and bring snacks"))
    for device in (bob, bob_laptop):
        await received(clients, device, 2)
        assert device.chat_manager.get_conversation("alice").unread_count == 2

    recalled = await alice.chat_manager.recall_message(sent.msg_id)
    assert recalled.recalled and recalled.body.content == ""
    for device in (alice, alice_laptop, bob, bob_laptop):
        calls = await clients.events(device).wait("on_message_recalled")
        (msgs,) = calls[0]
        assert [m.msg_id for m in msgs] == [sent.msg_id]
        assert msgs[0].recalled and msgs[0].from_ == "alice"
        stored = device.chat_manager.get_message(sent.msg_id)
        assert stored.recalled and stored.body.content == "" and stored.recalled_at
        assert device.chat_manager.search_messages("library") == []
        for path in device.store.path.parent.glob("client.db*"):
            assert SECRET.encode() not in path.read_bytes(), (device.username, path.name)
    for device in (bob, bob_laptop):
        await clients.events(device).wait(
            "on_conversation_updated",
            lambda r: r.calls["on_conversation_updated"][-1] == ("alice", 1),
        )
        assert device.chat_manager.get_conversation("alice").unread_count == 1
    # No read receipt for a recalled message: the call sends nothing.
    await clients.settle(bob)
    gone = bob.chat_manager.get_message(sent.msg_id)
    assert await bob.chat_manager.send_message_read_ack(gone) is False
    assert bob.store.outbox_size() == 0


async def test_only_the_sender_recalls_and_only_within_the_limit(clients):
    clock = Clock()
    await clients.harness.start(clock=clock)
    alice = await clients.login("alice")
    bob = await clients.login("bob")
    first = await alice.chat_manager.send_message(ChatMessage.text("bob", "one"))
    second = await alice.chat_manager.send_message(ChatMessage.text("bob", "two"))
    await received(clients, bob, 2)
    with pytest.raises(ChatError) as refused:
        await bob.chat_manager.recall_message(first.msg_id)
    assert refused.value.code is ChatErrorCode.PERMISSION_DENIED
    clock.advance(121)
    with pytest.raises(ChatError) as refused:
        await alice.chat_manager.recall_message(second.msg_id)
    assert refused.value.code is ChatErrorCode.RECALL_TIME_LIMIT
    assert "2 minutes" in refused.value.description
    assert alice.chat_manager.get_message(second.msg_id).body.content == "two"
    assert not alice.chat_manager.get_message(second.msg_id).recalled
    with pytest.raises(ChatError) as refused:
        await alice.chat_manager.recall_message("not-on-this-device")
    assert refused.value.code is ChatErrorCode.MESSAGE_NOT_FOUND


async def test_edit_reaches_both_sides_and_keeps_the_receipts(clients):
    await clients.harness.start()
    alice = await clients.login("alice", device="alice-phone")
    alice_laptop = await clients.login("alice", device="alice-laptop")
    bob = await clients.login("bob")
    sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "see you at 5"))
    (incoming,) = await received(clients, bob)
    await clients.events(alice).wait("on_messages_delivered")

    edited = await alice.chat_manager.modify_message(sent.msg_id, "see you at 6")
    assert edited.body.content == "see you at 6" and edited.edited
    assert edited.has_deliver_ack  # an edit does not reset receipts
    for device in (bob, alice_laptop):
        calls = await clients.events(device).wait("on_message_content_changed")
        msg, operator, when = calls[0]
        assert msg.msg_id == sent.msg_id and msg.body.content == "see you at 6"
        assert operator == "alice" and when == msg.edited_at > 0
        assert device.chat_manager.search_messages("at 6")[0].msg_id == sent.msg_id
        assert device.chat_manager.search_messages("at 5") == []
    assert bob.chat_manager.get_conversation("alice").unread_count == 1
    assert not bob.chat_manager.get_message(sent.msg_id).recipient_read
    assert len(clients.events(bob).flat("on_messages_received")) == 1
    with pytest.raises(ChatError) as refused:
        await bob.chat_manager.modify_message(incoming.msg_id, "mine")
    assert refused.value.code is ChatErrorCode.PERMISSION_DENIED
    await alice.chat_manager.recall_message(sent.msg_id)
    with pytest.raises(ChatError) as refused:
        await alice.chat_manager.modify_message(sent.msg_id, "back from the dead")
    assert refused.value.code is ChatErrorCode.MESSAGE_RECALLED
    with pytest.raises(ChatError) as refused:
        await alice.chat_manager.modify_message(sent.msg_id, "")
    assert refused.value.code is ChatErrorCode.INVALID_PARAM


async def test_a_reply_shows_its_quote_on_both_sides_and_follows_a_recall(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob")
    original = await alice.chat_manager.send_message(ChatMessage.text("bob", "lunch? " * 50))
    await received(clients, bob)
    reply = ChatMessage.text("alice", "yes!", reply_to=original.msg_id)
    sent = await bob.chat_manager.send_message(reply)
    assert sent.reply_to == original.msg_id
    assert sent.reply_preview.from_ == "alice"
    assert sent.reply_preview.text == ("lunch? " * 50)[:200]
    (incoming,) = [m for m in await received(clients, alice, 1) if m.msg_id == sent.msg_id] or [
        None
    ]
    assert incoming is not None
    assert incoming.reply_to == original.msg_id
    assert incoming.reply_preview.text == ("lunch? " * 50)[:200]
    assert not incoming.reply_preview.recalled

    await alice.chat_manager.recall_message(original.msg_id)
    for device in (alice, bob):
        await clients.events(device).wait("on_message_recalled")
        preview = device.chat_manager.get_message(sent.msg_id).reply_preview
        assert preview.recalled and preview.text is None

    with pytest.raises(ChatError) as refused:
        await bob.chat_manager.send_message(
            ChatMessage.text("alice", "re", reply_to="not-a-real-msg")
        )
    assert refused.value.code is ChatErrorCode.MESSAGE_NOT_FOUND


async def test_a_recalled_message_never_counts_as_unread_on_a_device_that_was_away(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob", device="bob-laptop")
    await bob.close()
    sent = await alice.chat_manager.send_message(ChatMessage.text("bob", SECRET))
    await alice.chat_manager.send_message(ChatMessage.text("bob", "hello"))
    await alice.chat_manager.recall_message(sent.msg_id)
    back = clients.new("bob-laptop")
    await back.resume("bob")
    await asyncio.sleep(0.1)
    assert back.chat_manager.get_conversation("alice").unread_count == 1
    stored = back.chat_manager.get_message(sent.msg_id)
    assert stored.recalled and stored.body.content == ""
    assert back.chat_manager.search_messages("library") == []
    # A delivery ack was never sent for it: the server would refuse it.
    await clients.settle(back)
    assert not stored.has_deliver_ack


async def test_a_device_away_across_a_server_restart_catches_up_on_all_three(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob", device="bob-phone")
    laptop = await clients.login("bob", device="bob-laptop")
    draft = await alice.chat_manager.send_message(ChatMessage.text("bob", "draft plan"))
    gone = await alice.chat_manager.send_message(ChatMessage.text("bob", SECRET))
    await received(clients, laptop, 2)
    await laptop.close()
    await alice.chat_manager.modify_message(draft.msg_id, "final plan")
    await alice.chat_manager.recall_message(gone.msg_id)
    await bob.chat_manager.set_conversation_muted("alice", True)
    await clients.harness.restart()

    back = clients.new("bob-laptop")
    await back.resume("bob")
    events = clients.events(back)
    (changed,) = await events.wait("on_message_content_changed")
    assert changed[0].msg_id == draft.msg_id and changed[1] == "alice"
    (recalled,) = await events.wait("on_message_recalled")
    assert [m.msg_id for m in recalled[0]] == [gone.msg_id]
    assert await events.wait("on_conversation_muted") == [("alice", True)]
    assert back.chat_manager.get_message(draft.msg_id).body.content == "final plan"
    assert back.chat_manager.get_message(gone.msg_id).recalled
    conversation = back.chat_manager.get_conversation("alice")
    assert conversation.is_muted and conversation.unread_count == 1
    assert [m.msg_id for m in back.chat_manager.search_messages("plan")] == [draft.msg_id]
    assert back.chat_manager.search_messages("library") == []
