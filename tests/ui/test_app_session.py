"""The app's life as a person lives it: closing the window, the tray, signing out.

The real app (`AppSession`) runs against a real server. Offscreen Qt has no
system tray, so a test says whether the desktop has one (`App(tray=...)`); the
tray icon, its menu and the window are real. tests/x11 repeats the tray case
with jwm's real tray.
"""

from __future__ import annotations

import asyncio

import shiboken6
from app_driver import App, until
from PySide6.QtWidgets import QApplication

from desktop_chat.client import ChatMessage
from desktop_chat.ui.main_window import MainWindow
from desktop_chat.ui.session import settings_for


def action(menu, text: str):
    found = [a for a in menu.actions() if a.text().replace("&", "") == text]
    assert found, f"no {text!r} in {[a.text() for a in menu.actions()]}"
    return found[0]


def main_windows() -> list[MainWindow]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]


def test_closing_the_window_keeps_the_app_in_the_tray_and_messages_arriving(
    qt_loop, clients, tmp_path
):
    async def scenario():
        await clients.harness.start()
        bob = await clients.login("bob")
        app = await App(tmp_path / "pc", clients.harness.url, tray=True).start()
        await app.sign_in("alice", register=True)
        window = app.window
        tray = window.tray
        assert tray is not None and tray.isVisible()
        menu = tray.contextMenu()
        assert [a.text().replace("&", "") for a in menu.actions() if a.text()] == [
            "Open",
            "Mute notifications for 1 hour",
            "Sign out",
            "Quit",
        ]
        window.close()  # the title bar's close button
        await until(lambda: not window.isVisible(), what="the window hidden")
        await asyncio.sleep(0.2)
        assert not app.task.done(), "closing the window does not quit"
        await bob.chat_manager.send_message(ChatMessage.text("alice", "still there?"))
        await until(
            lambda: any("still there?" in text for _title, text in window.notifications),
            what="a notification while in the tray",
        )
        assert app.controller.conversations.row("bob").unread == 1, "nothing read while hidden"
        action(menu, "Open").trigger()
        await until(window.isVisible, what="the window back")
        action(menu, "Quit").trigger()
        await app.finished()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_without_a_tray_closing_the_window_quits(qt_loop, clients, tmp_path):
    async def scenario():
        await clients.harness.start()
        app = await App(tmp_path / "pc", clients.harness.url, tray=False).start()
        await app.sign_in("alice", register=True)
        assert app.window.tray is None
        app.window.close()
        await app.finished()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_signing_out_ends_the_window_its_tray_icon_and_its_client(qt_loop, clients, tmp_path):
    async def scenario():
        await clients.harness.start()
        app = await App(tmp_path / "pc", clients.harness.url, tray=True).start()
        await app.sign_in("alice", register=True)
        old_window, old_client = app.window, app.controller.client
        old_tray = old_window.tray
        sign_out = action(old_window.menuBar().actions()[0].menu(), "Sign out")
        sign_out.trigger()
        await until(lambda: app.session.login_dialog is not None, what="the sign-in dialog")
        await until(lambda: not shiboken6.isValid(old_window), what="the old window gone")
        assert not shiboken6.isValid(old_tray), "the old tray icon is gone"
        assert old_client.store is None and not old_client.is_connected
        await app.sign_in("alice")
        assert main_windows() == [app.window], "one window: the new session's"
        assert app.window.tray is not None and app.window.tray.isVisible()
        await until(lambda: app.window.connection_label.text() == "Connected")
        app.window.close()  # goes to the tray; the new session lives on
        await asyncio.sleep(0.2)
        assert not app.task.done()
        await app.close()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_the_server_flag_is_what_the_sign_in_dialog_shows_and_is_remembered(tmp_path):
    assert settings_for(tmp_path, None).server_url == ""
    assert settings_for(tmp_path, "ws://chat.example:8765").server_url == "ws://chat.example:8765"
    # The next start without --server goes to the same server.
    assert settings_for(tmp_path, None).server_url == "ws://chat.example:8765"
