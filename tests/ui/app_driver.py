"""Drive the whole app (`AppSession`, as `desktop-chat` runs it) from a test.

`App` runs one session on a data dir against the test's real server, signs in
through the real sign-in dialog, and quits with a real Ctrl+Q key press. A
restart is a second `App` on the same data dir: a new client, a new window.
Nothing is injected except, where a test says so, the tray's availability
(offscreen Qt has no system tray).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton

from desktop_chat.ui.chat.message_delegate import MessageDelegate
from desktop_chat.ui.controller import ChatController
from desktop_chat.ui.own_server import OwnServer
from desktop_chat.ui.session import AppSession, start_own_server
from desktop_chat.ui.settings import load

PASSWORD = "correct horse"
DWELL = 0.3  # the read tracker's dwell in `Person`, shortened to keep tests quick


class Person:
    """One person's chat window (`ChatController`, 900 x 600, shown), with its activity
    under the test's control: `active` and `last_input` are what the read tracker asks."""

    def __init__(self, client) -> None:
        self.active = True
        self.last_input = time.monotonic()
        self.controller = ChatController(
            client,
            message_delegate=MessageDelegate(),
            dwell_seconds=DWELL,
            tracker_sources={
                "is_active": lambda: self.active,
                "last_input": lambda: self.last_input,
            },
        )
        window = self.controller.window
        window.resize(900, 600)
        window.show()

    @property
    def view(self):
        return self.controller.chat_view


async def until(predicate, timeout: float = 10.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout} s")
        await asyncio.sleep(0.02)


class App:
    """One run of the app on `data_dir` (a person's computer), like `run_app`."""

    def __init__(
        self,
        data_dir: Path,
        server_url: str,
        *,
        tray: bool | None = None,
        own_server: OwnServer | None = None,
    ) -> None:
        """`own_server`: this computer's own server, run as `run_app` runs it (then
        `server_url` is "" unless the settings name another server)."""
        QApplication.instance().setQuitOnLastWindowClosed(False)  # as `desktop-chat` does
        self.data_dir = data_dir
        self.own_server = own_server
        settings = load(data_dir / "settings.json")
        self.session = AppSession(data_dir, server_url, settings, None, own_server)
        if tray is not None:
            self.session.tray_available = lambda: tray
        self.task: asyncio.Task | None = None

    @property
    def controller(self):
        return self.session.controller

    @property
    def window(self):
        assert self.session.controller is not None, "not signed in"
        return self.session.controller.window

    async def start(self) -> App:
        own, settings = self.own_server, self.session.settings
        if own is not None:  # as run_app: the saved server, else this computer's own
            url = settings.server_url or await start_own_server(own, settings)
            self.session.server_url = url
        self.task = asyncio.ensure_future(self.session.run())
        await until(
            lambda: self.session.controller is not None or self.session.login_dialog is not None,
            what="the window or the sign-in dialog",
        )
        if self.session.controller is not None:
            await self.shown()
        return self

    async def shown(self) -> None:
        window = self.window
        await until(window.isVisible, what="the main window shown")
        window.activateWindow()
        await until(window.isActiveWindow, what="the main window active")

    def login_field(self, name: str) -> QLineEdit:
        dialog = self.session.login_dialog
        assert dialog is not None, "no sign-in dialog"
        field = dialog.findChild(QLineEdit, name)
        assert field is not None, name
        return field

    async def sign_in(self, username: str, *, register: bool = False, password: str = PASSWORD):
        await until(lambda: self.session.login_dialog is not None, what="the sign-in dialog")
        dialog = self.session.login_dialog
        self.login_field("username").setText(username)
        self.login_field("password").setText(password)
        button = dialog.findChild(QPushButton, "register" if register else "sign_in")
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
        await until(lambda: self.session.controller is not None, what=f"{username} signed in")
        await self.shown()

    async def ctrl_q(self) -> None:
        """Quit as a person does: Ctrl+Q in the active window; wait until the app ended."""
        await self.shown()
        QTest.keyClick(self.window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
        await self.finished()

    async def finished(self, timeout: float = 10.0) -> None:
        assert self.task is not None
        await asyncio.wait_for(asyncio.shield(self.task), timeout)
        if self.own_server is not None:
            await self.own_server.stop()

    async def close(self) -> None:
        """End the run whatever state it is in (test clean-up)."""
        self.session.quit.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 10)
        if self.own_server is not None:
            await self.own_server.stop()
