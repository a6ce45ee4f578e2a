"""status.py: the receipt-mark transition table."""

from __future__ import annotations

import itertools
import random

import pytest

from desktop_chat.protocol import Mark, MarkEvent, advance
from desktop_chat.protocol.status import TRANSITIONS, changes

M, E = Mark, MarkEvent
ALL_PAIRS = list(itertools.product(Mark, MarkEvent))
ACKS = (E.DELIVERY_ACK, E.READ_ACK)

# The only moves that lower a mark's rank in "how far the message got": a send
# that fails before the server stored it, and a retry of a failed send.
NON_FORWARD = {
    (M.PENDING, E.SEND_FAILED): M.FAILED,
    (M.FAILED, E.RETRY): M.PENDING,
}
EXPECTED = {
    (M.PENDING, E.STORED): M.SENT,
    (M.PENDING, E.DELIVERY_ACK): M.DELIVERED,
    (M.PENDING, E.READ_ACK): M.READ,
    (M.PENDING, E.SEND_FAILED): M.FAILED,
    (M.PENDING, E.RETRY): M.PENDING,
    (M.SENT, E.STORED): M.SENT,
    (M.SENT, E.DELIVERY_ACK): M.DELIVERED,
    (M.SENT, E.READ_ACK): M.READ,
    (M.SENT, E.SEND_FAILED): M.SENT,
    (M.SENT, E.RETRY): M.SENT,
    (M.DELIVERED, E.STORED): M.DELIVERED,
    (M.DELIVERED, E.DELIVERY_ACK): M.DELIVERED,
    (M.DELIVERED, E.READ_ACK): M.READ,
    (M.DELIVERED, E.SEND_FAILED): M.DELIVERED,
    (M.DELIVERED, E.RETRY): M.DELIVERED,
    (M.READ, E.STORED): M.READ,
    (M.READ, E.DELIVERY_ACK): M.READ,
    (M.READ, E.READ_ACK): M.READ,
    (M.READ, E.SEND_FAILED): M.READ,
    (M.READ, E.RETRY): M.READ,
    (M.FAILED, E.STORED): M.SENT,
    (M.FAILED, E.DELIVERY_ACK): M.DELIVERED,
    (M.FAILED, E.READ_ACK): M.READ,
    (M.FAILED, E.SEND_FAILED): M.FAILED,
    (M.FAILED, E.RETRY): M.PENDING,
}


def progress(mark: Mark) -> int:
    """How far the message got: a failed send got no further than pending."""
    return max(int(mark), int(M.PENDING))


def test_marks_are_ordered_by_progress() -> None:
    assert M.FAILED < M.PENDING < M.SENT < M.DELIVERED < M.READ
    assert [m.name for m in Mark] == ["FAILED", "PENDING", "SENT", "DELIVERED", "READ"]


def test_the_table_is_total() -> None:
    assert set(TRANSITIONS) == set(ALL_PAIRS)
    assert len(TRANSITIONS) == len(Mark) * len(MarkEvent) == 25
    for mark, event in ALL_PAIRS:
        assert isinstance(advance(mark, event), Mark)


def test_the_table_is_exactly_the_documented_one() -> None:
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize(("mark", "event"), ALL_PAIRS, ids=lambda v: v.name)
def test_marks_never_move_backwards(mark: Mark, event: MarkEvent) -> None:
    after = advance(mark, event)
    if (mark, event) in NON_FORWARD:
        assert after is NON_FORWARD[(mark, event)]
    else:
        assert after >= mark
        assert progress(after) >= progress(mark)


def test_only_two_moves_are_not_forward() -> None:
    lowered = {pair: advance(*pair) for pair in ALL_PAIRS if advance(*pair) < pair[0]}
    left_failed = {
        pair: advance(*pair)
        for pair in ALL_PAIRS
        if pair[0] is M.FAILED
        and advance(*pair) in (M.PENDING, M.FAILED)
        and pair[1] != E.SEND_FAILED
    }
    assert lowered | left_failed == NON_FORWARD


def test_once_stored_a_message_never_goes_back_to_pending_or_failed() -> None:
    for mark in (M.SENT, M.DELIVERED, M.READ):
        for event in MarkEvent:
            assert advance(mark, event) >= M.SENT


def test_failed_moves_forward_on_server_evidence() -> None:
    assert advance(M.FAILED, E.STORED) is M.SENT
    assert advance(M.FAILED, E.DELIVERY_ACK) is M.DELIVERED
    assert advance(M.FAILED, E.READ_ACK) is M.READ
    assert advance(M.FAILED, E.RETRY) is M.PENDING


def test_a_failure_after_the_server_stored_the_message_is_ignored() -> None:
    for mark in (M.SENT, M.DELIVERED, M.READ):
        assert advance(mark, E.SEND_FAILED) is mark
        assert not changes(mark, E.SEND_FAILED)


def test_late_delivery_after_read_is_a_no_op() -> None:
    assert advance(M.READ, E.DELIVERY_ACK) is M.READ
    assert not changes(M.READ, E.DELIVERY_ACK)
    assert advance(M.READ, E.STORED) is M.READ


@pytest.mark.parametrize("event", (*ACKS, E.STORED), ids=lambda v: v.name)
def test_duplicate_events_are_no_ops(event: MarkEvent) -> None:
    once = advance(M.PENDING, event)
    assert advance(once, event) is once
    assert not changes(once, event)


def test_read_implies_delivered_and_sent() -> None:
    for mark in (M.PENDING, M.SENT, M.DELIVERED, M.FAILED):
        after = advance(mark, E.READ_ACK)
        assert after is M.READ
        assert after > M.DELIVERED > M.SENT


def test_retry_only_moves_a_failed_send() -> None:
    assert [advance(mark, E.RETRY) for mark in Mark] == [
        M.PENDING,
        M.PENDING,
        M.SENT,
        M.DELIVERED,
        M.READ,
    ]


@pytest.mark.parametrize(("mark", "event"), ALL_PAIRS, ids=lambda v: v.name)
def test_changes_is_true_exactly_when_the_mark_moves(mark: Mark, event: MarkEvent) -> None:
    assert changes(mark, event) is (EXPECTED[(mark, event)] != mark)


def test_changes_examples() -> None:
    assert changes(M.PENDING, E.STORED)
    assert changes(M.SENT, E.DELIVERY_ACK)
    assert changes(M.DELIVERED, E.READ_ACK)
    assert changes(M.PENDING, E.SEND_FAILED)
    assert changes(M.FAILED, E.RETRY)
    assert not changes(M.PENDING, E.RETRY)
    assert not changes(M.DELIVERED, E.DELIVERY_ACK)
    assert not changes(M.FAILED, E.SEND_FAILED)


def test_any_event_order_ends_at_the_highest_evidence() -> None:
    rng = random.Random(1234)
    server_events = [E.STORED, E.DELIVERY_ACK, E.READ_ACK]
    for _ in range(500):
        events = [rng.choice(list(MarkEvent)) for _ in range(rng.randrange(1, 12))]
        mark = M.PENDING
        for event in events:
            mark = advance(mark, event)
        seen = [e for e in events if e in server_events]
        if E.READ_ACK in seen:
            assert mark is M.READ
        elif E.DELIVERY_ACK in seen:
            assert mark is M.DELIVERED
        elif E.STORED in seen:
            assert mark is M.SENT
        else:
            assert mark in (M.PENDING, M.FAILED)
