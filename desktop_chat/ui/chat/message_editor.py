"""A message's text, selectable: the read-only editor the message delegate opens.

Owns: `MessageTextEditor`, a frameless, read-only plain-text editor laid over
a bubble's text (double-click or F2 on a message), where the person selects
with mouse or keyboard and copies with Ctrl+C; Escape closes it. It shows the
stored text exactly, line breaks and all.

Never: change a message (the model's data stays as it is), or count as reading
(it only opens over a bubble that is already on screen).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QPlainTextEdit, QWidget


class MessageTextEditor(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageText")
        self.setAccessibleName(self.tr("Message text"))
        self.setReadOnly(True)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.document().setDocumentMargin(0)
        self.setToolTip(self.tr("Select text and press Ctrl+C to copy; Escape closes"))

    def show_text(self, text: str) -> None:
        self.setPlainText(text)
        self.moveCursor(self.textCursor().MoveOperation.Start)
