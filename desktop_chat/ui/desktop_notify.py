"""Desktop notifications: the freedesktop service over D-Bus, else the tray balloon.

Owns: `DesktopNotifier`, which shows one notification per chat and says when
one was clicked:
- first choice, `org.freedesktop.Notifications.Notify` on the session bus, with
  the app name, the app icon (`appdata.icon_png`), the summary (the sender, and
  the group's name for a group), a one-line body, a "default" action, and the
  chat's previous notification id as `replaces_id`, so a burst from one chat
  updates one notification (what comes while that chat's Notify is unanswered
  waits for its id, then replaces it). `ActionInvoked(id, "default")` emits
  `activated(conversation_id)`; `withdraw(conversation_id)` closes a chat's
  notification once the window shows that chat (`CloseNotification`, at once or
  as soon as its id comes back);
- where the bus has no notification service (nothing registered or
  activatable, or the call fails), the tray balloon (`QSystemTrayIcon.showMessage`);
  a Notify that fails falls back there when its answer comes;
- where there is no tray either, nothing (the window's status line, which
  `MainWindow.notify` writes anyway);
- "Mute notifications for 1 hour" (`mute_for`): nothing is shown until it ends
  by itself; `mute_changed(bool)` tells the tray menu.

The GUI thread never waits for the bus: every call to the service (the lookup in
`use_bus`, Notify, CloseNotification) goes to `_Caller`, one thread per process
that makes them in order and hands each answer back on the GUI thread. It calls
through a `QDBusInterface`, whose introspected methods marshal the ids as the
`uint` the spec demands: PySide6 has no typed `QVariant`, so a `QDBusMessage` of
its own would carry a Python int as `int32` (and `QDBusArgument << int` as
`uint16`), which services refuse; the interface's introspection and its calls
block, which is why they run on that thread. Tests give the notifier a private bus.

Never: mark anything read or open a chat itself (the window does on `activated`,
and the read-ack controller decides what counts as read, as ever).
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import Q_ARG, Q_RETURN_ARG, QMetaObject, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtDBus import QDBusConnection, QDBusInterface, QDBusServiceWatcher
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from desktop_chat.appdata import APP_ID, ICON_NAME, icon_png

log = logging.getLogger(__name__)

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
INTERFACE = "org.freedesktop.Notifications"
CALL_TIMEOUT_MS = 2000  # a local service answers in milliseconds; a hung one is given up
MUTE_SECONDS = 3600.0
APP_NAME = "desktop_chat"
_KEPT_INTERFACES = 8  # the caller thread's interfaces, newest kept (a few buses or services)

_generations = itertools.count(1)  # one per service a notifier looked up, process-wide


def notification_icon() -> str:
    """The app icon as the spec takes it: a file path, else the themed icon's name."""
    path = icon_png(256)
    return str(path) if path.is_file() else ICON_NAME


# ---------------------------------------------------------------------- the caller thread


@dataclass(frozen=True)
class _Call:
    """One call for the caller thread. `method` None only looks the service up.
    `args` are (Qt type, value) pairs; `done(call, value, error)` runs on the GUI
    thread with the answer (error "" when it went through)."""

    bus: QDBusConnection
    generation: int  # the notifier's service at the time: a newer one is looked up afresh
    method: str | None
    args: tuple[tuple[object, object], ...] = ()
    returns: str | None = None
    done: weakref.WeakMethod | None = None
    context: tuple = ()


class _Relay(QObject):
    """Hands the caller thread's answers to the GUI thread. Made there on first use
    and kept for the process's lifetime, so the thread never emits on a dead object."""

    answered = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.answered.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _deliver(self, answer: tuple[_Call, object, str]) -> None:
        call, value, error = answer
        handler = call.done() if call.done is not None else None
        if handler is not None and shiboken6.isValid(handler.__self__):
            handler(call, value, error)


class _Caller:
    """The one thread that talks to notification services (started on first use; a
    daemon, idle on its queue between calls). Its `QDBusInterface`s live and die on it."""

    def __init__(self) -> None:
        self._calls: queue.SimpleQueue[_Call] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._relay: _Relay | None = None
        self._interfaces: dict[tuple[str, int], QDBusInterface] = {}  # the thread's only

    def submit(self, call: _Call) -> None:
        """Queue `call` (from the GUI thread); its answer comes back there."""
        if self._relay is None:
            self._relay = _Relay()
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="desktop-notify", daemon=True)
            self._thread.start()
        self._calls.put(call)

    def _run(self) -> None:
        relay = self._relay
        assert relay is not None
        while True:
            call = self._calls.get()
            try:
                value, error = self._make(call)
            except Exception as exc:  # a failed call must not end the thread
                log.exception("D-Bus call %s failed", call.method)
                value, error = None, str(exc) or type(exc).__name__
            if call.done is not None:
                relay.answered.emit((call, value, error))

    def _make(self, call: _Call) -> tuple[object, str]:
        iface, error = self._interface(call)
        if iface is None:
            return None, error
        if call.method is None:
            return True, ""
        args = [Q_ARG(kind, value) for kind, value in call.args]  # type: ignore[call-overload]
        connection = Qt.ConnectionType.DirectConnection
        if call.returns:
            returns = Q_RETURN_ARG(call.returns)  # type: ignore[call-overload]
            value = QMetaObject.invokeMethod(iface, call.method, connection, returns, *args)
        else:
            value = QMetaObject.invokeMethod(iface, call.method, connection, *args)
        failure = iface.lastError()
        if failure.isValid():
            return None, failure.message() or failure.name() or "failed"
        return value, ""

    def _interface(self, call: _Call) -> tuple[QDBusInterface | None, str]:
        key = (call.bus.name(), call.generation)
        iface = self._interfaces.get(key)
        if iface is not None:
            return iface, ""
        iface = QDBusInterface(SERVICE, PATH, INTERFACE, call.bus)  # introspects: blocks
        iface.setTimeout(CALL_TIMEOUT_MS)
        if not iface.isValid():
            return None, iface.lastError().message() or "no notification service"
        self._interfaces = {
            k: kept for k, kept in self._interfaces.items() if kept.connection().isConnected()
        }  # a bus that was let go of (a test's private one) is let go of here too
        self._interfaces[key] = iface
        while len(self._interfaces) > _KEPT_INTERFACES:
            del self._interfaces[next(iter(self._interfaces))]
        return iface, ""


_CALLER = _Caller()


# ---------------------------------------------------------------------- the notifier


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
        self._generation = 0
        self._service: bool | None = None  # None: not known yet (looking it up)
        self._watcher: QDBusServiceWatcher | None = None
        self._ids: dict[str, int] = {}  # conversation id → its notification's id
        self._chats: dict[int, str] = {}  # notification id → conversation id
        self._in_flight: set[str] = set()  # chats whose Notify is not answered yet
        self._queued: dict[str, tuple[str, str]] = {}  # what waits for that answer
        self._withdrawn: set[str] = set()  # opened while in flight: close it when it comes
        self._unanswered = 0
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
            self._service = False
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
        self._watcher.serviceOwnerChanged.connect(self._owner_changed)
        self._look_up()

    def _forget_service(self) -> None:
        """The service came or went: what it showed is no longer ours to replace."""
        self._generation = next(_generations)
        self._service = None
        self._ids.clear()
        self._chats.clear()
        self._in_flight.clear()
        self._queued.clear()
        self._withdrawn.clear()

    def _owner_changed(self, _name: str, _old: str, new: str) -> None:
        self._forget_service()
        if new:
            self._service = True
        else:
            self._look_up()  # gone, unless the bus can start it again

    def _look_up(self) -> None:
        self._submit(None)

    def _looked_up(self, call: _Call, value: object, error: str) -> None:
        if call.generation == self._generation and self._service is None:
            self._service = value is True
            if error:
                log.info("no notification service on the bus: %s", error)

    def _submit(
        self,
        method: str | None,
        args: tuple[tuple[object, object], ...] = (),
        returns: str | None = None,
        context: tuple = (),
    ) -> None:
        """Hand one call to the caller thread; `_answered` gets its answer."""
        assert self._bus is not None
        self._unanswered += 1
        done = weakref.WeakMethod(self._answered)
        _CALLER.submit(_Call(self._bus, self._generation, method, args, returns, done, context))

    def _answered(self, call: _Call, value: object, error: str) -> None:
        self._unanswered -= 1
        _ANSWERS[call.method](self, call, value, error)

    @property
    def has_service(self) -> bool:
        """Whether the bus is known to have the service (looked up, or it appeared)."""
        return self._service is True

    @property
    def busy(self) -> bool:
        """Whether a call to the service is still unanswered."""
        return self._unanswered > 0

    # ------------------------------------------------------------------ showing

    def show(self, summary: str, body: str, conversation_id: str = "") -> str:
        """Show one notification; the route it took ("dbus", "tray", "none", "muted").
        It never waits for the bus: a Notify that then fails goes to the tray, and
        `last_route` says so."""
        if self.muted:
            route = "muted"
        elif self._notify_dbus(summary, body, conversation_id):
            route = "dbus"
        else:
            route = self._fallback(summary, body)
        self.last_route = route
        return route

    def _fallback(self, summary: str, body: str) -> str:
        if (tray := self._tray()) is not None and tray.isVisible():
            tray.showMessage(summary, body, _window_icon(), 5000)
            return "tray"
        return "none"

    def _notify_dbus(self, summary: str, body: str, conversation_id: str) -> bool:
        bus = self._bus
        if bus is None or not bus.isConnected() or self._service is False:
            return False
        if conversation_id in self._in_flight:
            self._queued[conversation_id] = (summary, body)  # replaces it once its id is back
            self._withdrawn.discard(conversation_id)
            return True
        self._send_notify(summary, body, conversation_id)
        return True

    def _send_notify(self, summary: str, body: str, conversation_id: str) -> None:
        replaces = self._ids.get(conversation_id, 0) if conversation_id else 0
        actions = ["default", QApplication.translate("DesktopNotifier", "Open chat")]
        hints = {"desktop-entry": APP_ID, "category": "im.received"}
        args = (
            (str, APP_NAME),
            ("uint", replaces),
            (str, notification_icon()),
            (str, summary),
            (str, body),
            ("QStringList", actions),
            ("QVariantMap", hints),
            (int, -1),
        )
        if conversation_id:
            self._in_flight.add(conversation_id)
        self._submit("Notify", args, "uint", (conversation_id, summary, body))

    def _notified(self, call: _Call, value: object, error: str) -> None:
        if call.generation != self._generation:
            return  # another service by now: this id means nothing to it
        conversation_id, summary, body = call.context
        self._in_flight.discard(conversation_id)
        notification_id = value if isinstance(value, int) else 0
        if error or not notification_id:
            log.info("Notify failed, falling back to the tray: %s", error)
            summary, body = self._queued.get(conversation_id, (summary, body))
            self._forget_service()
            self._look_up()
            self.last_route = self._fallback(summary, body)
            return
        if conversation_id in self._withdrawn:  # its chat was opened meanwhile
            self._withdrawn.discard(conversation_id)
            self._queued.pop(conversation_id, None)
            self._close(notification_id)
            return
        if not conversation_id:
            return
        previous = self._ids.get(conversation_id)
        if previous is not None and previous != notification_id:
            self._chats.pop(previous, None)
        self._ids[conversation_id] = notification_id
        self._chats[notification_id] = conversation_id
        if (later := self._queued.pop(conversation_id, None)) is not None:
            self._send_notify(*later, conversation_id)

    def withdraw(self, conversation_id: str) -> None:
        """Take a chat's notification off the desktop (the chat was opened)."""
        self._queued.pop(conversation_id, None)
        notification_id = self._ids.pop(conversation_id, None)
        if notification_id is not None:
            self._chats.pop(notification_id, None)
        if conversation_id in self._in_flight:
            self._withdrawn.add(conversation_id)  # closed as soon as its id comes back
        elif notification_id is not None:
            self._close(notification_id)

    def _close(self, notification_id: int) -> None:
        self._submit("CloseNotification", (("uint", notification_id),))

    def _closed_answered(self, _call: _Call, _value: object, error: str) -> None:
        if error:
            log.info("CloseNotification failed: %s", error)

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


# What each answer goes to, by the call's method (None: the lookup).
_ANSWERS: dict[str | None, Callable[[DesktopNotifier, _Call, object, str], None]] = {
    None: DesktopNotifier._looked_up,
    "Notify": DesktopNotifier._notified,
    "CloseNotification": DesktopNotifier._closed_answered,
}


def _window_icon() -> QIcon:
    path = icon_png(64)
    return QIcon(str(path)) if path.is_file() else QIcon.fromTheme(ICON_NAME)
