"""The window's left pane: the search box and the conversation list, by keyboard too.

Owns: `ChatListPane`: a search field that filters the list by chat name as the
person types (Escape clears it, Enter opens the first match and clears it, Down
moves into the list), the list view over a filter proxy of the `ConversationListModel`,
and which row is current. A click opens a chat (`chosen`); arrow keys, Page
Up/Down, Home and End move through the chats and open each one in turn while
the focus stays in the list (`browsed`); Enter opens the current one and goes
on to writing (`chosen`). The open chat stays the current row when the list
is reordered, reloaded or filtered.

Never: talk to the client, or count anything as read (it only says which chat
the person picked).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QListView, QVBoxLayout, QWidget

from desktop_chat.ui.accessible import name_clear_button
from desktop_chat.ui.conversations.conversation_model import ConversationListModel
from desktop_chat.ui.painting.roles import ConversationRole

_BROWSE_KEYS = frozenset(
    {
        Qt.Key.Key_Up,
        Qt.Key.Key_Down,
        Qt.Key.Key_PageUp,
        Qt.Key.Key_PageDown,
        Qt.Key.Key_Home,
        Qt.Key.Key_End,
    }
)


class _ConversationList(QListView):
    browsed = Signal(QModelIndex)  # moved to a row with the keyboard
    chosen = Signal(QModelIndex)  # Enter on a row

    def focusInEvent(self, event) -> None:
        had_current = self.currentIndex().isValid()
        super().focusInEvent(event)
        if not had_current:
            # Qt makes the first row current on focus: a highlight on a chat that is not
            # open. Nothing is current until the person moves to a row (which opens it).
            self.setCurrentIndex(QModelIndex())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.chosen.emit(self.currentIndex())
            return
        before = self.currentIndex()
        super().keyPressEvent(event)
        browsing = event.key() in _BROWSE_KEYS and not event.modifiers()
        if browsing and self.currentIndex().isValid() and self.currentIndex() != before:
            self.browsed.emit(self.currentIndex())


class _SearchField(QLineEdit):
    escaped = Signal()
    down = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
            return
        if event.key() == Qt.Key.Key_Down:
            self.down.emit()
            return
        super().keyPressEvent(event)


class ChatListPane(QWidget):
    chosen = Signal(str)  # open this chat and go on to writing (click, Enter)
    browsed = Signal(str)  # open this chat, the focus stays where it is (arrow keys)
    menu_requested = Signal(str, QPoint)  # conversation_id, where (global): its menu

    def __init__(self, conversations: ConversationListModel, delegate=None, parent=None):
        super().__init__(parent)
        self.conversations = conversations
        self.open_id: str | None = None
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(conversations)
        self.proxy.setFilterRole(int(ConversationRole.TITLE))
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

        self.search = _SearchField()
        self.search.setObjectName("search")
        self.search.setPlaceholderText(self.tr("Search chats  (Ctrl+K)"))
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(self.tr("Search chats"))
        name_clear_button(self.search, self.tr("Clear the search"))
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._open_first_match)
        self.search.escaped.connect(self._escape)
        self.search.down.connect(self._into_list)
        self.hint = QLabel()
        self.hint.setObjectName("searchHint")
        self.hint.setEnabled(False)
        self.hint.setWordWrap(True)
        self.hint.hide()

        self.list = _ConversationList()
        self.list.setModel(self.proxy)
        if delegate is not None:
            self.list.setItemDelegate(delegate)
        self.list.setUniformItemSizes(True)
        self.list.setAccessibleName(self.tr("Chats"))
        self.list.setFrameShape(QListView.Shape.NoFrame)
        self.list.clicked.connect(lambda index: self._emit(self.chosen, index))
        self.list.browsed.connect(lambda index: self._emit(self.browsed, index))
        self.list.chosen.connect(lambda index: self._emit(self.chosen, index))
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.setFocusProxy(self.list)
        for signal in (self.proxy.modelReset, self.proxy.layoutChanged, self.proxy.rowsInserted):
            signal.connect(self._keep_current)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.hint)
        layout.addWidget(self.list, 1)

    # ------------------------------------------------------------------ what it shows

    def _menu(self, pos: QPoint) -> None:
        index = self.list.indexAt(pos)
        if not index.isValid():
            index = self.list.currentIndex()
            if not index.isValid():
                return
            pos = self.list.visualRect(index).center()
        conversation_id = str(index.data(int(ConversationRole.CONVERSATION_ID)) or "")
        self.menu_requested.emit(conversation_id, self.list.viewport().mapToGlobal(pos))

    def select(self, conversation_id: str | None) -> None:
        """Make the open chat the current row (where the filter shows it)."""
        self.open_id = conversation_id
        self._keep_current()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def step(self, delta: int) -> None:
        """Open the chat `delta` rows below (above, if negative) the open one."""
        rows = self.proxy.rowCount()
        if not rows:
            return
        current = self._proxy_row(self.open_id)
        row = 0 if current is None else min(max(current + delta, 0), rows - 1)
        if row != current:
            self._emit(self.browsed, self.proxy.index(row, 0))

    # ------------------------------------------------------------------ internals

    def _emit(self, signal, index: QModelIndex) -> None:
        conversation_id = index.data(int(ConversationRole.CONVERSATION_ID))
        if conversation_id:
            signal.emit(str(conversation_id))

    def _proxy_row(self, conversation_id: str | None) -> int | None:
        if conversation_id is None:
            return None
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data(int(ConversationRole.CONVERSATION_ID)) == conversation_id:
                return row
        return None

    def _keep_current(self, *_args) -> None:
        row = self._proxy_row(self.open_id)
        # The open chat is the current row, or none is (never a chat that is not open).
        self.list.setCurrentIndex(self.proxy.index(row, 0) if row is not None else QModelIndex())

    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        empty = bool(text.strip()) and self.proxy.rowCount() == 0
        self.hint.setText(
            self.tr("No chats match “{text}”.").format(text=text.strip()) if empty else ""
        )
        self.hint.setVisible(empty)
        self._keep_current()

    def _open_first_match(self) -> None:
        if self.proxy.rowCount():
            index = self.proxy.index(0, 0)
            conversation_id = index.data(int(ConversationRole.CONVERSATION_ID))
            self.search.clear()  # found: the whole list again, as after any search
            self.select(conversation_id)
            self.chosen.emit(str(conversation_id))

    def _escape(self) -> None:
        if self.search.text():
            self.search.clear()
        else:
            self.list.setFocus()

    def _into_list(self) -> None:
        self.list.setFocus()
        if not self.list.currentIndex().isValid() and self.proxy.rowCount():
            self.list.setCurrentIndex(self.proxy.index(0, 0))
