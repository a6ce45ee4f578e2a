"""Part of `ChatManager`: who read a group message, and how its reading went.

Owns: `fetch_group_acks` (pages of acks, newest first, each with its confirm),
`fetch_group_unread_members`, `remind_group_unread`, and `fetch_group_ack_stats`,
the message's reads and confirms counted at given times since it was sent, with
its reminders, in one request (`GroupAckStats`). Each is one request to the server.

Never: keep what these return (the read-by view asks again), or touch the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_chat.client.models import CursorResult, GroupAckStats, GroupMessageAck
from desktop_chat.protocol import frames as f

if TYPE_CHECKING:
    from desktop_chat.client.shared import SharedClient


class GroupReads:
    _client: SharedClient

    async def fetch_group_acks(
        self,
        msg_id: str,
        group_id: str,
        start_ack_id: str | None = None,
        page_size: int = 20,
    ) -> CursorResult[GroupMessageAck]:
        """Who read a group message, newest first; pass the cursor back for more."""
        reply: f.GroupAcks = await self._client.request(
            f.FetchGroupAcks(
                id="", group_id=group_id, msg_id=msg_id, cursor=start_ack_id, page_size=page_size
            )
        )
        return CursorResult(
            [
                GroupMessageAck(
                    message_id=a.message_id,
                    ack_id=a.ack_id,
                    from_=a.from_,
                    content=a.content,
                    read_count=a.read_count,
                    timestamp=a.timestamp,
                    confirmed_at=a.confirmed_at,
                )
                for a in reply.acks
            ],
            reply.cursor,
        )

    async def fetch_group_unread_members(
        self, msg_id: str, group_id: str, cursor: str | None = None, page_size: int = 200
    ) -> CursorResult[str]:
        """Members at send time who have not read a group message yet."""
        reply: f.GroupUnread = await self._client.request(
            f.FetchGroupUnread(
                id="", group_id=group_id, msg_id=msg_id, cursor=cursor, page_size=page_size
            )
        )
        return CursorResult(list(reply.members), reply.cursor)

    async def remind_group_unread(self, msg_id: str, group_id: str) -> list[str]:
        """Nudge the members who have not read it yet; returns who was reminded. The
        server records the time (`GroupAckStats.reminders`)."""
        reply: f.Reminded = await self._client.request(
            f.RemindGroupUnread(id="", group_id=group_id, msg_id=msg_id)
        )
        return list(reply.members)

    async def fetch_group_ack_stats(
        self, msg_id: str, group_id: str, edges: list[int]
    ) -> GroupAckStats:
        """How many had read and confirmed a group message `edges[i]` seconds after it
        was sent (1 to 200 edges, non-decreasing, each 0 to ten years), and when the
        reminders went out: one request, whatever the group's size. The sender and the
        group's owner and admins may ask (else ChatError PERMISSION_DENIED)."""
        reply: f.GroupAckStats = await self._client.request(
            f.FetchGroupAckStats(id="", group_id=group_id, msg_id=msg_id, edges=list(edges))
        )
        return GroupAckStats(
            msg_id=reply.msg_id,
            sent_at=reply.sent_at,
            member_count=reply.member_count,
            read_count=reply.read_count,
            confirm_count=reply.confirm_count,
            edges=list(reply.edges),
            reads=list(reply.reads),
            confirms=list(reply.confirms),
            reminders=list(reply.reminders),
        )
