"""Delete for me and local full-text search, end to end: a deleted message leaves this
device only, never counts as unread and never gets a read receipt (other devices and
the server agree on the count); search finds Chinese words of any length, follows
edits, recalls and deletes, and never marks anything read."""

from __future__ import annotations

import asyncio

import pytest

from desktop_chat.client import ChatError, ChatErrorCode, ChatMessage, ChatType


async def received(clients, client, count: int) -> list[ChatMessage]:
    recorder = clients.events(client)
    await recorder.wait(
        "on_messages_received", lambda r: len(r.flat("on_messages_received")) >= count
    )
    return recorder.flat("on_messages_received")


async def server_unread(clients, name: str, conversation_id: str) -> int:
    wire = await clients.harness.device(name)
    try:
        return await wire.unread_count(conversation_id)
    finally:
        await wire.close()


async def test_deleting_an_unread_message_reads_it_privately_everywhere(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob", device="bob-phone")
    bob_laptop = await clients.login("bob", device="bob-laptop")
    doomed = await alice.chat_manager.send_message(ChatMessage.text("bob", "spam spam spam"))
    await alice.chat_manager.send_message(ChatMessage.text("bob", "real news"))
    await received(clients, bob, 2)
    await received(clients, bob_laptop, 2)

    bob.chat_manager.delete_message(doomed.msg_id)
    assert bob.chat_manager.get_message(doomed.msg_id) is None
    assert [m.body.content for m in bob.chat_manager.get_conversation("alice").messages] == [
        "real news"
    ]
    assert bob.chat_manager.get_conversation("alice").unread_count == 1
    await clients.settle(bob)
    await clients.events(bob_laptop).wait(
        "on_conversation_updated",
        lambda r: r.calls["on_conversation_updated"][-1] == ("alice", 1),
    )
    assert bob_laptop.chat_manager.get_conversation("alice").unread_count == 1
    assert bob_laptop.chat_manager.get_message(doomed.msg_id).recipient_read  # still there
    assert await server_unread(clients, "bob", "alice") == 1
    # Nothing told alice it was read.
    await asyncio.sleep(0.2)
    assert clients.events(alice).calls["on_messages_read"] == []
    assert not alice.chat_manager.get_message(doomed.msg_id).has_read_ack
    # The other message is still read the normal way.
    await bob.chat_manager.send_conversation_read_ack("alice")
    read = await clients.events(alice).wait("on_conversation_read")
    assert read[0] == ("bob", "alice")
    assert not alice.chat_manager.get_message(doomed.msg_id).has_read_ack


async def test_a_deleted_message_stays_deleted_and_ignores_later_news(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob", device="bob-phone")
    sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "first draft"))
    await received(clients, bob, 1)
    bob.chat_manager.get_conversation("alice").delete_message(sent.msg_id)
    await alice.chat_manager.modify_message(sent.msg_id, "second draft")
    await alice.chat_manager.recall_message(sent.msg_id)
    await alice.chat_manager.send_message(ChatMessage.text("bob", "marker"))
    await received(clients, bob, 2)
    assert bob.chat_manager.get_message(sent.msg_id) is None
    assert clients.events(bob).calls["on_message_content_changed"] == []
    assert clients.events(bob).calls["on_message_recalled"] == []
    assert bob.chat_manager.search_messages("draft") == []
    # A device that starts its log over (a new login) does not bring it back here.
    await bob.close()
    again = clients.new("bob-phone")
    await again.resume("bob")
    again.store.last_seq = 0
    again.store.commit()
    await again.close()
    again = clients.new("bob-phone")
    await again.resume("bob")
    await asyncio.sleep(0.1)
    assert again.chat_manager.get_message(sent.msg_id) is None
    with pytest.raises(ChatError) as refused:
        again.chat_manager.delete_message(sent.msg_id)
    assert refused.value.code is ChatErrorCode.MESSAGE_NOT_FOUND


async def test_deleting_an_unread_group_message_never_sends_a_group_ack(clients):
    await clients.harness.start()
    olivia = await clients.login("olivia")
    bob = await clients.login("bob", device="bob-phone")
    bob_laptop = await clients.login("bob", device="bob-laptop")
    group = await olivia.group_manager.create_group("team", ["bob"])
    msg = ChatMessage.text(group.group_id, "read me", chat_type=ChatType.GROUP_CHAT)
    msg.need_group_ack = True
    asked = await olivia.chat_manager.send_message(msg)
    await olivia.chat_manager.send_message(
        ChatMessage.text(group.group_id, "second", chat_type=ChatType.GROUP_CHAT)
    )
    await received(clients, bob, 2)
    await received(clients, bob_laptop, 2)
    assert bob.chat_manager.get_conversation(group.group_id).unread_count == 2

    bob.chat_manager.delete_message(asked.msg_id)
    assert bob.chat_manager.get_conversation(group.group_id).unread_count == 1
    await clients.settle(bob)
    await clients.events(bob_laptop).wait(
        "on_conversation_updated",
        lambda r: r.calls["on_conversation_updated"][-1] == (group.group_id, 1),
    )
    assert await server_unread(clients, "bob", group.group_id) == 1
    acks = await olivia.chat_manager.fetch_group_acks(asked.msg_id, group.group_id)
    assert acks.data == []
    # A later recount on the server keeps it read.
    await bob.chat_manager.mark_conversation_read_locally(group.group_id, read_upto=0)
    await clients.settle(bob)
    assert await server_unread(clients, "bob", group.group_id) == 1


async def test_deleting_ones_own_message_is_local_only(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob")
    sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "kept for bob"))
    await received(clients, bob, 1)
    alice.chat_manager.delete_message(sent.msg_id)
    assert alice.chat_manager.get_message(sent.msg_id) is None
    await asyncio.sleep(0.1)
    assert bob.chat_manager.get_message(sent.msg_id).body.content == "kept for bob"


# --------------------------------------------------------------------------- search

TEXTS = [
    "今天天气很好",
    "你好，世界",
    "明天见",
    "Hello World",
    "100% sure_thing",
    'she said "hi"',
    "好",
]


async def test_search_finds_words_of_every_length_newest_first(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob")
    carol = await clients.login("carol")
    for text in TEXTS:
        await alice.chat_manager.send_message(ChatMessage.text("bob", text))
    await carol.chat_manager.send_message(ChatMessage.text("bob", "你好 carol here"))
    await received(clients, bob, len(TEXTS) + 1)
    search = bob.chat_manager.search_messages

    def found(query: str, **kw) -> list[str]:
        return [m.body.content for m in search(query, **kw)]

    assert found("天气很") == ["今天天气很好"]  # trigram index
    assert found("天气") == ["今天天气很好"]  # two characters: the LIKE fallback
    assert found("你好") == ["你好 carol here", "你好，世界"]  # newest first
    assert found("你好", conversation_id="alice") == ["你好，世界"]
    assert found("好") == ["你好 carol here", "好", "你好，世界", "今天天气很好"]
    assert found("hello") == ["Hello World"] and found("WORLD") == ["Hello World"]
    assert found("hello world") == ["Hello World"]
    assert found("world hello") == ["Hello World"]  # every word, in any order
    assert found("100%") == ["100% sure_thing"] and found("e_t") == ["100% sure_thing"]
    assert found("%") == ["100% sure_thing"]
    assert found('"hi"') == ['she said "hi"']
    assert found("   ") == [] and found("") == []
    assert found("好", limit=2) == ["你好 carol here", "好"]
    with pytest.raises(ChatError) as refused:
        search("好", limit=0)
    assert refused.value.code is ChatErrorCode.INVALID_PARAM


async def test_searching_never_marks_anything_read(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob")
    await alice.chat_manager.send_message(ChatMessage.text("bob", "unread secret"))
    await received(clients, bob, 1)
    results = bob.chat_manager.search_messages("secret")
    assert len(results) == 1 and not results[0].recipient_read
    await asyncio.sleep(0.2)
    assert bob.store.outbox_size() == 0
    assert bob.chat_manager.get_conversation("alice").unread_count == 1
    assert not bob.chat_manager.get_message(results[0].msg_id).recipient_read
    assert clients.events(alice).calls["on_messages_read"] == []


async def test_a_read_receipt_still_queued_when_the_message_is_deleted_never_leaves(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob", device="bob-phone", ack_batch_seconds=0.5)
    bob_laptop = await clients.login("bob", device="bob-laptop")
    sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "read then deleted"))
    await received(clients, bob, 1)
    await received(clients, bob_laptop, 1)
    incoming = bob.chat_manager.get_message(sent.msg_id)
    assert await bob.chat_manager.send_message_read_ack(incoming) is True
    assert bob.chat_manager.get_conversation("alice").unread_count == 0
    bob.chat_manager.delete_message(sent.msg_id)  # before the batched receipt went out
    await clients.settle(bob)
    # The read still reached bob's laptop and the server, without a receipt for alice.
    await clients.events(bob_laptop).wait(
        "on_conversation_updated",
        lambda r: r.calls["on_conversation_updated"][-1] == ("alice", 0),
    )
    assert await server_unread(clients, "bob", "alice") == 0
    await asyncio.sleep(0.2)
    assert clients.events(alice).calls["on_messages_read"] == []
    assert not alice.chat_manager.get_message(sent.msg_id).has_read_ack
