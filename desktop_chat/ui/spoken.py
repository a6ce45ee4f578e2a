"""What a screen reader says for one row: a message, or a conversation.

Owns: `message_text` and `conversation_text`, the sentences the models answer
for `Qt.ItemDataRole.AccessibleTextRole` ("bob, 18:27: see you tomorrow",
"You, 18:20: meeting moved. Read by bob at 18:27", "Read by 5 of 9",
"bob, 2 unread messages, last message: hi"). A picture or a file is named with
its caption ("photo cat.jpg, 1200 by 800: at the beach"). The receipt part says what the
delegate draws: the clock (sending), one tick (sent), two ticks (delivered),
blue ticks (read), the red "!" (not sent), a group's "Read n/m" ring, and an
announcement's "Confirm" line (`confirm_text`).
Every sentence is one translatable string with placeholders.

Never: know about a model, a view or a delegate, or decide a message's state
(it reads the state the row already has).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from desktop_chat.client.models import ChatMessage, MessageDirection
from desktop_chat.protocol import Mark
from desktop_chat.ui.chat.attachment_view import attachment_of, spoken_attachment
from desktop_chat.ui.painting.common import clock_text, one_line


def receipt_text(message: ChatMessage) -> str:
    """The receipt state of our own message as its tick shows it, or "" (received)."""
    if message.direction is not MessageDirection.SEND or message.recalled:
        return ""
    mark = message.mark
    if mark is Mark.PENDING:
        return QCoreApplication.translate("SpokenText", "Sending")
    if mark is Mark.FAILED:
        return QCoreApplication.translate("SpokenText", "Not sent")
    if message.need_group_ack:  # the "Read n/m" ring
        members = message.group_member_count
        if members:
            return QCoreApplication.translate("SpokenText", "Read by {read} of {members}").format(
                read=message.group_ack_count, members=members
            )
        return QCoreApplication.translate("SpokenText", "Read by %n", None, message.group_ack_count)
    if mark is Mark.READ:
        if message.is_group:
            return QCoreApplication.translate("SpokenText", "Read")
        when = clock_text(message.read_at)
        if when:
            return QCoreApplication.translate("SpokenText", "Read by {peer} at {time}").format(
                peer=message.to, time=when
            )
        return QCoreApplication.translate("SpokenText", "Read by {peer}").format(peer=message.to)
    if mark is Mark.DELIVERED:
        return QCoreApplication.translate("SpokenText", "Delivered")
    return QCoreApplication.translate("SpokenText", "Sent")


def confirm_text(message: ChatMessage) -> str:
    """A received announcement's "Confirm" line: what is asked, or what this user said."""
    if message.direction is MessageDirection.SEND or message.recalled:
        return ""
    if not (message.is_group and message.need_group_ack):
        return ""
    if message.confirmed_at is None:
        return QCoreApplication.translate(
            "SpokenText", "Asks you to confirm you have read it: press Enter to confirm"
        )
    note = one_line(message.confirm_note or "")
    if note:
        return QCoreApplication.translate("SpokenText", "You confirmed it: {note}").format(
            note=note
        )
    return QCoreApplication.translate("SpokenText", "You confirmed it")


def message_text(message: ChatMessage) -> str:
    """The whole message as one sentence: sender, time, text, then its receipt state."""
    sender = (
        QCoreApplication.translate("SpokenText", "You")
        if message.direction is MessageDirection.SEND
        else message.from_
    )
    time = clock_text(message.sort_time)
    if message.recalled:
        spoken = QCoreApplication.translate(
            "SpokenText", "{time}: {sender} recalled a message"
        ).format(time=time, sender=sender)
    elif message.reply_preview is not None:
        spoken = QCoreApplication.translate(
            "SpokenText", "{sender}, {time}, replying to {quoted}: {text}"
        ).format(
            sender=sender,
            time=time,
            quoted=message.reply_preview.from_,
            text=_content(message),
        )
    else:
        spoken = QCoreApplication.translate("SpokenText", "{sender}, {time}: {text}").format(
            sender=sender, time=time, text=_content(message)
        )
    if message.edited and not message.recalled:
        spoken = QCoreApplication.translate("SpokenText", "{message} (edited)").format(
            message=spoken
        )
    receipt = receipt_text(message) or confirm_text(message)
    if receipt:
        spoken = QCoreApplication.translate("SpokenText", "{message}. {receipt}").format(
            message=spoken, receipt=receipt
        )
    return spoken


def _content(message: ChatMessage) -> str:
    """Its text; a picture or a file is named first ("photo cat.jpg, 1200 by 800: caption")."""
    view = attachment_of(message)
    if view is None:
        return one_line(message.body.content)
    caption = one_line(message.body.content)
    return f"{spoken_attachment(view)}: {caption}" if caption else spoken_attachment(view)


def conversation_text(title: str, last_text: str, unread: int, draft: str, muted: bool) -> str:
    """A conversation row as one sentence: its name, unread count and last line."""
    if draft.strip():
        line = QCoreApplication.translate("SpokenText", "draft: {text}").format(
            text=one_line(draft)
        )
    elif last_text:
        line = QCoreApplication.translate("SpokenText", "last message: {text}").format(
            text=one_line(last_text)
        )
    else:
        line = QCoreApplication.translate("SpokenText", "no messages yet")
    # One string per count form (as the tooltips do): English has no .qm to pick plurals.
    if unread and muted:
        template = (
            QCoreApplication.translate(
                "SpokenText", "{title}, muted, %n unread message, {line}", None, unread
            )
            if unread == 1
            else QCoreApplication.translate(
                "SpokenText", "{title}, muted, %n unread messages, {line}", None, unread
            )
        )
        return template.format(title=title, line=line)
    if unread:
        template = (
            QCoreApplication.translate(
                "SpokenText", "{title}, %n unread message, {line}", None, unread
            )
            if unread == 1
            else QCoreApplication.translate(
                "SpokenText", "{title}, %n unread messages, {line}", None, unread
            )
        )
        return template.format(title=title, line=line)
    if muted:
        return QCoreApplication.translate("SpokenText", "{title}, muted, {line}").format(
            title=title, line=line
        )
    return QCoreApplication.translate("SpokenText", "{title}, {line}").format(
        title=title, line=line
    )
