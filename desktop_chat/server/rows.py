"""The rows the store hands out: plain frozen values, one per table it reads.

Owns: `MessageRow` (with `MESSAGE_COLUMNS`, the SELECT list in field order, and
`message_row`, which turns a fetched tuple into one), `DeviceRow`, `GroupRow` and
`AckRow`. `store` re-exports them.

Never: query anything, or hold behaviour beyond building a row.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MessageRow:
    id: int
    msg_id: str
    conv_id: int
    conv_seq: int
    chat_type: str
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

    @property
    def recalled(self) -> bool:
        return self.recalled_at is not None


MESSAGE_COLUMNS = ", ".join(MessageRow.__dataclass_fields__)
_MESSAGE_FLAGS = tuple(
    index
    for index, name in enumerate(MessageRow.__dataclass_fields__)
    if name.startswith("need_") or name == "recipient_read"
)


def message_row(row: tuple) -> MessageRow:
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
class GroupRow:
    id: int
    name: str
    owner_id: int
    ack_policy: str
    created_at: int


@dataclass(frozen=True, slots=True)
class AckRow:
    ack_id: int
    user_id: int
    content: str | None
    read_count: int
    created_at: int
