"""The client API's value types, named as in the SDK (snake_case).

Owns: `ChatType`, `MessageStatus`, `MessageDirection`, `ChatMessage` (with
`ChatMessage.text(to, text, chat_type=..., reply_to=...)`, `ChatMessage.file(...)`
and `ChatMessage.image(...)` with their bodies, its quote `ReplyPreview`,
and whether it was edited or recalled, and its place `order_key`), `Conversation` (with its mute),
`GroupMessageAck` (with its confirm), `GroupAckStats`, `CursorResult`, `Group` (with its
pinned notice), and how a message's receipt mark
(protocol `Mark`) reads as the SDK's fields: `status`, `has_deliver_ack`,
`has_read_ack`.

Never: do I/O, or import a manager. A `Conversation` reaches the store only
through the manager it was handed, seen as a `ConversationSource` (what it needs
of `ChatManager`, defined here).
"""

from __future__ import annotations

import enum
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from desktop_chat.protocol import Mark

T = TypeVar("T")

OrderKey = tuple[int, int, str]  # a message's place in its conversation (`order_key`)
Before = int | OrderKey | None  # a page's upper bound: a time, a place, or none


class ChatType(enum.StrEnum):
    CHAT = "chat"
    GROUP_CHAT = "groupchat"


class MessageStatus(enum.StrEnum):
    """The SDK's send status: created, on its way, stored by the server, or failed."""

    CREATE = "CREATE"
    PENDING = "PENDING"
    SUCCESS = "SUCCESS"
    FAIL = "FAIL"


class MessageDirection(enum.StrEnum):
    SEND = "SEND"
    RECEIVE = "RECEIVE"


def new_msg_id() -> str:
    return uuid.uuid4().hex


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class TextMessageBody:
    content: str


@dataclass
class FileMessageBody:
    """A file, with the SDK's names: `display_name` (made safe by the server),
    `file_size`, `local_path` (the sender's file; a recipient's saved copy, "" until
    downloaded). `sha256` names it on the server; `content` is its caption."""

    display_name: str
    file_size: int
    sha256: str = ""
    mime: str = "application/octet-stream"
    caption: str = ""
    local_path: str = ""

    @property
    def content(self) -> str:
        return self.caption


@dataclass
class ImageMessageBody(FileMessageBody):
    """A picture: a file with its size in pixels and a small thumbnail (JPEG or PNG
    bytes), shown before the picture itself is downloaded."""

    width: int = 0
    height: int = 0
    thumbnail: bytes = b""


MessageBody = TextMessageBody | FileMessageBody


@dataclass(frozen=True)
class ReplyPreview:
    """What a reply shows of the message it quotes: its sender and the start of its
    text (`text` None once that message was recalled)."""

    msg_id: str
    from_: str
    text: str | None
    recalled: bool = False


@dataclass
class ChatMessage:
    """One message, sent or received, with its receipt state."""

    msg_id: str
    conversation_id: str
    from_: str
    to: str
    chat_type: ChatType
    body: MessageBody
    direction: MessageDirection = MessageDirection.SEND
    server_time: int = 0
    local_time: int = field(default_factory=now_ms)
    conv_seq: int = 0
    mark: Mark = Mark.PENDING
    created: bool = True
    need_group_ack: bool = False
    need_delivery_ack: bool = False
    need_read_ack: bool = False
    delivered_at: int | None = None
    read_at: int | None = None
    # Received messages: whether this user has read it, and which acks went out.
    recipient_read: bool = False
    deliver_ack_sent: bool = False
    read_ack_sent: bool = False
    group_member_count: int | None = None
    group_ack_count: int = 0
    group_delivered_count: int = 0
    # The message this one answers, and what it shows of it.
    reply_to: str | None = None
    reply_preview: ReplyPreview | None = None
    edited_at: int | None = None
    # Once recalled, `body.content` is "" for good: the text is gone everywhere.
    recalled_at: int | None = None
    # Group: how many members confirmed it (the sender's count, as last told).
    group_confirm_count: int = 0
    # Received group message: when this user confirmed it (ms) and its note; None if not.
    confirmed_at: int | None = None
    confirm_note: str | None = None

    @classmethod
    def text(
        cls,
        to: str,
        text: str,
        chat_type: ChatType = ChatType.CHAT,
        reply_to: str | None = None,
    ) -> ChatMessage:
        """A new text message to `to` (a username, or a group id for GROUP_CHAT),
        answering the message `reply_to` of the same conversation if given."""
        return cls(
            msg_id=new_msg_id(),
            conversation_id=to,
            from_="",
            to=to,
            chat_type=ChatType(chat_type),
            body=TextMessageBody(text),
            reply_to=reply_to,
        )

    @classmethod
    def file(
        cls,
        to: str,
        local_path: str,
        chat_type: ChatType = ChatType.CHAT,
        display_name: str = "",
        caption: str = "",
    ) -> ChatMessage:
        """A new file message with the file at `local_path`: its size and sha256 are
        read, and the file uploaded, when it is sent."""
        message = cls.text(to, "-", chat_type)
        name = display_name or os.path.basename(local_path)
        message.body = FileMessageBody(name, 0, caption=caption, local_path=local_path)
        return message

    @classmethod
    def image(
        cls,
        to: str,
        local_path: str,
        width: int,
        height: int,
        thumbnail: bytes = b"",
        chat_type: ChatType = ChatType.CHAT,
        caption: str = "",
    ) -> ChatMessage:
        """A new picture message: the file at `local_path`, its size in pixels and a
        small thumbnail (at most `protocol.structs.MAX_THUMBNAIL_BYTES`)."""
        message = cls.text(to, "-", chat_type)
        message.body = ImageMessageBody(
            os.path.basename(local_path),
            0,
            mime="image/jpeg",
            caption=caption,
            local_path=local_path,
            width=width,
            height=height,
            thumbnail=thumbnail,
        )
        return message

    @property
    def recalled(self) -> bool:
        """Its sender took it back: show "<from_> recalled a message"."""
        return self.recalled_at is not None

    @property
    def edited(self) -> bool:
        return self.edited_at is not None

    @property
    def status(self) -> MessageStatus:
        if self.direction is MessageDirection.RECEIVE:
            return MessageStatus.SUCCESS
        if self.mark is Mark.FAILED:
            return MessageStatus.FAIL
        if self.mark >= Mark.SENT:
            return MessageStatus.SUCCESS
        return MessageStatus.CREATE if self.created else MessageStatus.PENDING

    @property
    def has_deliver_ack(self) -> bool:
        """Sent: a device of the recipient has it. Received: we acked delivery."""
        if self.direction is MessageDirection.RECEIVE:
            return self.deliver_ack_sent
        return self.mark >= Mark.DELIVERED

    @property
    def has_read_ack(self) -> bool:
        """Sent: the recipient read it. Received: we sent a read ack."""
        if self.direction is MessageDirection.RECEIVE:
            return self.read_ack_sent
        return self.mark is Mark.READ

    @property
    def sort_time(self) -> int:
        """Where it stands in its conversation: the server's time, or local while pending."""
        return self.server_time or self.local_time

    @property
    def order_key(self) -> OrderKey:
        """Its exact place in its conversation, as the local store orders it: the time,
        then the conversation seq (messages of one millisecond), then the id."""
        return (self.sort_time, self.conv_seq, self.msg_id)

    @property
    def is_group(self) -> bool:
        return self.chat_type is ChatType.GROUP_CHAT


@dataclass(frozen=True)
class GroupMessageAck:
    """One member's ack: read at `timestamp` (ms); confirmed at `confirmed_at` with the
    note `content`, or None when it only read it. A later ack with the same `ack_id`
    (a confirm after a read) replaces the earlier one."""

    message_id: str
    ack_id: str
    from_: str
    content: str | None
    read_count: int
    timestamp: int
    confirmed_at: int | None = None


@dataclass
class GroupAckStats:
    """A group message's read progress: `reads[i]` members had read it, and
    `confirms[i]` confirmed it, `edges[i]` seconds after `sent_at` (ms); `reminders`
    are the times (ms) reminders went out, oldest first."""

    msg_id: str
    sent_at: int
    member_count: int
    read_count: int
    confirm_count: int
    edges: list[int]
    reads: list[int]
    confirms: list[int]
    reminders: list[int]


@dataclass(frozen=True)
class CursorResult(Generic[T]):
    """One page of results; pass `cursor` back for the next page (None: no more)."""

    data: list[T]
    cursor: str | None


class GroupRole(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


@dataclass(frozen=True)
class Group:
    group_id: str
    name: str
    owner: str
    ack_policy: str
    member_count: int
    members: dict[str, GroupRole] | None = None
    # The pinned notice: which message, who pinned it, when (ms), and the message (this
    # device's own copy where it has one, else the server's, as the viewer sees it).
    pinned_msg_id: str | None = None
    pinned_by: str | None = None
    pinned_at: int | None = None
    pinned_message: ChatMessage | None = field(default=None, compare=False)
    # The pinned message as the server sent it (wire JSON), kept in the local store.
    pinned_source: bytes | None = field(default=None, repr=False, compare=False)

    def role_of(self, username: str) -> GroupRole | None:
        if username == self.owner:
            return GroupRole.OWNER
        if self.members is None:
            return None
        return self.members.get(username)


class ConversationSource(Protocol):
    """What a `Conversation` asks of the manager that made it (`ChatManager`)."""

    def local_messages(
        self, conversation_id: str, before_time: Before, count: int
    ) -> list[ChatMessage]: ...

    def delete_message(self, msg_id: str) -> None: ...

    async def mark_conversation_read_locally(
        self, conversation_id: str, read_upto: int | None = None
    ) -> None: ...


@dataclass
class Conversation:
    """A conversation as this device knows it: unread count, latest message, mute."""

    conversation_id: str
    type: ChatType
    unread_count: int
    latest_message: ChatMessage | None
    _manager: ConversationSource | None = field(default=None, repr=False, compare=False)
    muted: bool = False
    muted_until: int | None = None

    @property
    def is_muted(self) -> bool:
        """Muted now (a mute with an end that has passed is over). The same on every
        device of this user: the server keeps it."""
        return self.muted and (self.muted_until is None or self.muted_until > now_ms())

    @property
    def messages(self) -> list[ChatMessage]:
        """The latest messages kept on this device, oldest first."""
        return self.load_messages()

    def load_messages(self, before_time: Before = None, count: int = 50) -> list[ChatMessage]:
        """Up to `count` messages older than `before_time` (a `sort_time`, or a message's
        `order_key` to page on exactly after it), oldest first."""
        assert self._manager is not None
        return self._manager.local_messages(self.conversation_id, before_time, count)

    def delete_message(self, msg_id: str) -> None:
        """Delete a message from this device only (see ChatManager.delete_message)."""
        assert self._manager is not None
        self._manager.delete_message(msg_id)

    async def mark_all_messages_as_read(self) -> None:
        """Mark everything read on this user's devices without sending a receipt."""
        assert self._manager is not None
        await self._manager.mark_conversation_read_locally(self.conversation_id)
        self.unread_count = 0
