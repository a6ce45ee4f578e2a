"""The tray under a real window manager (Xvfb + jwm, whose tray has a dock).

The real app (`AppSession`) asks Qt whether the desktop has a system tray,
nothing injected: closing the window with the window manager's close (Alt+F4)
keeps the app in jwm's tray and messages arriving; the tray's Quit ends it.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ui"))
from app_driver import App, until

from desktop_chat.client import ChatMessage

pytestmark = [
    pytest.mark.x11,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY"),
        reason="needs a real X server: DISPLAY is unset (./scripts/test runs this under "
        "xvfb-run with jwm)",
    ),
]


def test_closing_the_window_keeps_the_app_in_jwms_tray(qt_loop, clients, tmp_path, x11):
    from PySide6.QtWidgets import QSystemTrayIcon

    async def scenario():
        await clients.harness.start()
        bob = await clients.login("bob")
        await until(QSystemTrayIcon.isSystemTrayAvailable, what="jwm's tray")
        app = await App(tmp_path / "pc", clients.harness.url).start()
        await app.sign_in("alice", register=True)
        window = app.window
        assert window.tray is not None and window.tray.isVisible()
        await x11.arun("windowactivate", "--sync", int(window.winId()))
        await x11.arun("key", "--clearmodifiers", "alt+F4")  # jwm's close
        await until(lambda: not window.isVisible(), what="the window in the tray")
        await asyncio.sleep(0.3)
        assert not app.task.done(), "the app keeps running"
        await bob.chat_manager.send_message(ChatMessage.text("alice", "ping"))
        await until(lambda: any(text == "ping" for _t, text in window.notifications))
        quit_action = next(
            a for a in window.tray.contextMenu().actions() if a.text().replace("&", "") == "Quit"
        )
        quit_action.trigger()
        await app.finished()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))
