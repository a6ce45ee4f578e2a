"""The open chat: header, message list, and composer.

Owns: `ChatView`, which shows a `MessageListModel` through a
`message_list.MessageList` (a `QListView`) with the message delegate, keeps the
view at the bottom when new messages arrive (unless the person scrolled up to
read history), measures how much of each bubble is inside the viewport
(`visible_fractions`, the read-ack controller's eyes), and a composer
(`composer.Composer`) that emits `send_requested` and, as the person types,
`draft_edited`. In groups, owners and admins see an "Ask for read receipts"
toggle (`receipts_toggle.ReceiptsToggle`: a labelled check box, or a compact
icon button when the row is narrow, so the text input keeps at least
`MIN_INPUT` px); others don't. While the newest message is out of view a "jump to
newest" button (`jump_button.JumpButton`, Ctrl+End) floats over the list with
the chat's unread count. The messages are reachable by Tab (the list's keyboard
is `MessageList`'s): arrows move between them, Ctrl+C copies one, F2 or a
double-click opens its text for selecting (the delegate's read-only editor),
Enter opens its "Read n/m" or retries a failed one, and the Menu key or
Shift+F10 opens its menu (as a right click does: `menu_requested`). Files and
pictures come in by the paperclip (Ctrl+Shift+O), a drop anywhere on the chat, or
a paste into the composer, through `attach.Attacher`'s preview, and go out as
`attach_requested`. A group's pinned message shows in `pin_bar` under the header
(it counts in `visible_fractions` as far as it is on screen). A reply or
an edit shows a bar above the composer (`composer_bar.ComposerBar`; Esc or ×
cancels); Enter then emits `reply_requested` or `edit_requested`. The header's
subtitle says "bob is typing…" for a few seconds after `show_typing`; `reveal`
scrolls to a message and highlights it briefly.

Never: talk to the client, or decide that anything was read.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QPalette,
    QResizeEvent,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.ui.chat.attach import Attacher, carries_attachment
from desktop_chat.ui.chat.composer import Composer
from desktop_chat.ui.chat.composer_bar import EDIT, REPLY, ComposerBar
from desktop_chat.ui.chat.jump_button import JumpButton
from desktop_chat.ui.chat.message_list import MessageList
from desktop_chat.ui.chat.message_model import MessageListModel
from desktop_chat.ui.chat.pin_bar import PinBar
from desktop_chat.ui.chat.receipts_toggle import COMFORTABLE_INPUT, ReceiptsToggle
from desktop_chat.ui.chat.visibility import SeenMeter
from desktop_chat.ui.painting.roles import MessageRole

TYPING_SHOWN_MS = 5000
HIGHLIGHT_MS = 1500
# px: the composer never gets narrower (the toggle goes compact first); with the
# paperclip and Send this keeps the chat pane's minimum, so the window's, as it was.
MIN_INPUT = 140


class ChatView(QWidget):
    send_requested = Signal(str, bool)  # text, need_group_ack
    info_requested = Signal()  # the group's members and roles
    visibility_changed = Signal()  # scrolled, resized or rows changed: check what is seen
    draft_edited = Signal(str)  # the person changed the composer's text
    reply_requested = Signal(str, bool, str)  # text, need_group_ack, the quoted msg_id
    edit_requested = Signal(str, str)  # msg_id, its new text
    menu_requested = Signal(str, QPoint)  # msg_id, where (global): open the message's menu
    mute_requested = Signal(bool)  # mute (True) or unmute the open chat
    attach_requested = Signal(list, str, bool)  # file paths, the caption, need_group_ack

    def __init__(self, model: MessageListModel, delegate=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self._build_titles()
        self._build_list(model, delegate)
        self._build_composer()
        self._build_timers()
        self.list.menu_requested.connect(self.menu_requested)
        self._build_buttons()
        self._lay_out()
        self._build_jump_button()
        self._follow_scrolling(model)

    def _build_titles(self) -> None:
        """The header's title (bold, a little larger) and its quieter subtitle."""
        self.title = QLabel()
        self.title.setObjectName("chatTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.title.setFont(font)
        self.subtitle = QLabel()
        self.subtitle.setObjectName("chatSubtitle")
        self.subtitle.setEnabled(False)

    def _build_list(self, model: MessageListModel, delegate) -> None:
        """The message list: per-pixel scrolling, Tab focus, F2 or a double-click edits."""
        self.list = MessageList()
        self.list.setModel(model)
        if delegate is not None:
            self.list.setItemDelegate(delegate)
            if hasattr(delegate, "pictures_loaded"):  # a picture decoded: paint it
                delegate.pictures_loaded.connect(lambda _path: self.list.viewport().update())
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        # Tab reaches the messages; a click leaves the focus in the composer.
        self.list.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.list.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setWordWrap(True)
        self.list.setMouseTracking(True)
        self.list.setFrameShape(QListView.Shape.NoFrame)

    def _build_composer(self) -> None:
        """The composer and the reply/edit bar above it."""
        self.composer = Composer()
        self.composer.setMinimumWidth(MIN_INPUT)
        self.list.scroll_keys_from(self.composer)
        self.composer.setPlaceholderText(self.tr("Write a message…"))
        self.composer.setToolTip(self.tr("Enter sends; Shift+Enter starts a new line"))
        self.composer.submitted.connect(self._submit)
        self.composer.edited.connect(self.draft_edited)
        self.composer.escaped.connect(self.cancel_bar)
        self.bar = ComposerBar()
        self.bar.cancelled.connect(self.cancel_bar)
        self._draft_before_edit = ""
        self.attacher = Attacher(self, self.palette().color(self.foregroundRole()))
        self.attacher.chosen.connect(
            lambda paths, caption: self.attach_requested.emit(paths, caption, self._need_ack())
        )
        self.composer.attachment_given.connect(self.attacher.take)
        self.setAcceptDrops(True)  # files dropped anywhere on the chat
        attach = QShortcut(QKeySequence("Ctrl+Shift+O"), self)
        attach.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        attach.activated.connect(self.attacher.choose_files)

    def _build_timers(self) -> None:
        """How long "typing…" and a jumped-to message's highlight last."""
        self._subtitle = ""
        self.typing_timer = QTimer(self)
        self.typing_timer.setSingleShot(True)
        self.typing_timer.setInterval(TYPING_SHOWN_MS)
        self.typing_timer.timeout.connect(self.clear_typing)
        self._highlight_timer = QTimer(self)
        self._highlight_timer.setSingleShot(True)
        self._highlight_timer.setInterval(HIGHLIGHT_MS)
        self._highlight_timer.timeout.connect(lambda: self.model.set_highlighted(None))

    def _build_buttons(self) -> None:
        """Send, "Ask for read receipts", and the header's Members… and Mute."""
        self.receipts = ReceiptsToggle(
            self.tr("Ask for read receipts"),
            self.tr("Members' read acks show as “Read n/m” on the message"),
            self.palette().color(self.foregroundRole()),
            self.palette().color(QPalette.ColorRole.Highlight),
        )
        self.ask_receipts = self.receipts.check  # the state, in either form
        self.receipts.setVisible(False)
        self.send_button = QPushButton(self.tr("Send"))
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self._submit)

        self.info_button = QPushButton(self.tr("Members…"))
        self.info_button.setToolTip(self.tr("See the group's members and roles"))
        self.info_button.clicked.connect(self.info_requested)
        self.info_button.setVisible(False)
        self.mute_button = QPushButton(self.tr("Mute"))
        self.mute_button.setObjectName("muteButton")
        self.mute_button.setToolTip(self.tr("Mute notifications (unread messages still count)"))
        self.muted = False
        self.mute_button.clicked.connect(lambda: self.mute_requested.emit(not self.muted))
        self.pin_bar = PinBar()  # a group's pinned message, under the header
        self.pin_bar.installEventFilter(self)  # shown, hidden or moved: check what is seen

    def _lay_out(self) -> None:
        """The header above the list, the bar, then the composer and its buttons."""
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        header = QHBoxLayout()
        header.addLayout(titles, 1)
        header.addWidget(self.mute_button)
        header.addWidget(self.info_button)
        actions = QVBoxLayout()
        actions.addWidget(self.send_button)
        actions.addWidget(self.receipts)
        bottom = self._bottom = QHBoxLayout()
        bottom.addWidget(self.attacher.button, 0, Qt.AlignmentFlag.AlignBottom)
        bottom.addWidget(self.composer, 1)
        bottom.addLayout(actions)
        layout = self._outer = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 10)
        layout.addLayout(header)
        layout.addWidget(self.pin_bar)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.bar)
        layout.addLayout(bottom)

    def _build_jump_button(self) -> None:
        """The "jump to newest" button over the list, and Ctrl+End."""
        self.jump_button = JumpButton(self.list)
        self.jump_button.clicked.connect(self.scroll_to_bottom)
        jump = QShortcut(QKeySequence("Ctrl+End"), self)
        jump.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        jump.activated.connect(self.scroll_to_bottom)

    def _follow_scrolling(self, model: MessageListModel) -> None:
        """Keep to the bottom, or to the anchor, as rows arrive and the view scrolls."""
        self._stick_to_bottom = True
        self._open_at: str | None = None
        self._anchor: tuple[str, int] | None = None
        scrollbar = self.list.verticalScrollBar()
        scrollbar.valueChanged.connect(self._scrolled)
        scrollbar.rangeChanged.connect(self._range_changed)
        model.rowsInserted.connect(self._rows_inserted)
        model.modelReset.connect(self._reset)
        model.dataChanged.connect(self._data_changed)  # a method: gone with the view
        self.list.viewport().installEventFilter(self)
        # What `visible_fractions` measured, kept while nothing it depends on moved.
        self._layout_revision = 0
        self._meter = SeenMeter()
        for changed in (
            model.rowsInserted,
            model.rowsRemoved,
            model.rowsMoved,
            model.modelReset,
            model.layoutChanged,
            model.dataChanged,
            self.list.itemDelegate().sizeHintChanged,
        ):
            changed.connect(self._relaid_out)

    def _relaid_out(self, *_args) -> None:
        self._layout_revision += 1

    # ------------------------------------------------------------------ content

    def show_conversation(
        self, title: str, subtitle: str, can_ask_receipts: bool, is_group: bool = False
    ) -> None:
        self.cancel_bar()
        self.typing_timer.stop()
        self.title.setText(title)
        self._subtitle = subtitle
        self.subtitle.setText(subtitle)
        self.info_button.setVisible(is_group)
        self.receipts.setVisible(can_ask_receipts)
        self.ask_receipts.setChecked(False)
        self._stick_to_bottom = True

    def update_header(
        self, title: str, subtitle: str, can_ask_receipts: bool, is_group: bool = False
    ) -> None:
        """The same chat's header changed (its group was renamed, resized or reloaded)."""
        self.title.setText(title)
        self._subtitle = subtitle
        if not self.typing_timer.isActive():
            self.subtitle.setText(subtitle)
        self.info_button.setVisible(is_group)
        if not can_ask_receipts:
            self.ask_receipts.setChecked(False)
        self.receipts.setVisible(can_ask_receipts)

    def draft(self) -> str:
        """What the composer holds now (the open chat's draft)."""
        return self.composer.toPlainText()

    def set_draft(self, text: str) -> None:
        """Put the open chat's saved draft (or nothing) into the composer."""
        self.composer.set_text(text)

    def _submit(self) -> None:
        text = self.composer.toPlainText().strip()
        if not text:
            return
        mode, target = self.bar.mode, self.bar.msg_id
        if mode == EDIT and target is not None:
            self.composer.set_text(self._draft_before_edit)
            self._close_bar()
            self.edit_requested.emit(target, text)
            return
        need_ack = self._need_ack()
        self.composer.set_text("")
        self._close_bar()
        if mode == REPLY and target is not None:
            self.reply_requested.emit(text, need_ack, target)
        else:
            self.send_requested.emit(text, need_ack)

    def _need_ack(self) -> bool:
        """Whether this send asks for read receipts (then the toggle resets: each
        announcement asks on purpose)."""
        need_ack = self.receipts.isVisible() and self.ask_receipts.isChecked()
        self.ask_receipts.setChecked(False)
        return need_ack

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_receipts()

    def _fit_receipts(self) -> None:
        """The full "Ask for read receipts" check box only while the text input keeps
        `COMFORTABLE_INPUT` px beside it (and the paperclip); else the compact button."""
        margins = self._outer.contentsMargins()
        gaps = 2 * max(self._bottom.spacing(), 0)
        row = self.width() - margins.left() - margins.right() - gaps
        self.receipts.fit(row - self.attacher.button.sizeHint().width() - COMFORTABLE_INPUT)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if carries_attachment(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.attacher.take(event.mimeData()):
            event.acceptProposedAction()

    # ------------------------------------------------------------------ reply, edit, typing

    @property
    def editing(self) -> str | None:
        """The msg_id being edited, if the composer holds an edit."""
        return self.bar.msg_id if self.bar.mode == EDIT else None

    @property
    def replying_to(self) -> str | None:
        return self.bar.msg_id if self.bar.mode == REPLY else None

    def start_reply(self, msg_id: str, sender: str, text: str) -> None:
        if self.bar.mode == EDIT:
            self.cancel_bar()
        self.bar.show_reply(msg_id, sender, text)
        self.composer.cancellable = True
        self.composer.setFocus()

    def start_edit(self, msg_id: str, text: str) -> None:
        if self.bar.mode != EDIT:
            self._draft_before_edit = self.composer.toPlainText()
        self.bar.show_edit(msg_id)
        self.send_button.setText(self.tr("Save"))
        self.composer.set_text(text)
        self.composer.cancellable = True
        self.composer.setFocus()

    def cancel_bar(self) -> None:
        """Esc or ×: no reply, or the edit is dropped (the draft comes back)."""
        if self.bar.mode == EDIT:
            self.composer.set_text(self._draft_before_edit)
        self._close_bar()

    def _close_bar(self) -> None:
        self.bar.clear()
        self.send_button.setText(self.tr("Send"))
        self.composer.cancellable = False
        self._draft_before_edit = ""

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        self.mute_button.setText(self.tr("Unmute") if muted else self.tr("Mute"))
        self.mute_button.setToolTip(
            self.tr("Turn notifications back on")
            if muted
            else self.tr("Mute notifications (unread messages still count)")
        )

    def show_typing(self, name: str) -> None:
        """ "bob is typing…" in the header for a few seconds."""
        self.subtitle.setText(self.tr("%1 is typing…").replace("%1", name))
        self.typing_timer.start()

    def clear_typing(self) -> None:
        self.typing_timer.stop()
        self.subtitle.setText(self._subtitle)

    def reveal(self, msg_id: str) -> None:
        """Scroll to a loaded message and highlight it briefly (a quote's or a search's
        target). Seeing it there is what may read it, as anywhere else."""
        row = self.model.row_of(msg_id)
        if row is None:
            return
        self._open_at = None
        self._stick_to_bottom = False
        self.model.set_highlighted(msg_id)
        self._highlight_timer.start()
        self._scroll_to_revealed(msg_id)
        # Rows just loaded above it are laid out on the next iteration: scroll again then.
        QTimer.singleShot(0, lambda: self._scroll_to_revealed(msg_id))

    def _scroll_to_revealed(self, msg_id: str) -> None:
        row = self.model.row_of(msg_id)
        if row is None:
            return
        self.list.scrollTo(self.model.index(row), QAbstractItemView.ScrollHint.PositionAtCenter)
        scrollbar = self.list.verticalScrollBar()
        self._stick_to_bottom = scrollbar.value() >= scrollbar.maximum() - 4
        self.visibility_changed.emit()

    # ------------------------------------------------------------------ what is on screen

    def visible_fractions(self) -> dict[str, float]:
        """msg_id -> how much of its bubble a person can see now (only > 0).

        The share of the bubble's area that is inside the viewport and on a screen
        (a window dragged half off the desktop shows half). A bubble taller than the
        viewport counts as wholly seen (1.0) while it fills the whole viewport on screen.
        The pinned message counts as far as its pin bar is on screen.
        """
        if not self.isVisible():
            return {}
        return self._meter.measure(self.list, self.model, self._layout_revision, self.pin_bar)

    def open_at(self, msg_id: str) -> None:
        """Show the chat from `msg_id` (its first unread message) rather than the bottom."""
        self._open_at = msg_id
        self._stick_to_bottom = False

    def scroll_to_bottom(self) -> None:
        self._open_at = None  # the person asked for the newest: no pending "open at"
        self.list.scrollToBottom()
        self._stick_to_bottom = True

    def set_unread_below(self, count: int) -> None:
        """The open chat's unread count, shown on the "jump to newest" button."""
        self.jump_button.set_count(count)

    def _update_jump_button(self) -> None:
        scrollbar = self.list.verticalScrollBar()
        away = self.model.rowCount() > 0 and scrollbar.value() < scrollbar.maximum() - 4
        if away != self.jump_button.isVisible():
            self.jump_button.place()
            self.jump_button.setVisible(away)

    def _scrolled(self, value: int) -> None:
        scrollbar = self.list.verticalScrollBar()
        self._stick_to_bottom = value >= scrollbar.maximum() - 4
        self._update_jump_button()
        if value <= scrollbar.minimum() and self.model.has_older:
            self._fetch_older()
        self.visibility_changed.emit()

    def _fetch_older(self) -> None:
        top = self.list.indexAt(self.list.viewport().rect().topLeft())
        if top.isValid():
            # Keep the same message under the eye once older ones are laid out above it.
            self._anchor = (top.data(MessageRole.MSG_ID), self.list.visualRect(top).top())
        self.model.older_wanted = True
        self.model.fetchMore()

    def _restore_anchor(self) -> None:
        anchor, self._anchor = self._anchor, None
        if anchor is None:
            return
        row = self.model.row_of(anchor[0])
        if row is None:
            return
        index = self.model.index(row)
        self.list.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtTop)
        scrollbar = self.list.verticalScrollBar()
        scrollbar.setValue(scrollbar.value() - anchor[1])

    def _range_changed(self, _minimum: int, _maximum: int) -> None:
        if self._anchor is not None:
            self._restore_anchor()
        elif self._stick_to_bottom:
            self.list.scrollToBottom()
        self._update_jump_button()
        self.visibility_changed.emit()

    def _rows_inserted(self, *_args) -> None:
        if self._stick_to_bottom:
            QTimer.singleShot(0, self._follow_bottom)
        self.visibility_changed.emit()

    def _follow_bottom(self) -> None:
        if self._stick_to_bottom:  # unless a jump took the view elsewhere meanwhile
            self.list.scrollToBottom()

    def _data_changed(self, *_args) -> None:
        self.visibility_changed.emit()

    def _reset(self) -> None:
        self._stick_to_bottom = True
        self._open_at = None
        QTimer.singleShot(0, self._scroll_after_load)
        self.visibility_changed.emit()

    def _scroll_after_load(self) -> None:
        row = self.model.row_of(self._open_at) if self._open_at is not None else None
        self._open_at = None
        if row is None:
            self.scroll_to_bottom()
            return
        self.list.scrollTo(self.model.index(row), QAbstractItemView.ScrollHint.PositionAtTop)
        scrollbar = self.list.verticalScrollBar()
        self._stick_to_bottom = scrollbar.value() >= scrollbar.maximum() - 4
        self.visibility_changed.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show, QEvent.Type.Hide):
            self.visibility_changed.emit()
        return False
