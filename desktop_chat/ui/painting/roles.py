"""The item-data roles of the app's models, shared by models, delegates and views.

Owns: `MessageRole` and `ConversationRole`. A delegate reads a row only through
these roles; a model answers every one of them.

Never: import anything but Qt's enum values.
"""

from __future__ import annotations

import enum

from PySide6.QtCore import Qt

_USER = int(Qt.ItemDataRole.UserRole)


class MessageRole(enum.IntEnum):
    MSG_ID = _USER + 2  # str
    TEXT = _USER + 3  # str
    SENDER = _USER + 4  # str (username)
    OUTGOING = _USER + 5  # bool: sent by this user
    TIME = _USER + 6  # int ms: server time, or local time while pending
    MARK = _USER + 7  # protocol.Mark: PENDING, SENT, DELIVERED, READ, FAILED
    DELIVERED_AT = _USER + 8  # int ms | None
    READ_AT = _USER + 9  # int ms | None
    IS_GROUP = _USER + 10  # bool
    NEED_GROUP_ACK = _USER + 11  # bool
    GROUP_ACK_COUNT = _USER + 12  # int: "Read n/m" n
    GROUP_MEMBER_COUNT = _USER + 13  # int | None: "Read n/m" m (members at send time)
    GROUP_DELIVERED_COUNT = _USER + 14  # int
    RECIPIENT_READ = _USER + 15  # bool: received and read by this user
    SHOW_SENDER = _USER + 16  # bool: group message whose sender differs from the row above
    BANNER = _USER + 17  # str: a separator drawn above the bubble ("3 unread messages"), or ""
    DATE = _USER + 18  # str: the day above the first message of a day ("Today", "3 March"), or ""
    NOTICE = _USER + 19  # str: a recalled message's quiet line ("alice recalled a message"), or ""
    EDITED = _USER + 20  # bool: its sender changed its text
    REPLY_TO = _USER + 21  # str: the msg_id this message answers, or ""
    REPLY_SENDER = _USER + 22  # str: who wrote the quoted message, or ""
    REPLY_TEXT = _USER + 23  # str: the quoted message's first line ("" when recalled: see below)
    HIGHLIGHTED = _USER + 24  # bool: briefly marked after a jump to it (a quote, a search hit)
    ATTACHMENT = _USER + 25  # attachment_view.AttachmentView | None: its file or image
    TRANSFER = _USER + 26  # attachment_view.Transfer | None: its file going up or down, or failed
    CONFIRMED_AT = _USER + 27  # int ms | None: when this user confirmed an announcement
    CONFIRM_NOTE = _USER + 28  # str: the note this user confirmed it with, or ""


class ConversationRole(enum.IntEnum):
    CONVERSATION_ID = _USER + 1  # str
    TITLE = _USER + 2  # str: peer username or group name
    IS_GROUP = _USER + 3  # bool
    LAST_TEXT = _USER + 4  # str
    LAST_TIME = _USER + 5  # int ms | 0
    UNREAD = _USER + 6  # int
    LAST_OUTGOING_MARK = _USER + 7  # protocol.Mark | None: tick of our last message, if last
    DRAFT = _USER + 8  # str: the unsent text the person left in this chat, or ""
    MUTED = _USER + 9  # bool: notifications off (the badge is grey; unread still counts)
