"""Store contract, on every backend: what happens to a message after it was sent
(recall empties its text and keeps its marks, edit replaces it and keeps them too,
replies point at it), who must hear of a change in a group, private reads, and the
recounts of unread messages that leave recalled and privately read ones out."""

from __future__ import annotations

import pytest
from contract_tools import NOW, committed, make_group, send_chat, send_group, typed, users

from desktop_chat.protocol import Mark
from desktop_chat.server.storage.interface import MemberState, ReadState

GROUP = 123_456_789_012_345


def test_a_recall_empties_the_text_and_keeps_the_row_and_its_marks(store):
    alice, bob = users(store, "alice", "bob")
    sent = send_chat(store, alice, bob, "m-1", body=b'{"text":"secret"}')
    with committed(store):
        store.set_delivered(sent.id, Mark.DELIVERED, NOW + 1)
        store.recall_message(sent.id, NOW + 2)
    recalled = store.message("m-1")
    assert recalled.body == b""
    assert recalled.recalled and recalled.recalled_at == NOW + 2
    assert (recalled.id, recalled.conv_seq, recalled.mark, recalled.delivered_at) == (
        sent.id,
        sent.conv_seq,
        Mark.DELIVERED,
        NOW + 1,
    )
    assert recalled.edited_at is None
    assert store.history(sent.conv_id, None, 0, 10) == [recalled]
    store.checkpoint()  # after the commit, as the recall handler runs it
    assert store.message("m-1") == recalled


def test_a_recalled_message_is_never_unread_nor_receipted(store):
    alice, bob = users(store, "alice", "bob")
    kept = send_chat(store, alice, bob, "m-1")
    gone = send_chat(store, alice, bob, "m-2")
    with committed(store):
        store.recall_message(gone.id, NOW + 1)
    assert store.unread_received(kept.conv_id, bob, 10) == [kept]
    with committed(store):
        state = typed(ReadState, store.read_conversation_upto(kept.conv_id, bob, 0, False))
    assert state == ReadState(read_upto=0, unread_count=1)


def test_a_rolled_back_recall_keeps_the_text(store):
    alice, bob = users(store, "alice", "bob")
    sent = send_chat(store, alice, bob, "m-1")
    with pytest.raises(RuntimeError), store.request():
        store.recall_message(sent.id, NOW + 1)
        raise RuntimeError("refused")
    assert store.message("m-1") == sent


def test_an_edit_replaces_the_text_and_keeps_the_marks(store):
    alice, bob = users(store, "alice", "bob")
    sent = send_chat(store, alice, bob, "m-1", body=b'{"text":"frist"}')
    with committed(store):
        store.read_by_recipient([(sent.id, Mark.READ)], [], NOW + 1)
        store.edit_message(sent.id, b'{"text":"first"}', NOW + 2)
    edited = store.message("m-1")
    assert (edited.body, edited.edited_at, edited.recalled_at) == (
        b'{"text":"first"}',
        NOW + 2,
        None,
    )
    marks = (edited.mark, edited.delivered_at, edited.read_at, edited.recipient_read)
    assert marks == (Mark.READ, NOW + 1, NOW + 1, True)
    assert (edited.id, edited.conv_seq, edited.server_time) == (sent.id, 1, sent.server_time)


def test_reply_to_is_stored_and_the_replies_are_found(store):
    alice, bob = users(store, "alice", "bob")
    quoted = send_chat(store, alice, bob, "m-1")
    first = send_chat(store, bob, alice, "m-2", reply_to="m-1")
    send_chat(store, alice, bob, "m-3")
    second = send_chat(store, alice, bob, "m-4", reply_to="m-1")
    assert (quoted.reply_to, first.reply_to, second.reply_to) == (None, "m-1", "m-1")
    assert store.replies_to("m-1") == [first, second]
    assert store.replies_to("m-3") == []
    assert store.replies_to("unknown") == []


def test_who_hears_of_a_change_to_a_group_message(store):
    owner, ann, bea, late = users(store, "owner", "ann", "bea", "late")
    conv = make_group(store, GROUP, owner, [ann, bea])
    first = send_group(store, GROUP, owner, "g-1")
    with committed(store):
        store.add_members(GROUP, conv, [(late, "member")], NOW)
        store.remove_members(GROUP, conv, [bea])
    second = send_group(store, GROUP, ann, "g-2", reply_to="g-1")
    assert second.reply_to == "g-1"
    assert store.replies_to("g-1") == [second]
    # members_since: who can see it now; members_at: whose logs may hold it.
    assert sorted(store.members_since(GROUP, first.conv_seq)) == sorted([owner, ann])
    assert sorted(store.members_at(GROUP, first.conv_seq)) == sorted([owner, ann, bea])
    assert sorted(store.members_since(GROUP, second.conv_seq)) == sorted([owner, ann, late])
    assert sorted(store.members_at(GROUP, second.conv_seq)) == sorted([owner, ann, late])


def test_private_reads_are_recorded_once_and_undone_with_their_request(store):
    owner, ann = users(store, "owner", "ann")
    make_group(store, GROUP, owner, [ann])
    message = send_group(store, GROUP, owner, "g-1")
    assert not store.has_private_read(message.id, ann)
    with pytest.raises(RuntimeError), store.request():
        assert store.add_private_read(message.id, ann) is True
        raise RuntimeError("refused")
    assert not store.has_private_read(message.id, ann)
    with committed(store):
        assert store.add_private_read(message.id, ann) is True
        assert store.add_private_read(message.id, ann) is False
    assert store.has_private_read(message.id, ann)
    assert not store.has_private_read(message.id, owner)
    assert store.message("g-1").group_ack_count == 0  # a private read is no receipt


def test_group_unread_members_and_their_counts_after_a_recall(store):
    owner, acker, quiet, reader, unread = users(store, "owner", "acker", "quiet", "reader", "unr")
    conv = make_group(store, GROUP, owner, [acker, quiet, reader, unread])
    message = send_group(store, GROUP, owner, "g-1")
    with committed(store):
        store.add_group_ack(message.id, acker, None, NOW)
        store.add_private_read(message.id, quiet)
        store.read_conversation_upto(conv, reader, message.conv_seq, True)
    assert store.group_unread_members(message) == [unread]
    with committed(store):
        store.recall_message(message.id, NOW + 1)
        counts = store.decrement_unread_of(conv, [unread, reader, 999_999])
    assert counts == {unread: 0, reader: 0}  # never below 0; not a member: left out
    assert typed(MemberState, store.member_state(conv, unread)).unread_count == 0
    assert store.decrement_unread_of(conv, []) == {}
    assert store.check_invariants() == []


def test_a_group_recount_leaves_out_private_reads_and_recalled_messages(store):
    owner, ann = users(store, "owner", "ann")
    conv = make_group(store, GROUP, owner, [ann])
    private = send_group(store, GROUP, owner, "g-1")
    recalled = send_group(store, GROUP, owner, "g-2")
    send_group(store, GROUP, owner, "g-3")
    send_group(store, GROUP, ann, "g-4")  # her own: never unread for her
    with committed(store):
        store.add_private_read(private.id, ann)
        store.recall_message(recalled.id, NOW + 1)
        state = typed(ReadState, store.read_conversation_upto(conv, ann, 0, True))
    assert state == ReadState(read_upto=0, unread_count=1)
    assert typed(MemberState, store.member_state(conv, ann)) == MemberState(1, 0)
