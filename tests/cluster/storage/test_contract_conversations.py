"""Store contract, on every backend: one-to-one conversations (created once, found
from either side), their message sequence, each member's unread count, and each
member's mute of it."""

from __future__ import annotations

import pytest
from contract_tools import NOW, committed, send_chat, typed, users

from desktop_chat.server.storage.interface import ConversationRow, MemberState


def test_a_chat_conversation_is_created_once_and_found_from_both_sides(store):
    alice, bob, carol = users(store, "alice", "bob", "carol")
    assert store.find_chat_conversation(alice, bob) is None
    with committed(store):
        conv = store.chat_conversation(bob, alice, NOW)
        assert store.chat_conversation(alice, bob, NOW) == conv
    other = send_chat(store, alice, carol, "m-1").conv_id
    assert other != conv
    assert store.find_chat_conversation(alice, bob) == conv
    assert store.find_chat_conversation(bob, alice) == conv
    assert store.find_chat_conversation(bob, carol) is None
    assert typed(MemberState, store.member_state(conv, alice)) == MemberState(0, 0)
    assert typed(MemberState, store.member_state(conv, bob)) == MemberState(0, 0)
    assert store.member_state(conv, carol) is None


def test_a_rolled_back_conversation_is_not_found_afterwards(store):
    alice, bob = users(store, "alice", "bob")
    with pytest.raises(RuntimeError), store.request():
        conv = store.chat_conversation(alice, bob, NOW)
        assert store.find_chat_conversation(alice, bob) == conv
        raise RuntimeError("refused")
    assert store.find_chat_conversation(alice, bob) is None
    with committed(store):
        again = store.chat_conversation(alice, bob, NOW)
    assert store.find_chat_conversation(bob, alice) == again


def test_the_conversation_sequence_counts_up_and_is_undone_with_its_request(store):
    alice, bob = users(store, "alice", "bob")
    with committed(store):
        conv = store.chat_conversation(alice, bob, NOW)
        assert store.conv_last_seq(conv) == 0
        assert [store.next_conv_seq(conv) for _ in range(3)] == [1, 2, 3]
    with pytest.raises(RuntimeError), store.request():
        assert store.next_conv_seq(conv) == 4
        raise RuntimeError("refused")
    assert store.conv_last_seq(conv) == 3
    assert store.conv_last_seq(conv + 1000) == 0


def test_group_conversation_of_an_unknown_group_is_a_key_error(store):
    with pytest.raises(KeyError):
        store.group_conversation(123456789012345)


def test_unread_counts_rise_for_the_recipient_only_and_never_go_below_zero(store):
    alice, bob = users(store, "alice", "bob")
    conv = send_chat(store, alice, bob, "m-1").conv_id
    send_chat(store, alice, bob, "m-2")
    assert typed(MemberState, store.member_state(conv, bob)).unread_count == 2
    assert typed(MemberState, store.member_state(conv, alice)).unread_count == 0
    with committed(store):
        store.count_new_message(conv, alice, NOW)
        assert store.decrement_unread(conv, bob, 1) == 2
        assert store.decrement_unread(conv, bob, 10) == 0
        assert store.decrement_unread(conv, alice, 1) == 0
        assert store.decrement_unread(conv, 999_999, 1) == 0  # not a member
    assert typed(MemberState, store.member_state(conv, bob)) == MemberState(0, 0)
    assert store.check_invariants() == []


def test_conversations_of_lists_those_with_messages_most_recent_first(store):
    alice, bob, carol, dave = users(store, "alice", "bob", "carol", "dave")
    with committed(store):
        store.chat_conversation(alice, dave, NOW)  # no message yet: not listed
    with_bob = send_chat(store, bob, alice, "m-1", now=NOW + 1).conv_id
    with_carol = send_chat(store, carol, alice, "m-2", now=NOW + 2).conv_id
    send_chat(store, carol, alice, "m-3", now=NOW + 3)
    rows = typed(ConversationRow, store.conversations_of(alice))
    assert rows == [
        ConversationRow(with_carol, "chat", *sorted((alice, carol)), None, 2, 2, False, None),
        ConversationRow(with_bob, "chat", *sorted((alice, bob)), None, 1, 1, False, None),
    ]
    with committed(store):
        store.touch_conversation(with_bob, alice, NOW + 10)
    assert [r.conv_id for r in typed(ConversationRow, store.conversations_of(alice))] == [
        with_bob,
        with_carol,
    ]
    assert typed(ConversationRow, store.conversations_of(dave)) == []


def test_conversations_updated_at_the_same_time_list_the_newest_first(store):
    alice, bob, carol = users(store, "alice", "bob", "carol")
    first = send_chat(store, bob, alice, "m-1").conv_id
    second = send_chat(store, carol, alice, "m-2").conv_id
    rows = typed(ConversationRow, store.conversations_of(alice))
    assert [r.conv_id for r in rows] == sorted((first, second), reverse=True)


def test_a_mute_is_set_until_a_time_or_for_good_and_cleared(store):
    alice, bob = users(store, "alice", "bob")
    conv = send_chat(store, bob, alice, "m-1").conv_id

    def mute(user_id: int) -> tuple[bool, int | None]:
        (row,) = typed(ConversationRow, store.conversations_of(user_id))
        return bool(row.muted), row.muted_until

    assert mute(alice) == (False, None)
    with committed(store):
        store.set_mute(conv, alice, True, NOW + 3_600_000)
    assert mute(alice) == (True, NOW + 3_600_000)
    assert mute(bob) == (False, None)
    with committed(store):
        store.set_mute(conv, alice, False, NOW + 5)  # unmuting clears the time too
    assert mute(alice) == (False, None)
    with committed(store):
        store.set_mute(conv, alice, True, None)
        store.set_mute(conv, 999_999, True, None)  # not a member: nothing to mute
    assert mute(alice) == (True, None)
    with pytest.raises(RuntimeError), store.request():
        store.set_mute(conv, alice, False, None)
        raise RuntimeError("refused")
    assert mute(alice) == (True, None)
    (row,) = typed(ConversationRow, store.conversations_of(alice))
    assert (row.conv_id, row.unread_count, row.last_seq) == (conv, 1, 1)
