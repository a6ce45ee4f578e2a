"""The requests of a cluster node, many to a transaction, on worker threads.

Owns:
- `current_store` and `StoreProxy`: the handlers keep calling `self.store.x()` as
  on SQLite; on a cluster node that object is a proxy to the session of the
  request running in this context (a worker thread's own PostgreSQL
  connection), or, outside any request, to the event loop's own session (the
  few reads made before a request starts, such as a sign-in's password lookup);
- `RequestRunner`: group commit. `run` queues a request and returns (the
  connection's next frame is read at once, as on SQLite); up to `WRITERS`
  transactions run at once, each on a worker thread with its own session, and
  each takes the oldest queued requests (up to `BATCH_MAX`): every request in a
  savepoint of its own, their events appended in one statement
  (`ClusterHub.seal`), one COMMIT, and only then, back on the loop, each request's
  replies and pushes in order (`ClusterHub.complete`). A connection's requests
  never run in two transactions at once, so they commit and answer in the order
  they came. Requests that change what the next frame may do (signing in and
  out, the sync) are waited for (`wait=True`). A lock wait blocks a worker,
  never the loop that serves every other connection.
- retries: a request that loses to a concurrent transaction (serialization
  failure, deadlock, a unique key written meanwhile: `StoreConflict`) sends its
  whole transaction back, and its requests run again one transaction each, each
  up to `MAX_TRIES` times, rollback callbacks run in between;
- refusals: a refused request (`ServiceError`) rolls back its savepoint only and
  answers with the same codes as on SQLite; a failed store refuses the whole
  transaction. A COMMIT whose outcome is unknown (the connection broke during
  it) is answered STORAGE_UNAVAILABLE with a message that says it may have been
  saved: every write a client retries is idempotent (msg_id, forward-only marks),
  so sending it again is safe.

Never: run a handler on the event loop, hold a transaction across an await, or
send anything before the commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from desktop_chat.protocol import ProtocolError
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.codec import encode_error
from desktop_chat.server.cluster_hub import ClusterHub, request_batch
from desktop_chat.server.connection import DeviceConnection
from desktop_chat.server.core import ServiceError
from desktop_chat.server.hub import (
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
    StoreUnavailable,
)

if TYPE_CHECKING:  # the sessions the runner makes (psycopg is imported by a cluster only)
    from desktop_chat.server.storage.postgres import PostgresStore

log = logging.getLogger(__name__)
T = TypeVar("T")

current_store: ContextVar[Store | None] = ContextVar("current_store", default=None)
MAX_TRIES = 6
# Transactions of one node at once; requests in one transaction at most (each writing
# request is a subtransaction: PostgreSQL caches 64 per transaction, and past that
# every other session's snapshots slow down); requests one connection may have
# unanswered before its next frame waits.
WRITERS = 2
BATCH_MAX = 48
DEPTH = 64
CLOSE_SECONDS = 10.0
# A batch waits this long at most for a lock another transaction holds (a deadlock
# across two batches costs this, then their requests run one by one).
BATCH_LOCK_WAIT_MS = 250

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


def _refusal(conn: DeviceConnection, request_id: str | None, error: ProtocolError) -> _Batch:
    batch = _Batch()
    batch.items.append(_Reply(conn, request_id, encode_error(error.with_request_id(request_id))))
    return batch


class _Job:
    """One request waiting for its transaction, or in one."""

    __slots__ = ("conn", "context", "done", "request", "work")

    def __init__(
        self,
        conn: DeviceConnection,
        request: f.Request[f.Reply],
        work: Callable[[], f.Reply],
        done: asyncio.Future[None],
    ) -> None:
        self.conn = conn
        self.request = request
        self.work = work
        self.context = contextvars.copy_context()
        self.done = done


class _Conflict(Exception):
    """A request of a batch lost to a concurrent transaction: run them one by one."""


class RequestRunner:
    def __init__(
        self,
        connect: Callable[[], PostgresStore],
        workers: int,
        hub: ClusterHub,
        *,
        writers: int = WRITERS,
        batch_max: int = BATCH_MAX,
        depth: int = DEPTH,
        max_tries: int = MAX_TRIES,
    ) -> None:
        self._connect = connect
        self._writers = max(1, min(writers, workers))
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="db")
        self._local = threading.local()
        self._sessions: list[PostgresStore] = []
        self._lock = threading.Lock()
        self.hub = hub
        self.batch_max = max(1, batch_max)
        self.depth = max(1, depth)
        self.max_tries = max_tries
        self.retries = 0  # requests run again after a conflict (for logs and benches)
        self.batches = 0  # transactions committed or refused (for logs and benches)
        # On the loop: requests waiting for a transaction, in arrival order; the
        # connections with a request in a running transaction; each connection's
        # requests not yet answered; the running transactions.
        self._queue: deque[_Job] = deque()
        self._busy: Counter[DeviceConnection] = Counter()
        self._pending: dict[DeviceConnection, deque[_Job]] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    # ------------------------------------------------------------------ on the loop

    async def run(
        self,
        conn: DeviceConnection,
        request: f.Request[f.Reply],
        work: Callable[[], f.Reply],
        *,
        wait: bool = False,
    ) -> None:
        """Queue `work` for a transaction; its reply and pushes go out after the commit.

        Returns once the request is queued, so the connection's next frame is read
        at once and joins the same transaction or the next one (as on SQLite), unless
        the connection already has `depth` requests unanswered (then it waits for its
        oldest). `wait=True` returns only once the reply is sent: for the requests
        that change what the next frame may do (signing in and out, the sync)."""
        job = _Job(conn, request, work, asyncio.get_running_loop().create_future())
        pending = self._pending.setdefault(conn, deque())
        pending.append(job)
        self._queue.append(job)
        self._idle.clear()
        self._start()
        if wait:
            await job.done
        elif len(pending) > self.depth:
            await asyncio.shield(pending[0].done)

    async def settled(self, conn: DeviceConnection) -> None:
        """Once every request `conn` has queued is answered."""
        pending = self._pending.get(conn)
        if pending:
            await asyncio.shield(pending[-1].done)

    async def read(self, fn: Callable[[PostgresStore], T]) -> T:
        """`fn(session)` on a worker, outside any transaction (each read is its own)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(self._session()))

    async def close(self, timeout: float = CLOSE_SECONDS) -> None:
        """Answer what is queued (for at most `timeout`), then close the sessions."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)
        await asyncio.to_thread(self._pool.shutdown, True)
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            try:
                session.close()
            except StoreError as exc:
                log.debug("closing a session: %s", exc)

    def _start(self) -> None:
        """Start transactions while a writer is free and some request may run."""
        while len(self._running) < self._writers and self._queue:
            jobs = self._take()
            if not jobs:
                return
            for job in jobs:
                self._busy[job.conn] += 1
            task = asyncio.get_running_loop().create_task(self._drive(jobs))
            self._running.add(task)

    def _take(self) -> list[_Job]:
        """The next transaction's requests: the oldest queued, up to `batch_max`, but
        none of a connection with a request in a running transaction (and so none
        after it), so each connection's requests commit and answer in order."""
        taken: list[_Job] = []
        kept: deque[_Job] = deque()
        held: set[DeviceConnection] = set()
        while self._queue:
            job = self._queue.popleft()
            if len(taken) < self.batch_max and job.conn not in held and not self._busy[job.conn]:
                taken.append(job)
            else:
                held.add(job.conn)
                kept.append(job)
        self._queue = kept
        return taken

    async def _drive(self, jobs: list[_Job]) -> None:
        loop = asyncio.get_running_loop()
        try:
            batches = await loop.run_in_executor(self._pool, self._transact_all, jobs)
        except BaseException as exc:  # a bug: every request still gets an answer
            log.exception("a transaction of %d requests failed", len(jobs))
            batches = [
                _refusal(job.conn, job.request.id, internal_refusal(job.request.id, exc))
                for job in jobs
            ]
        finally:
            self._running.discard(asyncio.current_task())
        self.batches += 1
        for job, batch in zip(jobs, batches, strict=True):
            self.hub.complete(batch)
            self._busy[job.conn] -= 1
            if not self._busy[job.conn]:
                del self._busy[job.conn]
            pending = self._pending.get(job.conn)
            if pending:
                pending.remove(job)
                if not pending:
                    del self._pending[job.conn]
            if not job.done.done():
                job.done.set_result(None)
        self._start()
        if not self._running and not self._queue:
            self._idle.set()

    # ------------------------------------------------------------------ on a worker

    def _session(self) -> PostgresStore:
        store: PostgresStore | None = getattr(self._local, "store", None)
        if store is None:
            store = self._connect()
            self._local.store = store
            with self._lock:
                self._sessions.append(store)
        return store

    def _transact_all(self, jobs: list[_Job]) -> list[_Batch]:
        """`jobs` in one transaction, each in a savepoint of its own; if one of them
        lost to a concurrent transaction, all again, one transaction each."""
        if len(jobs) > 1:
            try:
                return self._transact_together(jobs)
            except _Conflict:
                self.retries += len(jobs)
        return [job.context.run(self._transact, job.conn, job.request, job.work) for job in jobs]

    def _transact_together(self, jobs: list[_Job]) -> list[_Batch]:
        store = self._session()
        store.lock_waits_at_most(BATCH_LOCK_WAIT_MS)
        answers: list[_Batch] = []
        done: list[_Batch] = []  # the requests that went through, for a rollback
        try:
            with store.request():  # BEGIN: each request below is a savepoint in it
                for job in jobs:
                    batch, went_through = job.context.run(self._in_savepoint, job, store)
                    answers.append(batch)
                    if went_through:
                        done.append(batch)
            self.hub.seal(done, store)  # and COMMIT
        except StoreConflict as exc:
            self._undo(store, done)
            raise _Conflict() from exc
        except StoreCommitUnknown as exc:
            self._undo(store, done)
            log.error("the outcome of %d requests is unknown: %s", len(jobs), exc)
            return [
                self._refused(job, storage_refusal(job.request.id, exc, MAYBE_SAVED))
                for job in jobs
            ]
        except StoreError as exc:
            self._undo(store, done)
            log.error("storage failed on %d requests: %s", len(jobs), exc)
            return [self._refused(job, storage_refusal(job.request.id, exc)) for job in jobs]
        except BaseException:
            self._undo(store, done)
            raise
        return answers

    def _in_savepoint(self, job: _Job, store: PostgresStore) -> tuple[_Batch, bool]:
        """One request of a batch, in its own savepoint: its batch and True, or its
        refusal and False. Raises what fails the whole transaction: a conflict (the
        batch runs again), a broken connection."""
        conn, request = job.conn, job.request
        name = type(request).__name__
        batch = _Batch()
        batch_token = request_batch.set(batch)
        store_token = current_store.set(store)
        try:
            try:
                with store.request():
                    reply = job.work()
                    self.hub.reply(conn, request.id, reply)
            except BaseException:
                for callback in batch.on_rollback:
                    callback()
                raise
            return batch, True
        except ServiceError as exc:
            error = ProtocolError(exc.code, exc.message, request.id, exc.details)
            return self._refused(job, error), False
        except (StoreConflict, StoreUnavailable):
            raise
        except StoreError as exc:
            conn.log.error("storage failed on %s: %s", name, exc)
            return self._refused(job, storage_refusal(request.id, exc)), False
        except Exception as exc:
            conn.log.exception("internal error on %s", name)
            return self._refused(job, internal_refusal(request.id, exc)), False
        finally:
            current_store.reset(store_token)
            request_batch.reset(batch_token)

    @staticmethod
    def _refused(job: _Job, error: ProtocolError) -> _Batch:
        return _refusal(job.conn, job.request.id, error)

    @staticmethod
    def _undo(store: PostgresStore, done: list[_Batch]) -> None:
        store.rollback()
        for batch in done:
            for callback in batch.on_rollback:
                callback()

    def _transact(
        self, conn: DeviceConnection, request: f.Request[f.Reply], work: Callable[[], f.Reply]
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
        conn: DeviceConnection,
        request: f.Request[f.Reply],
        work: Callable[[], f.Reply],
        store: PostgresStore,
        batch: _Batch,
    ) -> None:
        try:
            with store.request():
                reply = work()
                self.hub.reply(conn, request.id, reply)
            self.hub.seal([batch], store)  # and COMMIT
        except BaseException:
            store.rollback()
            for callback in batch.on_rollback:
                callback()
            raise
