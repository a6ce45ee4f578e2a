"""Store contract, on every backend (schema v5): a member's confirm of a group ack and
the message's confirm count, a viewer's acks of several messages, the ack times a
message's read progress is counted from, reminders, and a group's pinned message."""

from __future__ import annotations

from contract_tools import NOW, committed, make_group, send_group, typed, users

from desktop_chat.server.storage.announce_interface import AckTimes, PinRow
from desktop_chat.server.storage.interface import AckRow

GROUP = 123_456_789_012_345


def test_a_confirm_upgrades_a_read_once_and_is_counted(store):
    owner, ann, bea = users(store, "owner", "ann", "bea")
    make_group(store, GROUP, owner, [ann, bea])
    message = send_group(store, GROUP, owner, "ann-0001", need_group_ack=True)
    with committed(store):
        read = store.add_group_ack(message.id, ann, None, NOW + 10)
        both = store.add_group_ack(message.id, bea, "OK", NOW + 20, confirmed=True)
    assert read.confirmed_at is None and both.confirmed_at == NOW + 20
    assert store.message("ann-0001").group_confirm_count == 1
    with committed(store):
        confirmed = store.confirm_group_ack(message.id, ann, "Will do", NOW + 30)
        again = store.confirm_group_ack(message.id, ann, "other", NOW + 40)
        kept = store.confirm_group_ack(message.id, bea, None, NOW + 50)
    assert typed(AckRow, confirmed) == AckRow(read.ack_id, ann, "Will do", 1, NOW + 10, NOW + 30)
    assert again is None and kept is None
    stored = store.message("ann-0001")
    assert (stored.group_ack_count, stored.group_confirm_count) == (2, 2)
    assert store.group_ack(message.id, ann) == confirmed
    page = store.group_acks_page(message.id, None, 10)
    assert [row.confirmed_at for row in page] == [NOW + 20, NOW + 30]
    assert store.group_acks_of(ann, [message.id, 999_999]) == {message.id: confirmed}
    assert store.group_acks_of(ann, []) == {}
    assert typed(AckTimes, store.group_ack_times(message.id)) == AckTimes(
        [NOW + 10, NOW + 20], [NOW + 20, NOW + 30]
    )
    assert store.check_invariants() == []


def test_reminders_are_listed_oldest_first(store):
    owner, ann = users(store, "owner", "ann")
    make_group(store, GROUP, owner, [ann])
    message = send_group(store, GROUP, owner, "ann-0002", need_group_ack=True)
    assert store.group_reminders(message.id) == []
    with committed(store):
        store.add_group_reminder(message.id, owner, 1, NOW + 500)
        store.add_group_reminder(message.id, owner, 0, NOW + 100)
    assert store.group_reminders(message.id) == [NOW + 100, NOW + 500]


def test_one_pin_per_group_replaced_and_cleared(store):
    owner, ann = users(store, "owner", "ann")
    make_group(store, GROUP, owner, [ann])
    assert store.group_pin(GROUP) is None
    with committed(store):
        store.set_group_pin(GROUP, "ann-0003", owner, NOW)
        store.set_group_pin(GROUP, "ann-0004", ann, NOW + 5)
    assert typed(PinRow, store.group_pin(GROUP)) == PinRow(GROUP, "ann-0004", ann, NOW + 5)
    with committed(store):
        assert store.clear_group_pin(GROUP) is True
        assert store.clear_group_pin(GROUP) is False
    assert store.group_pin(GROUP) is None
