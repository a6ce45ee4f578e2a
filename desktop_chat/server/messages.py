"""Sending messages, and reading conversations and their history.

Owns: `send` (one-to-one and group, idempotent by client-chosen msg_id, with the
member count at send time for group messages, an optional `reply_to` checked
to be a message of the same conversation the sender can see, and a file or image
body checked by `files.Files.attachment` and referring to its blob), `fetch_history`
(each group message with the caller's own confirm of it) and
`fetch_conversations` (with the viewer's mute of each).

For several writers (nodes on PostgreSQL): `send` takes the conversation's seq,
which locks its row, before it reads the group's members, so a membership change
is ordered wholly before or after the message; a msg_id another request stored
between the look-up and the insert is a `StoreConflict`, whose retry is a resend.

Never: change receipt marks (that is `receipts.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from desktop_chat.protocol import ErrorCode, Mark
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.validation import is_group_id
from desktop_chat.server.connection import DeviceConnection
from desktop_chat.server.core import Core, ServiceError, encode_body
from desktop_chat.server.files import Files
from desktop_chat.server.group_receipts import viewer_infos
from desktop_chat.server.mutes import mute_state
from desktop_chat.server.storage.interface import MessageRow, MsgIdTakenError, StoreConflict


@dataclass(frozen=True, slots=True)
class _Target:
    """Where a new message goes: its conversation, its seq there and who gets it."""

    conv_id: int
    conv_seq: int
    audience: list[int]
    recipient_id: int | None
    group_id: int | None
    member_count: int | None


class Messages(Core):
    # The uploads a file message's send checks (set by the service).
    files: Files | None = None

    def send(self, conn: DeviceConnection, req: f.SendMessage) -> f.Reply:
        """Screen, store and fan out a new message; a msg_id seen before is a resend."""
        sender_id = self.user_of(conn)
        if isinstance(req.body, f.ImageBody | f.FileBody):
            assert self.files is not None
            # Checked before anything is written: the file is uploaded, and its name safe.
            req = msgspec.structs.replace(req, body=self.files.attachment(sender_id, req.body))
        body = encode_body(req.body)
        existing = self.store.message(req.msg_id)
        if existing is not None:
            return self._resent(existing, sender_id, req, body)
        now = self.now()
        # The conversation's seq is taken first: it locks the conversation's row (to
        # commit, on PostgreSQL), the lock a change of the group's members takes too, so
        # the membership read below is the one this message is ordered after. A refusal
        # rolls the seq back with the rest of the request.
        if req.chat_type == "chat":
            target = self._chat_target(req, sender_id, now)
        else:
            target = self._group_target(req, sender_id)
        self._store_new(req, target, sender_id, body, now)
        if isinstance(req.body, f.ImageBody | f.FileBody):
            self.store.blob_ref_add(req.body.sha256, req.msg_id, now)
        self._fan_out(conn, req, target, now)
        return f.SendOk(
            id=req.id,
            msg_id=req.msg_id,
            server_time=now,
            conv_seq=target.conv_seq,
            group_member_count=target.member_count,
        )

    def _chat_target(self, req: f.SendMessage, sender_id: int, now: int) -> _Target:
        """A one-to-one message: to an existing user other than the sender."""
        recipient_id = self.require_user(req.to)
        if recipient_id == sender_id:
            raise ServiceError(ErrorCode.INVALID_PARAM, "you cannot send a message to yourself")
        if req.reply_to is not None:
            # Checked before anything is written (a one-to-one send needs no savepoint):
            # a conversation not made yet holds no message to quote.
            found = self.store.find_chat_conversation(sender_id, recipient_id)
            self._check_reply_to(req.reply_to, -1 if found is None else found, sender_id, None)
        conv_id = self.store.chat_conversation(sender_id, recipient_id, now)
        conv_seq = self.store.next_conv_seq(conv_id)
        return _Target(conv_id, conv_seq, [recipient_id, sender_id], recipient_id, None, None)

    def _group_target(self, req: f.SendMessage, sender_id: int) -> _Target:
        """A group message: from a member, asking for read receipts only where allowed."""
        group = self.require_group(req.to)
        conv_id = self.store.group_conversation(group.id)
        conv_seq = self.store.next_conv_seq(conv_id)
        role = self.require_role(group, sender_id)
        if req.need_group_ack and role == "member" and group.ack_policy != "all":
            raise ServiceError(
                ErrorCode.GROUP_ACK_NOT_ALLOWED,
                "only the group's owner and admins may ask for read receipts here",
            )
        audience = self.store.member_ids(group.id)
        if req.reply_to is not None:
            self._check_reply_to(req.reply_to, conv_id, sender_id, group.id)
        # The possible readers: everyone in the group at send time but the sender.
        return _Target(conv_id, conv_seq, audience, None, group.id, len(audience) - 1)

    def _store_new(
        self, req: f.SendMessage, target: _Target, sender_id: int, body: bytes, now: int
    ) -> None:
        try:
            self.store.insert_message(
                msg_id=req.msg_id,
                conv_id=target.conv_id,
                conv_seq=target.conv_seq,
                chat_type=req.chat_type,
                sender_id=sender_id,
                recipient_id=target.recipient_id,
                group_id=target.group_id,
                body=body,
                server_time=now,
                local_time=req.local_time,
                need_delivery_ack=req.need_delivery_ack,
                need_read_ack=req.need_read_ack,
                need_group_ack=req.need_group_ack,
                mark=Mark.SENT,
                group_member_count=target.member_count,
                reply_to=req.reply_to,
            )
        except MsgIdTakenError as exc:
            # Stored since the look-up in `send`, by a concurrent request (another node, on
            # PostgreSQL, whose commit the insert waited for). Rolled back and run again,
            # this request finds that message and answers as a resend, or a clash.
            raise StoreConflict(f"msg_id {req.msg_id} was stored meanwhile") from exc
        self.store.count_new_message(target.conv_id, sender_id, now)

    def _fan_out(
        self, conn: DeviceConnection, req: f.SendMessage, target: _Target, now: int
    ) -> None:
        info = f.MessageInfo(
            msg_id=req.msg_id,
            from_=conn.session.username or "",
            to=req.to,
            chat_type=req.chat_type,
            body=req.body,
            server_time=now,
            local_time=req.local_time,
            conv_seq=target.conv_seq,
            need_delivery_ack=req.need_delivery_ack,
            need_read_ack=req.need_read_ack,
            need_group_ack=req.need_group_ack,
            group_member_count=target.member_count,
            reply_to=req.reply_to,
            reply_preview=self.reply_preview(req.reply_to),
        )
        # The sender's other devices get the copy too; the sending device has send_ok.
        self.hub.emit(
            target.audience, f.MessagePush(seq=0, message=info), skip_device=conn.device_id
        )

    def _resent(
        self, existing: MessageRow, sender_id: int, req: f.SendMessage, body: bytes
    ) -> f.Reply:
        """A msg_id seen before: the same message again (a retry) or a clash."""
        if existing.chat_type != req.chat_type:
            same_target = False
        elif req.chat_type == "chat":
            same_target = existing.recipient_id == self.store.user_id(req.to)
        else:
            same_target = str(existing.group_id) == req.to
        # After an edit or a recall the stored body differs from what a retry carries.
        changed = existing.edited_at is not None or existing.recalled
        same_body = changed or existing.body == body
        if existing.sender_id != sender_id or not same_body or not same_target:
            raise ServiceError(
                ErrorCode.MSG_ID_CONFLICT,
                f"msg_id {req.msg_id} is already used by another message; use a new id",
            )
        return f.SendOk(
            id=req.id,
            msg_id=existing.msg_id,
            server_time=existing.server_time,
            conv_seq=existing.conv_seq,
            group_member_count=existing.group_member_count,
        )

    def _check_reply_to(
        self, reply_to: str, conv_id: int, sender_id: int, group_id: int | None
    ) -> None:
        """A reply quotes a message of its own conversation that the sender can see (in a
        group: sent after the sender's current membership began). A recalled message
        may be quoted: the preview then says so."""
        quoted = self.store.message(reply_to)
        visible = quoted is not None and quoted.conv_id == conv_id
        if visible and group_id is not None:
            assert quoted is not None
            visible = quoted.conv_seq > self.store.joined_seq(group_id, sender_id)
        if not visible:
            raise ServiceError(
                ErrorCode.MESSAGE_NOT_FOUND,
                f"reply_to {reply_to} is not a message of this conversation that you can see",
            )

    def _conversation(self, user_id: int, conversation_id: str) -> tuple[int | None, int]:
        """(conv_id or None if it has no messages yet, first visible conv_seq - 1)."""
        if is_group_id(conversation_id):
            group, _ = self.require_member(conversation_id, user_id)
            return (
                self.store.group_conversation(group.id),
                self.store.joined_seq(group.id, user_id),
            )
        peer_id = self.require_user(conversation_id)
        return self.store.find_chat_conversation(user_id, peer_id), 0

    def fetch_history(self, conn: DeviceConnection, req: f.FetchHistory) -> f.Reply:
        conv_id, visible_after = self._conversation(self.user_of(conn), req.conversation_id)
        if conv_id is None:
            return f.History(id=req.id, messages=[], more=False)
        rows = self.store.history(conv_id, req.before_seq, visible_after, req.page_size + 1)
        more = len(rows) > req.page_size
        rows = rows[-req.page_size :] if more else rows
        messages = viewer_infos(self, self.user_of(conn), rows)  # with the caller's confirms
        return f.History(id=req.id, messages=messages, more=more)

    def fetch_conversations(self, conn: DeviceConnection, req: f.FetchConversations) -> f.Reply:
        user_id = self.user_of(conn)
        conversations = []
        now = self.now()
        for row in self.store.conversations_of(user_id):
            chat_type: f.ChatType
            if row.kind == "chat":
                peer_id = row.user_b if row.user_a == user_id else row.user_a
                assert peer_id is not None
                conversation_id, chat_type = self.store.username(peer_id), "chat"
            else:
                conversation_id, chat_type = str(row.group_id), "groupchat"
            last = self.store.last_message(row.conv_id)
            is_muted, until = mute_state(row.muted, row.muted_until, now)
            conversations.append(
                f.ConversationInfo(
                    conversation_id=conversation_id,
                    chat_type=chat_type,
                    unread_count=row.unread_count,
                    last_message=self.message_info(last) if last else None,
                    muted=is_muted,
                    muted_until=until,
                )
            )
        return f.Conversations(id=req.id, conversations=conversations)
