"""Where the settings live: the XDG config directory, and an old file moves there.

Real processes of the real app, with XDG_DATA_HOME and XDG_CONFIG_HOME in tmp_path
and no --data-dir (the default places, as a person starts it). An old
`settings.json` beside the data is moved on the first start; what a run saves is
what the next run reads. With --data-dir the settings stay in that directory.
"""

from __future__ import annotations

import json

from app_process import AppProcess, app_env


def test_the_settings_move_to_the_config_dir_and_survive_a_restart(tmp_path):
    data_home, config_home = tmp_path / "data", tmp_path / "config"
    env = app_env(XDG_DATA_HOME=str(data_home), XDG_CONFIG_HOME=str(config_home))
    old = data_home / "desktop_chat" / "settings.json"
    new = config_home / "desktop_chat" / "settings.json"
    old.parent.mkdir(parents=True)
    old.write_text(
        json.dumps({"dwell_seconds": 2.5, "last_username": "zed", "server_url": "ws://127.0.0.1:9"})
    )

    first = AppProcess(env=env)
    try:
        line = first.wait_for("session:settings from")
    finally:
        first.kill()
    assert f"settings from {new}; server ws://127.0.0.1:9" in line
    assert f"moved the settings from {old} to {new}" in first.log
    assert not old.exists(), "moved, not copied"
    assert json.loads(new.read_text())["dwell_seconds"] == 2.5

    second = AppProcess("--server", "ws://127.0.0.1:8", env=env)
    try:
        second.wait_for("session:settings from")
    finally:
        second.kill()
    third = AppProcess(env=env)
    try:
        line = third.wait_for("session:settings from")
    finally:
        third.kill()
    assert "server ws://127.0.0.1:8" in line, "what the last run saved, read by the next"
    saved = json.loads(new.read_text())
    assert saved["dwell_seconds"] == 2.5 and saved["last_username"] == "zed"
    assert not old.exists()


def test_an_explicit_data_dir_keeps_its_settings(tmp_path):
    config_home = tmp_path / "config"
    env = app_env(XDG_CONFIG_HOME=str(config_home), XDG_DATA_HOME=str(tmp_path / "data"))
    data = tmp_path / "profile"
    run = AppProcess("--data-dir", str(data), "--server", "ws://127.0.0.1:9", env=env)
    try:
        line = run.wait_for("session:settings from")
    finally:
        run.kill()
    assert f"settings from {data / 'settings.json'}" in line
    assert json.loads((data / "settings.json").read_text())["server_url"] == "ws://127.0.0.1:9"
    assert not (config_home / "desktop_chat" / "settings.json").exists()
