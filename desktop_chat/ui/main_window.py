"""The main window: conversation list, the open chat, unread totals, tray icon.

Owns: `MainWindow` and its parts: the searchable conversation list
(`chat_list.ChatListPane`), the chat view in a stack with a placeholder, the
status line, and the menu, with a shortcut or mnemonic for every action. The
tray icon and its menu (Open, Mute notifications for 1 hour, Sign out, Quit):
closing the window keeps the app running there, Ctrl+Q quits, and with no tray
closing quits. Notifications (`notify`) go through its `desktop_notify.DesktopNotifier`
(D-Bus service, else tray balloon, else only the status line); clicking one
raises the window and emits `conversation_selected`, as a click in the list does. Ending the window
for good (`dispose`, on sign out). The total unread count in the window title
and on the tray icon. The facts the read-ack controller needs about the window:
whether it is active, not minimized and not fully covered by another window
where X11 reports it (`is_active_for_reading`, see `x11_visibility`), and when
the person last used keyboard or mouse in it (`last_input`). Its layout (place,
size, maximized, the splitter between the list and the chat) as one string
(`layout_state`/`restore_layout`), kept per person in a mapping its owner stores
with the settings (`keep_layout_in`): saved when the window closes or ends,
restored onto a screen that is still there.

Never: talk to the client (it emits signals; the controller acts), or count a
notification, the tray or the conversation list as reading.
"""

from __future__ import annotations

import time
from collections.abc import Callable, MutableMapping

from PySide6.QtCore import QByteArray, QEvent, QLocale, QObject, QPoint, QRect, Qt, QTime, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QGuiApplication,
    QIcon,
    QKeySequence,
    QPainter,
    QPixmap,
)
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.ui.chat.chat_view import ChatView
from desktop_chat.ui.conversations.chat_list import ChatListPane
from desktop_chat.ui.conversations.conversation_model import ConversationListModel
from desktop_chat.ui.desktop_notify import DesktopNotifier
from desktop_chat.ui.wording import offline_text
from desktop_chat.ui.x11_visibility import X11Obscured

_INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)
LAST_LAYOUT = ""  # the key of the layout the last window had: where a new person's opens


def app_icon(unread: int = 0, size: int = 64) -> QIcon:
    """The app's icon: a speech bubble with two ticks; a red badge with the unread count."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#2AABEE"))
    painter.drawRoundedRect(QRect(4, 6, size - 8, size - 16), size * 0.22, size * 0.22)
    painter.drawPolygon([QPoint(14, size - 14), QPoint(12, size - 3), QPoint(26, size - 12)])
    pen = painter.pen()
    pen.setStyle(Qt.PenStyle.SolidLine)
    pen.setColor(QColor("white"))
    pen.setWidthF(size / 16)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    for dx in (0, size * 0.16):
        painter.drawPolyline(
            [
                QPoint(int(size * 0.22 + dx), int(size * 0.45)),
                QPoint(int(size * 0.34 + dx), int(size * 0.57)),
                QPoint(int(size * 0.56 + dx), int(size * 0.32)),
            ]
        )
    if unread:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#E53935"))
        badge = QRect(size // 2 - 2, 0, size // 2 + 2, size // 2 + 2)
        painter.drawEllipse(badge)
        painter.setPen(QColor("white"))
        font = QFont()
        font.setBold(True)
        font.setPixelSize(size // 4)
        painter.setFont(font)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, "99+" if unread > 99 else str(unread))
    painter.end()
    return QIcon(pixmap)


class MainWindow(QMainWindow):
    conversation_selected = Signal(str)  # open it and write (click, Enter, search)
    conversation_browsed = Signal(str)  # open it, the focus stays (arrow keys, Alt+Up/Down)
    new_chat_requested = Signal()
    new_group_requested = Signal()
    message_search_requested = Signal()
    settings_requested = Signal()
    sign_out_requested = Signal()
    close_requested = Signal()
    activation_changed = Signal(bool)  # active and not minimized
    user_input = Signal()

    def __init__(
        self,
        username: str,
        conversations: ConversationListModel,
        chat_view: ChatView,
        conversation_delegate=None,
    ) -> None:
        super().__init__()
        self.username = username
        self.conversations = conversations
        self.chat_view = chat_view
        self._last_input = time.monotonic()
        self._tray: QSystemTrayIcon | None = None
        self.notifications: list[tuple[str, str]] = []  # (title, text) shown, newest last
        self._mute_action: QAction | None = None
        self.notifier = DesktopNotifier(lambda: self._tray, self)
        self.notifier.activated.connect(self.open_from_notification)
        self.notifier.mute_changed.connect(self._show_mute)

        left = self._build_chat_list(username, conversations, conversation_delegate)
        self._build_centre(left, chat_view)
        self._build_menu()
        self.connection_label = QLabel(self.tr("Connecting…"))
        self.statusBar().addPermanentWidget(self.connection_label)
        self.resize(960, 680)
        conversations.total_unread_changed.connect(self.show_unread)
        self.show_unread(conversations.total_unread())
        app = QApplication.instance()
        assert app is not None  # a window exists only in a running application
        app.installEventFilter(self)
        self._obscured: X11Obscured | None = None
        self._disposed = False
        self._told_about_tray = False
        self._layouts: MutableMapping[str, str] | None = None
        self._layouts_changed: Callable[[], None] = lambda: None

    def _build_chat_list(
        self, username: str, conversations: ConversationListModel, conversation_delegate
    ) -> QWidget:
        """The left pane: who is signed in, New chat and New group, then the chat list."""
        me = QLabel(f"<b>{username}</b>")
        new_chat = QPushButton(self.tr("New chat"))
        new_chat.clicked.connect(self.new_chat_requested)
        new_group = QPushButton(self.tr("New group"))
        new_group.clicked.connect(self.new_group_requested)
        top = QHBoxLayout()
        top.addWidget(me, 1)
        top.addWidget(new_chat)
        top.addWidget(new_group)
        self.chat_list = ChatListPane(conversations, conversation_delegate)
        self.chat_list.chosen.connect(self.conversation_selected)
        self.chat_list.browsed.connect(self.conversation_browsed)
        self.conversation_list = self.chat_list.list
        self.search = self.chat_list.search
        self.search_hint = self.chat_list.hint
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(8, 8, 0, 8)
        left_layout.addLayout(top)
        left_layout.addWidget(self.chat_list, 1)
        left.setMinimumWidth(240)
        return left

    def _build_centre(self, left: QWidget, chat_view: ChatView) -> None:
        """The chat list beside the open chat (or, before one is chosen, a hint)."""
        self.placeholder = QLabel(self.tr("Select a chat, or start one with “New chat”."))
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setEnabled(False)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(chat_view)
        splitter = QSplitter()
        splitter.setObjectName("chat_list_splitter")
        splitter.addWidget(left)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 600])
        self.splitter = splitter
        self.setCentralWidget(splitter)

    def _build_menu(self) -> None:
        """The Chat menu and its shortcuts."""
        menu = self.menuBar().addMenu(self.tr("&Chat"))
        for text, slot, shortcuts in (
            (self.tr("&New chat…"), self.new_chat_requested.emit, ["Ctrl+N"]),
            (self.tr("New &group…"), self.new_group_requested.emit, ["Ctrl+G"]),
            (self.tr("&Find a chat…"), self.chat_list.focus_search, ["Ctrl+K", "Ctrl+F"]),
            (self.tr("Search &messages…"), self.message_search_requested.emit, ["Ctrl+Shift+F"]),
            # Alt+Up/Down as in Telegram; Ctrl+PgUp/PgDown where the desktop takes Alt+arrows.
            (self.tr("&Previous chat"), lambda: self.chat_list.step(-1), ["Alt+Up", "Ctrl+PgUp"]),
            (self.tr("Ne&xt chat"), lambda: self.chat_list.step(1), ["Alt+Down", "Ctrl+PgDown"]),
            (None, None, []),
            (self.tr("&Settings…"), self.settings_requested.emit, ["Ctrl+,"]),
            (self.tr("Sign &out"), self.sign_out_requested.emit, []),
            (self.tr("&Quit"), self.close_requested.emit, ["Ctrl+Q"]),
        ):
            if text is None:
                menu.addSeparator()
                continue
            action = QAction(text, self)
            action.setShortcuts([QKeySequence(k) for k in shortcuts])
            action.triggered.connect(slot)
            menu.addAction(action)

    # ------------------------------------------------------------------ what the window shows

    def show_chat(self, conversation_id: str) -> None:
        self.stack.setCurrentWidget(self.chat_view)
        self.chat_list.select(conversation_id)
        self.notifier.withdraw(conversation_id)  # the chat is here now: not on the desktop too

    def show_placeholder(self) -> None:
        self.stack.setCurrentWidget(self.placeholder)

    def show_unread(self, total: int) -> None:
        if total:
            title = self.tr("desktop_chat — {name} (%n)", "window title: unread count", total)
        else:
            title = self.tr("desktop_chat — {name}", "window title")
        self.setWindowTitle(title.format(name=self.username))
        icon = app_icon(total)
        self.setWindowIcon(icon)
        if self._tray is not None:
            self._tray.setIcon(icon)
            self._tray.setToolTip(
                self.tr("desktop_chat — %n unread", "", total) if total else "desktop_chat"
            )

    @property
    def tray(self) -> QSystemTrayIcon | None:
        return self._tray

    def enable_tray(self, available: bool | None = None) -> QSystemTrayIcon | None:
        """Put the app in the system tray (where the desktop has one; `available`
        overrides the check): its menu opens the window, signs out or quits, and
        closing the window then keeps the app running there."""
        if available is None:
            available = QSystemTrayIcon.isSystemTrayAvailable()
        if not available:
            return None
        tray = QSystemTrayIcon(app_icon(self.conversations.total_unread()), self)
        menu = QMenu(self)
        menu.addAction(self.tr("&Open"), self.show_and_raise)
        self._mute_action = menu.addAction(self.tr("&Mute notifications for 1 hour"))
        self._mute_action.setObjectName("mute_notifications")
        self._mute_action.setCheckable(True)
        self._mute_action.toggled.connect(self._mute_toggled)
        self._show_mute(self.notifier.muted)
        menu.addSeparator()
        menu.addAction(self.tr("&Sign out"), self.sign_out_requested.emit)
        menu.addAction(self.tr("&Quit"), self.close_requested.emit)
        tray.setContextMenu(menu)
        tray.activated.connect(self._tray_activated)
        tray.setToolTip("desktop_chat")
        tray.show()
        self._tray = tray
        return tray

    def _tray_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.show_and_raise()

    def show_and_raise(self) -> None:
        # Out of the tray or minimized, but a maximized window stays maximized.
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.show()
        self.raise_()
        self.activateWindow()

    def notify(self, title: str, text: str, conversation_id: str = "") -> None:
        """A desktop notification (none while muted). It never marks anything read."""
        if self.notifier.muted:
            return
        self.notifications = [*self.notifications[-49:], (title, text)]
        self.notifier.show(title, text, conversation_id)
        self.statusBar().showMessage(
            self.tr("{title}: {text}", "a notification in the status bar").format(
                title=title, text=text
            ),
            5000,
        )

    def open_from_notification(self, conversation_id: str) -> None:
        """A notification was clicked: the window comes up with that chat open.
        Whether its messages count as read is the read-ack controller's rule."""
        self.show_and_raise()
        self.conversation_selected.emit(conversation_id)

    def _mute_toggled(self, checked: bool) -> None:
        if checked and not self.notifier.muted:
            self.notifier.mute_for()
        elif not checked and self.notifier.muted:
            self.notifier.unmute()

    def _show_mute(self, muted: bool) -> None:
        """The tray's mute item: checked, and saying until when, while muted."""
        action = self._mute_action
        if action is None:
            return
        action.blockSignals(True)
        action.setChecked(muted)
        action.blockSignals(False)
        if muted:
            until = QTime.currentTime().addSecs(round(self.notifier.muted_for()))
            action.setText(
                self.tr("Notifications muted until {time}").format(
                    time=QLocale().toString(until, QLocale.FormatType.ShortFormat)
                )
            )
        else:
            action.setText(self.tr("&Mute notifications for 1 hour"))

    def show_connection(self, connected: bool, server_url: str = "") -> None:
        if connected:
            self.connection_label.setText(self.tr("Connected"))
            self.connection_label.setToolTip(
                self.tr("Connected to {server}").format(server=server_url) if server_url else ""
            )
            return
        self.connection_label.setText(offline_text(server_url))
        self.connection_label.setToolTip(
            self.tr(
                "Messages you send now wait on this computer and go out once the server answers."
            )
        )

    def show_error(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)

    # ------------------------------------------------------------------ where the window is

    def keep_layout_in(
        self, layouts: MutableMapping[str, str], changed: Callable[[], None] = lambda: None
    ) -> None:
        """Open as this person's window last was (`layouts`: username -> `layout_state`;
        for someone new, as the last window was), before it is shown; from now on
        each close, sign out or quit writes the layout back there and calls `changed`
        (which stores the settings)."""
        self._layouts, self._layouts_changed = layouts, changed
        self.restore_layout(layouts.get(self.username) or layouts.get(LAST_LAYOUT, ""))

    def layout_state(self) -> str:
        """Place, size, maximized and the splitter, as text for a settings file."""
        parts = (self.saveGeometry(), self.splitter.saveState())
        return " ".join(bytes(part.toBase64().data()).decode("ascii") for part in parts)

    def restore_layout(self, state: str) -> bool:
        """Back to a `layout_state`; False (and nothing changed) for a broken one.
        Saved on a screen that is gone now (a detached monitor) or partly off the
        desktop, the window comes back whole on a screen that is here: Qt's
        `restoreGeometry` moves it there (tests/ui/test_window_geometry.py checks)."""
        parts = state.split()
        if len(parts) != 2:
            return False
        geometry, split = (QByteArray.fromBase64(part.encode("ascii")) for part in parts)
        if not self.restoreGeometry(geometry):
            return False
        self.splitter.restoreState(split)
        return True

    def _remember_layout(self) -> None:
        """Write the layout back (see `keep_layout_in`), only from a window on the
        screen: a hidden one's geometry is not where the person left it."""
        layouts = self._layouts
        if layouts is None or not self.isVisible():
            return
        state = self.layout_state()
        if layouts.get(self.username) == state and layouts.get(LAST_LAYOUT) == state:
            return
        layouts[self.username] = layouts[LAST_LAYOUT] = state
        self._layouts_changed()

    # ------------------------------------------------------------------ facts for read acks

    def is_active_for_reading(self) -> bool:
        """Active, shown, not minimized, and not fully covered where X11 reports it."""
        covered = self._obscured is not None and self._obscured.fully_obscured
        return self.isVisible() and self.isActiveWindow() and not self.isMinimized() and not covered

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._obscured is None and QGuiApplication.platformName() == "xcb":
            self._obscured = X11Obscured(int(self.winId()), self)
            self._obscured.changed.connect(
                lambda _covered: self.activation_changed.emit(self.is_active_for_reading())
            )

    def last_input(self) -> float:
        return self._last_input

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.ActivationChange, QEvent.Type.WindowStateChange):
            self.activation_changed.emit(self.is_active_for_reading())
        super().changeEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() in _INPUT_EVENTS
            and isinstance(watched, QWidget)
            and watched.window() is self
        ):
            self._last_input = time.monotonic()
            self.user_input.emit()
        return False

    def closeEvent(self, event) -> None:
        if self._disposed:
            event.accept()
            return
        event.ignore()
        self._remember_layout()
        if self._tray is not None and self._tray.isVisible():
            # The app keeps running in the tray: messages and notifications go on.
            self.hide()
            if not self._told_about_tray:
                self._told_about_tray = True
                self._tray.showMessage(
                    self.tr("desktop_chat is still running"),
                    self.tr("New messages will still reach you. Use Quit (Ctrl+Q) to end it."),
                    app_icon(),
                    4000,
                )
            return
        self.close_requested.emit()

    def dispose(self) -> None:
        """End this window for good (sign out, quit): its tray icon goes with it, and
        nothing of it can reopen or emit anything again."""
        if self._disposed:
            return
        self._remember_layout()
        self._disposed = True
        app = QApplication.instance()
        assert app is not None  # installed in __init__; the application outlives its windows
        app.removeEventFilter(self)
        if self._tray is not None:
            self._tray.hide()
            # Qt takes a null menu here (PySide6's stub types it QMenu only).
            self._tray.setContextMenu(None)  # type: ignore[arg-type]
            self._tray.deleteLater()
            self._tray = None
        self.blockSignals(True)
        self.hide()  # not close(): the app's quit is the session's decision, not Qt's
        self.deleteLater()
