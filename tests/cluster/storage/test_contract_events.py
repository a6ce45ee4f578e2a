"""Store contract, on every backend: each user's event log is numbered 1, 2, 3...
per user, with no gaps even when requests fail, and read back in order; the recent
events are read newest first, and an event's body can be rewritten in place."""

from __future__ import annotations

import pytest
from contract_tools import NOW, committed, typed, users

from desktop_chat.server.storage.interface import EventRow


def test_each_user_gets_its_own_seq_from_one(store):
    alice, bob, carol = users(store, "alice", "bob", "carol")
    assert store.last_seq(alice) == 0
    with committed(store):
        assert store.append_events([alice, bob], b"one", NOW) == [1, 1]
        assert store.append_events([bob], b"two", NOW) == [2]
        assert store.append_events([carol, alice, bob], b"three", NOW) == [1, 2, 3]
        assert store.append_events([], b"nothing", NOW) == []
    assert [store.last_seq(u) for u in (alice, bob, carol)] == [2, 3, 1]
    assert typed(EventRow, store.events_after(bob, 0, 10)) == [
        EventRow(1, b"one"),
        EventRow(2, b"two"),
        EventRow(3, b"three"),
    ]


def test_a_user_twice_in_one_append_gets_two_seqs(store):
    alice, bob = users(store, "alice", "bob")
    with committed(store):
        assert store.append_events([alice, bob, alice], b"x", NOW) == [1, 1, 2]
    assert store.last_seq(alice) == 2


def test_events_after_pages_in_order_and_keeps_bodies_byte_for_byte(store):
    (alice,) = users(store, "alice")
    bodies = [b"\x00binary\xff", "ünïcode".encode(), b"{}" * 40_000] + [
        f"e{n}".encode() for n in range(7)
    ]
    with committed(store):
        for body in bodies:
            store.append_events([alice], body, NOW)
    page = typed(EventRow, store.events_after(alice, 2, 3))
    assert page == [EventRow(3, bodies[2]), EventRow(4, bodies[3]), EventRow(5, bodies[4])]
    assert typed(EventRow, store.events_after(alice, 10, 5)) == []
    assert [e.seq for e in typed(EventRow, store.events_after(alice, 0, 100))] == list(range(1, 11))


def test_a_failed_request_gives_its_seqs_back(store):
    alice, bob = users(store, "alice", "bob")
    with committed(store):
        store.append_events([alice], b"kept", NOW)
    with pytest.raises(RuntimeError), store.request():
        assert store.append_events([alice, bob], b"undone", NOW) == [2, 1]
        raise RuntimeError("refused")
    assert store.last_seq(alice) == 1
    assert store.last_seq(bob) == 0
    with committed(store):
        assert store.append_events([alice, bob], b"next", NOW) == [2, 1]
    assert [e.body for e in typed(EventRow, store.events_after(alice, 0, 10))] == [
        b"kept",
        b"next",
    ]


def test_in_a_batch_only_the_failed_request_is_undone(store):
    (alice,) = users(store, "alice")
    with store.request():
        store.append_events([alice], b"first", NOW)
    with pytest.raises(RuntimeError), store.request():
        store.append_events([alice], b"second", NOW)
        raise RuntimeError("refused")
    with store.request():
        assert store.append_events([alice], b"third", NOW) == [2]
    store.commit()
    assert typed(EventRow, store.events_after(alice, 0, 10)) == [
        EventRow(1, b"first"),
        EventRow(2, b"third"),
    ]


def test_a_rollback_undoes_the_whole_batch(store):
    (alice,) = users(store, "alice")
    with store.request():
        store.append_events([alice], b"batched", NOW)
    store.rollback()
    assert store.last_seq(alice) == 0
    with committed(store):
        assert store.append_events([alice], b"after", NOW) == [1]


def test_seqs_go_on_after_reopening(store, open_store):
    (alice,) = users(store, "alice")
    with committed(store):
        store.append_events([alice, alice], b"x", NOW)
    store.close()
    again = open_store()
    assert again.last_seq(alice) == 2
    with committed(again):
        assert again.append_events([alice], b"y", NOW) == [3]


def test_events_since_walks_back_from_the_newest_and_stops_at_an_older_one(store):
    alice, bob = users(store, "alice", "bob")
    with committed(store):
        store.append_events([alice], b"old", NOW)
        store.append_events([alice], b"late clock", NOW + 50)
        store.append_events([alice], b"early clock", NOW + 5)
        for n in range(70):  # more than one page of PostgreSQL's walk
            store.append_events([alice, bob], f"new {n}".encode(), NOW + 100 + n)
    recent = typed(EventRow, list(store.events_since(alice, NOW + 10)))
    assert [e.seq for e in recent] == list(range(73, 3, -1))
    assert recent[0] == EventRow(73, b"new 69")
    assert recent[-1] == EventRow(4, b"new 0")
    assert len(typed(EventRow, list(store.events_since(alice, NOW)))) == 73
    assert list(store.events_since(alice, NOW + 10_000)) == []
    assert list(store.events_since(999_999, NOW)) == []


def test_replace_event_rewrites_a_body_and_keeps_its_seq(store):
    alice, bob = users(store, "alice", "bob")
    with committed(store):
        store.append_events([alice, bob], b"secret", NOW)
        store.append_events([alice], b"after", NOW)
    with committed(store):
        store.replace_event(alice, 1, b"scrubbed")
        store.replace_event(alice, 99, b"no such event")
    with pytest.raises(RuntimeError), store.request():
        store.replace_event(alice, 2, b"undone")
        raise RuntimeError("refused")
    assert typed(EventRow, store.events_after(alice, 0, 10)) == [
        EventRow(1, b"scrubbed"),
        EventRow(2, b"after"),
    ]
    assert typed(EventRow, store.events_after(bob, 0, 10)) == [EventRow(1, b"secret")]
    assert store.last_seq(alice) == 2
    assert store.check_invariants() == []
