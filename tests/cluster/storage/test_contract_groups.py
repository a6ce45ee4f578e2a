"""Store contract, on every backend: groups and roles, membership intervals in
conversation seq, who was a member at send time, and group acks and deliveries."""

from __future__ import annotations

from contract_tools import NOW, committed, make_group, send_group, typed, users

from desktop_chat.server.storage.interface import (
    AckRow,
    GroupRow,
    MemberRole,
    MemberState,
    ReadState,
    UnreadMember,
)

GROUP = 123_456_789_012_345  # group ids are 15 digits


def test_a_group_its_roles_and_its_members(store):
    owner, ann, bea, cid = users(store, "owner", "zoe", "bea", "cid")
    assert not store.group_exists(GROUP)
    assert store.group(GROUP) is None
    conv = make_group(store, GROUP, owner, [ann, bea, cid], policy="admins")
    assert store.group_exists(GROUP)
    assert store.group(GROUP) == GroupRow(GROUP, f"group {GROUP}", owner, "admins", NOW)
    assert store.group_conversation(GROUP) == conv
    assert store.member_count(GROUP) == 4
    assert sorted(store.member_ids(GROUP)) == sorted([owner, ann, bea, cid])
    assert store.groups_of(ann) == [GROUP]
    assert store.role(GROUP, owner) == "owner"
    assert store.role(GROUP, ann) == "member"
    with committed(store):
        store.set_role(GROUP, cid, "admin")
        store.set_ack_policy(GROUP, "all")
    assert store.role(GROUP, cid) == "admin"
    assert store.group(GROUP).ack_policy == "all"
    assert typed(MemberRole, store.members_with_roles(GROUP)) == [
        MemberRole("owner", "owner"),
        MemberRole("cid", "admin"),
        MemberRole("bea", "member"),
        MemberRole("zoe", "member"),
    ]


def test_a_member_sees_messages_from_after_it_joined(store):
    owner, ann, late = users(store, "owner", "ann", "late")
    conv = make_group(store, GROUP, owner, [ann])
    before = send_group(store, GROUP, owner, "g-1")
    with committed(store):
        store.add_members(GROUP, conv, [(late, "member")], NOW)
    after = send_group(store, GROUP, owner, "g-2")
    assert store.joined_seq(GROUP, late) == 1
    assert store.joined_seq(GROUP, ann) == 0
    assert not store.was_member_at(GROUP, late, before.conv_seq)
    assert store.was_member_at(GROUP, late, after.conv_seq)
    assert store.was_member_at(GROUP, ann, before.conv_seq)
    assert typed(MemberState, store.member_state(conv, late)) == MemberState(1, 1)
    assert (before.group_member_count, after.group_member_count) == (1, 2)


def test_leaving_ends_the_interval_and_rejoining_starts_a_new_one(store):
    owner, ann = users(store, "owner", "ann")
    conv = make_group(store, GROUP, owner, [ann])
    first = send_group(store, GROUP, owner, "g-1")
    with committed(store):
        store.remove_members(GROUP, conv, [ann])
    while_away = send_group(store, GROUP, owner, "g-2")
    assert store.role(GROUP, ann) is None
    assert store.member_state(conv, ann) is None
    assert store.groups_of(ann) == []
    assert store.joined_seq(GROUP, ann) == 0  # no current membership
    with committed(store):
        store.add_members(GROUP, conv, [(ann, "member")], NOW)
    back = send_group(store, GROUP, owner, "g-3")
    assert store.joined_seq(GROUP, ann) == 2
    assert [store.was_member_at(GROUP, ann, m.conv_seq) for m in (first, while_away, back)] == [
        True,
        False,
        True,
    ]
    assert typed(MemberState, store.member_state(conv, ann)) == MemberState(1, 2)


def test_unread_members_at_send_time_by_name_after_a_cursor(store):
    owner, *others = users(store, "owner", "dan", "amy", "cat", "bob", "eve")
    dan, amy, cat, bob, eve = others
    conv = make_group(store, GROUP, owner, [dan, amy, cat, bob])
    message = send_group(store, GROUP, owner, "g-1")
    with committed(store):
        store.add_members(GROUP, conv, [(eve, "member")], NOW)  # joined after: not listed
        store.remove_members(GROUP, conv, [dan])  # left after: still listed
        store.add_group_ack(message.id, cat, None, NOW)
    rows = typed(UnreadMember, store.unread_members_at(message, None, 10))
    assert rows == [UnreadMember(amy, "amy"), UnreadMember(bob, "bob"), UnreadMember(dan, "dan")]
    assert typed(UnreadMember, store.unread_members_at(message, "amy", 1)) == [
        UnreadMember(bob, "bob")
    ]
    assert typed(UnreadMember, store.unread_members_at(message, "dan", 10)) == []


def test_unread_members_counts_a_rejoined_member_once(store):
    owner, ann = users(store, "owner", "ann")
    conv = make_group(store, GROUP, owner, [ann])
    message = send_group(store, GROUP, owner, "g-1")
    with committed(store):
        store.remove_members(GROUP, conv, [ann])
        store.add_members(GROUP, conv, [(ann, "member")], NOW)
    assert store.was_member_at(GROUP, ann, message.conv_seq)
    assert typed(UnreadMember, store.unread_members_at(message, None, 10)) == [
        UnreadMember(ann, "ann")
    ]


def test_group_acks_count_up_and_page_newest_first(store):
    owner, *readers = users(store, "owner", "r1", "r2", "r3")
    make_group(store, GROUP, owner, readers)
    message = send_group(store, GROUP, owner, "g-1")
    acks = []
    with committed(store):
        for n, reader in enumerate(readers):
            note = f"note {n}" if n else None
            acks.append(store.add_group_ack(message.id, reader, note, NOW + n))
    assert [a.read_count for a in acks] == [1, 2, 3]
    assert acks[0] == AckRow(acks[0].ack_id, readers[0], None, 1, NOW)
    assert store.group_ack(message.id, readers[1]) == acks[1]
    assert store.group_ack(message.id, owner) is None
    assert store.group_acks_page(message.id, None, 2) == [acks[2], acks[1]]
    assert store.group_acks_page(message.id, acks[1].ack_id, 2) == [acks[0]]
    assert store.group_acks_page(message.id, acks[0].ack_id, 2) == []
    assert store.message("g-1").group_ack_count == 3
    assert store.check_invariants() == []


def test_a_group_delivery_counts_once_per_member(store):
    owner, ann, bea = users(store, "owner", "ann", "bea")
    make_group(store, GROUP, owner, [ann, bea])
    message = send_group(store, GROUP, owner, "g-1")
    with committed(store):
        assert store.add_group_delivery(message.id, ann, NOW) == 1
        assert store.add_group_delivery(message.id, ann, NOW + 1) is None
        assert store.add_group_delivery(message.id, bea, NOW) == 2
    assert store.message("g-1").group_delivered_count == 2


def test_reading_a_group_upto_leaves_the_acked_and_own_messages_out(store):
    owner, ann = users(store, "owner", "ann")
    conv = make_group(store, GROUP, owner, [ann])
    messages = [send_group(store, GROUP, owner, f"g-{n}") for n in range(4)]
    send_group(store, GROUP, ann, "own")
    with committed(store):
        store.add_group_ack(messages[3].id, ann, None, NOW)
        state = typed(ReadState, store.read_conversation_upto(conv, ann, 2, is_group=True))
    assert state == ReadState(read_upto=2, unread_count=1)  # g-2 only: g-3 acked
    assert typed(MemberState, store.member_state(conv, ann)) == MemberState(1, 2)
