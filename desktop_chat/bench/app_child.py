"""The app side of scenario `app` (`bench/app.py` is the parent): the real
`desktop_chat.app`, offscreen, with a probe that times what a person sees.

Owns: `main(data_dir, url, options)`: makes the QApplication, installs `_Probe`
(an event filter that notes paints of the conversation list and of the message
list) and runs `desktop_chat.app` on the data directory the parent signed in
(as a module, as `desktop-chat` runs it). Once the conversation list first
paints with rows, the probe drives the phases (`bench/app.py` lists them) with
real mouse clicks, a 1 ms heartbeat timer for stalls, psutil for CPU and
memory, and a read-only look at the app's own database for what arrived. It
reports one JSON line per phase on stdout and reads the parent's "go" lines on
stdin.

Never: change what the app does (it only watches, clicks and reads).
"""

from __future__ import annotations

import asyncio
import json
import os
import runpy
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psutil
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QListView

from desktop_chat.ui.chat.message_list import MessageList
from desktop_chat.ui.conversations.chat_list import ChatListPane


def _say(phase: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"phase": phase, **fields}) + "\n")
    sys.stdout.flush()


async def _line() -> dict[str, Any]:
    text = await asyncio.to_thread(sys.stdin.readline)
    if not text:
        os._exit(0)  # the parent went away
    found: dict[str, Any] = json.loads(text)
    return found


class _Heartbeat:
    """A 1 ms timer: the longest gap between its ticks, less its interval, is the
    longest the event loop could not run."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(1)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.longest = 0.0

    def start(self) -> None:
        self.last = time.perf_counter()
        self.longest = 0.0
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now

    def stop_ms(self) -> float:
        self.timer.stop()
        return max(0.0, self.longest * 1000 - 1)


class _Probe(QObject):
    def __init__(self, data_dir: Path, options: dict[str, Any]) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.options = options
        self.me = psutil.Process()
        self.created = self.me.create_time()
        self.started = False
        self.pane: ChatListPane | None = None
        self.paint_wanted: asyncio.Future[float] | None = None
        self.tasks: list[asyncio.Task[None]] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            parent = watched.parent()
            if not self.started and isinstance(parent, QListView):
                self._maybe_started(parent)
            elif (
                isinstance(parent, MessageList)
                and self.paint_wanted is not None
                and not self.paint_wanted.done()
            ):
                self.paint_wanted.set_result(time.perf_counter())
        return False

    def _maybe_started(self, view: QListView) -> None:
        pane = view.parent()
        if isinstance(pane, ChatListPane) and view.model() and view.model().rowCount() > 0:
            self.started = True
            self.pane = pane
            _say("started", cold_start_ms=round((time.time() - self.created) * 1000, 1))
            self.tasks.append(asyncio.ensure_future(self._drive()))

    # ------------------------------------------------------------------ phases

    async def _click_row(self, row: int) -> float | None:
        """Click a row of the conversation list; ms to the message list's next paint
        (None: none within 5 s, as when the row clicked is the chat already open)."""
        assert self.pane is not None
        view = self.pane.list
        view.scrollTo(view.model().index(row % view.model().rowCount(), 0))
        await asyncio.sleep(0.05)  # the scroll's own paints first
        # A fresh index: messages arriving meanwhile move chats up the list, and an
        # index held across an await may name a row that has moved.
        index = view.model().index(row % view.model().rowCount(), 0)
        self.paint_wanted = asyncio.get_running_loop().create_future()
        clicked = time.perf_counter()
        QTest.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center()
        )
        try:
            painted = await asyncio.wait_for(self.paint_wanted, 5)
        except TimeoutError:
            return None
        finally:
            self.paint_wanted = None
        return (painted - clicked) * 1000

    async def _drive(self) -> None:
        try:
            await self._phases()
        except BaseException as exc:
            _say("error", error=f"{type(exc).__name__}: {exc}")
            os._exit(1)
        await asyncio.sleep(0.2)
        os._exit(0)

    async def _phases(self) -> None:
        await asyncio.sleep(1.0)  # let the start settle (unread counts, first layout)
        clicks = [await self._click_row(row * 3 + 1) for row in range(self.options["switches"])]
        times = [ms for ms in clicks if ms is not None]
        _say(
            "switched",
            switch_p50_ms=round(statistics.median(times), 1),
            switch_max_ms=round(max(times), 1),
            switches=len(times),
            switches_without_a_paint=len(clicks) - len(times),
        )
        await asyncio.sleep(2.0)
        cpu = self.me.cpu_times()
        idle = self.options["idle_seconds"]
        await asyncio.sleep(idle)
        after = self.me.cpu_times()
        used = after.user + after.system - cpu.user - cpu.system
        _say("idle", idle_cpu_pct=round(100 * used / idle, 2), idle_seconds=idle)
        await self._burst()
        await self._chat()

    async def _burst(self) -> None:
        await _line()  # go: the parent starts sending
        beat = _Heartbeat()
        beat.start()
        told = await _line()  # it stopped sending
        stall = beat.stop_ms()
        waited = time.perf_counter()
        stored = await self._stored(told["tag"], told["expect"])
        _say(
            "burst",
            burst_max_stall_ms=round(stall, 1),
            burst_stored=stored,
            burst_lost=told["expect"] - stored,
            burst_all_stored_after_s=round(time.perf_counter() - waited, 2),
        )

    async def _chat(self) -> None:
        go = await _line()  # go, for this many seconds
        row = 0
        reading = asyncio.ensure_future(_line())
        while not reading.done():
            row += 1
            await self._click_row(row * 7)
            await asyncio.wait({reading}, timeout=3.0)
        told = reading.result()
        stored = await self._stored(told["tag"], told["expect"])
        await asyncio.sleep(5.0)  # then idle, as after a conversation
        _say(
            "chatted",
            rss_after_chat_mb=round(self.me.memory_info().rss / 2**20, 1),
            chat_lost=told["expect"] - stored,
            chat_seconds=go["seconds"],
        )

    async def _stored(self, tag: str, expect: int, timeout: float = 60.0) -> int:
        """How many of the `tag` messages the app's own database holds, once all of
        them are there or `timeout` passed."""
        db = self.data_dir / "accounts" / "me" / "client.db"
        deadline = time.monotonic() + timeout
        while True:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                (count,) = conn.execute(
                    "SELECT count(*) FROM messages WHERE msg_id LIKE ?", (f"{tag}-%",)
                ).fetchone()
            if count >= expect or time.monotonic() > deadline:
                return int(count)
            await asyncio.sleep(0.2)


def main(args: list[str]) -> None:
    data_dir, url, options = Path(args[0]), args[1], json.loads(args[2])
    app = QApplication(sys.argv[:1])
    probe = _Probe(data_dir, options)
    app.installEventFilter(probe)
    # The app as `desktop-chat` runs it (its QApplication is the one made here).
    sys.argv = ["desktop-chat", "--server", url, "--data-dir", str(data_dir)]
    runpy.run_module("desktop_chat.app", run_name="__main__")
