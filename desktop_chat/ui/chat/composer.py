"""The message composer: where a person writes, and how it sends.

Owns: `Composer`, a plain-text editor that grows with its content up to
`MAX_LINES` lines and then scrolls; Enter sends (`submitted`), Shift+Enter
breaks the line; Esc cancels a reply or an edit (`escaped`); Tab and Shift+Tab
move the focus (a messenger has no use for a tab character); pasting keeps the
line breaks of plain text and turns rich text into plain text, and files or a
picture pasted or dropped on it are handed on (`attachment_given`); `edited` tells
when the person changed the text (not when the program set it), so drafts
follow only what the person typed.

Never: talk to the client, or strip what the person typed (the caller decides
what to send).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QPlainTextEdit, QSizePolicy, QWidget

from desktop_chat.ui.chat.attach import carries_attachment

MAX_LINES = 5


class Composer(QPlainTextEdit):
    submitted = Signal()
    escaped = Signal()  # Esc: cancel a reply or an edit
    edited = Signal(str)  # the text, after the person changed it
    attachment_given = Signal(QMimeData)  # files or a picture pasted or dropped here

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setAccessibleName(self.tr("Message to send"))
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self._programmatic = False
        self.cancellable = False  # Esc means something (a reply or an edit is open)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self.textChanged.connect(self._changed)
        self._fit()

    # ------------------------------------------------------------------ text

    def set_text(self, text: str) -> None:
        """Show `text` (a saved draft, or nothing) without counting it as an edit."""
        self._programmatic = True
        try:
            self.setPlainText(text)
            self.moveCursor(self.textCursor().MoveOperation.End)
        finally:
            self._programmatic = False
        self._fit()

    def _changed(self) -> None:
        if not self._programmatic:
            self.edited.emit(self.toPlainText())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.textCursor().insertText("\n")
                return
            self.submitted.emit()
            return
        if event.key() == Qt.Key.Key_Escape and self.cancellable:
            self.escaped.emit()
            return
        super().keyPressEvent(event)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return (
            source.hasText() or carries_attachment(source) or super().canInsertFromMimeData(source)
        )

    def insertFromMimeData(self, source: QMimeData) -> None:
        """Paste as plain text: rich text loses its formatting, keeps its line breaks.
        Files or a picture (a screenshot) are handed on, to be sent as such."""
        if carries_attachment(source):
            self.attachment_given.emit(source)  # handled at once: the data lives until then
            return
        if source.hasText():
            self.textCursor().insertText(source.text().replace("\r\n", "\n"))

    # ------------------------------------------------------------------ size

    def line_count(self) -> int:
        """Lines as laid out now (a wrapped paragraph counts each of its lines)."""
        return max(1, math.ceil(self.document().documentLayout().documentSize().height()))

    def height_for(self, lines: int) -> int:
        margins = self.contentsMargins()
        return round(
            lines * self.fontMetrics().lineSpacing()
            + 2 * self.document().documentMargin()
            + margins.top()
            + margins.bottom()
            + 2 * self.frameWidth()
            + 2
        )

    def _fit(self, *_args) -> None:
        lines = self.line_count()
        # No scroll bar until the text outgrows MAX_LINES (an empty box shows none).
        self.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAsNeeded
            if lines > MAX_LINES
            else Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        height = self.height_for(min(lines, MAX_LINES))
        if height != self.height():
            self.setFixedHeight(height)
