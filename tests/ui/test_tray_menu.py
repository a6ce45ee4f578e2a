"""The tray: its menu (Open, Mute notifications for 1 hour, Sign out, Quit), the
mute that ends by itself, and a second launch raising the window out of the tray.

The real app (`AppSession`) for alice, real server, bob writing; offscreen Qt has
no system tray, so the tray's availability is the one thing injected
(`tray=True`, i.e. `enable_tray(available=True)`).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from app_driver import App, until

from desktop_chat.client import ChatMessage
from desktop_chat.ui.single_instance import SingleInstance

ROOT = Path(__file__).resolve().parents[2]


def menu_items(window) -> dict[str, object]:
    return {
        a.text().replace("&", ""): a
        for a in window.tray.contextMenu().actions()
        if not a.isSeparator()
    }


def test_the_tray_menu_and_muting_notifications_for_an_hour(qt_loop, clients, tmp_path):
    async def scenario():
        await clients.harness.start()
        bob = await clients.login("bob")
        app = await App(tmp_path / "pc", clients.harness.url, tray=True).start()
        await app.sign_in("alice", register=True)
        window = app.window
        assert window.tray is not None
        assert list(menu_items(window)) == [
            "Open",
            "Mute notifications for 1 hour",
            "Sign out",
            "Quit",
        ]
        mute = next(
            a for a in window.tray.contextMenu().actions() if a.objectName() == "mute_notifications"
        )
        assert mute.isCheckable() and not mute.isChecked()

        mute.trigger()
        assert mute.isChecked() and window.notifier.muted
        assert "muted until" in mute.text()
        assert 3590 < window.notifier.muted_for() <= 3600
        await bob.chat_manager.send_message(ChatMessage.text("alice", "while muted"))
        await until(lambda: app.controller.conversations.row("bob") is not None)
        await until(lambda: app.controller.conversations.row("bob").unread == 1)
        assert window.notifications == [], "nothing is notified while muted"

        mute.trigger()  # unchecking ends it at once
        assert not mute.isChecked() and not window.notifier.muted
        assert mute.text().replace("&", "") == "Mute notifications for 1 hour"

        window.notifier.mute_for(0.3)  # the hour, shortened: it ends by itself
        assert mute.isChecked()
        await until(lambda: not mute.isChecked(), what="the mute ended by itself")
        assert not window.notifier.muted
        await bob.chat_manager.send_message(ChatMessage.text("alice", "after the mute"))
        await until(lambda: window.notifications, what="notified again")
        assert window.notifications[-1] == ("bob", "after the mute")

        window.close()  # to the tray
        await until(lambda: not window.isVisible(), what="the window in the tray")
        assert not app.task.done()
        menu_items(window)["Open"].trigger()
        await until(window.isVisible, what="Open shows the window")
        menu_items(window)["Quit"].trigger()
        await app.finished()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


async def second_launch(data_dir) -> int:
    """`desktop-chat --data-dir DATA` started again, as a person would; its exit code."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "desktop_chat.app", "--data-dir", str(data_dir), env=env
    )
    return await asyncio.wait_for(process.wait(), 60)


def test_a_second_launch_raises_the_window_out_of_the_tray(qt_loop, clients, tmp_path):
    async def scenario():
        await clients.harness.start()
        data = tmp_path / "pc"
        app = await App(data, clients.harness.url, tray=True).start()
        await app.sign_in("alice", register=True)
        running = SingleInstance(data)
        assert running.claim()
        running.raise_requested.connect(app.session.raise_window)
        window = app.window
        window.close()
        await until(lambda: not window.isVisible(), what="the window in the tray")

        second = SingleInstance(data)
        assert not second.claim(), "one copy per data directory"
        assert await second_launch(data) == 0
        await until(window.isVisible, what="the window back from the tray")
        assert not window.isMinimized()

        window.showMinimized()
        await until(window.isMinimized)
        assert await second_launch(data) == 0
        await until(lambda: not window.isMinimized(), what="restored from minimized")
        running.release()
        await app.close()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))
