"""Every frame of the desktop_chat wire protocol, as typed, frozen structures.

Owns: the shape of each frame (its `type` tag and fields), the field-level
constraints the decoder enforces (patterns, lengths, ranges), and the unions the
codec decodes against. docs/protocol.md describes each of these frames; a change
here is a change there.

Three families:
- requests, client to server: carry a client-chosen `id` that the reply echoes,
  and name their reply's type (`class Sync(Request[SyncBatch])`, read back with
  `reply_type`), so a client's `request(Sync(...))` is typed a `SyncBatch`;
- replies, server to client: carry the `id` of the request they answer;
- pushes, server to client: carry no `id` but the `seq` of the recipient user's
  event log, so a device that was away can ask for what it missed (`sync`);
  ephemeral pushes (`peer_typing`) carry neither (they are defined in `pushes`,
  the shared structures in `structs`; this module re-exports both).

Never: import asyncio, websockets, sqlite or Qt, or do I/O of any kind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import msgspec

# The pushes are in `pushes`, the shared structures in `structs`; both are this
# module's names too (f.MessagePush, f.MessageInfo).
from desktop_chat.protocol.announce_frames import FetchGroupAckStats as FetchGroupAckStats
from desktop_chat.protocol.announce_frames import GroupAckStats as GroupAckStats
from desktop_chat.protocol.file_frames import DATA_FRAMES as DATA_FRAMES
from desktop_chat.protocol.file_frames import Chunk as Chunk
from desktop_chat.protocol.file_frames import Download as Download
from desktop_chat.protocol.file_frames import UploadBegin as UploadBegin
from desktop_chat.protocol.file_frames import UploadChunk as UploadChunk
from desktop_chat.protocol.file_frames import UploadState as UploadState
from desktop_chat.protocol.frame_base import Reply as Reply
from desktop_chat.protocol.frame_base import Request as Request
from desktop_chat.protocol.frame_base import reply_type as reply_type
from desktop_chat.protocol.pushes import EPHEMERAL_TYPES as EPHEMERAL_TYPES
from desktop_chat.protocol.pushes import PUSH_TYPES as PUSH_TYPES
from desktop_chat.protocol.pushes import BadEvent as BadEvent
from desktop_chat.protocol.pushes import ConversationMutedPush as ConversationMutedPush
from desktop_chat.protocol.pushes import ConversationReadPush as ConversationReadPush
from desktop_chat.protocol.pushes import DeliveredPush as DeliveredPush
from desktop_chat.protocol.pushes import Ephemeral as Ephemeral
from desktop_chat.protocol.pushes import EphemeralPush as EphemeralPush
from desktop_chat.protocol.pushes import GroupAckReminderPush as GroupAckReminderPush
from desktop_chat.protocol.pushes import GroupChange as GroupChange
from desktop_chat.protocol.pushes import GroupChangedPush as GroupChangedPush
from desktop_chat.protocol.pushes import GroupDeliveredPush as GroupDeliveredPush
from desktop_chat.protocol.pushes import GroupPinnedPush as GroupPinnedPush
from desktop_chat.protocol.pushes import GroupReadPush as GroupReadPush
from desktop_chat.protocol.pushes import MessageEditedPush as MessageEditedPush
from desktop_chat.protocol.pushes import MessagePush as MessagePush
from desktop_chat.protocol.pushes import MessageRecalledPush as MessageRecalledPush
from desktop_chat.protocol.pushes import PeerTypingPush as PeerTypingPush
from desktop_chat.protocol.pushes import Push as Push
from desktop_chat.protocol.pushes import ReadPush as ReadPush
from desktop_chat.protocol.pushes import SelfConfirmedPush as SelfConfirmedPush
from desktop_chat.protocol.pushes import SelfReadPush as SelfReadPush
from desktop_chat.protocol.pushes import ServerPush as ServerPush
from desktop_chat.protocol.structs import CONVERSATION_ID_PATTERN as CONVERSATION_ID_PATTERN
from desktop_chat.protocol.structs import GROUP_ID_PATTERN as GROUP_ID_PATTERN
from desktop_chat.protocol.structs import MAX_PASSWORD_CHARS as MAX_PASSWORD_CHARS
from desktop_chat.protocol.structs import MSG_ID_PATTERN as MSG_ID_PATTERN
from desktop_chat.protocol.structs import USERNAME_PATTERN as USERNAME_PATTERN
from desktop_chat.protocol.structs import AckPolicy as AckPolicy
from desktop_chat.protocol.structs import AttachmentBody as AttachmentBody
from desktop_chat.protocol.structs import ChatType as ChatType
from desktop_chat.protocol.structs import ConversationId as ConversationId
from desktop_chat.protocol.structs import ConversationInfo as ConversationInfo
from desktop_chat.protocol.structs import FileBody as FileBody
from desktop_chat.protocol.structs import Frame as Frame
from desktop_chat.protocol.structs import GroupAckInfo as GroupAckInfo
from desktop_chat.protocol.structs import GroupId as GroupId
from desktop_chat.protocol.structs import GroupInfo as GroupInfo
from desktop_chat.protocol.structs import GroupMember as GroupMember
from desktop_chat.protocol.structs import GroupName as GroupName
from desktop_chat.protocol.structs import GroupRole as GroupRole
from desktop_chat.protocol.structs import ImageBody as ImageBody
from desktop_chat.protocol.structs import Limits as Limits
from desktop_chat.protocol.structs import MessageBody as MessageBody
from desktop_chat.protocol.structs import MessageInfo as MessageInfo
from desktop_chat.protocol.structs import MsgId as MsgId
from desktop_chat.protocol.structs import MsgIdList as MsgIdList
from desktop_chat.protocol.structs import NewUsername as NewUsername
from desktop_chat.protocol.structs import NonEmptyUsernameList as NonEmptyUsernameList
from desktop_chat.protocol.structs import NonNegative as NonNegative
from desktop_chat.protocol.structs import Password as Password
from desktop_chat.protocol.structs import PinnedInfo as PinnedInfo
from desktop_chat.protocol.structs import ReplyPreview as ReplyPreview
from desktop_chat.protocol.structs import RequestId as RequestId
from desktop_chat.protocol.structs import Sha256 as Sha256
from desktop_chat.protocol.structs import ShortText as ShortText
from desktop_chat.protocol.structs import TextBody as TextBody
from desktop_chat.protocol.structs import Token as Token
from desktop_chat.protocol.structs import UserInfo as UserInfo
from desktop_chat.protocol.structs import Username as Username
from desktop_chat.protocol.structs import UsernameList as UsernameList

PROTOCOL_VERSION = 1


# --------------------------------------------------------------------------- replies


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
    # The server fills this with pre-encoded pushes (msgspec.Raw); clients decode
    # them as pushes, and a client's reader (`codec.read_server_frame`) puts a
    # BadEvent in place of one it cannot read: that is what the checker sees.
    if TYPE_CHECKING:
        events: list[ServerPush | BadEvent]
    else:
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
    # The caller's confirm of it (null: read only), its note, and the message's count.
    confirmed_at: int | None = None
    confirm_count: int = 0
    confirm_note: str | None = None


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
    at: int = 0  # when the reminder went out (ms), as `group_ack_stats` lists it


class Conversations(Reply, frozen=True, tag="conversations"):
    conversations: list[ConversationInfo]


class History(Reply, frozen=True, tag="history"):
    messages: list[MessageInfo]
    more: bool


class Group(Reply, frozen=True, tag="group"):
    group: GroupInfo


class Groups(Reply, frozen=True, tag="groups"):
    groups: list[GroupInfo]


class RecallOk(Reply, frozen=True, tag="recall_ok"):
    msg_id: str
    recalled_at: int


class EditOk(Reply, frozen=True, tag="edit_ok"):
    msg_id: str
    # null when the text was the same as before and it had never been edited
    edited_at: int | None


class MuteOk(Reply, frozen=True, tag="mute_ok"):
    conversation_id: str
    muted: bool
    muted_until: int | None


class Users(Reply, frozen=True, tag="users"):
    users: list[UserInfo]


class Error(Reply, frozen=True, tag="error"):
    code: str
    message: str
    details: dict[str, Any] | None = None


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
    | GroupAckStats
    | Conversations
    | History
    | Group
    | Groups
    | RecallOk
    | EditOk
    | MuteOk
    | Users
    | UploadState
    | Chunk
    | Error
    | ServerPush
    | EphemeralPush
)

# --------------------------------------------------------------------------- requests


class Hello(Request[HelloOk], frozen=True, tag="hello"):
    version: int
    client: ShortText = ""


class Register(Request[Ok], frozen=True, tag="register"):
    username: NewUsername
    password: Password


class Login(Request[LoginOk], frozen=True, tag="login"):
    username: Username
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_PASSWORD_CHARS)]
    device_name: ShortText = ""


class Resume(Request[LoginOk], frozen=True, tag="resume"):
    token: Token


class Logout(Request[Ok], frozen=True, tag="logout"):
    pass


class Sync(Request[SyncBatch], frozen=True, tag="sync"):
    after_seq: NonNegative = 0
    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 500


class SendMessage(Request[SendOk], frozen=True, tag="send"):
    msg_id: MsgId
    chat_type: ChatType
    to: ConversationId
    body: MessageBody
    local_time: NonNegative = 0
    need_delivery_ack: bool = False
    need_read_ack: bool = True
    need_group_ack: bool = False
    # The msg_id of a message of the same conversation that this one answers.
    reply_to: MsgId | None = None


class DeliveryAck(Request[AcksOk], frozen=True, tag="delivery_ack"):
    msg_ids: MsgIdList


class ReadAck(Request[AcksOk], frozen=True, tag="read_ack"):
    """One-to-one messages read. With `notify` false, also group messages: a private
    read (no receipt, no group ack), as when a device deletes an unread message."""

    msg_ids: MsgIdList
    notify: bool = True


class ConversationReadAck(Request[ConversationAcked], frozen=True, tag="conversation_read_ack"):
    """Read the conversation up to a bound: the `conv_seq` of the last message the
    reader saw. The server marks nothing after it. Without a bound (older clients),
    the conversation is read up to its newest message when the frame is handled."""

    conversation_id: ConversationId
    notify: bool = True
    read_upto: NonNegative | None = None


class GroupReadAck(Request[GroupAckOk], frozen=True, tag="group_read_ack"):
    """A member read a group message; with `confirm`, it confirms it (an explicit
    act, with the note `content`), whether or not it had read it before."""

    group_id: GroupId
    msg_id: MsgId
    content: str | None = None
    confirm: bool = False


class FetchGroupAcks(Request[GroupAcks], frozen=True, tag="fetch_group_acks"):
    group_id: GroupId
    msg_id: MsgId
    cursor: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    page_size: int = 20


class FetchGroupUnread(Request[GroupUnread], frozen=True, tag="fetch_group_unread"):
    group_id: GroupId
    msg_id: MsgId
    cursor: Username | None = None
    page_size: int = 200


class RemindGroupUnread(Request[Reminded], frozen=True, tag="remind_group_unread"):
    group_id: GroupId
    msg_id: MsgId


class FetchConversations(Request[Conversations], frozen=True, tag="fetch_conversations"):
    pass


class FetchHistory(Request[History], frozen=True, tag="fetch_history"):
    conversation_id: ConversationId
    before_seq: NonNegative | None = None
    page_size: int = 50


class CreateGroup(Request[Group], frozen=True, tag="create_group"):
    name: GroupName
    members: UsernameList = msgspec.field(default_factory=list)
    ack_policy: AckPolicy = "admins"


class AddMembers(Request[Group], frozen=True, tag="add_members"):
    group_id: GroupId
    members: UsernameList


class RemoveMembers(Request[Group | Ok], frozen=True, tag="remove_members"):
    group_id: GroupId
    members: UsernameList


class AddAdmin(Request[Group], frozen=True, tag="add_admin"):
    group_id: GroupId
    member: Username


class RemoveAdmin(Request[Group], frozen=True, tag="remove_admin"):
    group_id: GroupId
    member: Username


class SetGroupAckPolicy(Request[Group], frozen=True, tag="set_group_ack_policy"):
    group_id: GroupId
    ack_policy: AckPolicy


class GetGroup(Request[Group], frozen=True, tag="get_group"):
    group_id: GroupId
    with_members: bool = True


class FetchGroups(Request[Groups], frozen=True, tag="fetch_groups"):
    pass


class PinGroupMessage(Request[Group], frozen=True, tag="pin_group_message"):
    """Owner or admin: pin one message of the group at its top (replacing any pin)."""

    group_id: GroupId
    msg_id: MsgId


class UnpinGroupMessage(Request[Group], frozen=True, tag="unpin_group_message"):
    group_id: GroupId


class Recall(Request[RecallOk], frozen=True, tag="recall"):
    """The sender takes a message back, within the server's recall limit."""

    msg_id: MsgId


class Edit(Request[EditOk], frozen=True, tag="edit"):
    """The sender replaces a message's text; receipts are unchanged."""

    msg_id: MsgId
    body: TextBody


class SetConversationMute(Request[MuteOk], frozen=True, tag="set_conversation_mute"):
    """Mute (or unmute) a conversation on every device of the caller, until `until` (ms)
    or for good."""

    conversation_id: ConversationId
    muted: bool
    until: NonNegative | None = None


class Typing(Request[Ok], frozen=True, tag="typing"):
    """The caller is typing in a one-to-one conversation (relayed, never stored)."""

    conversation_id: ConversationId


class FetchUsers(Request[Users], frozen=True, tag="fetch_users"):
    """Which of these names are accounts (a bounded batch, rate limited)."""

    usernames: NonEmptyUsernameList


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
    | FetchGroupAckStats
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
    | PinGroupMessage
    | UnpinGroupMessage
    | Recall
    | Edit
    | SetConversationMute
    | Typing
    | FetchUsers
    | UploadBegin
    | UploadChunk
    | Download
)

REQUEST_TYPES: dict[str, type[Request[Reply]]] = {
    cls.__struct_config__.tag: cls for cls in ClientFrame.__args__
}
