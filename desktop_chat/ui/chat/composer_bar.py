"""The bar above the composer while a person replies to or edits a message.

Owns: `ComposerBar`: "Replying to bob: first line…" or "Editing", and a × that
cancels (`cancelled`); which message it is about (`msg_id`, `mode`).

Never: send anything or talk to the client (the chat view decides what Enter does).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from desktop_chat.ui.painting.common import fill

REPLY, EDIT = "reply", "edit"


def first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else ""


class ComposerBar(QFrame):
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composerBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.mode: str | None = None
        self.msg_id: str | None = None
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setMinimumWidth(40)
        self.close_button = QToolButton()
        self.close_button.setText("×")
        self.close_button.setToolTip(self.tr("Cancel (Esc)"))
        self.close_button.setAutoRaise(True)
        self.close_button.setAccessibleName(self.tr("Cancel the reply or the edit"))
        self.close_button.clicked.connect(self.cancelled)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 2, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button)
        self.hide()

    def show_reply(self, msg_id: str, sender: str, text: str) -> None:
        self.mode, self.msg_id = REPLY, msg_id
        line = first_line(text)
        metrics = self.label.fontMetrics()
        self.label.setText(
            metrics.elidedText(
                fill(self.tr("Replying to %1: %2"), sender, line),
                Qt.TextElideMode.ElideRight,
                520,
            )
        )
        self.show()

    def show_edit(self, msg_id: str) -> None:
        self.mode, self.msg_id = EDIT, msg_id
        self.label.setText(self.tr("Editing — Enter saves, Esc cancels"))
        self.show()

    def clear(self) -> None:
        self.mode = self.msg_id = None
        self.hide()
