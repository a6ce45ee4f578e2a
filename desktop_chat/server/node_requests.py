"""Each request of a cluster node as its own transaction, on a worker thread.

Owns:
- `current_store` and `StoreProxy`: the handlers keep calling `self.store.x()` as
  on SQLite; on a cluster node that object is a proxy to the session of the
  request running in this context (a worker thread's own PostgreSQL
  connection), or, outside any request, to the event loop's own session (the
  few reads made before a request starts, such as a sign-in's password lookup);
- `RequestRunner`: a pool of worker threads, each with its own session, made
  on first use. `run` runs one request there: its handler, its events appended
  once (`ClusterHub.seal`), COMMIT, and only then, back on the loop, its replies
  and pushes (`ClusterHub.complete`). A lock wait blocks one worker, never the
  loop that serves every other connection.
- retries: a request that loses to a concurrent one (serialization failure,
  deadlock, a unique key written meanwhile: `StoreConflict`) is run again from
  the start, up to `MAX_TRIES` times, its rollback callbacks run in between;
- refusals: a refused request (`ServiceError`) and a failed store answer with
  the same codes as on SQLite. A COMMIT whose outcome is unknown (the
  connection broke during it) is answered STORAGE_UNAVAILABLE with a message
  that says it may have been saved: every write a client retries is idempotent
  (msg_id, forward-only marks), so sending it again is safe.

Never: run a handler on the event loop, hold a transaction across an await, or
send anything before the commit.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import Any, TypeVar

from desktop_chat.protocol import ProtocolError
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.codec import encode_error
from desktop_chat.server.cluster_hub import ClusterHub, request_batch
from desktop_chat.server.core import ServiceError
from desktop_chat.server.hub import (
    Connection,
    _Batch,
    _Reply,
    internal_refusal,
    storage_refusal,
)
from desktop_chat.server.storage.interface import (
    Store,
    StoreCommitUnknown,
    StoreConflict,
    StoreError,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

current_store: ContextVar[Store | None] = ContextVar("current_store", default=None)
MAX_TRIES = 6

MAYBE_SAVED = (
    "the server lost its database while saving this change: it may or may not have been"
    " saved; send it again (a retry cannot apply it twice)"
)


class StoreProxy:
    """`self.store` of every handler on a cluster node (see the module docstring)."""

    def __init__(self, loop_session: Store) -> None:
        self._loop_session = loop_session

    def __getattr__(self, name: str) -> Any:
        store = current_store.get()
        return getattr(self._loop_session if store is None else store, name)


def _refusal(conn: Connection, request_id: str | None, error: ProtocolError) -> _Batch:
    batch = _Batch()
    batch.items.append(_Reply(conn, request_id, encode_error(error.with_request_id(request_id))))
    return batch


class RequestRunner:
    def __init__(
        self,
        connect: Callable[[], Store],
        workers: int,
        hub: ClusterHub,
        *,
        max_tries: int = MAX_TRIES,
    ) -> None:
        self._connect = connect
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="db")
        self._local = threading.local()
        self._sessions: list[Store] = []
        self._lock = threading.Lock()
        self.hub = hub
        self.max_tries = max_tries
        self.retries = 0  # requests run again after a conflict (for logs and benches)

    # ------------------------------------------------------------------ on the loop

    async def run(self, conn: Connection, request: f.Request, work: Callable[[], f.Reply]) -> None:
        """Run `work` as one transaction on a worker; then send what it queued."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        batch = await loop.run_in_executor(
            self._pool, context.run, self._transact, conn, request, work
        )
        self.hub.complete(batch)

    async def read(self, fn: Callable[[Store], T]) -> T:
        """`fn(session)` on a worker, outside any transaction (each read is its own)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(self._session()))

    async def close(self) -> None:
        await asyncio.to_thread(self._pool.shutdown, True)
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            try:
                session.close()
            except StoreError as exc:
                log.debug("closing a session: %s", exc)

    # ------------------------------------------------------------------ on a worker

    def _session(self) -> Store:
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = self._connect()
            self._local.store = store
            with self._lock:
                self._sessions.append(store)
        return store

    def _transact(
        self, conn: Connection, request: f.Request, work: Callable[[], f.Reply]
    ) -> _Batch:
        name = type(request).__name__
        for attempt in range(1, self.max_tries + 1):
            batch = _Batch()
            batch_token = request_batch.set(batch)
            try:
                store = self._session()
                store_token = current_store.set(store)
                try:
                    self._attempt(conn, request, work, store, batch)
                finally:
                    current_store.reset(store_token)
                return batch
            except StoreConflict as exc:
                if attempt == self.max_tries:
                    conn.log.error(
                        "%s lost to concurrent requests %d times: %s", name, attempt, exc
                    )
                    return _refusal(conn, request.id, storage_refusal(request.id, exc))
                self.retries += 1
                # A little jitter, so two requests that collided do not collide again.
                time.sleep(random.uniform(0, 0.002 * attempt))
            except ServiceError as exc:
                return _refusal(
                    conn, request.id, ProtocolError(exc.code, exc.message, request.id, exc.details)
                )
            except StoreCommitUnknown as exc:
                conn.log.error("the outcome of %s is unknown: %s", name, exc)
                return _refusal(conn, request.id, storage_refusal(request.id, exc, MAYBE_SAVED))
            except StoreError as exc:
                conn.log.error("storage failed on %s: %s", name, exc)
                return _refusal(conn, request.id, storage_refusal(request.id, exc))
            except Exception as exc:
                conn.log.exception("internal error on %s", name)
                return _refusal(conn, request.id, internal_refusal(request.id, exc))
            finally:
                request_batch.reset(batch_token)
        raise AssertionError("unreachable")

    def _attempt(
        self,
        conn: Connection,
        request: f.Request,
        work: Callable[[], f.Reply],
        store: Store,
        batch: _Batch,
    ) -> None:
        try:
            with store.request():
                reply = work()
                self.hub.reply(conn, request.id, reply)
                self.hub.seal(batch, store)
            store.commit()
        except BaseException:
            store.rollback()
            for callback in batch.on_rollback:
                callback()
            raise
