"""Group read acks and confirms, and the read lists and read progress of group messages.

Owns: `group_read_ack` (a member's read of a group message that asked for acks,
or, with `confirm`, its confirm with a note: an explicit act, counted apart from
reads in `group_confirm_count`), `fetch_group_acks`, `fetch_group_unread`,
`remind_group_unread` (each reminder recorded, with its time and how many it
reached), `fetch_group_ack_stats` (the acks and confirms of one message counted at
given times since it was sent: one query of the ack times, counted here with
bisect, so no page walk); and `viewer_infos`, messages as one viewer sees them
(its own confirm of each group message). `receipts.Receipts` builds on this class
(it also holds the refusal rules both share).

A confirm of a message the member had not acked yet is its read too (counted,
unread, `self_read`, delivery, as a first ack); of one it had read, it only
confirms (the read count stays); a repeated confirm answers with what is stored
and sends nothing. The sender gets the ack again in `group_read` (the same
`ack_id`, now with `confirmed_at`); the member's other devices `self_confirmed`.

Never: send anything before commit (the hub does that), or let a refused ack
change state.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence

import msgspec

from desktop_chat.protocol import ErrorCode
from desktop_chat.protocol import frames as f
from desktop_chat.server.connection import DeviceConnection
from desktop_chat.server.core import Core, ServiceError
from desktop_chat.server.rows import AckRow
from desktop_chat.server.store import GroupRow, MessageRow

Refusal = tuple[ErrorCode, str]
_ACK_CURSOR = re.compile(r"[0-9]{1,18}")  # ASCII digits that fit SQLite's integers


def viewer_infos(core: Core, viewer: int, rows: Sequence[MessageRow]) -> list[f.MessageInfo]:
    """`rows` as `viewer` sees them: each group message that asked for acks with the
    viewer's own confirm of it (`confirmed_at`, `confirm_note`), in one query."""
    asked = [row.id for row in rows if row.need_group_ack and row.sender_id != viewer]
    acks = core.store.group_acks_of(viewer, asked) if asked else {}
    infos = []
    for row in rows:
        info = core.message_info(row)
        ack = acks.get(row.id)
        if ack is not None and ack.confirmed_at is not None:
            info = msgspec.structs.replace(
                info, confirmed_at=ack.confirmed_at, confirm_note=ack.content
            )
        infos.append(info)
    return infos


class GroupReceipts(Core):
    # ------------------------------------------------------------------ shared rules

    def _refusal(self, message: MessageRow | None, me: int, msg_id: str) -> Refusal | None:
        if message is None:
            return ErrorCode.MESSAGE_NOT_FOUND, f"no message {msg_id}"
        if message.sender_id == me:
            return ErrorCode.CANNOT_ACK_OWN_MESSAGE, f"{msg_id} is your own message"
        if message.chat_type == "chat":
            if message.recipient_id != me:
                return ErrorCode.PERMISSION_DENIED, f"{msg_id} was not sent to you"
            return self._recalled(message)
        group_id = message.group_id  # set on every groupchat message
        if (
            group_id is None
            or self.store.role(group_id, me) is None
            or not self.store.was_member_at(group_id, me, message.conv_seq)
        ):
            return ErrorCode.NOT_GROUP_MEMBER, f"{msg_id} is in a group you were not in"
        return self._recalled(message)

    @staticmethod
    def _recalled(message: MessageRow) -> Refusal | None:
        if message.recalled:
            return ErrorCode.MESSAGE_RECALLED, f"{message.msg_id} was recalled by its sender"
        return None

    def _group_delivered(self, message: MessageRow, count: int) -> None:
        """Tell a group message's sender how many members' devices have it (coalesced)."""
        self.hub.coalesce_group_delivered(
            message.sender_id,
            f.GroupDeliveredPush(
                seq=0,
                group_id=str(message.group_id),
                msg_id=message.msg_id,
                delivered_count=count,
                member_count=message.group_member_count or 0,
            ),
        )

    def _group_message(self, group_id: str, msg_id: str) -> tuple[GroupRow, MessageRow]:
        group = self.require_group(group_id)
        message = self.store.message(msg_id)
        if message is None or message.group_id != group.id:
            raise ServiceError(ErrorCode.MESSAGE_NOT_FOUND, f"no message {msg_id} in this group")
        return group, message

    def _expiry(self, message: MessageRow) -> None:
        if not message.need_group_ack:
            raise ServiceError(
                ErrorCode.ACK_NOT_REQUESTED, "this message did not ask for read receipts"
            )
        if self.is_expired(message):
            raise ServiceError(
                ErrorCode.MESSAGE_EXPIRED,
                "this message is older than the read-receipt retention window",
            )

    # ------------------------------------------------------------------ acks and confirms

    def group_read_ack(self, conn: DeviceConnection, req: f.GroupReadAck) -> f.Reply:
        me, now = self.user_of(conn), self.now()
        group, message = self._group_message(req.group_id, req.msg_id)
        if message.sender_id == me:
            raise ServiceError(ErrorCode.CANNOT_ACK_OWN_MESSAGE, "this is your own message")
        refusal = self._refusal(message, me, req.msg_id)
        if refusal is not None:
            raise ServiceError(*refusal)
        self._expiry(message)
        existing = self.store.group_ack(message.id, me)
        if existing is not None:
            if not req.confirm or existing.confirmed_at is not None:
                return self._ack_ok(req, existing, message)
            confirmed = self.store.confirm_group_ack(message.id, me, req.content, now)
            if confirmed is None:  # confirmed meanwhile, on another device
                return self._ack_ok(req, self.store.group_ack(message.id, me) or existing, message)
            after = self.store.message(req.msg_id) or message
            self._tell_ack(conn, req, confirmed, after)
            return self._ack_ok(req, confirmed, after)
        ack = self.store.add_group_ack(message.id, me, req.content, now, confirmed=req.confirm)
        self._first_read(conn, req, group, message, now)
        after = self.store.message(req.msg_id) or message
        self._tell_ack(conn, req, ack, after)
        return self._ack_ok(req, ack, after)

    @staticmethod
    def _ack_ok(req: f.GroupReadAck, ack: AckRow, message: MessageRow) -> f.GroupAckOk:
        confirmed = ack.confirmed_at is not None
        return f.GroupAckOk(
            id=req.id,
            msg_id=req.msg_id,
            ack_id=str(ack.ack_id),
            read_count=message.group_ack_count,
            confirmed_at=ack.confirmed_at,
            confirm_count=message.group_confirm_count,
            confirm_note=ack.content if confirmed else None,
        )

    def _first_read(
        self,
        conn: DeviceConnection,
        req: f.GroupReadAck,
        group: GroupRow,
        message: MessageRow,
        now: int,
    ) -> None:
        """A member's first ack: a delivery too, and one unread fewer for it (told to
        its other devices)."""
        me = self.user_of(conn)
        delivered = self.store.add_group_delivery(message.id, me, now)
        conv_id = self.store.group_conversation(group.id)
        state = self.store.member_state(conv_id, me)
        unread = state.unread_count if state else 0
        privately_read = self.store.has_private_read(message.id, me)
        if state is not None and message.conv_seq > state.read_upto and not privately_read:
            unread = self.store.decrement_unread(conv_id, me, 1)
        self.hub.emit(
            [me],
            f.SelfReadPush(
                seq=0, conversation_id=req.group_id, msg_ids=[req.msg_id], unread_count=unread
            ),
            skip_device=conn.device_id,
        )
        if delivered is not None:
            self._group_delivered(message, delivered)

    def _tell_ack(
        self, conn: DeviceConnection, req: f.GroupReadAck, ack: AckRow, message: MessageRow
    ) -> None:
        """The sender gets the ack (coalesced); a confirm also goes to the member's
        other devices."""
        confirmed = ack.confirmed_at is not None
        self.hub.coalesce_group_read(
            message.sender_id,
            req.group_id,
            f.GroupAckInfo(
                message_id=req.msg_id,
                ack_id=str(ack.ack_id),
                from_=conn.session.username or "",
                content=ack.content,
                read_count=ack.read_count,
                timestamp=ack.created_at,
                confirmed_at=ack.confirmed_at,
                confirm_count=message.group_confirm_count,
            ),
        )
        if confirmed:
            assert ack.confirmed_at is not None
            self.hub.emit(
                [self.user_of(conn)],
                f.SelfConfirmedPush(
                    seq=0,
                    group_id=req.group_id,
                    msg_id=req.msg_id,
                    confirmed_at=ack.confirmed_at,
                    confirm_note=ack.content,
                ),
                skip_device=conn.device_id,
            )

    # ------------------------------------------------------------------ read lists

    def _read_list_access(self, conn: DeviceConnection, group_id: str, msg_id: str) -> MessageRow:
        """The message, if the caller may see who read it (sender, owner, admins)."""
        me = self.user_of(conn)
        group, message = self._group_message(group_id, msg_id)
        role = self.store.role(group.id, me)
        if role is None:
            raise ServiceError(ErrorCode.NOT_GROUP_MEMBER, "you are not a member of this group")
        if message.sender_id != me and role not in ("owner", "admin"):
            raise ServiceError(
                ErrorCode.PERMISSION_DENIED,
                "only the sender and the group's owner and admins see who read a message",
            )
        self._expiry(message)
        return message

    def fetch_group_acks(self, conn: DeviceConnection, req: f.FetchGroupAcks) -> f.Reply:
        message = self._read_list_access(conn, req.group_id, req.msg_id)
        before: int | None = None
        if req.cursor is not None:
            if _ACK_CURSOR.fullmatch(req.cursor) is None:
                raise ServiceError(ErrorCode.INVALID_PARAM, "cursor must come from a previous page")
            before = int(req.cursor)
        rows = self.store.group_acks_page(message.id, before, req.page_size + 1)
        more = len(rows) > req.page_size
        rows = rows[: req.page_size]
        return f.GroupAcks(
            id=req.id,
            acks=[
                f.GroupAckInfo(
                    message_id=message.msg_id,
                    ack_id=str(row.ack_id),
                    from_=self.store.username(row.user_id),
                    content=row.content,
                    read_count=row.read_count,
                    timestamp=row.created_at,
                    confirmed_at=row.confirmed_at,
                )
                for row in rows
            ],
            cursor=str(rows[-1].ack_id) if more else None,
            read_count=message.group_ack_count,
            member_count=message.group_member_count or 0,
        )

    def fetch_group_unread(self, conn: DeviceConnection, req: f.FetchGroupUnread) -> f.Reply:
        message = self._read_list_access(conn, req.group_id, req.msg_id)
        rows = self.store.unread_members_at(message, req.cursor, req.page_size + 1)
        more = len(rows) > req.page_size
        rows = rows[: req.page_size]
        return f.GroupUnread(
            id=req.id,
            members=[row.username for row in rows],
            cursor=rows[-1].username if more else None,
            unread_count=max(0, (message.group_member_count or 0) - message.group_ack_count),
        )

    def remind_group_unread(self, conn: DeviceConnection, req: f.RemindGroupUnread) -> f.Reply:
        message = self._read_list_access(conn, req.group_id, req.msg_id)
        assert message.group_id is not None
        now = self.now()
        current = set(self.store.member_ids(message.group_id))
        rows = self.store.unread_members_at(message, None, self.config.max_group_members)
        targets = [row for row in rows if row.user_id in current]
        self.hub.emit(
            [row.user_id for row in targets],
            f.GroupAckReminderPush(
                seq=0,
                group_id=req.group_id,
                msg_id=req.msg_id,
                from_=conn.session.username or "",
            ),
        )
        self.store.add_group_reminder(message.id, self.user_of(conn), len(targets), now)
        return f.Reminded(id=req.id, members=[row.username for row in targets], at=now)

    def fetch_group_ack_stats(self, conn: DeviceConnection, req: f.FetchGroupAckStats) -> f.Reply:
        """Reads and confirms by each edge after the send, cumulative; one query of the
        ack times (an index-only range scan), counted with bisect."""
        message = self._read_list_access(conn, req.group_id, req.msg_id)
        times = self.store.group_ack_times(message.id)
        bounds = [message.server_time + edge * 1000 for edge in req.edges]
        return f.GroupAckStats(
            id=req.id,
            msg_id=req.msg_id,
            sent_at=message.server_time,
            member_count=message.group_member_count or 0,
            read_count=message.group_ack_count,
            confirm_count=message.group_confirm_count,
            edges=list(req.edges),
            reads=[bisect_right(times.reads, bound) for bound in bounds],
            confirms=[bisect_right(times.confirms, bound) for bound in bounds],
            reminders=self.store.group_reminders(message.id),
        )
