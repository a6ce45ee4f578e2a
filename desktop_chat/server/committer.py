"""The SQLite server's committer thread: COMMITs (and their fsyncs) off the event loop;
and its checkpointer thread: the write-ahead log copied into the database off the
commit path.

Owns:
- `Committer`, one thread that runs the store's `commit()` for the hub and tells the
  loop how it ended. SQLite releases the GIL while it writes and syncs, so the loop
  goes on reading and sending meanwhile; the hub makes sure nothing else touches the
  store until the commit has ended (`Hub.ready`). A plain thread and a `SimpleQueue`,
  not an executor: one hand-off each way per commit (measured: an executor's future
  chain cost the loop ~5 % more CPU per receipt at 100 pairs × W=32).
- `Backfill`, a thread of its own woken after each commit, at most every
  `BACKFILL_SECONDS`, to run a PASSIVE checkpoint on a second connection to the file
  (`store_blobs.PassiveCheckpoints`: it never blocks the writer, and copies only
  what is committed). Without it SQLite's
  automatic checkpoint ran inside a COMMIT every 1,000 pages of log: a commit that
  crossed that line also copied the log into the database and synced it twice,
  while every frame of the server waited (the store sets that automatic checkpoint
  to `store.BACKSTOP_PAGES`, a backstop for a checkpointer that falls behind).
  Durability is the commit's (the log is synced before the COMMIT returns); a
  checkpoint only moves synced pages, with the store's `synchronous`.

Never: run two commits at once, or call back anywhere but on the loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from queue import SimpleQueue

log = logging.getLogger(__name__)

BACKFILL_SECONDS = 0.05  # between two checkpoints of the checkpointer thread, at least


class Backfill:
    """`checkpoint()` on a thread of its own, woken by `poke`, at most every
    `BACKFILL_SECONDS`; `close_db()` on that thread when it stops."""

    def __init__(self, checkpoint: Callable[[], None], close_db: Callable[[], None]) -> None:
        self._checkpoint = checkpoint
        self._close_db = close_db
        self._wake = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """A commit ended: checkpoint soon (any thread)."""
        self._wake.set()

    def close(self) -> None:
        """Stop the thread once the checkpoint it runs (if any) has ended."""
        self._stop = True
        self._wake.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while True:
                self._wake.wait()
                if self._stop:
                    return
                self._wake.clear()
                self._checkpoint()
                time.sleep(BACKFILL_SECONDS)
        except Exception as exc:  # the file is gone or unreadable: the backstop stays
            log.warning("checkpoints stopped off the commit path: %s", exc)
        finally:
            self._close_db()


class Committer:
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        commit: Callable[[], None],
        done: Callable[[object, BaseException | None], None],
        backfill: Backfill | None = None,
    ) -> None:
        """`commit()` runs on the thread; `done(token, error)` on `loop` afterwards;
        `backfill`, if any, is woken after each commit and closed with the committer."""
        self._loop = loop
        self._commit = commit
        self._done = done
        self._backfill = backfill
        self._queue: SimpleQueue[object] = SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sqlite-commit", daemon=True)
        self._thread.start()

    def start(self, token: object) -> None:
        """Begin a commit; `done(token, ...)` is called on the loop when it ends."""
        self._queue.put(token)

    def close(self) -> None:
        """Stop the threads once the commit (and checkpoint) they run, if any, has ended."""
        self._queue.put(_STOP)
        self._thread.join()
        if self._backfill is not None:
            self._backfill.close()

    def _run(self) -> None:
        while (token := self._queue.get()) is not _STOP:
            error: BaseException | None = None
            try:
                self._commit()
            except BaseException as exc:  # the loop decides what it means
                error = exc
            if error is None and self._backfill is not None:
                self._backfill.poke()
            try:
                self._loop.call_soon_threadsafe(self._done, token, error)
            except RuntimeError:  # the loop is closed: nobody is waiting any more
                return


_STOP = object()
