"""The round "jump to newest" button that floats over the message list.

Owns: `JumpButton`: a round arrow in the bottom-right corner of a list view's
viewport, with a badge counting the unread messages (`set_count`). It keeps
its place when the view is resized, and only says when it was clicked.

Never: scroll, or decide when it shows (the chat view does both), or count
anything as read: jumping only moves the view; the read rule judges what is
then on screen.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QAbstractScrollArea, QToolButton

SIZE = 44
MARGIN = 14


class JumpButton(QToolButton):
    def __init__(self, view: QAbstractScrollArea) -> None:
        super().__init__(view)
        self._view = view
        self._count = 0
        self.setObjectName("jumpToNewest")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(self.tr("Jump to the newest message (Ctrl+End)"))
        self.setAccessibleName(self.tr("Jump to the newest message"))
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFixedSize(QSize(SIZE, SIZE + 10))
        view.viewport().installEventFilter(self)
        self.hide()

    def set_count(self, count: int) -> None:
        if count != self._count:
            self._count = max(0, count)
            self.update()

    def badge_text(self) -> str:
        if self._count <= 0:
            return ""
        return "99+" if self._count > 99 else str(self._count)

    def place(self) -> None:
        """Bottom-right of the viewport, above its bottom edge."""
        viewport = self._view.viewport()
        corner = viewport.mapTo(self._view, viewport.rect().bottomRight())
        self.move(corner.x() - MARGIN - self.width() + 1, corner.y() - MARGIN - self.height() + 1)
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self.place()
        return False

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            palette = self.palette()
            circle = QRectF(1.0, 11.0, SIZE - 2.0, SIZE - 2.0)
            fill = palette.color(QPalette.ColorRole.Base)
            edge = QColor(palette.color(QPalette.ColorRole.Text))
            edge.setAlphaF(0.18)
            painter.setPen(QPen(edge, 1.0))
            painter.setBrush(fill)
            painter.drawEllipse(circle)
            arrow = QPainterPath()
            centre = circle.center()
            arrow.moveTo(centre + QPointF(-7.0, -3.0))
            arrow.lineTo(centre + QPointF(0.0, 4.0))
            arrow.lineTo(centre + QPointF(7.0, -3.0))
            pen = QPen(palette.color(QPalette.ColorRole.Text), 2.2)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(arrow)
            badge = self.badge_text()
            if badge:
                font = QFont(self.font())
                font.setPixelSize(11)
                font.setBold(True)
                painter.setFont(font)
                width = max(20, painter.fontMetrics().horizontalAdvance(badge) + 10)
                rect = QRect((SIZE - width) // 2, 0, width, 20)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
                painter.drawRoundedRect(QRectF(rect), 10.0, 10.0)
                painter.setPen(palette.color(QPalette.ColorRole.HighlightedText))
                painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), badge)
        finally:
            painter.end()
