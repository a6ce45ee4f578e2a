"""The two switches (require_delivery_ack, require_ack), group read receipts and
group membership, through the client API."""

from __future__ import annotations

import asyncio

import pytest
from test_client_basics import settle

from desktop_chat.client import (
    ChatError,
    ChatErrorCode,
    ChatMessage,
    ChatType,
    LocalProtocolError,
)
from desktop_chat.wire_client import WireClient


def count(recorder, name: str) -> int:
    return len(recorder.flat(name))


async def quiet(seconds: float = 0.3) -> None:
    """Time for a receipt that should NOT come to arrive if it wrongly would."""
    await asyncio.sleep(seconds)


async def test_delivery_switch_off_on_recipient_means_no_delivery_receipt(clients):
    await clients.harness.start()
    alice = await clients.login("alice", require_delivery_ack=True)
    bob = await clients.login("bob", require_delivery_ack=False)
    sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "hi"))
    await clients.events(bob).wait("on_messages_received")
    await quiet()
    assert clients.events(alice).calls["on_messages_delivered"] == []
    assert not alice.chat_manager.get_message(sent.msg_id).has_deliver_ack
    assert bob.store.outbox_size() == 0


async def test_delivery_switch_off_on_sender_means_none_is_asked(clients):
    await clients.harness.start()
    alice = await clients.login("alice", require_delivery_ack=False)
    bob = await clients.login("bob", require_delivery_ack=True)
    sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "hi"))
    assert sent.need_delivery_ack is False
    await clients.events(bob).wait("on_messages_received")
    await quiet()
    assert clients.events(alice).calls["on_messages_delivered"] == []
    assert not bob.chat_manager.get_message(sent.msg_id).has_deliver_ack


async def test_read_switch_off_on_reader_sends_nothing_and_returns_false(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob", require_ack=False)
    sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "hi"))
    await clients.events(bob).wait("on_messages_received")
    incoming = bob.chat_manager.get_message(sent.msg_id)
    await settle(bob)  # its delivery ack has gone out
    frames_before = bob.outbox.frames
    assert await bob.chat_manager.send_message_read_ack(incoming) is False
    assert await bob.chat_manager.send_conversation_read_ack("alice") is False
    assert await bob.chat_manager.send_group_message_read_ack(sent.msg_id, "123") is False
    await quiet()
    assert bob.outbox.frames == frames_before
    assert clients.events(alice).calls["on_messages_read"] == []
    assert clients.events(alice).calls["on_conversation_read"] == []
    assert not alice.chat_manager.get_message(sent.msg_id).has_read_ack


async def test_read_switch_off_on_sender_ignores_incoming_read_acks(clients):
    await clients.harness.start()
    alice = await clients.login("alice", require_ack=False)
    bob = await clients.login("bob")
    sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "hi"))
    assert sent.need_read_ack is False
    await clients.events(bob).wait("on_messages_received")
    assert await bob.chat_manager.send_conversation_read_ack("alice") is True
    await quiet()
    assert clients.events(alice).calls["on_messages_read"] == []
    assert clients.events(alice).calls["on_conversation_read"] == []
    assert not alice.chat_manager.get_message(sent.msg_id).has_read_ack
    # The reader's own state still moved: its badge is clear.
    assert bob.chat_manager.get_conversation("alice").unread_count == 0


async def test_private_mark_read_clears_badges_everywhere_without_a_receipt(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob", device="bob-laptop", require_ack=False)
    bob_phone = await clients.login("bob", device="bob-phone", require_ack=False)
    await alice.chat_manager.send_message(ChatMessage.text("bob", "hi"))
    await clients.events(bob_phone).wait("on_messages_received")
    await bob.chat_manager.get_conversation("alice").mark_all_messages_as_read()
    await clients.events(bob_phone).wait("on_conversation_read")
    assert bob_phone.chat_manager.get_conversation("alice").unread_count == 0
    await quiet()
    assert clients.events(alice).calls["on_conversation_read"] == []


async def make_group(clients, owner_name: str, member_count: int):
    """An owner (ChatClient), three members as ChatClients, the rest as lean clients."""
    harness = clients.harness
    names = [f"member{n:03d}" for n in range(member_count)]
    await harness.register(*names)
    owner = await clients.login(owner_name)
    group = await owner.group_manager.create_group("announcements", names)
    return owner, group, names


async def test_group_read_receipts_with_notes_and_paging_over_120_members(clients):
    await clients.harness.start()
    owner, group, names = await make_group(clients, "olivia", 120)
    assert group.member_count == 121
    readers = [await clients.login(name) for name in names[:3]]
    announcement = ChatMessage.text(group.group_id, "Release at 5pm", ChatType.GROUP_CHAT)
    announcement.need_group_ack = True
    sent = await owner.chat_manager.send_message(announcement)
    assert sent.group_member_count == 120

    for reader, note in zip(readers, ["Got it", None, "👍 收到"], strict=True):
        await clients.events(reader).wait("on_messages_received")
        assert await reader.chat_manager.send_group_message_read_ack(
            sent.msg_id, group.group_id, note
        )
    # The other 117 members ack with lean protocol clients, all at once.
    lean = []
    for name in names[3:]:
        client = await WireClient.connect(clients.harness.url)
        await client.login(name, "correct horse")
        lean.append(client)
    clients.harness.clients.extend(lean)
    await asyncio.gather(
        *(c.request("group_read_ack", group_id=group.group_id, msg_id=sent.msg_id) for c in lean)
    )
    events = clients.events(owner)
    await events.wait("on_group_message_read", lambda r: count(r, "on_group_message_read") == 120)
    acks = events.flat("on_group_message_read")
    assert {a.from_ for a in acks} == set(names)
    notes = {a.from_: a.content for a in acks if a.content}
    assert notes == {names[0]: "Got it", names[2]: "👍 收到"}
    # Coalesced: far fewer callbacks than acks.
    assert len(events.calls["on_group_message_read"]) < 120
    assert events.calls["on_read_ack_for_group_message_updated"]
    assert owner.chat_manager.get_message(sent.msg_id).group_ack_count == 120

    pages, cursor = [], None
    while True:
        page = await owner.chat_manager.fetch_group_acks(
            sent.msg_id, group.group_id, start_ack_id=cursor, page_size=50
        )
        pages.append(page.data)
        cursor = page.cursor
        if cursor is None:
            break
    assert [len(p) for p in pages] == [50, 50, 20]
    ack_ids = [int(a.ack_id) for p in pages for a in p]
    assert ack_ids == sorted(ack_ids, reverse=True) and len(set(ack_ids)) == 120
    assert {a.from_ for p in pages for a in p} == set(names)

    # A repeated ack is counted once.
    assert await readers[0].chat_manager.send_group_message_read_ack(sent.msg_id, group.group_id)
    again = await owner.chat_manager.fetch_group_acks(sent.msg_id, group.group_id, page_size=1)
    assert again.data[0].read_count == 120


async def test_member_asking_for_group_acks_is_refused(clients):
    await clients.harness.start()
    owner, group, names = await make_group(clients, "olivia", 2)
    member = await clients.login(names[0])
    message = ChatMessage.text(group.group_id, "please ack", ChatType.GROUP_CHAT)
    message.need_group_ack = True
    with pytest.raises(ChatError) as refused:
        await member.chat_manager.send_message(message)
    assert refused.value.code is ChatErrorCode.GROUP_ACK_NOT_ALLOWED
    # An admin may.
    await owner.group_manager.add_admin(group.group_id, names[0])
    allowed = ChatMessage.text(group.group_id, "please ack", ChatType.GROUP_CHAT)
    allowed.need_group_ack = True
    sent = await member.chat_manager.send_message(allowed)
    assert sent.group_member_count == 2


async def test_group_ack_refusals_raise_chat_errors(clients):
    await clients.harness.start()
    owner, group, names = await make_group(clients, "olivia", 2)
    member = await clients.login(names[0])
    plain = await owner.chat_manager.send_message(
        ChatMessage.text(group.group_id, "no acks asked", ChatType.GROUP_CHAT)
    )
    await clients.events(member).wait("on_messages_received")
    with pytest.raises(ChatError) as refused:
        await member.chat_manager.send_group_message_read_ack(plain.msg_id, group.group_id)
    assert refused.value.code is ChatErrorCode.ACK_NOT_REQUESTED
    with pytest.raises(ChatError) as too_long:
        await member.chat_manager.send_group_message_read_ack(
            plain.msg_id, group.group_id, "x" * 1025
        )
    assert too_long.value.code is ChatErrorCode.NOTE_TOO_LONG
    with pytest.raises(ChatError) as not_allowed:
        await member.chat_manager.fetch_group_acks(plain.msg_id, group.group_id)
    assert not_allowed.value.code is ChatErrorCode.PERMISSION_DENIED


async def test_removing_only_yourself_is_refused_before_sending_leave_group_leaves(clients):
    # The server takes `remove_members([me])` as leaving and answers ok, with no group
    # to return: the call is refused here instead, and the member stays in.
    await clients.harness.start()
    _owner, group, names = await make_group(clients, "olivia", 2)
    member = await clients.login(names[0])
    with pytest.raises(LocalProtocolError) as refused:
        await member.group_manager.remove_members(group.group_id, [names[0]])
    assert refused.value.code is ChatErrorCode.INVALID_PARAM
    still = await member.group_manager.get_group(group.group_id)
    assert names[0] in (still.members or {})
    await member.group_manager.leave_group(group.group_id)
    assert member.group_manager.get_group_from_cache(group.group_id) is None
