"""One app per data directory, with real processes of the real app.

A second launch on the same data directory asks the running one to raise its
window and exits 0; the running one raises it. Another data directory gets a
copy of its own. After the running copy is SIGKILLed (its lock and socket left
behind), a new launch takes over and starts normally.
"""

from __future__ import annotations

import subprocess

import pytest
from app_process import DEAD_SERVER, AppProcess, app_env, command

from desktop_chat.ui.single_instance import server_name


@pytest.fixture(autouse=True)
def _no_sockets_left(tmp_path):
    """A SIGKILLed app leaves its socket in the temp dir: take the tests' ones away."""
    yield
    from PySide6.QtNetwork import QLocalServer

    for name in ("data", "other"):
        QLocalServer.removeServer(server_name(tmp_path / name))


def second_launch(data_dir) -> subprocess.CompletedProcess:
    return subprocess.run(
        command("--data-dir", str(data_dir), "--server", DEAD_SERVER),
        capture_output=True,
        text=True,
        timeout=60,
        env=app_env(),
    )


def test_a_second_launch_raises_the_first_and_exits(tmp_path):
    data = tmp_path / "data"
    first = AppProcess("--data-dir", str(data), "--server", DEAD_SERVER)
    other = None
    try:
        first.wait_for("settings from")
        assert (data / "instance.lock").is_file()
        second = second_launch(data)
        assert second.returncode == 0, second.stderr
        assert "already running" in second.stdout
        assert "settings from" not in second.stderr, "the second never started the app"
        first.wait_for("raising the sign-in dialog")
        assert first.running

        other = AppProcess("--data-dir", str(tmp_path / "other"), "--server", DEAD_SERVER)
        other.wait_for("settings from")  # its own data directory, its own copy
        assert first.running and other.running
    finally:
        first.kill()
        if other is not None:
            other.kill()


def test_after_a_crash_a_new_launch_starts_normally(tmp_path):
    data = tmp_path / "data"
    crashed = AppProcess("--data-dir", str(data), "--server", DEAD_SERVER)
    crashed.wait_for("settings from")
    crashed.kill()  # SIGKILL: the lock file and the socket stay behind
    assert (data / "instance.lock").is_file()
    again = AppProcess("--data-dir", str(data), "--server", DEAD_SERVER)
    try:
        again.wait_for("settings from")
        assert again.running
        second = second_launch(data)  # and it answers as the running copy
        assert second.returncode == 0, second.stderr
        again.wait_for("raising the sign-in dialog")
    finally:
        again.kill()
