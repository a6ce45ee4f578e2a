"""What every request handler shares: the store, the hub, the settings, and helpers.

Owns: `ServiceError` (a refused request, raised by handlers and turned into an
`error` frame by `service.py`), and `Core`, the handlers' common base with the
lookups every feature needs (a user by name, a group the caller belongs to, a
message as `MessageInfo` with the preview of the message it replies to, who can
see a message now).

Never: parse frames or touch sockets.
"""

from __future__ import annotations

from typing import Any

import msgspec

from desktop_chat.protocol import ErrorCode
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.structs import REPLY_PREVIEW_CHARS, preview_text
from desktop_chat.server.config import ServerConfig
from desktop_chat.server.connection import DeviceConnection
from desktop_chat.server.hub import Hub
from desktop_chat.server.storage.interface import Store
from desktop_chat.server.store import GroupRow, MessageRow

_body_decoder: msgspec.json.Decoder[f.MessageBody] = msgspec.json.Decoder(f.MessageBody)
_body_encoder = msgspec.json.Encoder()


class ServiceError(Exception):
    """A request the server refuses, with the code and message the client gets."""

    def __init__(self, code: ErrorCode, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def encode_body(body: f.MessageBody) -> bytes:
    return _body_encoder.encode(body)


def decode_body(body: bytes) -> f.MessageBody:
    return _body_decoder.decode(body)


class Core:
    """Base of the feature handlers: shared state and lookups."""

    def __init__(self, store: Store, hub: Hub, config: ServerConfig) -> None:
        self.store = store
        self.hub = hub
        self.config = config

    def now(self) -> int:
        return self.config.clock()

    @staticmethod
    def user_of(conn: DeviceConnection) -> int:
        assert conn.user_id is not None, "session phase check lets only signed-in frames here"
        return conn.user_id

    def require_user(self, username: str) -> int:
        user_id = self.store.user_id(username)
        if user_id is None:
            raise ServiceError(ErrorCode.USER_NOT_FOUND, f"there is no user named {username!r}")
        return user_id

    def require_group(self, group_id: str) -> GroupRow:
        number = int(group_id)
        # Ids past SQLite's 64-bit integers cannot exist (and would overflow the query).
        group = self.store.group(number) if number < 2**63 else None
        if group is None:
            raise ServiceError(ErrorCode.GROUP_NOT_FOUND, f"there is no group {group_id}")
        return group

    def require_member(self, group_id: str, user_id: int) -> tuple[GroupRow, str]:
        """The group and the caller's role in it; refuses non-members."""
        group = self.require_group(group_id)
        return group, self.require_role(group, user_id)

    def require_role(self, group: GroupRow, user_id: int) -> str:
        """The caller's role in `group`; refuses non-members."""
        role = self.store.role(group.id, user_id)
        if role is None:
            raise ServiceError(
                ErrorCode.NOT_GROUP_MEMBER, f"you are not a member of group {group.id}"
            )
        return role

    def is_expired(self, message: MessageRow) -> bool:
        return message.server_time < self.now() - self.config.ack_retention_seconds * 1000

    def reply_preview(self, msg_id: str | None) -> f.ReplyPreview | None:
        """What a reply shows of `msg_id` now: its sender and the start of its text, or
        only "recalled" (its text is gone, from previews too)."""
        if msg_id is None:
            return None
        quoted = self.store.message(msg_id)
        if quoted is None:
            return None
        text = None if quoted.recalled else preview_text(decode_body(quoted.body))
        return f.ReplyPreview(
            msg_id=msg_id,
            from_=self.store.username(quoted.sender_id),
            text=None if text is None else text[:REPLY_PREVIEW_CHARS],
            recalled=quoted.recalled,
        )

    def audience(self, message: MessageRow) -> list[int]:
        """Who can see `message` now: both sides of a one-to-one message; the group's
        members who were members when it was sent (and still are)."""
        if message.chat_type == "chat":
            assert message.recipient_id is not None
            return [message.sender_id, message.recipient_id]
        assert message.group_id is not None
        return self.store.members_since(message.group_id, message.conv_seq)

    def message_info(self, message: MessageRow) -> f.MessageInfo:
        if message.chat_type == "chat":
            assert message.recipient_id is not None
            to = self.store.username(message.recipient_id)
        else:
            to = str(message.group_id)
        return f.MessageInfo(
            msg_id=message.msg_id,
            from_=self.store.username(message.sender_id),
            to=to,
            chat_type=message.chat_type,
            body=None if message.recalled else decode_body(message.body),
            server_time=message.server_time,
            local_time=message.local_time,
            conv_seq=message.conv_seq,
            need_delivery_ack=message.need_delivery_ack,
            need_read_ack=message.need_read_ack,
            need_group_ack=message.need_group_ack,
            delivered_at=message.delivered_at,
            read_at=message.read_at,
            group_member_count=message.group_member_count,
            group_ack_count=message.group_ack_count,
            group_delivered_count=message.group_delivered_count,
            reply_to=message.reply_to,
            reply_preview=self.reply_preview(message.reply_to),
            edited_at=message.edited_at,
            recalled_at=message.recalled_at,
            group_confirm_count=message.group_confirm_count,
        )

    def group_info(self, group: GroupRow, with_members: bool) -> f.GroupInfo:
        members = None
        if with_members:
            members = [
                f.GroupMember(member.username, member.role)
                for member in self.store.members_with_roles(group.id)
            ]
        return f.GroupInfo(
            group_id=str(group.id),
            name=group.name,
            owner=self.store.username(group.owner_id),
            ack_policy=group.ack_policy,
            member_count=len(members) if members is not None else self.store.member_count(group.id),
            members=members,
        )
