"""Store contract, on every backend: the transaction API the hub and the service
drive (requests as savepoints of a batch, commit, rollback, `changes`), and that a
failed request leaves nothing behind, in the tables or in a cache."""

from __future__ import annotations

import pytest
from contract_tools import NOW, committed, make_group, send_chat, typed, users

from desktop_chat.server.storage.interface import EventRow, MemberState

GROUP = 222_333_444_555_666


def test_a_failed_request_leaves_nothing(store, open_store):
    alice, bob = users(store, "alice", "bob")
    changes = store.changes
    with pytest.raises(RuntimeError), store.request():
        store.create_user("carol", "hash", NOW)
        store.create_device(alice, "laptop", b"token", NOW)
        store.create_group(GROUP, "g", alice, "all", NOW)
        assert store.group_exists(GROUP)
        store.group_conversation(GROUP)
        conv = store.chat_conversation(alice, bob, NOW)
        store.next_conv_seq(conv)
        store.count_new_message(conv, alice, NOW)
        store.append_events([alice, bob], b"push", NOW)
        raise RuntimeError("the handler failed")
    assert store.changes > changes  # counted, though undone: it was not a read
    store.commit()
    for view in (store, open_store()):
        assert view.user_id("carol") is None
        assert view.device_by_token(b"token") is None
        assert not view.group_exists(GROUP)
        with pytest.raises(KeyError):
            view.group_conversation(GROUP)
        assert view.find_chat_conversation(alice, bob) is None
        assert view.last_seq(alice) == view.last_seq(bob) == 0
        assert view.check_invariants() == []


def test_nothing_is_visible_to_another_session_before_commit(store, open_store):
    # Only rows: SqliteStore keeps each log's last seq in memory (one writer); that
    # another session sees seqs is PostgreSQL's part (test_postgres_sessions.py).
    (alice,) = users(store, "alice")
    other = open_store()
    with store.request():
        store.create_user("bob", "hash", NOW)
        store.append_events([alice], b"push", NOW)
    assert store.in_transaction
    assert other.user_id("bob") is None
    assert other.events_after(alice, 0, 10) == []
    store.commit()
    assert not store.in_transaction
    assert other.user_id("bob") is not None
    assert typed(EventRow, other.events_after(alice, 0, 10)) == [EventRow(1, b"push")]


def test_requests_of_one_batch_commit_together_and_roll_back_together(store, open_store):
    assert not store.in_transaction
    with store.request():
        store.create_user("alice", "hash", NOW)
    assert store.in_transaction
    with pytest.raises(RuntimeError), store.request():
        store.create_user("bob", "hash", NOW)
        raise RuntimeError("refused")
    with store.request():
        store.create_user("carol", "hash", NOW)
    store.commit()
    assert not store.in_transaction
    assert [store.user_id(n) is not None for n in ("alice", "bob", "carol")] == [
        True,
        False,
        True,
    ]
    with store.request():
        store.create_user("dave", "hash", NOW)
    store.rollback()
    assert not store.in_transaction
    assert store.user_id("dave") is None
    assert open_store().user_id("dave") is None
    store.commit()  # nothing open: a no-op


def test_changes_tell_a_read_from_a_write(store):
    alice, bob = users(store, "alice", "bob")
    conv = send_chat(store, alice, bob, "m-1").conv_id
    before = store.changes
    with store.request():
        store.user_id("alice")
        store.history(conv, None, 0, 10)
        store.conversations_of(bob)
        store.events_after(bob, 0, 10)
        store.look_alike_of("alicia")
    assert store.changes == before
    with store.request():
        store.touch_conversation(conv, bob, NOW + 1)
    assert store.changes > before
    store.commit()


def test_a_write_that_matches_no_row_is_no_change(store):
    users(store, "alice")
    before = store.changes
    with committed(store):
        store.touch_device(999_999, NOW)
        store.revoke_device(999_999)
    assert store.changes == before


def test_a_group_created_in_a_failed_request_can_be_created_again(store):
    alice, bob = users(store, "alice", "bob")
    with pytest.raises(RuntimeError), store.request():
        make_group_in_request(store, alice, bob)
        raise RuntimeError("refused")
    conv = make_group(store, GROUP, alice, [bob])
    assert store.group_conversation(GROUP) == conv
    assert typed(MemberState, store.member_state(conv, bob)) == MemberState(0, 0)


def make_group_in_request(store, owner: int, member: int) -> None:
    store.create_group(GROUP, "g", owner, "all", NOW)
    conv = store.group_conversation(GROUP)
    store.add_members(GROUP, conv, [(owner, "owner"), (member, "member")], NOW)


def test_close_drops_what_was_not_committed(store, open_store):
    with store.request():
        store.create_user("alice", "hash", NOW)
    store.close()
    assert open_store().user_id("alice") is None


def test_in_a_batch_each_request_is_undone_alone_whatever_it_did_before_failing(store):
    with store.request():
        store.user_id("nobody")  # a request that only reads
    with store.request():
        store.create_user("alice", "hash", NOW)
    with pytest.raises(RuntimeError), store.request():
        store.user_id("alice")
        raise RuntimeError("refused after reading only")
    with pytest.raises(RuntimeError), store.request():
        store.create_user("bob", "hash", NOW)
        store.create_user("bobby", "hash", NOW)
        raise RuntimeError("refused after writing")
    with store.request():
        store.create_user("carol", "hash", NOW)
        with pytest.raises(RuntimeError), store.request():
            store.create_user("dave", "hash", NOW)
            raise RuntimeError("an inner step refused")
        store.create_user("erin", "hash", NOW)
    with pytest.raises(RuntimeError), store.request():
        with store.request():
            store.create_user("frank", "hash", NOW)
        raise RuntimeError("refused after an inner step went through")
    with store.request():
        store.create_user("grace", "hash", NOW)
    store.commit()
    present = {
        n: store.user_id(n) is not None
        for n in ("alice", "bob", "bobby", "carol", "dave", "erin", "frank", "grace")
    }
    assert present == {
        "alice": True,
        "bob": False,
        "bobby": False,
        "carol": True,
        "dave": False,
        "erin": True,
        "frank": False,
        "grace": True,
    }
    assert store.check_invariants() == []
