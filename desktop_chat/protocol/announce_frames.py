"""The frames of an announcement's read progress: `fetch_group_ack_stats`, answered
`group_ack_stats`, the acks of one group message counted at given times since it
was sent, in one request (no page walk), with the times reminders went out.

Owns: the two frames and `MAX_STAT_EDGES` / `MAX_EDGE_SECONDS`, the bounds that
`validation` checks on `edges` (with `details.field`). `frames` gathers them into
its unions; docs/protocol.md §7.33 and §8.23 describe them.

Never: import asyncio, websockets, sqlite or Qt, or do I/O of any kind.
"""

from __future__ import annotations

from desktop_chat.protocol.frame_base import Reply, Request
from desktop_chat.protocol.structs import GroupId, Int64, MsgId

MAX_STAT_EDGES = 200
MAX_EDGE_SECONDS = 10 * 365 * 24 * 3600  # ten years


class GroupAckStats(Reply, frozen=True, tag="group_ack_stats"):
    """`reads[i]` acks were made by `sent_at + edges[i]` seconds, `confirms[i]`
    confirms by then (cumulative); `reminders` are the times (ms) reminders went out."""

    msg_id: str
    sent_at: Int64
    member_count: Int64
    read_count: Int64
    confirm_count: Int64
    edges: list[Int64]
    reads: list[Int64]
    confirms: list[Int64]
    reminders: list[Int64]


class FetchGroupAckStats(Request[GroupAckStats], frozen=True, tag="fetch_group_ack_stats"):
    """The read progress of a group message at `edges` (seconds since it was sent:
    1 to 200 of them, non-decreasing, each 0 to ten years)."""

    group_id: GroupId
    msg_id: MsgId
    edges: list[int]
