"""`desktop-chat --demo` on a real X server (Xvfb + jwm): the newcomer's first minute.

The real console script starts as its own process: two windows, alice's and
bob's, must appear side by side and paint, and Ctrl+Q must end the process
cleanly (exit code 0, no traceback).
"""

from __future__ import annotations

import contextlib
import os
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

pytestmark = [
    pytest.mark.x11,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY"),
        reason="needs a real X server: DISPLAY is unset (./scripts/test runs this under "
        "xvfb-run with jwm)",
    ),
]

START_SECONDS = 15.0
EXIT_SECONDS = 10.0


def find_window(name: str) -> int | None:
    """The demo window of `name` (its title may end with an unread count), if shown.

    A search that fails (a window went away while xdotool walked the tree) is made
    again, so None means a clean search found no such window."""
    for _ in range(5):
        done = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", f"^desktop_chat .+ {name}( \\(|$)"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        ids = done.stdout.split()
        if done.returncode == 0 and ids:
            return int(ids[0])
        if done.returncode == 1 and not done.stderr.strip():
            return None  # searched the whole tree: not there
        time.sleep(0.1)
    return None


def window_titles() -> list[str]:
    """Every visible desktop_chat window's title (for a failure's message)."""
    done = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", "desktop_chat", "getwindowname", "%@"],
        capture_output=True,
        text=True,
        timeout=5,
    )
    return done.stdout.splitlines() + ([done.stderr.strip()] if done.stderr.strip() else [])


def window_gone(name: str, seconds: float) -> bool:
    """Whether `name`'s window stops being shown within `seconds` (two clean searches
    in a row find nothing)."""
    deadline = time.monotonic() + seconds
    absent = 0
    while time.monotonic() < deadline:
        absent = absent + 1 if find_window(name) is None else 0
        if absent >= 2:
            return True
        time.sleep(0.2)
    return False


def window_shown(name: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if find_window(name) is not None:
            return True
        time.sleep(0.2)
    return False


def geometry(x11, window: int) -> dict[str, int]:
    lines = x11.run("getwindowgeometry", "--shell", window).splitlines()
    return {k: int(v) for k, v in (line.split("=", 1) for line in lines) if k != "WINDOW"}


def screenshot(path: Path) -> tuple[int, int, int, int, bytes]:
    """The root window as an XWD file (xwd from x11-apps); (width, height, bpp, bpl, pixels)."""
    subprocess.run(["xwd", "-root", "-silent", "-out", str(path)], check=True, timeout=10)
    data = path.read_bytes()
    # XWD header: 25 big-endian CARD32, then the window name, colormap, pixels.
    header = struct.unpack(">25I", data[:100])
    header_size, width, height = header[0], header[4], header[5]
    bits_per_pixel, bytes_per_line, ncolors = header[11], header[12], header[19]
    pixels = data[header_size + 12 * ncolors :]
    assert len(pixels) >= bytes_per_line * height, "truncated screenshot"
    return width, height, bits_per_pixel, bytes_per_line, pixels


def colours_in(shot, box: dict[str, int]) -> int:
    """How many different pixel values one row through the middle of `box` has."""
    width, height, bpp, bpl, pixels = shot
    step = bpp // 8
    y = min(height - 1, box["Y"] + box["HEIGHT"] // 2)
    left, right = max(0, box["X"]), min(width, box["X"] + box["WIDTH"])
    row = pixels[y * bpl + left * step : y * bpl + right * step]
    return len({row[i : i + step] for i in range(0, len(row), step)})


def desktop_chat_command() -> list[str]:
    script = Path(sys.executable).parent / "desktop-chat"
    assert script.exists(), f"{script} missing: run `bash scripts/bootstrap.sh`"
    return [str(script)]


@contextlib.contextmanager
def demo(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, dict[str, int], IO[str]]]:
    """The real `desktop-chat --demo` on this X server, until both windows are shown;
    killed afterwards if it is still running."""
    log = (tmp_path / "demo.log").open("w+")
    process = subprocess.Popen(
        [*desktop_chat_command(), "--demo", "--data-dir", str(tmp_path / "data")],
        env={**os.environ, "QT_QPA_PLATFORM": "xcb"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + START_SECONDS
        windows: dict[str, int | None] = {"alice": None, "bob": None}
        while None in windows.values():
            assert process.poll() is None, f"the demo exited early ({process.returncode})"
            assert time.monotonic() < deadline, f"no demo windows within {START_SECONDS} s"
            time.sleep(0.2)
            windows = {name: find_window(name) for name in windows}
        shown = {name: window for name, window in windows.items() if window is not None}
        yield process, shown, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
        log.close()


def ended_cleanly(process: subprocess.Popen, log: IO[str], after: str) -> None:
    """The demo ends by itself within EXIT_SECONDS, exit code 0, no traceback."""
    try:
        code = process.wait(timeout=EXIT_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the demo did not end within {EXIT_SECONDS} s of {after}")
    log.seek(0)
    output = log.read()
    assert code == 0, output
    assert "Traceback" not in output, output


def test_demo_shows_two_windows_side_by_side_and_quits_cleanly(tmp_path, x11):
    with demo(tmp_path) as (process, windows, log):
        alice, bob = windows["alice"], windows["bob"]
        a, b = geometry(x11, alice), geometry(x11, bob)
        assert a["X"] + a["WIDTH"] <= b["X"], f"alice's window is not left of bob's: {a} {b}"
        assert abs(a["Y"] - b["Y"]) <= 2 and a["HEIGHT"] >= 400 and b["HEIGHT"] >= 400
        assert b["X"] + b["WIDTH"] <= 1280 and a["X"] >= 0, "windows must fit on the screen"

        time.sleep(1.0)  # let both windows paint their chats
        shot = screenshot(tmp_path / "demo.xwd")
        assert shot[:2] == (1280, 800)
        for who, box in (("alice", a), ("bob", b)):
            assert colours_in(shot, box) >= 3, f"{who}'s window looks blank"

        x11.run("windowactivate", "--sync", alice)
        x11.run("key", "--clearmodifiers", "ctrl+q")
        ended_cleanly(process, log, "Ctrl+Q")


def test_signing_out_of_each_demo_window_ends_it_and_then_the_demo(tmp_path, x11):
    """The demo's people cannot sign in again: Chat > Sign out ends that window (it did
    nothing once), and the demo ends cleanly with its last window."""
    with demo(tmp_path) as (process, windows, log):
        time.sleep(1.0)  # both windows up and painted
        for name, window in windows.items():
            x11.run("windowactivate", "--sync", window)
            x11.run("key", "--clearmodifiers", "alt+c")  # the Chat menu, as a person opens it
            time.sleep(0.5)
            x11.run("key", "o")  # Sign &out
            assert window_gone(name, EXIT_SECONDS), f"{name}'s window stayed after Sign out"
            if name == "alice":
                assert window_shown("bob", 5.0), f"bob's window went too: {window_titles()}"
                assert process.poll() is None, "one window left: the demo goes on"
        ended_cleanly(process, log, "its last sign-out")
