"""The composer's "Ask for read receipts" toggle, at full width or compact.

Owns: `ReceiptsToggle`, a group owner's or admin's one-send choice in two forms
that share one state: the labelled check box (`check`, where there is room) and
a checkable icon-only tool button (`button`, a double tick, with the same words
as its accessible name and tooltip) that takes the check box's place when the
composer row is narrow, so the text input keeps its width (`fit`). Both are in
the tab order where the toggle stands and Space toggles either. Also
`receipts_icon`.

Never: decide what a send asks for (the chat view reads `isChecked`), or
translate (the chat view passes its words in).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QToolButton, QWidget

from desktop_chat.ui.painting.common import shared_ticks

COMFORTABLE_INPUT = 240  # px: narrower than this beside the check box, go compact


def _ticks(colour: QColor, size: int) -> QPixmap:
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(colour, 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.scale(size / 20, size / 20)  # drawn on a 20 x 20 grid
    painter.translate(2.0, 4.5)  # the double tick is about 16 x 7: centre it
    painter.drawPath(shared_ticks().double)
    painter.end()
    return pixmap


def receipts_icon(off: QColor, on: QColor, size: int = 20) -> QIcon:
    """A double tick (the message's "read" mark): `off`, or `on` while checked."""
    icon = QIcon()
    icon.addPixmap(_ticks(off, size), QIcon.Mode.Normal, QIcon.State.Off)
    icon.addPixmap(_ticks(on, size), QIcon.Mode.Normal, QIcon.State.On)
    return icon


class ReceiptsToggle(QWidget):
    def __init__(self, text: str, hint: str, off: QColor, on: QColor) -> None:
        super().__init__()
        self.setObjectName("receiptsToggle")
        self.check = QCheckBox(text)
        self.check.setToolTip(hint)
        self.button = QToolButton()
        self.button.setObjectName("receiptsButton")
        self.button.setText(text)  # not shown (icon only): what a screen reader says
        self.button.setAccessibleName(text)
        self.button.setToolTip(f"{text}\n{hint}")
        self.button.setIcon(receipts_icon(off, on))
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.button.setCheckable(True)
        self.button.setAutoRaise(True)
        self.button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.button.hide()
        # One state: each follows the other (setChecked to the same value emits nothing).
        self.check.toggled.connect(self.button.setChecked)
        self.button.toggled.connect(self.check.setChecked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.check)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignRight)

    @property
    def compact(self) -> bool:
        return not self.button.isHidden()

    def isChecked(self) -> bool:
        return self.check.isChecked()

    def setChecked(self, checked: bool) -> None:
        self.check.setChecked(checked)

    def set_compact(self, compact: bool) -> None:
        """The icon button (compact) or the labelled check box; the focus goes along."""
        if compact == self.compact:
            return
        shown, hidden = (self.button, self.check) if compact else (self.check, self.button)
        had_focus = hidden.hasFocus()
        shown.show()
        hidden.hide()
        if had_focus:
            shown.setFocus(Qt.FocusReason.OtherFocusReason)

    def minimumSizeHint(self) -> QSize:
        """The compact form's: the row's minimum never waits for the check box."""
        return self.button.sizeHint()

    def fit(self, spare: int) -> None:
        """Compact unless the check box fits in `spare` px (the row's width less what
        the text input and the other controls want)."""
        self.set_compact(self.check.sizeHint().width() > spare)
