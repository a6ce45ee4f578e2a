"""One message row as the delegate reads it from the model's roles.

Owns: `MessageRow`, a frozen snapshot of every role a bubble is measured and
painted from (its text or caption, sender, receipt mark, group counts, the date
and unread lines above it, a reply's quote, a recalled message's notice, and its
file or image with the state of its transfer), and what it derives from them
(`has_tick`, `shows_read_count`, `confirmable`, `sender_line`).

Never: measure, paint, or change a model.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex

from desktop_chat.protocol import Mark
from desktop_chat.ui.chat.attachment_view import AttachmentView, Transfer
from desktop_chat.ui.painting.common import mark_of
from desktop_chat.ui.painting.roles import MessageRole


@dataclasses.dataclass(frozen=True)
class MessageRow:
    """One message row as the delegate reads it from the roles."""

    msg_id: str
    text: str
    sender: str
    outgoing: bool
    time_ms: int
    mark: Mark | None
    delivered_at: int | None
    read_at: int | None
    is_group: bool
    need_group_ack: bool
    group_ack_count: int
    group_member_count: int | None
    show_sender: bool
    banner: str = ""  # a separator above the bubble, e.g. "3 unread messages"
    date: str = ""  # the day's line above the first message of a day: "Today", "3 March"
    notice: str = ""  # a recalled message: "alice recalled a message" instead of a bubble
    edited: bool = False  # "edited" beside the time
    reply_to: str = ""  # the quoted message's id
    reply_sender: str = ""
    reply_text: str = ""
    highlighted: bool = False  # just jumped to
    attachment: AttachmentView | None = None  # its file or image; `text` is then its caption
    transfer: Transfer | None = None  # its file going up or coming down, or failed to
    confirmed_at: int | None = None  # when this user confirmed the announcement (ms)
    confirm_note: str = ""  # the note they confirmed it with

    @classmethod
    def from_index(cls, index: QModelIndex | QPersistentModelIndex) -> MessageRow:
        def get(role: MessageRole) -> Any:
            return index.data(int(role))

        return cls(
            msg_id=str(get(MessageRole.MSG_ID) or ""),
            text=str(get(MessageRole.TEXT) or ""),
            sender=str(get(MessageRole.SENDER) or ""),
            outgoing=bool(get(MessageRole.OUTGOING)),
            time_ms=int(get(MessageRole.TIME) or 0),
            mark=mark_of(get(MessageRole.MARK)),
            delivered_at=get(MessageRole.DELIVERED_AT),
            read_at=get(MessageRole.READ_AT),
            is_group=bool(get(MessageRole.IS_GROUP)),
            need_group_ack=bool(get(MessageRole.NEED_GROUP_ACK)),
            group_ack_count=int(get(MessageRole.GROUP_ACK_COUNT) or 0),
            group_member_count=get(MessageRole.GROUP_MEMBER_COUNT),
            show_sender=bool(get(MessageRole.SHOW_SENDER)),
            banner=str(get(MessageRole.BANNER) or ""),
            date=str(get(MessageRole.DATE) or ""),
            notice=str(get(MessageRole.NOTICE) or ""),
            edited=bool(get(MessageRole.EDITED)),
            reply_to=str(get(MessageRole.REPLY_TO) or ""),
            reply_sender=str(get(MessageRole.REPLY_SENDER) or ""),
            reply_text=str(get(MessageRole.REPLY_TEXT) or ""),
            highlighted=bool(get(MessageRole.HIGHLIGHTED)),
            attachment=get(MessageRole.ATTACHMENT),
            transfer=get(MessageRole.TRANSFER),
            confirmed_at=get(MessageRole.CONFIRMED_AT),
            confirm_note=str(get(MessageRole.CONFIRM_NOTE) or ""),
        )

    @property
    def has_tick(self) -> bool:
        return self.outgoing and self.mark is not None and not self.notice

    @property
    def shows_read_count(self) -> bool:
        """Only a group message that asked for acks and reached the server shows "Read n/m"."""
        return (
            self.outgoing
            and not self.notice
            and self.need_group_ack
            and self.mark is not None
            and self.mark >= Mark.SENT
        )

    @property
    def confirmable(self) -> bool:
        """Someone else's group announcement that asked for read receipts: it shows
        "Confirm" (or, once done, "Confirmed · note") under its text."""
        return (
            not self.outgoing
            and self.is_group
            and self.need_group_ack
            and not self.notice
            and bool(self.msg_id)
        )

    @property
    def sender_line(self) -> str:
        return self.sender if (self.show_sender and not self.outgoing and self.sender) else ""
