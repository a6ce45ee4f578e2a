"""Fixtures for the x11 suite: tests that need a real X server and window manager.

`./scripts/test` runs them under `xvfb-run` with `jwm` as the window manager and
QT_QPA_PLATFORM=xcb; a plain offscreen run leaves them out (`-m "not x11"`), and
each module skips itself when DISPLAY is unset.

- `x11`: runs xdotool (bounded in time, from a coroutine through a worker thread
  so the Qt loop keeps running), starts other X clients that can take the focus,
  and kills them after the test.

When DISPLAY is set, a missing xdotool, a missing window manager or a Qt platform
other than xcb is a failure, not a skip: these tests would prove nothing.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import uuid

import pytest

WM_WAIT_SECONDS = 10.0
XDOTOOL_TIMEOUT = 10.0


def xdotool(*args: str | int, timeout: float = XDOTOOL_TIMEOUT) -> str:
    """Run xdotool; its stdout, stripped. Fails the test on an error or a timeout."""
    command = ["xdotool", *map(str, args)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(command)} did not finish within {timeout} s")
    if done.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout.strip()


def window_manager_running() -> bool:
    """An EWMH window manager (jwm) answers _NET_CURRENT_DESKTOP; bare Xvfb does not."""
    done = subprocess.run(["xdotool", "get_desktop"], capture_output=True, timeout=5)
    return done.returncode == 0


@pytest.fixture(scope="session", autouse=True)
def x11_display() -> str:
    """The X display the suite runs on, checked once: xdotool works, a WM is up."""
    display = os.environ.get("DISPLAY", "")
    if not display:  # the modules' skipif normally catches this first
        pytest.skip("needs a real X server: DISPLAY is unset")
    if shutil.which("xdotool") is None:
        pytest.fail("xdotool is missing: run `bash scripts/bootstrap.sh --x11`")
    platform = os.environ.get("QT_QPA_PLATFORM", "xcb")
    if not platform.startswith("xcb"):
        pytest.fail(f"the x11 suite needs QT_QPA_PLATFORM=xcb, not {platform!r}")
    deadline = time.monotonic() + WM_WAIT_SECONDS
    while not window_manager_running():
        if time.monotonic() > deadline:
            pytest.fail(
                f"no window manager on {display} after {WM_WAIT_SECONDS} s: start one "
                "(`jwm &`) before the x11 tests"
            )
        time.sleep(0.1)
    return display


class X11:
    """xdotool, and other X clients that can take the focus from the app."""

    def __init__(self) -> None:
        self.others: list[subprocess.Popen] = []

    run = staticmethod(xdotool)

    async def arun(self, *args: str | int, timeout: float = XDOTOOL_TIMEOUT) -> str:
        """xdotool from a coroutine: in a worker thread, so Qt keeps handling events."""
        return await asyncio.to_thread(xdotool, *args, timeout=timeout)

    async def start_other_client(self, program: str = "xlogo") -> int:
        """Start another X client (from x11-apps) with a unique title; its window id."""
        title = f"x11-other-{uuid.uuid4().hex[:8]}"
        process = subprocess.Popen(
            [program, "-title", title],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.others.append(process)
        found = await self.arun("search", "--sync", "--name", f"^{title}$")
        return int(found.split()[0])

    def close(self) -> None:
        for process in self.others:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=5)
        self.others.clear()


@pytest.fixture
def x11():
    helper = X11()
    yield helper
    helper.close()
