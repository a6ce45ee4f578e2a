"""Python's garbage collector, run on the GUI thread only.

Owns: `GuiThreadCollector`. It turns CPython's automatic cyclic collection off and runs
the same collections from a QTimer on the GUI thread instead, with the same thresholds.

Why: the automatic collector runs in whatever thread allocates when a threshold is
crossed. Other threads run Python while the Qt loop runs: the embedded server's
thread, `asyncio.to_thread` workers, password hashing. A QObject that is only
reachable from a reference cycle is deleted by the collector, so such a thread
would run its C++ destructor. Qt forbids that: a QObject with running timers
cannot unregister them from another thread, so the GUI thread's event dispatcher
keeps them and later delivers a QTimerEvent to freed memory (SIGSEGV inside
`app.exec()`, with no Python frame above it). A widget deleted from another thread
corrupts QApplication's state. With collections on the GUI thread only, every
QObject is destroyed on the thread that owns it.

Never: collect from any thread but the GUI thread, or leave the automatic collector
off once stopped (it is back on if it was on at `start`).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_MS = 250  # how often the GUI thread checks the allocation counts


class GuiThreadCollector(QObject):
    """While started, the only place Python's cyclic garbage is collected."""

    def __init__(self, interval_ms: int = CHECK_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._restore = False
        self.active = False

    def start(self) -> None:
        if self.active:
            return
        self._restore = gc.isenabled()
        gc.disable()
        self._timer.start()
        self.active = True

    def stop(self) -> None:
        """Stop; the automatic collector is on again if it was on at `start`."""
        self._timer.stop()
        if self.active and self._restore:
            gc.enable()
        self.active = False

    def collect_due(self) -> int:
        """Collect the oldest generation whose count passed its threshold, as CPython
        would on an allocation (here, on the GUI thread); how many objects it found."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if not thresholds[0] or counts[0] <= thresholds[0]:  # (a 0 threshold: never)
            return 0
        generation = max(g for g in range(3) if counts[g] > thresholds[g])
        return gc.collect(generation)
