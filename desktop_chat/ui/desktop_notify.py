"""Desktop notifications: the freedesktop service over D-Bus, else the tray balloon.

Owns: `DesktopNotifier`, which shows one notification per chat and says when
one was clicked:
- first choice, `org.freedesktop.Notifications.Notify` on the session bus, with
  the app name, the app icon (`appdata.icon_png`), the summary (the sender, and
  the group's name for a group), a one-line body, a "default" action, and the
  chat's previous notification id as `replaces_id`, so a burst from one chat
  updates one notification. `ActionInvoked(id, "default")` emits
  `activated(conversation_id)`; `withdraw(conversation_id)` closes a chat's
  notification once the window shows that chat (`CloseNotification`);
- where the bus has no notification service (nothing registered or
  activatable, or the call fails), the tray balloon (`QSystemTrayIcon.showMessage`);
- where there is no tray either, nothing (the window's status line, which
  `MainWindow.notify` writes anyway);
- "Mute notifications for 1 hour" (`mute_for`): nothing is shown until it ends
  by itself; `mute_changed(bool)` tells the tray menu.

The call goes through a `QDBusInterface`, whose introspected `Notify` method
marshals `replaces_id` as the `uint` the spec demands (PySide6 would send a
Python int as `int32`, which services reject). Tests give it a private bus.

Never: mark anything read or open a chat itself (the window does on `activated`,
and the read-ack controller decides what counts as read, as ever).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import Q_ARG, Q_RETURN_ARG, QMetaObject, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtDBus import QDBusConnection, QDBusInterface, QDBusServiceWatcher
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from desktop_chat.appdata import APP_ID, ICON_NAME, icon_png

log = logging.getLogger(__name__)

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
INTERFACE = "org.freedesktop.Notifications"
CALL_TIMEOUT_MS = 2000  # a local service answers in milliseconds; never hang the window
MUTE_SECONDS = 3600.0
APP_NAME = "desktop_chat"


def notification_icon() -> str:
    """The app icon as the spec takes it: a file path, else the themed icon's name."""
    path = icon_png(256)
    return str(path) if path.is_file() else ICON_NAME


class DesktopNotifier(QObject):
    """Notifications for one window. `tray` returns the window's tray icon (or None)."""

    activated = Signal(str)  # conversation id whose notification was clicked
    mute_changed = Signal(bool)

    def __init__(
        self,
        tray: Callable[[], QSystemTrayIcon | None],
        parent: QObject | None = None,
        bus: QDBusConnection | None = None,
    ) -> None:
        super().__init__(parent)
        self._tray = tray
        self._bus: QDBusConnection | None = None
        self._iface: QDBusInterface | None = None
        self._absent = False  # looked up, not there: ask again once the bus says it came
        self._watcher: QDBusServiceWatcher | None = None
        self._ids: dict[str, int] = {}  # conversation id → its notification's id
        self._chats: dict[int, str] = {}  # notification id → conversation id
        self._muted_until = 0.0
        self._unmute = QTimer(self)
        self._unmute.setSingleShot(True)
        self._unmute.timeout.connect(self.unmute)
        self.last_route = ""  # "dbus", "tray", "none" or "muted": how the last one went
        self.use_bus(bus if bus is not None else QDBusConnection.sessionBus())

    # ------------------------------------------------------------------ the bus

    def use_bus(self, bus: QDBusConnection) -> None:
        """Talk to the notification service on `bus` (the session bus by default)."""
        self._bus = bus
        self._forget_service()
        if self._watcher is not None:
            self._watcher.deleteLater()
            self._watcher = None
        if not bus.isConnected():
            log.info("no D-Bus session bus: notifications go to the tray")
            return
        for name, slot in (
            ("ActionInvoked", "_on_action_invoked(uint,QString)"),
            ("NotificationClosed", "_on_closed(uint,uint)"),
        ):
            # "1…" is what SLOT() makes; PySide6 takes a str here (its stub says bytes).
            bus.connect(SERVICE, PATH, INTERFACE, name, self, f"1{slot}")  # type: ignore[call-overload]
        self._watcher = QDBusServiceWatcher(
            SERVICE, bus, QDBusServiceWatcher.WatchModeFlag.WatchForOwnerChange, self
        )
        self._watcher.serviceOwnerChanged.connect(lambda *_: self._forget_service())

    def _forget_service(self) -> None:
        """The service came or went: look it up afresh on the next notification."""
        self._iface = None
        self._absent = False
        self._ids.clear()
        self._chats.clear()

    def _interface(self) -> QDBusInterface | None:
        """The service's interface, if the bus has one running or activatable."""
        if self._iface is not None:
            return self._iface
        bus = self._bus
        if bus is None or not bus.isConnected() or self._absent:
            return None
        iface = QDBusInterface(SERVICE, PATH, INTERFACE, bus, self)
        iface.setTimeout(CALL_TIMEOUT_MS)
        if not iface.isValid():
            log.info("no notification service on the bus: %s", iface.lastError().message())
            iface.deleteLater()
            self._absent = True
            return None
        self._iface = iface
        return iface

    @property
    def has_service(self) -> bool:
        return self._interface() is not None

    # ------------------------------------------------------------------ showing

    def show(self, summary: str, body: str, conversation_id: str = "") -> str:
        """Show one notification; the route it took ("dbus", "tray", "none", "muted")."""
        if self.muted:
            route = "muted"
        elif self._notify_dbus(summary, body, conversation_id):
            route = "dbus"
        elif (tray := self._tray()) is not None and tray.isVisible():
            tray.showMessage(summary, body, _window_icon(), 5000)
            route = "tray"
        else:
            route = "none"
        self.last_route = route
        return route

    def _notify_dbus(self, summary: str, body: str, conversation_id: str) -> bool:
        iface = self._interface()
        if iface is None:
            return False
        replaces = self._ids.get(conversation_id, 0) if conversation_id else 0
        actions = ["default", QApplication.translate("DesktopNotifier", "Open chat")]
        hints = {"desktop-entry": APP_ID, "category": "im.received"}
        reply = QMetaObject.invokeMethod(
            iface,
            "Notify",
            Qt.ConnectionType.DirectConnection,
            Q_RETURN_ARG("uint"),
            Q_ARG(str, APP_NAME),
            Q_ARG("uint", replaces),
            Q_ARG(str, notification_icon()),
            Q_ARG(str, summary),
            Q_ARG(str, body),
            Q_ARG("QStringList", actions),
            Q_ARG("QVariantMap", hints),
            Q_ARG(int, -1),
        )
        notification_id = reply if isinstance(reply, int) else 0
        error = iface.lastError()
        if error.isValid() or not notification_id:
            log.info("Notify failed, falling back to the tray: %s", error.message())
            self._forget_service()
            return False
        if conversation_id:
            self._ids[conversation_id] = notification_id
            self._chats[notification_id] = conversation_id
        return True

    def withdraw(self, conversation_id: str) -> None:
        """Take a chat's notification off the desktop (the chat was opened)."""
        notification_id = self._ids.pop(conversation_id, None)
        if notification_id is None:
            return
        self._chats.pop(notification_id, None)
        iface = self._iface  # known already: it showed this one
        if iface is None:
            return
        QMetaObject.invokeMethod(
            iface,
            "CloseNotification",
            Qt.ConnectionType.DirectConnection,
            Q_ARG("uint", notification_id),
        )
        if iface.lastError().isValid():
            log.info("CloseNotification failed: %s", iface.lastError().message())

    @Slot("uint", str)
    def _on_action_invoked(self, notification_id: int, action: str) -> None:
        conversation_id = self._chats.get(int(notification_id))
        if conversation_id is not None and action == "default":
            self.activated.emit(conversation_id)

    @Slot("uint", "uint")
    def _on_closed(self, notification_id: int, _reason: int) -> None:
        conversation_id = self._chats.pop(int(notification_id), None)
        if conversation_id is not None and self._ids.get(conversation_id) == notification_id:
            del self._ids[conversation_id]

    # ------------------------------------------------------------------ mute

    @property
    def muted(self) -> bool:
        return time.monotonic() < self._muted_until

    def muted_for(self) -> float:
        """Seconds until the mute ends (0 when not muted)."""
        return max(0.0, self._muted_until - time.monotonic())

    def mute_for(self, seconds: float = MUTE_SECONDS) -> None:
        """Show nothing for `seconds`; it ends by itself."""
        self._muted_until = time.monotonic() + seconds
        self._unmute.start(max(1, int(seconds * 1000)))
        self.mute_changed.emit(True)

    def unmute(self) -> None:
        self._unmute.stop()
        was_muted = self._muted_until > 0
        self._muted_until = 0.0
        if was_muted:
            self.mute_changed.emit(False)


def _window_icon() -> QIcon:
    path = icon_png(64)
    return QIcon(str(path)) if path.is_file() else QIcon.fromTheme(ICON_NAME)
