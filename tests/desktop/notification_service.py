"""A small freedesktop notification service for the tests, run as its own process.

`python notification_service.py RECORD.json` registers `org.freedesktop.Notifications`
on the session bus that `DBUS_SESSION_BUS_ADDRESS` names, appends each `Notify`
call's arguments to RECORD.json (a JSON list, rewritten whole after each call), and
answers with the notification's id (`replaces_id` when given, else a new one). The
test side clicks a notification by calling `TestInvokeAction(id, action)`, which
emits `ActionInvoked(id, action)` as a real notification daemon does on a click.
Prints "ready" once the name is owned.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import ClassInfo, QCoreApplication, QObject, Signal, Slot
from PySide6.QtDBus import QDBusConnection


@ClassInfo({"D-Bus Interface": "org.freedesktop.Notifications"})
class NotificationService(QObject):
    ActionInvoked = Signal("uint", str)
    NotificationClosed = Signal("uint", "uint")

    def __init__(self, record: Path) -> None:
        super().__init__()
        self.record = record
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
    service = NotificationService(Path(sys.argv[1]))
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
