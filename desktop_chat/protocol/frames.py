"""Every frame of the desktop_chat wire protocol, as typed, frozen structures.

Owns: the shape of each frame (its `type` tag and fields), the field-level
constraints the decoder enforces (patterns, lengths, ranges), and the unions the
codec decodes against. docs/protocol.md describes each of these frames; a change
here is a change there.

Three families:
- requests, client to server: carry a client-chosen `id` that the reply echoes;
- replies, server to client: carry the `id` of the request they answer;
- pushes, server to client: carry no `id` but the `seq` of the recipient user's
  event log, so a device that was away can ask for what it missed (`sync`).

Never: import asyncio, websockets, sqlite or Qt, or do I/O of any kind.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

PROTOCOL_VERSION = 1

# `\Z`, not `$`: Python's `$` also matches before a trailing newline.
USERNAME_PATTERN = r"^[a-z][a-z0-9_.-]{1,31}\Z"
# Group ids are server-made and fit SQLite's signed 64-bit integers.
GROUP_ID_PATTERN = r"^[0-9]{1,18}\Z"
MSG_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}\Z"
CONVERSATION_ID_PATTERN = r"^([a-z][a-z0-9_.-]{1,31}|[0-9]{1,18})\Z"

RequestId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Username = Annotated[str, msgspec.Meta(pattern=USERNAME_PATTERN)]
# A name asked for in `register`: only bounded here, so that `validation` can refuse it
# with USERNAME_NOT_ALLOWED and say why (names.py); what passes matches USERNAME_PATTERN.
NewUsername = Annotated[str, msgspec.Meta(max_length=64)]
GroupId = Annotated[str, msgspec.Meta(pattern=GROUP_ID_PATTERN)]
MsgId = Annotated[str, msgspec.Meta(pattern=MSG_ID_PATTERN)]
ConversationId = Annotated[str, msgspec.Meta(pattern=CONVERSATION_ID_PATTERN)]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=256)]
Token = Annotated[str, msgspec.Meta(min_length=16, max_length=128)]
ShortText = Annotated[str, msgspec.Meta(max_length=64)]
GroupName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
NonNegative = Annotated[int, msgspec.Meta(ge=0, le=2**53)]
# Lists and notes have no upper bound here: the frame size bounds them, and
# `validation` refuses what is over a limit with that limit's own code.
MsgIdList = Annotated[list[MsgId], msgspec.Meta(min_length=1)]
UsernameList = list[Username]
ChatType = Literal["chat", "groupchat"]
AckPolicy = Literal["admins", "all"]
GroupRole = Literal["owner", "admin", "member"]


class Frame(msgspec.Struct, frozen=True, tag_field="type", omit_defaults=False):
    """Base of every frame: the `type` field is the tag."""


# --------------------------------------------------------------------------- bodies


class TextBody(msgspec.Struct, frozen=True, tag="text", tag_field="kind"):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=8000)]


MessageBody = TextBody


class MessageInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A stored message with the receipt marks the server knows of."""

    msg_id: str
    from_: str = msgspec.field(name="from")
    to: str
    chat_type: ChatType
    body: MessageBody
    server_time: int
    local_time: int = 0
    conv_seq: int = 0
    need_delivery_ack: bool = False
    need_read_ack: bool = False
    need_group_ack: bool = False
    delivered_at: int | None = None
    read_at: int | None = None
    group_member_count: int | None = None
    group_ack_count: int = 0
    group_delivered_count: int = 0


class GroupAckInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One member's read ack on a group message (the SDK's GroupMessageAck)."""

    message_id: str
    ack_id: str
    from_: str = msgspec.field(name="from")
    content: str | None = None
    read_count: int
    timestamp: int


class GroupMember(msgspec.Struct, frozen=True):
    username: str
    role: GroupRole


class GroupInfo(msgspec.Struct, frozen=True, kw_only=True):
    group_id: str
    name: str
    owner: str
    ack_policy: AckPolicy
    member_count: int
    members: list[GroupMember] | None = None


class ConversationInfo(msgspec.Struct, frozen=True, kw_only=True):
    conversation_id: str
    chat_type: ChatType
    unread_count: int
    last_message: MessageInfo | None = None


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    max_frame_bytes: int
    max_ack_batch: int
    max_group_members: int
    max_note_bytes: int
    max_page_size: int
    ack_retention_seconds: int


# --------------------------------------------------------------------------- requests


class Request(Frame, frozen=True, kw_only=True):
    id: RequestId


class Hello(Request, frozen=True, tag="hello"):
    version: int
    client: ShortText = ""


class Register(Request, frozen=True, tag="register"):
    username: NewUsername
    password: Password


class Login(Request, frozen=True, tag="login"):
    username: Username
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    device_name: ShortText = ""


class Resume(Request, frozen=True, tag="resume"):
    token: Token


class Logout(Request, frozen=True, tag="logout"):
    pass


class Sync(Request, frozen=True, tag="sync"):
    after_seq: NonNegative = 0
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 500


class SendMessage(Request, frozen=True, tag="send"):
    msg_id: MsgId
    chat_type: ChatType
    to: ConversationId
    body: MessageBody
    local_time: NonNegative = 0
    need_delivery_ack: bool = False
    need_read_ack: bool = True
    need_group_ack: bool = False


class DeliveryAck(Request, frozen=True, tag="delivery_ack"):
    msg_ids: MsgIdList


class ReadAck(Request, frozen=True, tag="read_ack"):
    msg_ids: MsgIdList
    notify: bool = True


class ConversationReadAck(Request, frozen=True, tag="conversation_read_ack"):
    """Read the conversation up to a bound: the `conv_seq` of the last message the
    reader saw. The server marks nothing after it. Without a bound (older clients),
    the conversation is read up to its newest message when the frame is handled."""

    conversation_id: ConversationId
    notify: bool = True
    read_upto: NonNegative | None = None


class GroupReadAck(Request, frozen=True, tag="group_read_ack"):
    group_id: GroupId
    msg_id: MsgId
    content: str | None = None


class FetchGroupAcks(Request, frozen=True, tag="fetch_group_acks"):
    group_id: GroupId
    msg_id: MsgId
    cursor: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    page_size: int = 20


class FetchGroupUnread(Request, frozen=True, tag="fetch_group_unread"):
    group_id: GroupId
    msg_id: MsgId
    cursor: Username | None = None
    page_size: int = 200


class RemindGroupUnread(Request, frozen=True, tag="remind_group_unread"):
    group_id: GroupId
    msg_id: MsgId


class FetchConversations(Request, frozen=True, tag="fetch_conversations"):
    pass


class FetchHistory(Request, frozen=True, tag="fetch_history"):
    conversation_id: ConversationId
    before_seq: NonNegative | None = None
    page_size: int = 50


class CreateGroup(Request, frozen=True, tag="create_group"):
    name: GroupName
    members: UsernameList = msgspec.field(default_factory=list)
    ack_policy: AckPolicy = "admins"


class AddMembers(Request, frozen=True, tag="add_members"):
    group_id: GroupId
    members: UsernameList


class RemoveMembers(Request, frozen=True, tag="remove_members"):
    group_id: GroupId
    members: UsernameList


class AddAdmin(Request, frozen=True, tag="add_admin"):
    group_id: GroupId
    member: Username


class RemoveAdmin(Request, frozen=True, tag="remove_admin"):
    group_id: GroupId
    member: Username


class SetGroupAckPolicy(Request, frozen=True, tag="set_group_ack_policy"):
    group_id: GroupId
    ack_policy: AckPolicy


class GetGroup(Request, frozen=True, tag="get_group"):
    group_id: GroupId
    with_members: bool = True


class FetchGroups(Request, frozen=True, tag="fetch_groups"):
    pass


ClientFrame = (
    Hello
    | Register
    | Login
    | Resume
    | Logout
    | Sync
    | SendMessage
    | DeliveryAck
    | ReadAck
    | ConversationReadAck
    | GroupReadAck
    | FetchGroupAcks
    | FetchGroupUnread
    | RemindGroupUnread
    | FetchConversations
    | FetchHistory
    | CreateGroup
    | AddMembers
    | RemoveMembers
    | AddAdmin
    | RemoveAdmin
    | SetGroupAckPolicy
    | GetGroup
    | FetchGroups
)

# --------------------------------------------------------------------------- replies


class Reply(Frame, frozen=True, kw_only=True):
    id: str | None


class HelloOk(Reply, frozen=True, tag="hello_ok"):
    version: int
    server: str
    limits: Limits


class Ok(Reply, frozen=True, tag="ok"):
    pass


class LoginOk(Reply, frozen=True, tag="login_ok"):
    username: str
    device_id: int
    token: str
    last_seq: int


class SyncBatch(Reply, frozen=True, tag="sync_batch"):
    # The server fills this with pre-encoded pushes (msgspec.Raw); clients
    # decode them as pushes.
    events: list[ServerPush]
    last_seq: int
    more: bool


class SendOk(Reply, frozen=True, tag="send_ok"):
    msg_id: str
    server_time: int
    conv_seq: int
    group_member_count: int | None = None


class AcksOk(Reply, frozen=True, tag="acks_ok"):
    applied: list[str]


class ConversationAcked(Reply, frozen=True, tag="conversation_acked"):
    conversation_id: str
    read_upto: int
    unread_count: int


class GroupAckOk(Reply, frozen=True, tag="group_ack_ok"):
    msg_id: str
    ack_id: str
    read_count: int


class GroupAcks(Reply, frozen=True, tag="group_acks"):
    acks: list[GroupAckInfo]
    cursor: str | None
    read_count: int
    member_count: int


class GroupUnread(Reply, frozen=True, tag="group_unread"):
    members: list[str]
    cursor: str | None
    unread_count: int


class Reminded(Reply, frozen=True, tag="reminded"):
    members: list[str]


class Conversations(Reply, frozen=True, tag="conversations"):
    conversations: list[ConversationInfo]


class History(Reply, frozen=True, tag="history"):
    messages: list[MessageInfo]
    more: bool


class Group(Reply, frozen=True, tag="group"):
    group: GroupInfo


class Groups(Reply, frozen=True, tag="groups"):
    groups: list[GroupInfo]


class Error(Reply, frozen=True, tag="error"):
    code: str
    message: str
    details: dict[str, Any] | None = None


# --------------------------------------------------------------------------- pushes


class Push(Frame, frozen=True, kw_only=True):
    seq: int


class MessagePush(Push, frozen=True, tag="message"):
    """A new message in one of your conversations, or one you sent on another device."""

    message: MessageInfo


class DeliveredPush(Push, frozen=True, tag="delivered"):
    """Your one-to-one messages reached a device of `by`."""

    conversation_id: str
    msg_ids: list[str]
    by: str
    time: int


class ReadPush(Push, frozen=True, tag="read"):
    """`by` read these one-to-one messages of yours (message acks)."""

    conversation_id: str
    msg_ids: list[str]
    by: str
    time: int


class ConversationReadPush(Push, frozen=True, tag="conversation_read"):
    """`from` read the conversation with `to` up to `read_upto` (a conv_seq).

    To the peer (`to`): `msg_ids` are its messages to `from` whose mark moved to
    read, all with conv_seq <= `read_upto` (messages `from` had already read with
    read receipts off are not among them). A push without `msg_ids` (older
    servers) means every message up to `read_upto` that asked for a read ack.
    To the reader's own other devices: everything up to `read_upto` is read, and
    the conversation's unread count is now `unread_count`.
    """

    from_: str = msgspec.field(name="from")
    to: str
    conversation_id: str
    read_upto: int
    time: int
    unread_count: int | None = None
    msg_ids: list[str] | None = None


class SelfReadPush(Push, frozen=True, tag="self_read"):
    """You read these messages on another device; your unread count changed."""

    conversation_id: str
    msg_ids: list[str]
    unread_count: int


class GroupReadPush(Push, frozen=True, tag="group_read"):
    """Members read your group message(s); coalesced, several acks per push."""

    group_id: str
    acks: list[GroupAckInfo]


class GroupDeliveredPush(Push, frozen=True, tag="group_delivered"):
    """How many members' devices have your group message (need_group_ack only)."""

    group_id: str
    msg_id: str
    delivered_count: int
    member_count: int


GroupChange = Literal[
    "created",
    "members_added",
    "members_removed",
    "admin_added",
    "admin_removed",
    "ack_policy_changed",
    "removed",
]


class GroupChangedPush(Push, frozen=True, tag="group_changed"):
    """A group you are (or were) in changed."""

    change: GroupChange
    group: GroupInfo
    members: list[str] = msgspec.field(default_factory=list)


class GroupAckReminderPush(Push, frozen=True, tag="group_ack_reminder"):
    """`from` (the message's sender, or an owner or admin) asks you to read `msg_id`."""

    group_id: str
    msg_id: str
    from_: str = msgspec.field(name="from")


ServerPush = (
    MessagePush
    | DeliveredPush
    | ReadPush
    | ConversationReadPush
    | SelfReadPush
    | GroupReadPush
    | GroupDeliveredPush
    | GroupChangedPush
    | GroupAckReminderPush
)

ServerFrame = (
    HelloOk
    | Ok
    | LoginOk
    | SyncBatch
    | SendOk
    | AcksOk
    | ConversationAcked
    | GroupAckOk
    | GroupAcks
    | GroupUnread
    | Reminded
    | Conversations
    | History
    | Group
    | Groups
    | Error
    | ServerPush
)

REQUEST_TYPES: dict[str, type[Request]] = {
    cls.__struct_config__.tag: cls  # type: ignore[misc]
    for cls in ClientFrame.__args__  # type: ignore[attr-defined]
}
PUSH_TYPES: dict[str, type[Push]] = {
    cls.__struct_config__.tag: cls  # type: ignore[misc]
    for cls in ServerPush.__args__  # type: ignore[attr-defined]
}
