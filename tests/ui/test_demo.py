"""`desktop-chat --demo` as a newcomer uses it: two real windows on a real local
server, whose menus do what they say. "Sign out" in a demo window ends that window
(its people cannot sign in again), and the demo ends with its last window."""

from __future__ import annotations

import asyncio

import shiboken6
from app_driver import until
from PySide6.QtWidgets import QApplication

from desktop_chat.demo import run_demo
from desktop_chat.ui.main_window import MainWindow


def demo_windows() -> dict[str, MainWindow]:
    return {
        w.username: w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, MainWindow) and shiboken6.isValid(w) and w.isVisible()
    }


def menu_action(window: MainWindow, text: str):
    for menu_entry in window.menuBar().actions():
        for item in menu_entry.menu().actions():
            if item.text().replace("&", "") == text:
                return item
    raise AssertionError(f"no {text!r} in {window.username}'s menu")


def test_sign_out_ends_that_demo_window_and_the_last_one_ends_the_demo(qt_loop, tmp_path):
    async def scenario():
        demo = asyncio.ensure_future(run_demo(tmp_path / "demo"))
        await until(lambda: set(demo_windows()) == {"alice", "bob"}, what="both demo windows")
        menu_action(demo_windows()["bob"], "Sign out").trigger()
        await until(lambda: set(demo_windows()) == {"alice"}, what="bob's window gone")
        await asyncio.sleep(0.3)
        assert not demo.done(), "alice's window goes on"
        menu_action(demo_windows()["alice"], "Sign out").trigger()
        await asyncio.wait_for(demo, 30)
        assert demo_windows() == {}

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 90))
