"""Native notifications against a real notification service on a private session bus.

Each test starts its own `dbus-daemon --session` and, where it says so, the small
service in `notification_service.py` (a real D-Bus service in its own process that
records every Notify call and can click a notification). The app side is the real
app (`AppSession` through `app_driver.App`, or a `ChatController`), real server, real
senders; its notifier is pointed at the private bus with `use_bus`, since the test
process's own session bus is Qt's to choose once. One test runs the notifier in a
child process with only `DBUS_SESSION_BUS_ADDRESS` set, as the installed app runs.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ui"))
from app_driver import App, until

from desktop_chat.client import ChatMessage

ROOT = Path(__file__).resolve().parents[2]
SERVICE_SCRIPT = Path(__file__).with_name("notification_service.py")
_names = itertools.count()


class PrivateBus:
    """A session bus of the test's own, and optionally the notification service on it."""

    def __init__(self, tmp_path: Path) -> None:
        daemon = shutil.which("dbus-daemon")
        if daemon is None:
            message = "dbus-daemon is missing: ./scripts/test installs it (Debian: dbus-daemon)"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        self.daemon = subprocess.Popen(
            [daemon, "--session", "--print-address", "--nofork"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.daemon.stdout is not None
        self.address = self.daemon.stdout.readline().strip()
        assert self.address, "dbus-daemon printed no address"
        self.record = tmp_path / "notifications.json"
        self.service: subprocess.Popen | None = None
        self.connection_name = f"test-bus-{os.getpid()}-{next(_names)}"
        self._connection = None

    def connection(self):
        """This process's connection to the private bus (what `use_bus` takes)."""
        from PySide6.QtDBus import QDBusConnection

        if self._connection is None:
            self._connection = QDBusConnection.connectToBus(self.address, self.connection_name)
            assert self._connection.isConnected(), self._connection.lastError().message()
        return self._connection

    def env(self) -> dict[str, str]:
        return {**os.environ, "DBUS_SESSION_BUS_ADDRESS": self.address}

    def start_service(self, delay: float = 0.0) -> None:
        """Start the service; it answers each Notify `delay` seconds after it got it."""
        self.service = subprocess.Popen(
            [sys.executable, str(SERVICE_SCRIPT), str(self.record), str(delay)],
            stdout=subprocess.PIPE,
            text=True,
            env=self.env(),
        )
        assert self.service.stdout is not None
        assert self.service.stdout.readline().strip() == "ready"

    def calls(self) -> list[dict]:
        try:
            return json.loads(self.record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []

    def closed(self) -> list[int]:
        """The ids the app asked the service to close (CloseNotification)."""
        try:
            path = self.record.with_name(self.record.stem + "-closed.json")
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []

    def click(self, notification_id: int, action: str = "default") -> None:
        """What a person's click does: the service emits ActionInvoked."""
        from PySide6.QtCore import Q_ARG, QMetaObject, Qt
        from PySide6.QtDBus import QDBusInterface

        iface = QDBusInterface(
            "org.freedesktop.Notifications",
            "/org/freedesktop/Notifications",
            "org.freedesktop.Notifications",
            self.connection(),
        )
        assert iface.isValid(), iface.lastError().message()
        QMetaObject.invokeMethod(
            iface,
            "TestInvokeAction",
            Qt.ConnectionType.DirectConnection,
            Q_ARG("uint", notification_id),
            Q_ARG(str, action),
        )
        assert not iface.lastError().isValid(), iface.lastError().message()

    def close(self) -> None:
        from PySide6.QtDBus import QDBusConnection

        for process in (self.service, self.daemon):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(10)
        if self.daemon.stdout is not None:
            self.daemon.stdout.close()
        if self.service is not None and self.service.stdout is not None:
            self.service.stdout.close()
        if self._connection is not None:
            QDBusConnection.disconnectFromBus(self.connection_name)


@pytest.fixture
def private_bus(tmp_path):
    bus = PrivateBus(tmp_path)
    yield bus
    bus.close()


def test_a_message_notifies_through_the_service_and_a_click_opens_the_chat(
    qt_loop, clients, tmp_path, private_bus
):
    from desktop_chat.ui.desktop_notify import notification_icon

    private_bus.start_service()

    async def scenario():
        harness = clients.harness
        await harness.start()
        await harness.register("carol")
        bob = await clients.login("bob")
        app = await App(tmp_path / "alice-pc", harness.url, tray=False).start()
        await app.sign_in("alice", register=True)
        window = app.window
        window.notifier.use_bus(private_bus.connection())

        await bob.chat_manager.send_message(ChatMessage.text("alice", "first line\n" + "x" * 500))
        await until(lambda: len(private_bus.calls()) == 1, what="a Notify call")
        first = private_bus.calls()[0]
        assert first["app_name"] == "desktop_chat"
        assert first["app_icon"] == notification_icon()
        assert Path(first["app_icon"]).is_file(), "the app icon, as a file"
        assert first["summary"] == "bob"
        assert first["body"].startswith("first line x") and "\n" not in first["body"]
        assert len(first["body"]) <= 101
        assert "default" in first["actions"][::2]
        assert first["replaces_id"] == 0
        assert window.notifier.last_route == "dbus"

        await bob.chat_manager.send_message(ChatMessage.text("alice", "second"))
        await until(lambda: len(private_bus.calls()) == 2, what="the second Notify")
        second = private_bus.calls()[1]
        assert second["replaces_id"] == first["id"], "a burst from one chat updates one"
        assert second["body"] == "second"

        group = await bob.group_manager.create_group("Launch team", ["alice", "carol"])
        await until(lambda: group.group_id in app.controller.client.groups)
        await bob.chat_manager.send_message(
            ChatMessage.text(group.group_id, "standup now", "groupchat")
        )
        await until(lambda: len(private_bus.calls()) == 3, what="the group's Notify")
        in_group = private_bus.calls()[2]
        assert in_group["summary"] == "bob in Launch team"
        assert in_group["body"] == "standup now"
        assert in_group["replaces_id"] == 0, "another chat, another notification"
        assert app.controller.conversations.row("bob").unread == 2, "not read by notifying"

        window.showMinimized()
        await until(window.isMinimized, what="the window minimized")
        assert app.controller.messages.conversation_id != "bob"
        private_bus.click(second["id"])
        await until(
            lambda: app.controller.messages.conversation_id == "bob", what="bob's chat opened"
        )
        await until(
            lambda: window.isVisible() and not window.isMinimized(), what="the window raised"
        )
        # Opened, the chat's notification goes from the screen; the group's stays.
        await until(lambda: private_bus.closed() == [first["id"]], what="bob's withdrawn")
        app.controller.open_conversation(group.group_id)  # opened from the list this time
        await until(
            lambda: private_bus.closed() == [first["id"], in_group["id"]],
            what="the group's withdrawn",
        )
        app.controller.open_conversation("bob")
        assert private_bus.closed() == [first["id"], in_group["id"]], "none left to close"
        await app.close()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_without_a_notification_service_the_tray_balloon_then_nothing(
    qt_loop, clients, private_bus
):
    from desktop_chat.ui.controller import ChatController

    async def scenario():
        await clients.harness.start()
        alice = await clients.login("alice")
        bob = await clients.login("bob")
        controller = ChatController(alice)
        window = controller.window
        window.show()
        window.notifier.use_bus(private_bus.connection())  # a bus, but no service on it
        assert not window.notifier.has_service

        await bob.chat_manager.send_message(ChatMessage.text("alice", "no tray yet"))
        await until(lambda: len(window.notifications) == 1)
        # Known absent by now, or found so when Notify fails: the window never waits.
        await until(lambda: window.notifier.last_route == "none", what="nowhere to show it")
        assert "no tray yet" in window.statusBar().currentMessage(), "the status line, as ever"

        window.enable_tray(available=True)
        await bob.chat_manager.send_message(ChatMessage.text("alice", "to the tray"))
        await until(lambda: len(window.notifications) == 2)
        assert window.notifier.last_route == "tray"

        private_bus.start_service()  # the service appears: it is used from then on
        await until(lambda: window.notifier.has_service, what="the service noticed")
        await bob.chat_manager.send_message(ChatMessage.text("alice", "over d-bus"))
        await until(lambda: len(private_bus.calls()) == 1, what="a Notify call")
        assert window.notifier.last_route == "dbus"
        assert private_bus.calls()[0]["body"] == "over d-bus"
        await controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_the_app_finds_the_service_on_the_session_bus_it_was_given(private_bus):
    """As the installed app runs: only DBUS_SESSION_BUS_ADDRESS says where the bus is."""
    private_bus.start_service()
    probe = (
        "import time; from PySide6.QtWidgets import QApplication; app = QApplication([]);"
        "from desktop_chat.ui.desktop_notify import DesktopNotifier;"
        "notifier = DesktopNotifier(lambda: None); notifier.show('bob', 'hello', 'bob');"
        "deadline = time.monotonic() + 30\n"
        "while notifier.busy and time.monotonic() < deadline: app.processEvents()\n"
        "print(notifier.last_route)"
    )
    env = {**private_bus.env(), "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "dbus"
    [call] = private_bus.calls()
    assert (call["summary"], call["body"]) == ("bob", "hello")


def test_a_slow_service_never_holds_up_the_window(qt_loop, clients, private_bus):
    """The window hands a notification to the bus and goes on: it never waits for the
    service (here 1.5 s to answer each Notify). What comes meanwhile from the same chat
    replaces that one notification once its id is known, and a chat opened meanwhile
    takes it off as soon as it is there."""
    from desktop_chat.ui.controller import ChatController

    private_bus.start_service(delay=1.5)

    async def scenario():
        await clients.harness.start()
        alice = await clients.login("alice")
        controller = ChatController(alice)
        window = controller.window
        window.show()
        window.notifier.use_bus(private_bus.connection())

        started = time.monotonic()
        window.notify("bob", "one", "bob")
        took = time.monotonic() - started
        assert took < 0.5, f"notify() held the GUI thread {took:.2f} s for the service"
        started = time.monotonic()
        window.notify("bob", "two", "bob")  # the first one's id is not known yet
        took = time.monotonic() - started
        assert took < 0.5, f"the second notify() held the GUI thread {took:.2f} s"

        await until(lambda: len(private_bus.calls()) == 2, timeout=20, what="both Notify calls")
        first, second = private_bus.calls()
        assert (first["body"], first["replaces_id"]) == ("one", 0)
        assert (second["body"], second["replaces_id"]) == ("two", first["id"]), "one per chat"

        window.notifier.withdraw("bob")  # opened while the service is still answering
        await until(lambda: private_bus.closed() == [first["id"]], timeout=20, what="closed")
        assert len(private_bus.calls()) == 2, "nothing more shown"
        await controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))
