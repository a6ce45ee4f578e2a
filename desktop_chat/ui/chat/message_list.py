"""The chat view's message list: a `QListView` that repaints receipts cheaply and
is driven by the keyboard.

Owns: `MessageList`. A change the model names with `PAINT_ONLY_ROLES` (a
receipt) only repaints the rows' rectangles, instead of the layout pass Qt runs
over every loaded row of a variable-height list. Tab reaches the messages
(starting at the newest); arrows move between them, Ctrl+C copies one, Enter
opens its "Read n/m", retries a failed one or opens an announcement's
"Confirm" (what a click on the delegate's ring, red "!" or pill does), and the
Menu key, Shift+F10 or a right click asks for its menu (`menu_requested`). Page
Up, Page Down, Home and End scroll it; Page Up and Page Down do so from the
composer too (`scroll_keys_from`). Receipt repaints still tell screen readers
that the row's text changed.

Never: talk to the client, change the model, or decide a message's state.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import (
    QAccessible,
    QAccessibleTableModelChangeEvent,
    QContextMenuEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
)
from PySide6.QtWidgets import QAbstractSlider, QListView, QWidget

from desktop_chat.protocol import Mark
from desktop_chat.ui.chat.message_layout import MessageRow
from desktop_chat.ui.chat.message_model import PAINT_ONLY_ROLES
from desktop_chat.ui.painting.roles import MessageRole

_SCROLL_KEYS = {
    Qt.Key.Key_PageUp: QAbstractSlider.SliderAction.SliderPageStepSub,
    Qt.Key.Key_PageDown: QAbstractSlider.SliderAction.SliderPageStepAdd,
    Qt.Key.Key_Home: QAbstractSlider.SliderAction.SliderToMinimum,
    Qt.Key.Key_End: QAbstractSlider.SliderAction.SliderToMaximum,
}
_PAGE_KEYS = (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)  # the composer keeps Home and End


def _unmodified(event: QKeyEvent) -> bool:
    # Ctrl+Page Up/Down switch chats and Ctrl+End jumps to the newest: not ours.
    return not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier


class MessageList(QListView):
    """A list view that repaints a receipt's row without laying out every row again.

    QListView answers any dataChanged with a full layout pass when rows have
    variable heights: a size hint for every loaded row, per receipt. Changes that
    cannot move a row's size (the model names them with PAINT_ONLY_ROLES) only
    repaint the rows' rectangles.
    """

    menu_requested = Signal(str, QPoint)  # msg_id, where (global): the message's menu

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Messages"))
        self.setAccessibleDescription(
            self.tr("Arrows move between messages; Page Up and Page Down scroll")
        )

    def scroll_keys_from(self, widget: QWidget) -> None:
        """Let Page Up and Page Down pressed in `widget` (the composer) scroll the list."""
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = Qt.Key(event.key())
            if key in _PAGE_KEYS and _unmodified(event):
                self.verticalScrollBar().triggerAction(_SCROLL_KEYS[key])
                return True
        return super().eventFilter(watched, event)

    def _scroll_by_key(self, key: Qt.Key) -> None:
        """Page or jump the list, then make the row at the edge it moved toward current
        (so arrows and Enter go on from what is on screen)."""
        self.verticalScrollBar().triggerAction(_SCROLL_KEYS[key])
        viewport = self.viewport().rect()
        towards_top = key in (Qt.Key.Key_PageUp, Qt.Key.Key_Home)
        edge = viewport.topLeft() if towards_top else viewport.bottomLeft()
        index = self.indexAt(edge + QPoint(viewport.width() // 2, 1 if towards_top else -1))
        if index.isValid():
            self.setCurrentIndex(index)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if event.reason() == QContextMenuEvent.Reason.Mouse:
            index = self.indexAt(event.pos())
        else:
            index = self.currentIndex()
        if index.isValid():
            self._menu_at(
                index,
                event.globalPos() if event.reason() == QContextMenuEvent.Reason.Mouse else None,
            )

    def _menu_at(self, index, global_pos: QPoint | None = None) -> None:
        if global_pos is None:  # from the keyboard: at the message's bubble
            rect = self.visualRect(index)
            global_pos = self.viewport().mapToGlobal(rect.center())
        self.menu_requested.emit(str(index.data(int(MessageRole.MSG_ID)) or ""), global_pos)

    def dataChanged(self, top_left, bottom_right, roles=()) -> None:
        if roles and set(roles) <= PAINT_ONLY_ROLES:
            viewport = self.viewport()
            visible = viewport.rect()
            for row in range(top_left.row(), bottom_right.row() + 1):
                rect = self.visualRect(self.model().index(row, 0))
                if rect.intersects(visible):
                    viewport.update(rect)
            if QAccessible.isActive():  # a receipt changes what the row says
                change = QAccessibleTableModelChangeEvent(
                    self, QAccessibleTableModelChangeEvent.ModelChangeType.DataChanged
                )
                change.setFirstRow(top_left.row())
                change.setLastRow(bottom_right.row())
                change.setFirstColumn(0)
                change.setLastColumn(0)
                QAccessible.updateAccessibility(change)
            return
        super().dataChanged(top_left, bottom_right, roles)

    # -- the keyboard: Tab reaches the messages; arrows move, Ctrl+C copies, F2 selects

    def focusInEvent(self, event) -> None:
        had_current = self.currentIndex().isValid()
        super().focusInEvent(event)  # Qt makes the oldest loaded row current
        rows = self.model().rowCount() if self.model() is not None else 0
        if rows and not had_current:
            self.setCurrentIndex(self.model().index(rows - 1, 0))  # start at the newest

    def keyPressEvent(self, event: QKeyEvent) -> None:
        index = self.currentIndex()
        menu_key = event.key() == Qt.Key.Key_Menu or (
            event.key() == Qt.Key.Key_F10 and event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        )
        if menu_key and index.isValid():
            self._menu_at(index)
            return
        if event.matches(QKeySequence.StandardKey.Copy) and index.isValid():
            QGuiApplication.clipboard().setText(str(index.data(int(MessageRole.TEXT)) or ""))
            return
        if event.key() in _SCROLL_KEYS and _unmodified(event):
            self._scroll_by_key(Qt.Key(event.key()))
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and index.isValid():
            # What a click on the bubble's "Read n/m" or red "!" does.
            row = MessageRow.from_index(index)
            delegate = self.itemDelegate()
            if row.shows_read_count and hasattr(delegate, "read_count_clicked"):
                delegate.read_count_clicked.emit(row.msg_id)
            elif row.mark is Mark.FAILED and hasattr(delegate, "retry_clicked"):
                delegate.retry_clicked.emit(row.msg_id)
            elif row.confirmable and hasattr(delegate, "confirm_clicked"):
                delegate.confirm_clicked.emit(row.msg_id)  # an announcement's "Confirm"
            return
        super().keyPressEvent(event)
