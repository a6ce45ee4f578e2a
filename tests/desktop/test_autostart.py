"""Start on login: the Settings checkbox writes or removes the XDG autostart entry.

`appdata.set_autostart` is tested on its own with XDG_CONFIG_HOME in tmp_path and
its entry validated by `desktop-file-validate`; then the real Settings dialog,
opened from the real app's session, turns it on and off.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ui"))
from app_driver import App, until
from PySide6.QtWidgets import QCheckBox
from test_desktop_entry import run, tool

from desktop_chat.appdata import APP_ID, autostart_enabled, autostart_path, set_autostart


@pytest.fixture
def config_home(tmp_path, monkeypatch):
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def test_the_autostart_entry_is_written_valid_and_removed(config_home):
    path = autostart_path()
    assert path == config_home / "autostart" / f"{APP_ID}.desktop"
    assert not autostart_enabled()
    assert set_autostart(True) == path
    assert autostart_enabled()
    run(tool("desktop-file-validate"), str(path))
    entries = dict(
        line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line
    )
    launcher = Path(sys.executable).with_name("desktop-chat")
    assert entries["Exec"] == str(launcher), "this installation's desktop-chat, no %u"
    assert entries["X-GNOME-Autostart-enabled"] == "true"
    assert entries["Icon"] == "desktop-chat"
    set_autostart(True)  # again: still one valid entry
    run(tool("desktop-file-validate"), str(path))
    set_autostart(False)
    assert not path.exists() and not autostart_enabled()
    set_autostart(False)  # removing what is not there is fine


def test_the_settings_checkbox_turns_start_on_login_on_and_off(
    qt_loop, clients, tmp_path, config_home
):
    async def scenario():
        await clients.harness.start()
        app = await App(tmp_path / "pc", clients.harness.url).start()
        await app.sign_in("alice", register=True)
        session = app.session

        def open_settings():
            session.open_settings()
            dialog = session._dialogs[-1]
            return dialog, dialog.findChild(QCheckBox, "start_on_login")

        dialog, box = open_settings()
        assert box is not None and not box.isChecked()
        box.setChecked(True)
        dialog.accept()
        assert autostart_enabled(), "Save wrote the autostart entry"
        assert session.settings.start_on_login

        dialog, box = open_settings()
        assert box.isChecked(), "the dialog shows the entry is there"
        box.setChecked(False)
        dialog.accept()
        assert not autostart_path().exists(), "Save removed it"
        await until(lambda: not session._dialogs)
        await app.close()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_on_macos_the_entry_is_a_launch_agent_written_and_removed(tmp_path):
    import plistlib

    home = tmp_path / "home"
    path = autostart_path(home, platform="darwin")
    assert path == home / "Library" / "LaunchAgents" / f"{APP_ID}.plist"
    assert not autostart_enabled(home, platform="darwin")
    assert set_autostart(True, home, platform="darwin") == path
    agent = plistlib.loads(path.read_bytes())
    launcher = Path(sys.executable).with_name("desktop-chat")
    assert agent == {"Label": APP_ID, "ProgramArguments": [str(launcher)], "RunAtLoad": True}
    assert autostart_enabled(home, platform="darwin")
    assert not (tmp_path / "home" / ".config").exists(), "nothing XDG on macOS"
    set_autostart(False, home, platform="darwin")
    assert not path.exists() and not autostart_enabled(home, platform="darwin")
