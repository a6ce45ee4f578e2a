"""What a message's tooltips say: the receipt tick's times and the "Read n/m" ring's count.

Owns: `receipt_tooltip` ("Sent 18:27:05", "Delivered …", "Read …", "Sending…",
"Not sent — click to retry") and `read_count_tooltip` ("Read by 5 of 9 members —
click for details") and `confirm_tooltip` (an announcement's "Confirm"), as
translatable sentences (context "MessageTooltip").

Never: paint, read a model, or decide a message's state: the caller passes the
mark and the times it shows.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QCoreApplication

from desktop_chat.protocol import Mark
from desktop_chat.ui.painting.common import fill


def _clock_seconds(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000).strftime("%H:%M:%S")


def receipt_tooltip(
    mark: Mark | None, sent_ms: int | None, delivered_ms: int | None, read_ms: int | None
) -> str:
    """What the tick's tooltip says: the sent, delivered and read times that are known."""
    if mark is Mark.PENDING:
        return QCoreApplication.translate("MessageTooltip", "Sending…")
    if mark is Mark.FAILED:
        return QCoreApplication.translate("MessageTooltip", "Not sent — click to retry")
    lines = []
    if sent_ms:
        lines.append(
            fill(QCoreApplication.translate("MessageTooltip", "Sent %1"), _clock_seconds(sent_ms))
        )
    if delivered_ms and mark is not None and mark >= Mark.DELIVERED:
        lines.append(
            fill(
                QCoreApplication.translate("MessageTooltip", "Delivered %1"),
                _clock_seconds(delivered_ms),
            )
        )
    if read_ms and mark is Mark.READ:
        lines.append(
            fill(QCoreApplication.translate("MessageTooltip", "Read %1"), _clock_seconds(read_ms))
        )
    return "\n".join(lines)


def read_count_tooltip(read: int, members: int | None) -> str:
    if members:
        template = QCoreApplication.translate(
            "MessageTooltip", "Read by %1 of %2 members — click for details"
        )
        return fill(template, read, members)
    if read == 1:
        template = QCoreApplication.translate(
            "MessageTooltip", "Read by %n member — click for details", "", read
        )
    else:
        template = QCoreApplication.translate(
            "MessageTooltip", "Read by %n members — click for details", "", read
        )
    return template


def confirm_tooltip(confirmed_ms: int | None, note: str) -> str:
    """The "Confirm" pill's tooltip, or once confirmed, when and with which note."""
    if confirmed_ms is None:
        return QCoreApplication.translate(
            "MessageTooltip", "Tell the sender you have read this, with a short note if you like"
        )
    when = datetime.fromtimestamp(confirmed_ms / 1000).strftime("%d %b %H:%M:%S")
    text = fill(QCoreApplication.translate("MessageTooltip", "You confirmed it %1"), when)
    return f"{text}\n“{note}”" if note else text
