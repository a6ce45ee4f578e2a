"""The main window reopens where, how big and how split it was, per person.

The layout lives in the app's settings file (`AppSettings.window_layouts`, in
settings.json), written when the window closes, signs out or quits. The restart
tests run the real app (`AppSession`) on a data dir, quit it with Ctrl+Q and start
a second app on the same data dir; the others make real windows from a settings
file on disk, as a restart does. Offscreen Qt has one 800 x 800 screen.
"""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path

from app_driver import App, until
from PySide6.QtCore import QByteArray, QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from desktop_chat.ui.chat.chat_view import ChatView
from desktop_chat.ui.chat.message_model import MessageListModel
from desktop_chat.ui.conversations.conversation_model import ConversationListModel
from desktop_chat.ui.main_window import LAST_LAYOUT, MainWindow
from desktop_chat.ui.settings import AppSettings, load, save


def window_from(path: Path, username: str, settings: AppSettings | None = None) -> MainWindow:
    """A new main window for `username` keeping its layout in the settings at `path`
    (already loaded as `settings`: windows open at once share them), as the app's
    session makes one after a start or a sign in."""
    settings = settings or load(path)
    window = MainWindow(username, ConversationListModel(), ChatView(MessageListModel()), None)
    window.keep_layout_in(settings.window_layouts, lambda: save(settings, path))
    return window


async def shown(window: MainWindow) -> None:
    window.show()
    await until(window.isVisible, what="the window shown")
    await until(lambda: window.windowHandle() is not None and window.windowHandle().isExposed())


def screen_area() -> QRect:
    return QGuiApplication.primaryScreen().availableGeometry()


def test_the_window_comes_back_where_and_as_big_as_it_was_after_a_restart(
    qt_loop, clients, tmp_path
):
    async def scenario():
        await clients.harness.start()
        app = await App(tmp_path / "pc", clients.harness.url).start()
        await app.sign_in("alice", register=True)
        window = app.window
        window.resize(620, 470)
        window.move(90, 60)
        window.splitter.setSizes([380, 240])
        await until(lambda: window.geometry().size().width() == 620, what="resized")
        placed, split = window.geometry(), window.splitter.sizes()
        await app.ctrl_q()
        assert "alice" in load(tmp_path / "pc" / "settings.json").window_layouts

        again = await App(tmp_path / "pc", clients.harness.url).start()
        assert again.controller is not None, "the saved session resumes"
        assert again.window.geometry() == placed
        assert again.window.splitter.sizes() == split
        assert not again.window.isMaximized()
        await again.ctrl_q()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_maximized_stays_maximized_across_sign_out_and_a_restart(qt_loop, clients, tmp_path):
    async def scenario():
        await clients.harness.start()
        app = await App(tmp_path / "pc", clients.harness.url).start()
        await app.sign_in("alice", register=True)
        app.window.resize(560, 420)
        app.window.move(120, 140)
        await until(lambda: app.window.geometry().width() == 560, what="resized")
        normal = app.window.geometry()
        app.window.showMaximized()
        await until(app.window.isMaximized, what="maximized")
        app.window.sign_out_requested.emit()
        await app.sign_in("alice")
        assert app.window.isMaximized(), "signed in again: maximized as it was"
        assert app.window.normalGeometry() == normal, "and un-maximizes to where it was"
        await app.ctrl_q()

        again = await App(tmp_path / "pc", clients.harness.url).start()
        assert again.window.isMaximized()
        again.window.showNormal()
        await until(lambda: not again.window.isMaximized(), what="un-maximized")
        await until(lambda: again.window.geometry() == normal, what="back where it was")
        await again.ctrl_q()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_a_window_reopens_from_the_settings_file_with_its_size_place_and_splitter(
    qt_loop, tmp_path
):
    path = tmp_path / "settings.json"
    save(AppSettings(dwell_seconds=2.5), path)

    async def scenario():
        window = window_from(path, "alice")
        window.resize(610, 450)
        window.move(70, 50)
        await shown(window)
        window.splitter.setSizes([350, 260])
        placed, split = window.geometry(), window.splitter.sizes()
        window.dispose()
        saved = load(path)
        assert set(saved.window_layouts) == {"alice", LAST_LAYOUT}
        assert saved.dwell_seconds == 2.5, "the other settings are kept"

        again = window_from(path, "alice")
        await shown(again)
        assert again.geometry() == placed
        assert again.splitter.sizes() == split
        again.dispose()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 20))


def test_a_window_saved_on_a_monitor_that_is_gone_comes_back_on_the_screen(qt_loop, tmp_path):
    path = tmp_path / "settings.json"

    async def scenario():
        window = window_from(path, "alice")
        window.resize(600, 500)
        await shown(window)
        window.move(2200, 1500)  # on a second monitor beside and below this one
        await until(lambda: window.geometry().left() > 2000, what="moved away")
        state, size = window.layout_state(), window.geometry().size()
        window.dispose()
        geometry, split = state.split()
        raw = bytearray(QByteArray.fromBase64(geometry.encode()).data())
        # Qt's format: magic, version, frame and normal geometry, then the screen's
        # number: this layout was saved on screen #1, the monitor since detached.
        struct.pack_into(">i", raw, 4 + 2 + 2 + 16 + 16, 1)
        detached = bytes(QByteArray(bytes(raw)).toBase64().data()).decode()
        settings = AppSettings(window_layouts={"alice": f"{detached} {split}"})
        save(settings, path)
        assert len(QApplication.screens()) == 1

        again = window_from(path, "alice")
        await shown(again)
        assert screen_area().contains(again.geometry()), again.geometry()
        assert screen_area().contains(again.frameGeometry().topLeft()), "its title bar too"
        assert again.geometry().size() == size
        again.dispose()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 20))


def test_two_windows_keep_their_own_places_and_a_new_person_opens_at_the_last(qt_loop, tmp_path):
    path = tmp_path / "settings.json"

    async def scenario():
        settings = AppSettings()
        alice, bob = window_from(path, "alice", settings), window_from(path, "bob", settings)
        for window, place in ((alice, (30, 60)), (bob, (260, 400))):
            window.resize(520, 360)
            window.move(*place)
            await shown(window)
        places = {w.username: w.geometry() for w in (alice, bob)}
        bob.dispose()
        alice.dispose()  # the last to close

        for name in ("bob", "alice"):
            again = window_from(path, name)
            await shown(again)
            assert again.geometry() == places[name]
            again.dispose()
        carol = window_from(path, "carol")
        await shown(carol)
        assert carol.geometry() == places["alice"], "someone new opens where the last was"
        carol.dispose()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 20))


def test_a_broken_layout_leaves_the_window_as_it_opens(qt_loop, tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"window_layouts": {"alice": "not a layout", "bob": 7}}', encoding="utf-8")
    assert load(path).window_layouts == {"alice": "not a layout"}
    window = window_from(path, "alice")
    assert window.size().width() == 960, "the default size"
    assert not window.restore_layout("AAAA AAAA")
    window.dispose()


def test_a_hidden_window_does_not_overwrite_where_it_was(qt_loop, tmp_path):
    path = tmp_path / "settings.json"

    async def scenario():
        window = window_from(path, "alice")
        window.move(30, 30)
        await shown(window)
        window.close()  # no tray here: the app quits, the session then disposes it
        saved = load(path).window_layouts["alice"]
        window.hide()
        window.move(300, 300)
        window.dispose()
        assert load(path).window_layouts["alice"] == saved

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 20))
