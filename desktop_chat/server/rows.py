"""The rows a store hands out, whichever backend: plain frozen values.

Owns: every row type of the storage interface: `MessageRow` (with `MESSAGE_COLUMNS`,
the SELECT list in field order, and `message_row`, which turns a fetched SQLite
tuple into one), `DeviceRow`, `DeviceState`, `Credentials`, `EventRow`,
`MemberState`, `ReadState`, `ConversationRow`, `GroupRow`, `MemberRole`,
`UnreadMember`, `AckRow` (with `ACK_COLUMNS`), `AckTimes`, `PinRow` and `BlobRow`
(with `blob_key`, the one check of a blob's sha256 both backends make). Both
backends build them (`store.py` and the modules split from it,
`storage/postgres*.py`); `storage.interface` re-exports them all, and `store` the
ones it always did.

Here rather than in the interface because the interface imports `store` (for its
errors), and `store` must build these rows: one module both can import.

Never: query anything, import a database driver, or hold behaviour beyond
building a row (and checking a blob's key).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# The database's CHECK constraints hold these columns to the protocol's values.
from desktop_chat.protocol.structs import AckPolicy, ChatType, GroupRole


@dataclass(frozen=True, slots=True)
class MessageRow:
    id: int
    msg_id: str
    conv_id: int
    conv_seq: int
    chat_type: ChatType
    sender_id: int
    recipient_id: int | None
    group_id: int | None
    body: bytes
    server_time: int
    local_time: int
    need_delivery_ack: bool
    need_read_ack: bool
    need_group_ack: bool
    mark: int
    delivered_at: int | None
    read_at: int | None
    recipient_read: bool
    group_member_count: int | None
    group_ack_count: int
    group_delivered_count: int
    reply_to: str | None
    edited_at: int | None
    recalled_at: int | None
    group_confirm_count: int

    @property
    def recalled(self) -> bool:
        return self.recalled_at is not None


MESSAGE_COLUMNS = ", ".join(MessageRow.__dataclass_fields__)
_MESSAGE_FLAGS = tuple(
    index
    for index, name in enumerate(MessageRow.__dataclass_fields__)
    if name.startswith("need_") or name == "recipient_read"
)


def message_row(row: tuple[Any, ...]) -> MessageRow:
    values = list(row)
    for index in _MESSAGE_FLAGS:
        values[index] = bool(values[index])
    return MessageRow(*values)


@dataclass(frozen=True, slots=True)
class DeviceRow:
    id: int
    user_id: int
    username: str
    name: str
    last_seen_at: int
    revoked: bool


@dataclass(frozen=True, slots=True)
class DeviceState:
    """What a signed-in connection's periodic check needs of its device."""

    last_seen_at: int
    revoked: bool


@dataclass(frozen=True, slots=True)
class Credentials:
    user_id: int
    password_hash: str


@dataclass(frozen=True, slots=True)
class EventRow:
    seq: int
    body: bytes


@dataclass(frozen=True, slots=True)
class MemberState:
    """One user's place in one conversation."""

    unread_count: int
    read_upto: int


@dataclass(frozen=True, slots=True)
class ReadState:
    """A read watermark after it moved, and the unread count it leaves."""

    read_upto: int
    unread_count: int


@dataclass(frozen=True, slots=True)
class ConversationRow:
    """A conversation of a user; kind 'chat' has user_a < user_b, 'group' a group_id.
    `muted` and `muted_until` are the user's mute as stored (an expired one included)."""

    conv_id: int
    kind: str
    user_a: int | None
    user_b: int | None
    group_id: int | None
    unread_count: int
    last_seq: int
    muted: bool
    muted_until: int | None


@dataclass(frozen=True, slots=True)
class GroupRow:
    id: int
    name: str
    owner_id: int
    ack_policy: AckPolicy
    created_at: int


@dataclass(frozen=True, slots=True)
class AckRow:
    ack_id: int
    user_id: int
    content: str | None
    read_count: int
    created_at: int
    confirmed_at: int | None = None


ACK_COLUMNS = "ack_id, user_id, content, read_count, created_at, confirmed_at"


@dataclass(frozen=True, slots=True)
class AckTimes:
    """When a group message's acks were made and its confirms given (ms), each sorted."""

    reads: list[int]
    confirms: list[int]


@dataclass(frozen=True, slots=True)
class PinRow:
    """A group's pinned message, who pinned it and when."""

    group_id: int
    msg_id: str
    by_id: int
    at: int


@dataclass(frozen=True, slots=True)
class MemberRole:
    username: str
    role: GroupRole


@dataclass(frozen=True, slots=True)
class UnreadMember:
    user_id: int
    username: str


@dataclass(frozen=True, slots=True)
class BlobRow:
    """An uploaded file's content, by its sha256: `received` bytes of `size` are stored,
    a contiguous prefix; `complete` once the uploader's hash was checked. `owner_id`
    uploaded it first (its quota counts it); `touched_at` is its last begin, chunk or
    reference (collection spares what was touched recently)."""

    sha256: str
    size: int
    received: int
    complete: bool
    owner_id: int
    created_at: int
    touched_at: int


BLOB_COLUMNS = ", ".join(BlobRow.__dataclass_fields__)
_SHA256 = re.compile(r"[0-9a-f]{64}")


def blob_key(sha256: str) -> str:
    """`sha256` itself, once checked to be 64 lowercase hex digits (ValueError if not)."""
    if not isinstance(sha256, str) or _SHA256.fullmatch(sha256) is None:
        raise ValueError(f"a blob is named by 64 lowercase hex digits, not {sha256!r}")
    return sha256


def blob_row(row: tuple[Any, ...]) -> BlobRow:
    sha256, size, received, complete, owner_id, created_at, touched_at = row
    return BlobRow(sha256, size, received, bool(complete), owner_id, created_at, touched_at)
