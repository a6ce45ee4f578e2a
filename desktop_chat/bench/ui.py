"""Scenario `ui`: the app's message list with a 100,000-message conversation, offscreen.

Owns: the parent side (`run`: starts `python -m desktop_chat.bench.ui --child`
with QT_QPA_PLATFORM=offscreen and reads its JSON) and the child, which:
1. writes N messages into a real `LocalStore` (one transaction; not timed);
2. opens the conversation as the app does (fresh `LocalStore`, the real
   `MessageListModel`, `MessageDelegate` and `ChatView`), timing it to the
   first paint of the list;
3. records the process's RSS;
4. scrolls up through history frame by frame (the model pages older messages in
   with `fetchMore`), timing each frame (scroll, events, synchronous repaint);
5. runs a receipt storm: `rate` receipts per second for `storm_seconds`, each
   tick one `model.update` with rows on screen, rows loaded but scrolled away,
   and messages not loaded at all, while a 1 ms heartbeat timer measures the
   longest event-loop stall; then reports `MessageListModel.repainted_rows`.

Never: touch the network or a real display.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from desktop_chat.bench.common import percentile, rnd, table

if TYPE_CHECKING:
    import psutil
    from PySide6.QtCore import QCoreApplication

    from desktop_chat.client.local_store import LocalStore
    from desktop_chat.ui.chat.chat_view import ChatView
    from desktop_chat.ui.chat.message_model import MessageListModel

SETTLE_SECONDS = 2.0


def run(messages: int = 100_000, storm_seconds: float = 3.0, frames: int = 300) -> dict[str, Any]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    argv = [
        sys.executable,
        "-m",
        "desktop_chat.bench.ui",
        "--child",
        "--messages",
        str(messages),
        "--storm-seconds",
        str(storm_seconds),
        "--frames",
        str(frames),
    ]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"ui child failed ({done.returncode}): {done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def render(r: dict[str, Any]) -> str:
    columns = ["figure", "value"]
    rows = [
        ["messages in the conversation", r["messages"]],
        ["app as is: open to first paint, ms", r["app_open_ms"]],
        ["app as is: rows at first paint", r["app_rows_at_first_paint"]],
        [f"app as is: rows loaded {r['app_settle_seconds']} s later", r["app_rows_after_settle"]],
        ["app as is: longest event-loop stall then, ms", r["app_settle_max_stall_ms"]],
        ["app as is: process RSS, MB", r["app_rss_mb"]],
        ["second open to first paint, ms", r["open_ms"]],
        ["process RSS after open, MB", r["rss_mb_after_open"]],
        ["process RSS at end, MB", r["rss_mb_end"]],
        ["scroll frames", r["scroll_frames"]],
        [
            "scroll frame p50 / p99 / max, ms",
            f"{r['frame_p50_ms']} / {r['frame_p99_ms']} / {r['frame_max_ms']}",
        ],
        ["rows loaded after scrolling", r["rows_loaded_after_scroll"]],
        [
            "storm receipts (achieved per s)",
            f"{r['storm_receipts']} ({r['storm_receipts_per_s']}/s)",
        ],
        ["largest event-loop stall in storm, ms", r["storm_max_stall_ms"]],
        [
            "visible / offscreen / unloaded updated",
            f"{r['storm_visible']} / {r['storm_offscreen']} / {r['storm_unloaded']}",
        ],
        ["rows repainted (dataChanged rows)", r["storm_repainted_rows"]],
    ]
    return table("ui (offscreen, real LocalStore + MessageListModel + ChatView)", columns, rows)


# ---------------------------------------------------------------------- the child


class _Rows(Protocol):
    """What `on_screen_rows` reads of a `MessageListModel`."""

    def row_of(self, msg_id: str) -> int | None: ...

    def rowCount(self) -> int: ...


def on_screen_rows(model: _Rows, msg_ids: Iterable[str]) -> list[int]:
    """The rows of the messages on screen (row 0 included); the last row if none is."""
    rows = [row for msg_id in msg_ids if (row := model.row_of(msg_id)) is not None]
    return rows or [model.rowCount() - 1]


@dataclasses.dataclass
class _StormState:
    n: int = 0  # receipts sent
    gap: float = 0.0  # the longest stall between two heartbeats, ms
    last: float | None = None  # the last heartbeat, ms
    ticks: int = 0


def _fill(path: Path, count: int) -> str:
    from desktop_chat.client.local_store import LocalStore
    from desktop_chat.client.models import (
        ChatMessage,
        ChatType,
        MessageDirection,
        TextMessageBody,
    )
    from desktop_chat.protocol import Mark

    store = LocalStore(path)
    base = 1_700_000_000_000
    for i in range(count):
        outgoing = i % 3 != 0
        store.save_message(
            ChatMessage(
                msg_id=f"ui{i:08d}",
                conversation_id="bob",
                from_="me" if outgoing else "bob",
                to="bob" if outgoing else "me",
                chat_type=ChatType.CHAT,
                body=TextMessageBody(f"message {i}: " + "lorem ipsum dolor sit amet " * (i % 4)),
                direction=MessageDirection.SEND if outgoing else MessageDirection.RECEIVE,
                server_time=base + i * 1000,
                local_time=base + i * 1000,
                conv_seq=i + 1,
                mark=Mark.SENT,
                created=False,
                need_read_ack=True,
                recipient_read=True,
            )
        )
    store.touch_conversation("bob", ChatType.CHAT, base + count * 1000)
    store.close()
    return "bob"


def _rss_mb(me: psutil.Process) -> float | None:
    return rnd(me.memory_info().rss / 2**20, 1)


def _open_chat(
    app: QCoreApplication, path: Path, conversation: str
) -> tuple[LocalStore, MessageListModel, ChatView, float]:
    """The app's own classes on the conversation: ms until the first paint."""
    from PySide6.QtCore import QEvent, QObject

    from desktop_chat.client.local_store import LocalStore
    from desktop_chat.ui.chat.chat_view import ChatView
    from desktop_chat.ui.chat.message_delegate import MessageDelegate
    from desktop_chat.ui.chat.message_model import MessageListModel

    class PaintSeen(QObject):
        painted = 0

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                self.painted += 1
            return False

    t0 = time.perf_counter()
    store = LocalStore(path)
    model = MessageListModel()
    view = ChatView(model, MessageDelegate())
    seen = PaintSeen()
    view.list.viewport().installEventFilter(seen)
    view.resize(900, 700)
    model.load(
        conversation,
        lambda before, count: store.conversation_messages(conversation, before, count),
    )
    view.show_conversation("bob", "", False)
    view.show()
    deadline = time.perf_counter() + 30
    while not seen.painted and time.perf_counter() < deadline:
        app.processEvents()
    return store, model, view, (time.perf_counter() - t0) * 1000


def _first_open(
    app: QCoreApplication, path: Path, conversation: str, me: psutil.Process, out: dict[str, Any]
) -> None:
    """Step 2 as the app is: open to first paint, then what follows; then close it all."""
    store, model, view, open_ms = _open_chat(app, path, conversation)
    out["app_open_ms"] = rnd(open_ms, 1)
    out["app_rows_at_first_paint"] = model.rowCount()
    # Qt calls fetchMore whenever the view sits at the bottom; the model loads older
    # pages only when the view asks (at its top), so this must stay one page.
    settle_end = time.perf_counter() + SETTLE_SECONDS
    longest = 0.0
    while time.perf_counter() < settle_end:
        t = time.perf_counter()
        app.processEvents()
        longest = max(longest, time.perf_counter() - t)
    out["app_rows_after_settle"] = model.rowCount()
    out["app_settle_seconds"] = SETTLE_SECONDS
    out["app_settle_max_stall_ms"] = rnd(longest * 1000, 1)
    out["app_rss_mb"] = _rss_mb(me)
    model.clear()
    view.close()
    view.deleteLater()
    model.deleteLater()
    store.close()
    app.processEvents()


def _scroll(
    app: QCoreApplication, view: ChatView, model: MessageListModel, frames: int, out: dict[str, Any]
) -> None:
    """Step 4: up through history frame by frame (bounded in frames and in time)."""
    bar = view.list.verticalScrollBar()
    frame_ms: list[float] = []
    scroll_end = time.perf_counter() + 60
    for _ in range(frames):
        if time.perf_counter() > scroll_end:
            break
        t = time.perf_counter()
        bar.setValue(bar.value() - 90)
        app.processEvents()
        view.list.viewport().repaint()
        frame_ms.append((time.perf_counter() - t) * 1000)
    out["scroll_frames"] = len(frame_ms)
    out["frame_p50_ms"] = rnd(percentile(frame_ms, 50), 2)
    out["frame_p99_ms"] = rnd(percentile(frame_ms, 99), 2)
    out["frame_max_ms"] = rnd(max(frame_ms), 2)
    out["rows_loaded_after_scroll"] = model.rowCount()


@dataclasses.dataclass
class _StormAim:
    """The rows a storm's receipts go to, and what it has sent where."""

    visible: list[int]
    offscreen: list[int]
    per_tick: int
    counts: dict[str, int] = dataclasses.field(
        default_factory=lambda: {"visible": 0, "offscreen": 0, "unloaded": 0, "receipts": 0}
    )


def _storm_tick(model: MessageListModel, aim: _StormAim, state: _StormState) -> None:
    """One tick of the storm: `per_tick` receipts, the loaded ones in one `update`."""
    from desktop_chat.protocol import Mark

    marks = [Mark.DELIVERED, Mark.READ]
    counts, visible, offscreen = aim.counts, aim.visible, aim.offscreen
    batch = []
    for _ in range(aim.per_tick):
        n = state.n
        state.n += 1
        kind = n % 3
        if kind == 0 or not offscreen:
            row = visible[n % len(visible)]
            counts["visible"] += 1
        elif kind == 1:
            row = offscreen[n % len(offscreen)]
            counts["offscreen"] += 1
        else:
            counts["unloaded"] += 1
            counts["receipts"] += 1
            continue  # a receipt for a message that is not loaded: update ignores it
        message = model.message_at(row)
        mark = marks[(n // 3) % 2]
        batch.append(
            dataclasses.replace(message, mark=mark, read_at=1 if mark is Mark.READ else None)
        )
        counts["receipts"] += 1
    model.update(batch)


def _run_storm(
    app: QCoreApplication,
    model: MessageListModel,
    aim: _StormAim,
    tick_ms: int,
    storm_seconds: float,
) -> _StormState:
    """Tick the storm every `tick_ms` with a 1 ms heartbeat timing the longest stall."""
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer

    state = _StormState()
    clock = QElapsedTimer()
    clock.start()

    def beat() -> None:
        now = clock.nsecsElapsed() / 1e6
        if state.last is not None:
            state.gap = max(state.gap, now - state.last)
        state.last = now
        state.ticks += 1

    storm_timer = QTimer()
    storm_timer.setTimerType(Qt.TimerType.PreciseTimer)
    storm_timer.setInterval(tick_ms)
    storm_timer.timeout.connect(lambda: _storm_tick(model, aim, state))
    heart = QTimer()
    heart.setTimerType(Qt.TimerType.PreciseTimer)
    heart.setInterval(1)
    heart.timeout.connect(beat)
    storm_timer.start()
    heart.start()
    end = time.perf_counter() + storm_seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.0005)
    storm_timer.stop()
    heart.stop()
    app.processEvents()
    return state


def _receipt_storm(
    app: QCoreApplication,
    view: ChatView,
    model: MessageListModel,
    storm_seconds: float,
    out: dict[str, Any],
) -> None:
    """Step 5: the receipt storm, with the newest messages on screen."""
    view.scroll_to_bottom()
    for _ in range(5):
        app.processEvents()
    visible = on_screen_rows(model, view.visible_fractions())
    lowest = min(visible)
    offscreen = list(range(max(0, lowest - 1000), max(0, lowest - 5)))
    rate, tick_ms = 1000, 10
    aim = _StormAim(visible, offscreen, rate * tick_ms // 1000)
    start_repainted = model.repainted_rows
    state = _run_storm(app, model, aim, tick_ms, storm_seconds)
    counts = aim.counts
    out["storm_seconds"] = storm_seconds
    out["storm_receipts"] = counts["receipts"]
    out["storm_rate"] = rate
    out["storm_receipts_per_s"] = rnd(counts["receipts"] / storm_seconds, 1)
    out["storm_visible"] = counts["visible"]
    out["storm_offscreen"] = counts["offscreen"]
    out["storm_unloaded"] = counts["unloaded"]
    out["storm_max_stall_ms"] = rnd(state.gap, 2)
    out["storm_repainted_rows"] = model.repainted_rows - start_repainted


def _child(messages: int, storm_seconds: float, frames: int) -> dict[str, Any]:
    """Steps 1 to 5 of the module's docstring, in this process; the figures by name."""
    import psutil
    from PySide6.QtWidgets import QApplication

    me = psutil.Process()
    out: dict[str, Any] = {"messages": messages}
    app = QApplication.instance() or QApplication(["desktop-chat-bench-ui"])
    with tempfile.TemporaryDirectory(prefix="dcbench-ui-") as tmp:
        path = Path(tmp) / "client.db"
        t = time.perf_counter()
        conversation = _fill(path, messages)
        out["fill_s"] = rnd(time.perf_counter() - t, 2)
        app.processEvents()
        _first_open(app, path, conversation, me, out)

        # ---- open again, for the scroll and receipt-storm figures
        store, model, view, open_ms = _open_chat(app, path, conversation)
        out["open_ms"] = rnd(open_ms, 1)
        for _ in range(5):
            app.processEvents()
        out["rss_mb_after_open"] = _rss_mb(me)
        _scroll(app, view, model, frames, out)
        _receipt_storm(app, view, model, storm_seconds, out)
        out["rss_mb_end"] = _rss_mb(me)
        model.clear()
        view.close()
        store.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--storm-seconds", type=float, default=3.0)
    parser.add_argument("--frames", type=int, default=300)
    args = parser.parse_args()
    result = _child(args.messages, args.storm_seconds, args.frames)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
