"""Store contract, on every backend: messages (unique msg_id, every field kept),
history pages, and the one-to-one receipt marks and read watermark."""

from __future__ import annotations

import pytest
from contract_tools import NOW, committed, send_chat, typed, users

from desktop_chat.protocol import Mark
from desktop_chat.server.storage.interface import (
    MemberState,
    MessageRow,
    MsgIdTakenError,
    ReadState,
)


def test_a_message_keeps_every_field(store):
    alice, bob = users(store, "alice", "bob")
    body = b'{"text":"h\xc3\xa9llo \x00"}'
    message = send_chat(store, alice, bob, "m-1", body=body, need_read_ack=False)
    assert message == MessageRow(
        id=message.id,
        msg_id="m-1",
        conv_id=store.find_chat_conversation(alice, bob),
        conv_seq=1,
        chat_type="chat",
        sender_id=alice,
        recipient_id=bob,
        group_id=None,
        body=body,
        server_time=NOW,
        local_time=NOW - 5,
        need_delivery_ack=True,
        need_read_ack=False,
        need_group_ack=False,
        mark=Mark.SENT,
        delivered_at=None,
        read_at=None,
        recipient_read=False,
        group_member_count=None,
        group_ack_count=0,
        group_delivered_count=0,
        reply_to=None,
        edited_at=None,
        recalled_at=None,
        group_confirm_count=0,
    )
    flags = (message.need_delivery_ack, message.need_read_ack, message.recipient_read)
    assert all(type(flag) is bool for flag in flags)
    assert store.message("nope") is None


def test_a_taken_msg_id_raises_and_the_request_goes_on(store):
    alice, bob = users(store, "alice", "bob")
    first = send_chat(store, alice, bob, "m-1")
    with committed(store):
        with pytest.raises(MsgIdTakenError):
            store.insert_message(
                msg_id="m-1",
                conv_id=first.conv_id,
                conv_seq=99,
                chat_type="chat",
                sender_id=bob,
                recipient_id=alice,
                group_id=None,
                body=b"other",
                server_time=NOW,
                local_time=NOW,
                need_delivery_ack=False,
                need_read_ack=False,
                need_group_ack=False,
                mark=Mark.SENT,
                group_member_count=None,
            )
        store.next_conv_seq(first.conv_id)
    assert store.message("m-1") == first
    assert store.conv_last_seq(first.conv_id) == 2


def test_messages_by_ids_skips_the_unknown(store):
    alice, bob = users(store, "alice", "bob")
    one, two = send_chat(store, alice, bob, "m-1"), send_chat(store, bob, alice, "m-2")
    assert store.messages(["m-2", "unknown", "m-1", "m-2"]) == {"m-1": one, "m-2": two}
    assert store.messages([]) == {}
    many = [f"x-{n}" for n in range(1200)]  # more than one SQLite chunk
    assert store.messages(many) == {}


def test_history_pages_oldest_first_between_bounds(store):
    alice, bob = users(store, "alice", "bob")
    pairs = [(alice, bob), (bob, alice)] * 4
    sent = [send_chat(store, x, y, f"m-{n}") for n, (x, y) in enumerate(pairs)]
    conv = sent[0].conv_id
    assert store.last_message(conv) == sent[-1]
    assert store.last_message(conv + 1000) is None
    assert [m.conv_seq for m in store.history(conv, None, 0, 3)] == [6, 7, 8]
    assert [m.conv_seq for m in store.history(conv, 6, 0, 3)] == [3, 4, 5]
    assert [m.conv_seq for m in store.history(conv, 3, 0, 3)] == [1, 2]
    assert [m.conv_seq for m in store.history(conv, None, 5, 100)] == [6, 7, 8]
    assert [m.conv_seq for m in store.history(conv, 7, 4, 100)] == [5, 6]
    assert store.history(conv, 1, 0, 10) == []
    assert store.history(conv, None, 0, 100) == sent


def test_delivery_keeps_its_first_time(store):
    alice, bob = users(store, "alice", "bob")
    message = send_chat(store, alice, bob, "m-1")
    with committed(store):
        store.set_delivered(message.id, Mark.DELIVERED, NOW + 1)
        store.set_delivered(message.id, Mark.DELIVERED, NOW + 2)
    delivered = store.message("m-1")
    assert (delivered.mark, delivered.delivered_at, delivered.read_at) == (
        Mark.DELIVERED,
        NOW + 1,
        None,
    )


def test_first_reads_receipted_and_private(store):
    alice, bob = users(store, "alice", "bob")
    receipted = send_chat(store, alice, bob, "m-1")
    private = send_chat(store, alice, bob, "m-2")
    later = send_chat(store, alice, bob, "m-3")
    conv = receipted.conv_id
    assert store.unread_received(conv, bob, 2) == [receipted, private]
    assert store.unread_received(conv, alice, 10) == []
    with committed(store):
        store.read_by_recipient([(receipted.id, Mark.READ)], [private.id], NOW + 7)
        store.read_by_recipient([], [], NOW + 8)
    read = store.message("m-1")
    assert (read.recipient_read, read.mark, read.delivered_at, read.read_at) == (
        True,
        Mark.READ,
        NOW + 7,
        NOW + 7,
    )
    quiet = store.message("m-2")
    assert (quiet.recipient_read, quiet.mark, quiet.read_at) == (True, Mark.SENT, None)
    assert store.unread_received(conv, bob, 10) == [later]


def test_reading_a_chat_upto_counts_what_is_still_unread(store):
    alice, bob = users(store, "alice", "bob")
    messages = [send_chat(store, alice, bob, f"m-{n}") for n in range(4)]
    conv = messages[0].conv_id
    with committed(store):
        store.read_by_recipient([(m.id, Mark.READ) for m in messages[:2]], [], NOW)
        state = typed(ReadState, store.read_conversation_upto(conv, bob, 2, is_group=False))
    assert state == ReadState(read_upto=2, unread_count=2)
    assert typed(MemberState, store.member_state(conv, bob)) == MemberState(2, 2)
    with committed(store):
        # A watermark never moves back; the unread count is recomputed all the same.
        back = typed(ReadState, store.read_conversation_upto(conv, bob, 1, is_group=False))
    assert back == ReadState(2, 2)
    assert typed(ReadState, store.read_conversation_upto(conv, 999_999, 3, False)) == (
        ReadState(3, 0)
    )


def test_claim_unread_leaves_out_what_the_recipient_has_read(store):
    alice, bob = users(store, "alice", "bob")
    one = send_chat(store, alice, bob, "m-00000001")
    two = send_chat(store, alice, bob, "m-00000002")
    with committed(store):
        store.read_by_recipient([(one.id, int(Mark.READ))], [], NOW)
    with committed(store):
        assert store.claim_unread([one.id, two.id]) == {two.id}
        assert store.claim_unread([]) == set()
