"""The "Confirm" line under a group announcement that asks for read receipts.

Owns: `ConfirmBox` (where the line goes in a bubble, what it says, whether it is
done), `measure_confirm` (its size for a row, before the bubble is placed) and
`paint_confirm`: before the person confirms, an outlined accent pill "✓ Confirm"
(the clickable part: the view hit-tests `ConfirmBox.rect`); after, a quiet
accent line "✓ Confirmed · <note>", elided to the bubble. Its words are the
"MessageBubble" context's, cached per language (`translated_cache`).

Never: decide whether a message may be confirmed (`MessageRow.confirmable`),
open the popup, or talk to the client.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QCoreApplication, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen

from desktop_chat.ui.chat.message_row import MessageRow
from desktop_chat.ui.painting.common import BubbleColours, Fonts, fill, one_line, translated_cache

CHECK_W = 12  # px of the check mark and its gap before the words
PILL_PAD_X = 10
PILL_PAD_Y = 4
GAP_ABOVE = 6  # between the text (or time line) and the confirm line


@translated_cache
def confirm_label() -> str:
    return QCoreApplication.translate("MessageBubble", "Confirm")


@translated_cache
def confirmed_label(note: str) -> str:
    """ "Confirmed", or "Confirmed · 收到" with the person's note."""
    if note:
        return fill(QCoreApplication.translate("MessageBubble", "Confirmed · %1"), one_line(note))
    return QCoreApplication.translate("MessageBubble", "Confirmed")


@dataclasses.dataclass(frozen=True)
class ConfirmBox:
    rect: QRect  # the pill (clickable) or the confirmed line, in row coordinates
    text: str  # the words drawn, already elided
    done: bool  # confirmed: a quiet line, no longer a button

    def translated(self, dx: int, dy: int) -> ConfirmBox:
        return dataclasses.replace(self, rect=self.rect.translated(dx, dy))


def measure_confirm(fonts: Fonts, row: MessageRow, text_max: int) -> ConfirmBox | None:
    """The confirm line of `row` at (0, 0), or None when it has none."""
    if not row.confirmable:
        return None
    metrics = fonts.small_fm
    height = metrics.height() + 2 * PILL_PAD_Y
    if row.confirmed_at is None:
        text = confirm_label()
        width = CHECK_W + fonts.badge_fm.horizontalAdvance(text) + 2 * PILL_PAD_X
        return ConfirmBox(QRect(0, 0, width, height), text, False)
    text = metrics.elidedText(
        confirmed_label(row.confirm_note), Qt.TextElideMode.ElideRight, max(20, text_max - CHECK_W)
    )
    width = CHECK_W + metrics.horizontalAdvance(text) + 2
    return ConfirmBox(QRect(0, 0, width, height), text, True)


def _check_path(x: float, y: float) -> QPainterPath:
    path = QPainterPath(QPointF(x, y))
    path.lineTo(x + 2.8, y + 2.8)
    path.lineTo(x + 8.0, y - 3.2)
    return path


def paint_confirm(
    painter: QPainter, box: ConfirmBox, fonts: Fonts, colours: BubbleColours, focused: bool
) -> None:
    """The pill "✓ Confirm", or the line "✓ Confirmed · note" (the painter is in row
    coordinates; its pen and brush are left changed)."""
    rect = QRectF(box.rect)
    accent = colours.accent
    left = rect.left()
    if not box.done:
        tint = QColor(accent)
        tint.setAlphaF(0.14)
        painter.setBrush(tint)
        painter.setPen(QPen(accent, 2.0 if focused else 1.2))
        painter.drawRoundedRect(
            rect.adjusted(0.5, 0.5, -0.5, -0.5), rect.height() / 2, rect.height() / 2
        )
        left += PILL_PAD_X
    check = QPen(accent, 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    check.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(check)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(_check_path(left, rect.center().y() + 0.5))
    painter.setFont(fonts.badge if not box.done else fonts.small)
    painter.setPen(accent)
    painter.drawText(
        QRectF(left + CHECK_W, rect.top(), rect.right() - left - CHECK_W, rect.height()),
        int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
        box.text,
    )
