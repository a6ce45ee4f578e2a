"""QObjects are destroyed on the GUI thread only, even when another thread allocates.

CPython's automatic collector runs in whatever thread allocates when a threshold is
crossed. A QObject left in a reference cycle and collected from a worker thread
(`asyncio.to_thread`, password hashing, the embedded server) cannot stop its Qt
timers: the GUI thread's dispatcher keeps them and later delivers a QTimerEvent to
freed memory. That was the offscreen part's rare "Fatal Python error: Segmentation
fault" inside qasync's `run_forever` (a closed test loop's `_SimpleTimer`, collected
while `harness.start()` ran `Passwords` in a worker). `ui.gui_gc` runs every
collection on the GUI thread; tests/conftest.py runs Qt tests that way too.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import weakref
from pathlib import Path

from PySide6.QtCore import QObject

from desktop_chat.ui.gui_gc import GuiThreadCollector

ROOT = Path(__file__).resolve().parents[2]


def allocate_in_a_thread(objects: int = 200_000) -> list:
    """What a worker does: allocate (and keep) enough to cross every threshold."""
    kept: list = []
    worker = threading.Thread(target=lambda: kept.extend([] for _ in range(objects)))
    worker.start()
    worker.join()
    return kept


def qobject_in_a_cycle(freed_in: list[str]) -> None:
    """A QObject reachable only from a reference cycle; where it is freed is recorded."""
    obj = QObject()
    obj.cycle = [obj]
    weakref.finalize(obj, lambda: freed_in.append(threading.current_thread().name))


def test_a_qt_test_runs_with_the_automatic_collector_off(qapp):
    assert not gc.isenabled(), "tests/conftest.py: Qt tests collect on the GUI thread only"


def test_garbage_qobjects_are_freed_by_the_gui_thread_not_by_an_allocating_worker(qtbot):
    freed_in: list[str] = []
    qobject_in_a_cycle(freed_in)
    kept = allocate_in_a_thread()
    assert freed_in == [], "the worker's allocations must not run the collector"
    qtbot.waitUntil(lambda: freed_in != [], timeout=5000)  # the collector's QTimer
    assert freed_in == [threading.main_thread().name]
    del kept


def test_the_collector_follows_the_thresholds_and_gives_the_collector_back(qapp):
    collector = GuiThreadCollector(interval_ms=10_000)
    gc.enable()  # as outside a Qt test
    try:
        collector.start()
        assert not gc.isenabled()
        gc.collect()
        assert collector.collect_due() == 0, "nothing is due right after a collection"
        freed_in: list[str] = []
        qobject_in_a_cycle(freed_in)
        keep = [[] for _ in range(gc.get_threshold()[0] + 1)]
        assert gc.get_count()[0] > gc.get_threshold()[0]
        collector.collect_due()
        assert freed_in == [threading.main_thread().name]
        assert gc.get_count()[0] < gc.get_threshold()[0]
        del keep
    finally:
        collector.stop()
    assert gc.isenabled(), "stop() turns the automatic collector back on"
    gc.disable()  # the Qt tests' regime (tests/conftest.py) goes on


CLOSED_LOOP_SCRIPT = """
import asyncio, gc, sys, threading, weakref
import qasync
from PySide6.QtWidgets import QApplication
from desktop_chat.ui.gui_gc import GuiThreadCollector

app = QApplication(sys.argv[:1])
collector = GuiThreadCollector(interval_ms=50)
if sys.argv[1:] != ["--without-collector"]:
    collector.start()
freed_in = []

def closed_loop():
    # One test's loop, as the qt_loop fixture leaves it: closed, in reference
    # cycles, and a cancelled `call_later` (a finished `wait_for`'s timeout) still a
    # running Qt timer of its _SimpleTimer: qasync only looks at it when it fires.
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    loop.call_later(0.5, print, "never").cancel()
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()
    asyncio.set_event_loop(None)
    weakref.finalize(loop._timer, lambda: freed_in.append(threading.current_thread().name))

closed_loop()
# The next test's server start: `Passwords` built in a worker thread.
kept = []
worker = threading.Thread(target=lambda: kept.extend([] for _ in range(200_000)))
worker.start()
worker.join()
loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)
loop.run_until_complete(asyncio.sleep(1.0))  # the old timer's time comes
gc.collect()  # the old loop sits in generation 1: the GUI thread's next collection
print("freed in", freed_in)
"""


def test_a_closed_loop_collected_while_a_worker_allocates_does_not_crash_the_next_loop(
    tmp_path,
):
    """The offscreen part's crash, end to end with the real qasync: run with
    `--without-collector`, the worker frees the old loop's timer object and the next
    loop dies with SIGSEGV (rc -11) when that timer fires."""
    script = tmp_path / "closed_loop.py"
    script.write_text(CLOSED_LOOP_SCRIPT)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-X", "faulthandler", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "freed in ['MainThread']" in done.stdout, done.stdout


def test_the_app_starts_the_collector(qapp, monkeypatch, tmp_path):
    """`desktop-chat` runs its loop with the collector on, and gives it back after."""
    import qasync

    from desktop_chat import app as app_module

    seen: list[bool] = []

    def run(coro):
        coro.close()
        seen.append(gc.isenabled())

    monkeypatch.setattr(qasync, "run", run)
    umask = os.umask(0o022)  # main() makes the process's files private: put it back
    os.umask(umask)
    gc.enable()
    try:
        assert app_module.main(["--data-dir", str(tmp_path / "data"), "--server", "ws://x"]) == 0
        assert seen == [False], "the automatic collector is off while the app runs"
        assert gc.isenabled()
    finally:
        gc.disable()  # the Qt tests' regime (tests/conftest.py) goes on
        os.umask(umask)
