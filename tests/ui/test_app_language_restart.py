"""The UI language chosen in Settings holds across a real restart of the app, both
ways: Chinese after choosing it and starting again, English again after choosing
English and starting again. The language applies at the next start, so the window
that chose it keeps its language until then."""

from __future__ import annotations

import asyncio

from app_driver import App, until
from PySide6.QtWidgets import QComboBox, QDialogButtonBox

from desktop_chat.ui.i18n import install_translations
from desktop_chat.ui.settings import load


def menu_title(app: App) -> str:
    return app.window.menuBar().actions()[0].text()


async def choose_language(app: App, language: str) -> None:
    """As a person does: Chat > Settings…, pick the language, Save."""
    app.window.settings_requested.emit()
    await until(lambda: app.session._dialogs, what="the settings dialog")
    dialog = app.session._dialogs[-1]
    combo = dialog.findChild(QComboBox, "language")
    index = combo.findData(language)
    assert index >= 0, f"{language} is offered"
    combo.setCurrentIndex(index)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()
    await until(lambda: not app.session._dialogs, what="the settings saved")


def test_the_chosen_language_comes_back_after_a_restart_both_ways(qt_loop, clients, tmp_path):
    async def scenario():
        await clients.harness.start()
        pc = tmp_path / "alice-pc"
        app = await App(pc, clients.harness.url).start()
        try:
            await app.sign_in("alice", register=True)
            assert menu_title(app) == "&Chat"
            await choose_language(app, "zh_CN")
            assert load(pc / "settings.json").language == "zh_CN"
            assert menu_title(app) == "&Chat", "the running window keeps its language"
            await app.ctrl_q()

            app = await App(pc, clients.harness.url).start()
            assert app.controller is not None, "the session resumes"
            await app.shown()
            assert menu_title(app) == "聊天(&C)"
            assert app.window.windowTitle().startswith("desktop_chat")
            await choose_language(app, "en")
            await app.ctrl_q()

            app = await App(pc, clients.harness.url).start()
            await app.shown()
            assert menu_title(app) == "&Chat"
            await app.ctrl_q()
        finally:
            await app.close()
            install_translations("en")  # whatever happened, the next test starts in English
            await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))
