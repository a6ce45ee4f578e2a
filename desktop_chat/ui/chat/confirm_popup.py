"""The small window a member confirms an announcement in, with an optional note.

Owns: `ConfirmPopup`: the announcement's first line, the quick notes ("OK",
"收到", "Will do": a click puts one in the note line), the note line itself
(limited to the server's note limit in UTF-8 bytes: a counter shows what is left
near the end, and a longer note is refused in words with Send disabled), and
Send / Cancel. Send emits `confirmed(msg_id, note)` ("" for no note) and closes;
Esc or Cancel closes and sends nothing. Every control has a screen-reader name.

Never: talk to the client, or decide whether the message may be confirmed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.ui.painting.common import one_line

DEFAULT_NOTE_BYTES = 1024  # the server's limit unless it says otherwise
COUNTER_FROM = 100  # show the bytes left once fewer than this remain
QUICK_CHINESE = "收到"  # "received": the same quick note in every language


class ConfirmPopup(QDialog):
    """Confirm one announcement, with a quick or typed note."""

    confirmed = Signal(str, str)  # msg_id, note ("" for none)

    def __init__(
        self,
        msg_id: str,
        text: str,
        max_note_bytes: int = DEFAULT_NOTE_BYTES,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.msg_id = msg_id
        self.max_note_bytes = max_note_bytes
        self.setObjectName("confirmPopup")
        self.setWindowTitle(self.tr("Confirm"))
        self.setModal(False)
        title = QLabel(self.tr("Confirm you have read this"))
        font = title.font()
        font.setWeight(QFont.Weight.DemiBold)
        title.setFont(font)
        quoted = QLabel()
        quoted.setObjectName("quoted")
        quoted.setEnabled(False)
        quoted.setText(
            quoted.fontMetrics().elidedText(one_line(text), Qt.TextElideMode.ElideRight, 300)
        )
        quoted.setToolTip(text)
        self.note = QLineEdit()
        self.note.setObjectName("note")
        self.note.setPlaceholderText(self.tr("Add a note (optional)"))
        self.note.setAccessibleName(self.tr("Note"))
        self.note.setClearButtonEnabled(True)
        self.note.textChanged.connect(self._update)
        self.note.returnPressed.connect(self._send)
        self.counter = QLabel()
        self.counter.setObjectName("counter")
        self.counter.setWordWrap(True)
        self.counter.hide()
        self.quick = self._build_quick_notes()
        self.send_button = QPushButton(self.tr("Send"))
        self.send_button.setObjectName("send")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self._send)
        cancel = QPushButton(self.tr("Cancel"))
        cancel.setObjectName("cancel")
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        self._lay_out(title, quoted, cancel)
        self._update()

    def _build_quick_notes(self) -> list[QPushButton]:
        buttons = []
        for text in (self.tr("OK"), QUICK_CHINESE, self.tr("Will do")):
            button = QPushButton(text)
            button.setObjectName("quickNote")
            button.setAutoDefault(False)
            button.setAccessibleName(self.tr("Quick note: %1").replace("%1", text))
            button.setToolTip(self.tr("Use “%1” as the note").replace("%1", text))
            button.clicked.connect(lambda _=False, t=text: self.choose(t))
            buttons.append(button)
        return buttons

    def _lay_out(self, title: QLabel, quoted: QLabel, cancel: QPushButton) -> None:
        quick_row = QHBoxLayout()
        quick_row.setSpacing(6)
        for button in self.quick:
            quick_row.addWidget(button)
        quick_row.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addWidget(quoted)
        layout.addLayout(quick_row)
        layout.addWidget(self.note)
        layout.addWidget(self.counter)
        layout.addLayout(buttons)
        self.setMinimumWidth(340)

    # ------------------------------------------------------------------ what it does

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.note.setFocus()

    def choose(self, text: str) -> None:
        """A quick note: it becomes the note, and Send takes the focus."""
        self.note.setText(text)
        self.send_button.setFocus()

    def note_bytes(self) -> int:
        return len(self.note.text().strip().encode())

    def _update(self, *_args) -> None:
        left = self.max_note_bytes - self.note_bytes()
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        if left < 0:
            self.counter.setText(
                self.tr("This note is %n bytes too long. Shorten it to send.", "", -left)
            )
            self.counter.setStyleSheet(f"color: {'#f28b82' if dark else '#c5221f'};")
            self.counter.show()
        elif left < COUNTER_FROM:
            self.counter.setText(self.tr("%n bytes left", "", left))
            self.counter.setStyleSheet("")
            self.counter.show()
        else:
            self.counter.hide()
        self.send_button.setEnabled(left >= 0)

    def _send(self) -> None:
        if self.note_bytes() > self.max_note_bytes:
            return
        self.confirmed.emit(self.msg_id, self.note.text().strip())
        self.accept()
