"""The pinned notice at the top of a group chat.

Owns: `PinView` (what the bar shows: the pinned message's sender, its text, a
state on the right: the owner's or admin's "Read 37/50", a member's own "Not
read yet" / "Read" / "Confirmed", and whether the person may hide it) and
`PinBar`, the bar itself: an accent edge and pin, the sender in bold, the text
elided to one line (whole in the tooltip), the state, and a × to hide it for
oneself, shown only once it may be hidden (an unread announcement stays). A
click, Enter or Space on the bar emits `activated` (jump to the message); the ×
emits `hide_requested`. `visible_share()` is how much of the bar a person can
see now (its area on a screen, 0 while hidden): the bar is a place where the
message can be read, measured as a bubble is.

Never: talk to the client, decide what was read, or pin anything.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QKeyEvent, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from desktop_chat.ui.chat.visibility import on_screen_area
from desktop_chat.ui.painting.common import BubbleColours, fill, one_line


@dataclasses.dataclass(frozen=True)
class PinView:
    msg_id: str
    sender: str
    text: str
    state: str  # "Read 37/50", "Not read yet", "Read", "Confirmed", or ""
    closable: bool  # the person may hide it for themselves (it is read)
    unread: bool = False  # the person has not read it: the state is drawn in the accent


class _PinIcon(QWidget):
    """A small pin, painted in the accent colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(18, 22)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        accent = BubbleColours.from_palette(self.palette()).accent
        pen = QPen(accent, 1.6)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(accent)
        head = QPainterPath()
        head.addRoundedRect(5.0, 3.0, 8.0, 8.0, 2.5, 2.5)
        painter.drawPath(head)
        painter.drawLine(3, 11, 15, 11)
        painter.drawLine(9, 11, 9, 19)


class PinBar(QFrame):
    activated = Signal(str)  # msg_id: show it in the chat
    hide_requested = Signal(str)  # msg_id: hide this pin for me

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pinBar")
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.view: PinView | None = None
        self.sender_label = QLabel()
        self.sender_label.setObjectName("pinSender")
        font = self.sender_label.font()
        font.setWeight(QFont.Weight.DemiBold)
        self.sender_label.setFont(font)
        self.text_label = QLabel()
        self.text_label.setObjectName("pinText")
        self.text_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.state_label = QLabel()
        self.state_label.setObjectName("pinState")
        self.close_button = QToolButton()
        self.close_button.setObjectName("pinClose")
        self.close_button.setText("×")
        self.close_button.setAutoRaise(True)
        self.close_button.setAccessibleName(self.tr("Hide the pinned message"))
        self.close_button.setToolTip(self.tr("Hide it for you (others still see it)"))
        self.close_button.clicked.connect(self._hide_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 6, 4)
        layout.setSpacing(8)
        layout.addWidget(_PinIcon())
        layout.addWidget(self.sender_label)
        layout.addWidget(self.text_label, 1)
        layout.addWidget(self.state_label)
        layout.addWidget(self.close_button)
        self.hide()

    @property
    def msg_id(self) -> str | None:
        return self.view.msg_id if self.view is not None else None

    def show_pin(self, view: PinView | None) -> None:
        """Show this pin (None: the chat has none, or it is hidden for this person)."""
        self.view = view
        if view is None:
            self.hide()
            return
        self.sender_label.setText(view.sender)
        self.text_label.setToolTip(view.text)
        self._elide()
        self.state_label.setText(view.state)
        colours = BubbleColours.from_palette(self.palette())
        self.state_label.setStyleSheet(f"color: {colours.accent.name()};" if view.unread else "")
        self.close_button.setVisible(view.closable)
        tip = self.tr("Pinned message — click to show it in the chat")
        self.setToolTip(tip)
        self.setAccessibleName(self.tr("Pinned message"))
        self.setAccessibleDescription(
            fill(self.tr("%1: %2. %3"), view.sender, one_line(view.text), view.state)
        )
        self.show()

    def visible_share(self) -> float:
        """How much of the bar is on a screen now (0.0 when it is not shown)."""
        if self.view is None or not self.isVisible() or self.width() <= 0:
            return 0.0
        whole = self.width() * self.height()
        rect = QRect(self.mapToGlobal(QPoint(0, 0)), self.size())
        screens = [screen.geometry() for screen in QGuiApplication.screens()]
        return min(1.0, on_screen_area(rect, screens) / whole) if whole else 0.0

    def geometry_key(self) -> tuple:
        """What `visible_share` depends on (the chat view's measure cache)."""
        origin = self.mapToGlobal(QPoint(0, 0)) if self.isVisible() else QPoint()
        return (self.msg_id, self.isVisible(), self.width(), self.height(), origin.x(), origin.y())

    # ------------------------------------------------------------------ Qt

    def _elide(self) -> None:
        if self.view is None:
            return
        width = max(20, self.text_label.width())
        self.text_label.setText(
            self.text_label.fontMetrics().elidedText(
                one_line(self.view.text), Qt.TextElideMode.ElideRight, width
            )
        )

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        colours = BubbleColours.from_palette(self.palette())
        tint = QColor(colours.accent)
        tint.setAlphaF(0.10)
        painter.fillRect(self.rect(), tint)
        painter.fillRect(QRect(0, 0, 3, self.height()), colours.accent)
        if self.hasFocus():
            painter.setPen(QPen(colours.accent, 2))
            painter.drawRect(self.rect().adjusted(1, 1, -1, -1))
        painter.end()
        super().paintEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.msg_id is not None:
            self.activated.emit(self.msg_id)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            if self.msg_id is not None:
                self.activated.emit(self.msg_id)
            return
        super().keyPressEvent(event)

    def _hide_clicked(self) -> None:
        if self.view is not None and self.view.closable:
            self.hide_requested.emit(self.view.msg_id)
