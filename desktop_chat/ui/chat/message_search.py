"""The message search panel: type words, see the messages that hold them, open one.

Owns: `SearchResult` (one hit as the panel shows it: sender, chat, snippet,
date), `snippet` (the part of a message around the first word found) and
`MessageSearchDialog`, a non-modal dialog (Ctrl+Shift+F, "Search messages…")
with a query field and a result list. As the person types it emits
`query_changed`; the controller answers with `show_results`. Enter or a
double-click on a result emits `result_activated(conversation_id, msg_id)` and
closes the dialog, so the chat opened at the message is what the person sees.

Never: talk to the client, or open or read anything by itself: showing a
result is not reading it (only seeing its bubble in the chat is).
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.ui.accessible import name_clear_button
from desktop_chat.ui.painting.common import clock_text, day_label, fill, one_line

SNIPPET_CHARS = 80
QUERY_PAUSE_MS = 150


@dataclasses.dataclass(frozen=True)
class SearchResult:
    msg_id: str
    conversation_id: str
    sender: str  # "You" for one's own
    chat: str  # the peer's name or the group's
    text: str
    time_ms: int


def snippet(text: str, query: str, limit: int = SNIPPET_CHARS) -> str:
    """One line of `text` around the first word of `query` it holds, "…" where cut."""
    line = one_line(text)
    if len(line) <= limit:
        return line
    words = [w for w in query.split() if w]
    at = min((line.lower().find(w.lower()) for w in words if w.lower() in line.lower()), default=0)
    start = max(0, min(at - limit // 3, len(line) - limit))
    cut = line[start : start + limit]
    return ("…" if start else "") + cut + ("…" if start + limit < len(line) else "")


class _QueryField(QLineEdit):
    down = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down:
            self.down.emit()
            return
        super().keyPressEvent(event)


class _RoomyRows(QStyledItemDelegate):
    """Rows a little taller than the default: a line with Chinese in it is set in a
    fallback font taller than the list's own, and Qt's hint leaves no room for that,
    so the second line was cut to "…"."""

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), size.height() + option.fontMetrics.height() // 4)


class _Results(QListWidget):
    activated_row = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.setItemDelegate(_RoomyRows(self))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentRow() >= 0:
            self.activated_row.emit(self.currentRow())
            return
        super().keyPressEvent(event)


class MessageSearchDialog(QDialog):
    query_changed = Signal(str)
    result_activated = Signal(str, str)  # conversation_id, msg_id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageSearch")
        self.setWindowTitle(self.tr("Search messages"))
        self.setModal(False)
        self.resize(520, 460)
        self.field = _QueryField()
        self.field.setObjectName("query")
        self.field.setPlaceholderText(self.tr("Search messages in all chats"))
        self.field.setClearButtonEnabled(True)
        self.field.setAccessibleName(self.tr("Search messages"))
        name_clear_button(self.field, self.tr("Clear the search"))
        self.results = _Results()
        self.results.setObjectName("results")
        self.results.setAccessibleName(self.tr("Messages found"))
        self.results.setWordWrap(True)
        self.results.setAlternatingRowColors(True)
        self.results.setSpacing(2)
        self.status = QLabel(self.tr("Type a word to search your messages on this computer."))
        self.status.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.field)
        layout.addWidget(self.status)
        layout.addWidget(self.results, 1)
        self._found: list[SearchResult] = []
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(QUERY_PAUSE_MS)
        self._pause.timeout.connect(lambda: self.query_changed.emit(self.field.text().strip()))
        self.field.textChanged.connect(lambda _text: self._pause.start())
        self.field.returnPressed.connect(self._open_first)
        self.field.down.connect(self._into_results)
        self.results.itemDoubleClicked.connect(lambda item: self._open(self.results.row(item)))
        self.results.activated_row.connect(self._open)

    def search_now(self, query: str) -> None:
        """Put `query` in the field and search without waiting for a pause."""
        self.field.setText(query)
        self._pause.stop()
        self.query_changed.emit(query.strip())

    def show_results(self, query: str, found: list[SearchResult]) -> None:
        self._found = list(found)
        self.results.clear()
        for result in found:
            day, clock = day_label(result.time_ms), clock_text(result.time_ms)
            when = fill(self.tr("%1 %2", "a day, then a time: Today 18:27"), day, clock)
            # The chat, then who said it where it is not plain (you, or a group's member).
            text = snippet(result.text, query)
            if result.sender != result.chat:
                text = fill(self.tr("%1: %2", "who said it: the words"), result.sender, text)
            item = QListWidgetItem(f"{result.chat} · {when}\n{text}")
            item.setToolTip(one_line(result.text)[:400])
            self.results.addItem(item)
        if not query:
            self.status.setText(self.tr("Type a word to search your messages on this computer."))
        elif not found:
            self.status.setText(fill(self.tr("No messages with “%1” on this computer."), query))
        elif len(found) == 1:
            self.status.setText(self.tr("%n message found", "", 1))
        else:
            self.status.setText(self.tr("%n messages found", "", len(found)))

    def found(self) -> list[SearchResult]:
        return list(self._found)

    def _into_results(self) -> None:
        if self.results.count():
            self.results.setFocus()
            self.results.setCurrentRow(0)

    def _open_first(self) -> None:
        if self._found:
            self._open(0)

    def _open(self, row: int) -> None:
        if 0 <= row < len(self._found):
            result = self._found[row]
            self.result_activated.emit(result.conversation_id, result.msg_id)
            self.close()  # the chat, opened at the message, is what the person looks at now
