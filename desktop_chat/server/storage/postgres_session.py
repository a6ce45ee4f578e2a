"""PostgresStore's session: one psycopg connection, its transaction, its errors.

Owns: `PgSession`, the base the PostgreSQL store's parts share (`postgres.py`
assembles them): connecting (and reconnecting when an idle connection died), the
transaction API `SqliteStore` has (`request()`, `commit()`, `rollback()`,
`changes`, `in_transaction`), the helpers every query goes through, the caches of
immutable rows, and `store_error()`, which turns a driver error into the
`StoreError` family.

Transactions are READ COMMITTED and explicit: the connection is in autocommit
mode, so a read outside `request()` is its own statement, as on SQLite. A
`request()` that finds no open transaction begins one and is the whole of it until
`commit()` (the server's per-request transactions); one that finds a transaction
open is a savepoint inside it (a batch of requests, as the SQLite hub runs them).

Round trips: each is ~0.1–0.5 ms of another process's time, so none is spent
alone on bookkeeping. BEGIN goes with the transaction's first statement, a
savepoint with its request's first write, and `commit_after` sends a last
statement (a batch's events) with the COMMIT, each in one pipeline.

Caches hold what never changes once committed (user id <-> name, conversation ids).
An entry learnt inside a transaction stays provisional until commit: a rollback
drops it, since the row it came from may be undone.

Never: be shared between threads (one session per worker), or let a psycopg error
escape (every one leaves as a StoreError, the driver's error as its `__cause__`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

from desktop_chat.server.storage.interface import (
    StoreCommitUnknown,
    StoreConflict,
    StoreError,
    StoreFull,
    StoreReadOnly,
    StoreUnavailable,
)
from desktop_chat.server.storage.postgres_schema import migrate

# serialization failure, deadlock, a unique key written meanwhile, lock_timeout
_CONFLICT = frozenset({"40001", "40P01", "23505", "55P03"})
_READ_ONLY = frozenset({"25006"})
_FULL = frozenset({"53100"})
# too many connections, statement_timeout, shutdowns and crashes, database dropped
_UNAVAILABLE = frozenset({"53300", "57014", "57P01", "57P02", "57P03", "57P04", "57P05"})
_OPEN = (TransactionStatus.INTRANS, TransactionStatus.INERROR, TransactionStatus.ACTIVE)


@lru_cache(maxsize=512)
def _reads_only(sql: str) -> bool:
    """A plain SELECT (no row locks): a request needs no savepoint before it."""
    head = sql.lstrip()[:6].upper()
    upper = sql.upper()
    return head == "SELECT" and " FOR UPDATE" not in upper and " FOR SHARE" not in upper


def store_error(
    exc: psycopg.Error, *, connection_lost: bool = False, committing: bool = False
) -> StoreError:
    """The StoreError for a driver error (the caller raises it `from exc`)."""
    state = exc.sqlstate or ""
    message = str(exc).strip() or type(exc).__name__
    if state in _CONFLICT:
        return StoreConflict(message)
    if state in _FULL:
        return StoreFull(message)
    if state in _READ_ONLY:
        return StoreReadOnly(message)
    lost = (
        connection_lost
        or state.startswith("08")
        or (not state and isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError))
    )
    if lost and committing:
        return StoreCommitUnknown(f"the connection broke during COMMIT: {message}")
    if lost or state in _UNAVAILABLE:
        return StoreUnavailable(message)
    return StoreError(message)


class PgSession:
    """A connection to PostgreSQL, with SqliteStore's transaction API."""

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: int = 5,
        application_name: str = "desktop_chat server",
        migrate_schema: bool = True,
    ) -> None:
        """Connect to `url` (a libpq URL or DSN; session settings such as lock_timeout
        go in its `options`) and, unless told not to, migrate the schema."""
        self._url = url
        self._connect_timeout = connect_timeout
        self._application_name = application_name
        self._usernames: dict[int, str] = {}
        self._user_ids: dict[str, int] = {}
        self._chat_convs: dict[tuple[int, int], int] = {}
        self._group_convs: dict[int, int] = {}
        self._provisional: list[tuple[dict[Any, Any], object]] = []
        self._changes = 0
        self._open = False  # a transaction this session began and has not ended
        self._lost = False  # that transaction broke: commit() must refuse the batch
        self._closed = False  # closed on purpose: never reconnect
        self._next_lock_timeout_ms: int | None = None
        self._savepoint_due = False  # a request of a batch has not written yet
        self._begin_due: list[str] | None = None  # BEGIN, to go with the first statement
        self._depth = 0  # requests open inside the transaction
        self._db = self._connect()
        self._cur = self._db.cursor()
        self._last_cur = self._db.cursor()  # a transaction's last statement, before COMMIT
        if migrate_schema:
            try:
                migrate(self._db)
            except psycopg.Error as exc:
                error = self._error(exc)
                self._db.close()
                raise error from exc
            except BaseException:
                self._db.close()
                raise

    def _connect(self) -> psycopg.Connection:
        try:
            return psycopg.connect(
                self._url,
                autocommit=True,
                connect_timeout=max(2, self._connect_timeout),
                application_name=self._application_name,
            )
        except psycopg.Error as exc:
            raise StoreUnavailable(f"cannot connect to PostgreSQL: {exc}") from exc

    @property
    def _died(self) -> bool:
        """The connection broke (psycopg closes a broken one) and close() was not called."""
        return self._db.closed and not self._closed

    def _reconnect(self) -> None:
        with suppress(psycopg.Error):
            self._db.close()
        self._db = self._connect()
        self._cur = self._db.cursor()
        self._last_cur = self._db.cursor()

    def _error(self, exc: psycopg.Error, *, committing: bool = False) -> StoreError:
        lost = self._db.broken or self._db.closed
        return store_error(exc, connection_lost=lost, committing=committing)

    # ------------------------------------------------------------------ transactions

    def close(self) -> None:
        if self.in_transaction:
            self.rollback()
        self._closed = True
        self._db.close()

    @property
    def in_transaction(self) -> bool:
        return self._begin_due is not None or self._db.info.transaction_status in _OPEN

    @contextmanager
    def request(self, *, savepoint: bool = True) -> Iterator[None]:
        """One request's writes: rolled back alone if the request fails (here always:
        a savepoint costs no round trip of its own, so `savepoint` is not needed).

        Inside an open transaction (a batch of requests) the request's savepoint is
        made lazily, in one round trip with its first write, and on success it is
        left open (the next request's nests in it; COMMIT ends them all), so a
        request costs no extra round trip. A request that only read needs none."""
        opened = not self._open
        if opened:
            self._begin()
        else:
            if self._savepoint_due:
                self._make_savepoint()  # the enclosing request's, before this one begins
            self._savepoint_due = True
            self._depth += 1
        mark = len(self._provisional)
        try:
            yield
        except BaseException:
            self._undo_request(opened, mark)
            raise
        if not opened:
            self._depth -= 1
            if self._savepoint_due:
                self._savepoint_due = False  # it wrote nothing: no savepoint was made
            elif self._depth > 0:
                # Inside another request: its own rollback must find its savepoint.
                self._batch_step("RELEASE SAVEPOINT request")

    def _batch_step(self, sql: str) -> None:
        """A savepoint command of a batch. If it fails, the transaction is broken (its
        connection died, or a statement failed outside a request): the batch's
        earlier requests are gone, so the batch must not be confirmed."""
        try:
            self._cur.execute(sql)
        except psycopg.Error as exc:
            self._open, self._lost = False, True
            self._forget_since(0)
            raise self._error(exc) from exc

    def _make_savepoint(
        self, then: str | None = None, params: Sequence[object] | None = None
    ) -> psycopg.Cursor:
        """The due savepoint, and the statement `then` in the same round trip."""
        if self._begin_due is not None:
            return self._first(then, params, savepoint=True)
        self._savepoint_due = False
        try:
            with self._db.pipeline():
                self._cur.execute("SAVEPOINT request")
                if then is not None:
                    self._cur.execute(then, params)
        except psycopg.Error as exc:
            if self._db.info.transaction_status != TransactionStatus.INERROR or then is None:
                self._open, self._lost = False, True
                self._forget_since(0)
            raise self._error(exc) from exc
        return self._cur

    def lock_waits_at_most(self, ms: int) -> None:
        """The next transaction this session begins waits at most `ms` for a lock; a
        longer wait fails its statement as a conflict (StoreConflict). A batch of
        requests uses it so that a deadlock with another node's batch costs `ms`,
        not PostgreSQL's deadlock_timeout (1 s by default)."""
        self._next_lock_timeout_ms = int(ms)

    def _begin(self) -> None:
        """Open the transaction. Its BEGIN is not sent yet: it goes with the first
        statement, in the same round trip (`_first`)."""
        if self._closed:
            raise StoreUnavailable("this store was closed")
        begin = ["BEGIN ISOLATION LEVEL READ COMMITTED"]
        if self._next_lock_timeout_ms is not None:
            begin.append(f"SET LOCAL lock_timeout = {self._next_lock_timeout_ms}")
            self._next_lock_timeout_ms = None
        self._begin_due = begin
        self._open = True
        self._savepoint_due, self._depth = False, 0

    def _first(
        self, sql: str | None, params: Sequence[object] | None, *, savepoint: bool
    ) -> psycopg.Cursor:
        """The transaction's first statement, with its BEGIN (and the savepoint of the
        request it belongs to) in one pipeline, so one round trip."""
        begin, self._begin_due = self._begin_due or [], None
        if savepoint:
            self._savepoint_due = False
        for attempt in (1, 2):
            if self._died:
                self._reconnect()
            try:
                with self._db.pipeline():
                    for statement in begin:
                        self._cur.execute(statement)
                    if savepoint:
                        self._cur.execute("SAVEPOINT request")
                    if sql is not None:
                        self._cur.execute(sql, params)
                return self._cur
            except psycopg.Error as exc:
                if self._db.info.transaction_status == TransactionStatus.INERROR:
                    # BEGIN went through and the statement failed: the request's own
                    # failure, undone by its savepoint or by the rollback.
                    raise self._error(exc) from exc
                if attempt == 1 and (self._db.broken or self._db.closed) and not self._closed:
                    # The connection died while idle (a server restart, a failover, an
                    # idle timeout): nothing of this transaction had reached the server,
                    # so connecting again loses nothing.
                    continue
                self._open, self._lost = False, True
                self._forget_since(0)
                raise self._error(exc) from exc
        raise AssertionError("unreachable")

    def _undo_request(self, opened: bool, mark: int) -> None:
        if not opened:
            self._depth -= 1
            if self._savepoint_due:
                # Nothing written, so nothing to undo, unless a read failed: without a
                # savepoint that broke the whole batch, which then runs again request
                # by request (StoreConflict), each in a transaction of its own.
                self._savepoint_due = False
                self._forget_since(mark)
                if self._db.info.transaction_status == TransactionStatus.INERROR:
                    self._open, self._lost = False, True
                    self._forget_since(0)
                    raise StoreConflict("a read failed inside a batch; run its requests alone")
                return
        try:
            if opened:
                self._open = False
                if self._begin_due is not None:
                    self._begin_due = None  # nothing reached the server
                else:
                    self._cur.execute("ROLLBACK")
            else:
                self._cur.execute("ROLLBACK TO SAVEPOINT request")
                self._cur.execute("RELEASE SAVEPOINT request")
        except psycopg.Error:
            if not opened:
                self._open, self._lost = False, True
            mark = 0
        self._forget_since(mark)

    @property
    def changes(self) -> int:
        """Rows changed since the store opened (a request that changes none is a read)."""
        return self._changes

    def prepare_commit(self) -> None:
        """Nothing to do: a batch's events go with its COMMIT (`commit_after`)."""

    def commit(self) -> None:
        """Commit everything since the last commit. Raises a StoreError on failure:
        StoreCommitUnknown if the connection broke while the COMMIT was on its way."""
        self.commit_after(None)

    def commit_after(
        self, sql: str | None, params: Sequence[object] | None = None
    ) -> list[tuple[Any, ...]]:
        """Run `sql` as the transaction's last statement, then COMMIT, in one round
        trip; its rows once committed. If `sql` fails, nothing is committed (its
        StoreError is raised, and the transaction is rolled back)."""
        if self._lost:
            self.rollback()
            raise StoreUnavailable("the connection to PostgreSQL broke; this batch was rolled back")
        if not self._open:
            return [] if sql is None else self._all(sql, params)
        if self._begin_due is not None and sql is None:
            # Nothing reached the server: nothing to commit.
            self._begin_due, self._open, self._savepoint_due = None, False, False
            self._depth = 0
            self._provisional.clear()
            return []
        if self._db.broken or self._db.closed:
            self.rollback()
            raise StoreUnavailable("the connection to PostgreSQL broke; this batch was rolled back")
        if self._db.info.transaction_status == TransactionStatus.INERROR:
            # PostgreSQL would answer COMMIT with a silent ROLLBACK.
            self.rollback()
            raise StoreError("a statement failed outside a request; the batch was rolled back")
        begin, self._begin_due = self._begin_due or [], None
        self._open = self._savepoint_due = False
        self._depth = 0
        last = self._last_cur
        try:
            with self._db.pipeline():
                for statement in begin:
                    self._cur.execute(statement)
                if sql is not None:
                    last.execute(sql, params)
                self._cur.execute("COMMIT")
        except psycopg.Error as exc:
            # A failed `sql` aborts the pipeline before its COMMIT (a plain error);
            # a connection that broke leaves the COMMIT's outcome unknown.
            error = self._error(exc, committing=True)
            self.rollback()
            raise error from exc
        self._provisional.clear()
        if sql is None:
            return []
        self._changes += max(last.rowcount, 0)
        return last.fetchall() if last.description is not None else []

    def rollback(self) -> None:
        self._begin_due = None
        if self._db.info.transaction_status in _OPEN:
            with suppress(psycopg.Error):
                self._cur.execute("ROLLBACK")
        self._open = self._lost = self._savepoint_due = False
        self._depth = 0
        self._forget_since(0)

    # ------------------------------------------------------------------ caches

    def _remember(self, cache: dict[Any, Any], key: object, value: object) -> None:
        cache[key] = value
        if self._open:
            self._provisional.append((cache, key))

    def _forget_since(self, mark: int) -> None:
        """Drop the cache entries learnt since `mark` in this transaction."""
        for cache, key in self._provisional[mark:]:
            cache.pop(key, None)
        del self._provisional[mark:]

    # ------------------------------------------------------------------ queries

    def _run(self, sql: str, params: Sequence[object] | None = None) -> psycopg.Cursor:
        if self._died and not self._open:
            self._reconnect()  # outside a transaction nothing is in flight
        if self._savepoint_due and not _reads_only(sql):
            return self._make_savepoint(sql, params)
        if self._begin_due is not None:
            return self._first(sql, params, savepoint=False)
        try:
            return self._cur.execute(sql, params)
        except psycopg.Error as exc:
            raise self._error(exc) from exc

    def _one(self, sql: str, params: Sequence[object] | None = None) -> tuple[Any, ...] | None:
        return self._run(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[object] | None = None) -> list[tuple[Any, ...]]:
        return self._run(sql, params).fetchall()

    def _write(self, sql: str, params: Sequence[object] | None = None) -> psycopg.Cursor:
        """Run a statement that changes rows, and count them in `changes`."""
        cur = self._run(sql, params)
        self._changes += max(cur.rowcount, 0)
        return cur

    def _write_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        if not rows:
            return
        if self._savepoint_due:
            self._make_savepoint()
        elif self._begin_due is not None:
            self._first(None, None, savepoint=False)
        try:
            self._cur.executemany(sql, rows)
        except psycopg.Error as exc:
            raise self._error(exc) from exc
        self._changes += max(self._cur.rowcount, 0)
