"""The receipt state of a message, and the one table that moves it.

Owns: `Mark` (pending, sent, delivered, read, failed), `MarkEvent` (what can
happen to a message), and `TRANSITIONS`, the complete table of
(mark, event) -> next mark. Everything that changes a message's receipt state,
on the server and in the client, goes through `advance`.

The rules the table encodes (RECEIPTS.md §3):
- marks move forward only: pending -> sent -> delivered -> read;
- a read ack implies delivered (and sent);
- a late or duplicate event changes nothing and is not an error;
- a failed send can be retried, and a failure that arrives after the server
  stored the message is ignored.

Never: do I/O, or let a mark move backwards.
"""

from __future__ import annotations

import enum


class Mark(enum.IntEnum):
    """A message's receipt state, as the sender sees it. Ordered by progress."""

    FAILED = -1
    PENDING = 0
    SENT = 1
    DELIVERED = 2
    READ = 3


class MarkEvent(enum.Enum):
    STORED = "stored"  # the server confirmed it (send_ok, or the message seen in sync)
    DELIVERY_ACK = "delivery_ack"
    READ_ACK = "read_ack"
    SEND_FAILED = "send_failed"
    RETRY = "retry"


M, E = Mark, MarkEvent

TRANSITIONS: dict[tuple[Mark, MarkEvent], Mark] = {
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

del M, E


def advance(mark: Mark, event: MarkEvent) -> Mark:
    """The mark after `event`. Total: every pair has an entry."""
    return TRANSITIONS[(mark, event)]


def changes(mark: Mark, event: MarkEvent) -> bool:
    """True when `event` moves `mark` (so a receipt should be emitted)."""
    return TRANSITIONS[(mark, event)] is not mark
