"""The SQLite server's committer thread: COMMITs (and their fsyncs) off the event loop.

Owns: `Committer`, one thread that runs the store's `commit()` for the hub and
tells the loop how it ended. SQLite releases the GIL while it writes and syncs,
so the loop goes on reading and sending meanwhile; the hub makes sure nothing
else touches the store until the commit has ended (`Hub.ready`).

A plain thread and a `SimpleQueue`, not an executor: one hand-off each way per
commit (measured: an executor's future chain cost the loop ~5 % more CPU per
receipt at 100 pairs × W=32).

Never: run two commits at once, or call back anywhere but on the loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from queue import SimpleQueue


class Committer:
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        commit: Callable[[], None],
        done: Callable[[object, BaseException | None], None],
    ) -> None:
        """`commit()` runs on the thread; `done(token, error)` on `loop` afterwards."""
        self._loop = loop
        self._commit = commit
        self._done = done
        self._queue: SimpleQueue[object] = SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sqlite-commit", daemon=True)
        self._thread.start()

    def start(self, token: object) -> None:
        """Begin a commit; `done(token, ...)` is called on the loop when it ends."""
        self._queue.put(token)

    def close(self) -> None:
        """Stop the thread once the commit it runs (if any) has ended."""
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        while (token := self._queue.get()) is not _STOP:
            error: BaseException | None = None
            try:
                self._commit()
            except BaseException as exc:  # the loop decides what it means
                error = exc
            try:
                self._loop.call_soon_threadsafe(self._done, token, error)
            except RuntimeError:  # the loop is closed: nobody is waiting any more
                return


_STOP = object()
