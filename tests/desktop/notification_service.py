"""A small freedesktop notification service for the tests, run as its own process.

`python notification_service.py RECORD.json [DELAY]` registers `org.freedesktop.Notifications`
on the session bus that `DBUS_SESSION_BUS_ADDRESS` names, appends each `Notify`
call's arguments to RECORD.json (a JSON list, rewritten whole after each call), and
answers with the notification's id (`replaces_id` when given, else a new one), DELAY
seconds after it recorded the call (none by default: a slow service, for the test that
the app never waits for one). `CloseNotification(id)` appends the id to
RECORD-closed.json and emits `NotificationClosed(id, 3)`. A call only reaches `Notify`
with the spec's signature (`replaces_id` a `uint`); one with an `int32` there is refused
as an unknown method, as real services do. The
test side clicks a notification by calling `TestInvokeAction(id, action)`, which
emits `ActionInvoked(id, action)` as a real notification daemon does on a click.
Prints "ready" once the name is owned.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from PySide6.QtCore import ClassInfo, QCoreApplication, QObject, Signal, Slot
from PySide6.QtDBus import QDBusConnection


@ClassInfo({"D-Bus Interface": "org.freedesktop.Notifications"})
class NotificationService(QObject):
    ActionInvoked = Signal("uint", str)
    NotificationClosed = Signal("uint", "uint")

    def __init__(self, record: Path, delay: float = 0.0) -> None:
        super().__init__()
        self.record = record
        self.delay = delay
        self.calls: list[dict] = []
        self.last_id = 0
        record.write_text("[]", encoding="utf-8")

    @Slot(str, "uint", str, str, str, "QStringList", "QVariantMap", int, result="uint")
    def Notify(self, app_name, replaces_id, app_icon, summary, body, actions, hints, timeout):
        if replaces_id:
            notification_id = replaces_id
        else:
            self.last_id += 1
            notification_id = self.last_id
        self.calls.append(
            {
                "app_name": app_name,
                "replaces_id": replaces_id,
                "app_icon": app_icon,
                "summary": summary,
                "body": body,
                "actions": list(actions),
                "hints": {k: str(v) for k, v in hints.items()},
                "expire_timeout": timeout,
                "id": notification_id,
            }
        )
        tmp = self.record.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.calls), encoding="utf-8")
        tmp.replace(self.record)
        if self.delay:
            time.sleep(self.delay)  # a slow service: the caller must not be waiting for this
        return notification_id

    @Slot(result="QStringList")
    def GetCapabilities(self):
        return ["actions", "body"]

    @Slot(result=str)
    def GetServerInformation(self):
        return "test-notifications"

    @Slot("uint")
    def CloseNotification(self, notification_id):
        closed = self.record.with_name(self.record.stem + "-closed.json")
        done = json.loads(closed.read_text(encoding="utf-8")) if closed.exists() else []
        closed.write_text(json.dumps([*done, int(notification_id)]), encoding="utf-8")
        self.NotificationClosed.emit(notification_id, 3)

    @Slot("uint", str)
    def TestInvokeAction(self, notification_id, action):
        self.ActionInvoked.emit(notification_id, action)


def main() -> int:
    app = QCoreApplication(sys.argv[:1])
    bus = QDBusConnection.sessionBus()
    delay = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    service = NotificationService(Path(sys.argv[1]), delay)
    options = (
        QDBusConnection.RegisterOption.ExportAllSlots
        | QDBusConnection.RegisterOption.ExportAllSignals
    )
    if not bus.registerObject("/org/freedesktop/Notifications", service, options):
        print("cannot register the object", file=sys.stderr)
        return 1
    if not bus.registerService("org.freedesktop.Notifications"):
        print("cannot own org.freedesktop.Notifications", file=sys.stderr)
        return 1
    print("ready", flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
