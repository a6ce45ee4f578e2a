"""The pushes: what the server sends a user's devices without being asked.

Owns: `Push` (a logged event: it carries the `seq` of the recipient user's event
log, so a device that was away gets it from `sync`), every logged push, the
`ServerPush` union and `PUSH_TYPES`; `Ephemeral` pushes (`peer_typing`), which
carry neither `id` nor `seq`: they are never logged, reach only devices that are
live at that moment, and a client's seq-ordered applier lets them pass without
moving its applied seq; and `BadEvent`, never on the wire: what a client's reader
(`codec.read_server_frame`) puts in place of a logged event it cannot read, with
its seq, so the applier records it and moves past it knowingly. `frames`
re-exports all of these. docs/protocol.md §9 describes each push.

Never: import asyncio, websockets, sqlite or Qt, or do I/O of any kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import msgspec

from desktop_chat.protocol.errors import ProtocolError
from desktop_chat.protocol.structs import (
    ChatType,
    Frame,
    GroupAckInfo,
    GroupInfo,
    Int64,
    MessageInfo,
    PinnedInfo,
)


class Push(Frame, frozen=True, kw_only=True):
    seq: Int64


class MessagePush(Push, frozen=True, tag="message"):
    """A new message in one of your conversations, or one you sent on another device."""

    message: MessageInfo


class DeliveredPush(Push, frozen=True, tag="delivered"):
    """Your one-to-one messages reached a device of `by`."""

    conversation_id: str
    msg_ids: list[str]
    by: str
    time: Int64


class ReadPush(Push, frozen=True, tag="read"):
    """`by` read these one-to-one messages of yours (message acks)."""

    conversation_id: str
    msg_ids: list[str]
    by: str
    time: Int64


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
    read_upto: Int64
    time: Int64
    unread_count: Int64 | None = None
    msg_ids: list[str] | None = None


class SelfReadPush(Push, frozen=True, tag="self_read"):
    """You read these messages on another device; your unread count changed."""

    conversation_id: str
    msg_ids: list[str]
    unread_count: Int64


class GroupReadPush(Push, frozen=True, tag="group_read"):
    """Members read your group message(s); coalesced, several acks per push."""

    group_id: str
    acks: list[GroupAckInfo]


class GroupDeliveredPush(Push, frozen=True, tag="group_delivered"):
    """How many members' devices have your group message (need_group_ack only)."""

    group_id: str
    msg_id: str
    delivered_count: Int64
    member_count: Int64


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


class MessageRecalledPush(Push, frozen=True, tag="message_recalled"):
    """`from` recalled its message `msg_id` (of the conversation `from`/`to` name, as in
    MessageInfo): drop its text. `unread_count` is your unread count for that
    conversation now, when the recall changed it (it was unread for you), else null."""

    msg_id: str
    from_: str = msgspec.field(name="from")
    to: str
    chat_type: ChatType
    conv_seq: Int64
    time: Int64
    unread_count: Int64 | None = None


class MessageEditedPush(Push, frozen=True, tag="message_edited"):
    """`by` (the sender) edited a message: `message` is it now, marks unchanged."""

    message: MessageInfo
    by: str
    time: Int64


class SelfConfirmedPush(Push, frozen=True, tag="self_confirmed"):
    """You confirmed group message `msg_id` on another device, with `confirm_note`."""

    group_id: str
    msg_id: str
    confirmed_at: Int64
    confirm_note: str | None = None


class GroupPinnedPush(Push, frozen=True, tag="group_pinned"):
    """`by` pinned a message in a group you are in (`pinned`), or unpinned it (null;
    also when its sender recalled it). `group` is the group now, without members."""

    group_id: str
    pinned: PinnedInfo | None
    by: str
    group: GroupInfo


class ConversationMutedPush(Push, frozen=True, tag="conversation_muted"):
    """You muted or unmuted a conversation on another device."""

    conversation_id: str
    muted: bool
    muted_until: Int64 | None


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
    | MessageRecalledPush
    | MessageEditedPush
    | ConversationMutedPush
    | SelfConfirmedPush
    | GroupPinnedPush
)


# --------------------------------------------------------------------------- ephemeral


class Ephemeral(Frame, frozen=True, kw_only=True):
    """A push that is never logged: no `id`, no `seq`. Live devices only."""


class PeerTypingPush(Ephemeral, frozen=True, tag="peer_typing"):
    """`from` is typing to you in the one-to-one conversation `conversation_id`."""

    from_: str = msgspec.field(name="from")
    conversation_id: str
    time: Int64


EphemeralPush = PeerTypingPush


# --------------------------------------------------------------------------- unreadable


@dataclass(frozen=True, slots=True)
class BadEvent:
    """A logged event the server sent that this client cannot read: a push of a type
    it does not know (a newer server), or one with a field it cannot take.

    `seq` is its place in the log (None only when even that could not be read);
    `type` its `type` when that is a string; `source` the frame as it came; `error`
    why it was refused. Never encoded, never sent."""

    seq: Int64 | None
    type: str | None
    source: bytes = field(repr=False)
    error: ProtocolError


PUSH_TYPES: dict[str, type[Push]] = {cls.__struct_config__.tag: cls for cls in ServerPush.__args__}
EPHEMERAL_TYPES: dict[str, type[Ephemeral]] = {
    str(PeerTypingPush.__struct_config__.tag): PeerTypingPush
}
