"""Recall and edit: what a sender may do to a message after sending it.

Owns:
- `recall`: only the sender, within `ServerConfig.recall_seconds` of the send
  (`RECALL_TIME_LIMIT` after it). The body is emptied for good, from the message row
  and from every logged event that held it (the message's own pushes, its edits, and
  the previews of replies quoting it), so no device that syncs later ever receives
  it; the database then overwrites the freed space and the write-ahead log is
  checkpointed. A pinned message is unpinned by its recall (`pins.unpin_recalled`),
  and the logged pins of it lose its text too. Every device of both sides (all
  members who can see it, for a group) gets `message_recalled`; for whom it was
  unread, the unread count drops and the push says the new count. A repeated recall
  is answered again and changes nothing.
- `edit`: only the sender, text only, same limits as a send, never a recalled
  message. Receipt marks are unchanged. The same audience gets `message_edited`.

Never: change receipt marks, or let a recalled text reach anyone again.
"""

from __future__ import annotations

import msgspec

from desktop_chat.protocol import ErrorCode, decode_server_frame
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.codec import encode_push_body, frame_with_seq
from desktop_chat.server.connection import DeviceConnection
from desktop_chat.server.core import Core, ServiceError, encode_body
from desktop_chat.server.pins import unpin_recalled
from desktop_chat.server.store import MessageRow

# Logged events are found by the time they were written; this much earlier than the
# message's own time covers a wall clock stepped back meanwhile.
LOG_SLACK_MS = 60_000


def _duration(seconds: int) -> str:
    if seconds % 60 == 0 and seconds >= 60:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def _scrubbed_pin(
    push: f.GroupPinnedPush | f.GroupChangedPush, msg_id: str, now: int
) -> bytes | None:
    """A logged pin of the recalled message, without its text."""
    pinned = push.group.pinned
    if pinned is None or pinned.msg_id != msg_id:
        return None
    message = msgspec.structs.replace(pinned.message, body=None, recalled_at=now)
    pinned = msgspec.structs.replace(pinned, message=message)
    group = msgspec.structs.replace(push.group, pinned=pinned)
    if isinstance(push, f.GroupPinnedPush):
        return encode_push_body(msgspec.structs.replace(push, seq=0, pinned=pinned, group=group))
    return encode_push_body(msgspec.structs.replace(push, seq=0, group=group))


class Editing(Core):
    def _own_message(self, conn: DeviceConnection, msg_id: str, action: str) -> MessageRow:
        me = self.user_of(conn)
        message = self.store.message(msg_id)
        if message is None:
            raise ServiceError(ErrorCode.MESSAGE_NOT_FOUND, f"no message {msg_id}")
        if message.sender_id != me:
            raise ServiceError(
                ErrorCode.PERMISSION_DENIED, f"only the sender of a message may {action} it"
            )
        if message.group_id is not None:
            self.require_member(str(message.group_id), me)
        return message

    # ------------------------------------------------------------------ recall

    def recall(self, conn: DeviceConnection, req: f.Recall) -> f.Reply:
        message = self._own_message(conn, req.msg_id, "recall")
        if message.recalled_at is not None:
            return f.RecallOk(id=req.id, msg_id=req.msg_id, recalled_at=message.recalled_at)
        now, limit = self.now(), self.config.recall_seconds
        if now - message.server_time > limit * 1000:
            raise ServiceError(
                ErrorCode.RECALL_TIME_LIMIT,
                f"a message can be recalled within {_duration(limit)} of sending it;"
                " this one is older",
                {"limit_seconds": limit},
            )
        if message.chat_type == "chat":
            assert message.recipient_id is not None
            unread_for = [] if message.recipient_read else [message.recipient_id]
        else:
            unread_for = self.store.group_unread_members(message)
        self.store.recall_message(message.id, now)
        self.store.blob_refs_drop(message.msg_id)  # its file is collected in time
        counts = self.store.decrement_unread_of(message.conv_id, unread_for)
        self._scrub_logs(message, now)
        self._announce_recall(conn, message, now, counts)
        unpin_recalled(self, message, conn.session.username or "")
        self.hub.on_commit(self.store.checkpoint)
        return f.RecallOk(id=req.id, msg_id=req.msg_id, recalled_at=now)

    def _announce_recall(
        self, conn: DeviceConnection, message: MessageRow, now: int, counts: dict[int, int]
    ) -> None:
        info = self.message_info(message)

        def push(unread_count: int | None = None) -> f.MessageRecalledPush:
            return f.MessageRecalledPush(
                seq=0,
                msg_id=message.msg_id,
                from_=info.from_,
                to=info.to,
                chat_type=info.chat_type,
                conv_seq=message.conv_seq,
                time=now,
                unread_count=unread_count,
            )

        audience = self.audience(message)
        rest = [user_id for user_id in audience if user_id not in counts]
        self.hub.emit(rest, push(), skip_device=conn.device_id)
        for user_id, unread in counts.items():
            self.hub.emit([user_id], push(unread))

    def _scrub_logs(self, message: MessageRow, now: int) -> None:
        """Rewrite every logged event that carries the recalled text: the message's own
        pushes and edits, and the previews of replies quoting it. All of them were
        written after the send, within the recall window."""
        if message.chat_type == "chat":
            assert message.recipient_id is not None
            logs = [message.sender_id, message.recipient_id]
        else:
            assert message.group_id is not None
            # Members since, too: a pin of it (`group_pinned`) went to them as well.
            logs = sorted(
                set(self.store.members_at(message.group_id, message.conv_seq))
                | set(self.store.member_ids(message.group_id))
            )
        needle = b'"' + message.msg_id.encode() + b'"'
        since = message.server_time - LOG_SLACK_MS
        for user_id in logs:
            for event in list(self.store.events_since(user_id, since)):
                if needle not in event.body:
                    continue
                scrubbed = self._scrubbed(event.body, event.seq, message.msg_id, now)
                if scrubbed is not None:
                    self.store.replace_event(user_id, event.seq, scrubbed)

    @staticmethod
    def _scrubbed(body: bytes, seq: int, msg_id: str, now: int) -> bytes | None:
        push = decode_server_frame(frame_with_seq(body, seq))
        if isinstance(push, f.GroupPinnedPush | f.GroupChangedPush):
            return _scrubbed_pin(push, msg_id, now)
        if not isinstance(push, f.MessagePush | f.MessageEditedPush):
            return None
        info = push.message
        if info.msg_id == msg_id:
            info = msgspec.structs.replace(info, body=None, recalled_at=now)
        elif info.reply_preview is not None and info.reply_preview.msg_id == msg_id:
            preview = msgspec.structs.replace(info.reply_preview, text=None, recalled=True)
            info = msgspec.structs.replace(info, reply_preview=preview)
        else:
            return None
        return encode_push_body(msgspec.structs.replace(push, seq=0, message=info))

    # ------------------------------------------------------------------ edit

    def edit(self, conn: DeviceConnection, req: f.Edit) -> f.Reply:
        message = self._own_message(conn, req.msg_id, "edit")
        if message.recalled:
            raise ServiceError(
                ErrorCode.MESSAGE_RECALLED, "this message was recalled; it cannot be edited"
            )
        body = encode_body(req.body)
        if body == message.body:
            return f.EditOk(id=req.id, msg_id=req.msg_id, edited_at=message.edited_at)
        now = self.now()
        self.store.edit_message(message.id, body, now)
        edited = self.store.message(req.msg_id)
        assert edited is not None
        self.hub.emit(
            self.audience(edited),
            f.MessageEditedPush(
                seq=0, message=self.message_info(edited), by=conn.session.username or "", time=now
            ),
            skip_device=conn.device_id,
        )
        return f.EditOk(id=req.id, msg_id=req.msg_id, edited_at=now)
