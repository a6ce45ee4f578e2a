"""Who is online, and the commit batch that turns accepted frames into sent frames.

Owns:
- `Hub`: the online devices of each user, and the group commit. Every reply and
  every push is queued in the current batch, in order; once per event-loop
  iteration the batch's transaction is committed and only then are its frames
  sent. The COMMIT (and its fsync, and any checkpoint SQLite runs in it) runs on
  the hub's own committer thread, so the loop never waits for the disk: while it
  runs the loop goes on sending and reading; nothing may touch the store meanwhile,
  so the frames that arrive are held (`defer`; async work waits at `ready()`)
  and run when it ends, in arrival order, as the next batch.
  If the commit fails, every request in the batch gets STORAGE_UNAVAILABLE and
  its pushes are dropped: nothing unconfirmed is shown to anyone, and nothing
  confirmed is lost.
- coalescing: group read acks for the same sender in one batch become one push.

Never: decide what a request means (that is `service.py`), or write to a socket
itself (each `DeviceConnection`, in `connection.py`, queues its own frames).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec

from desktop_chat.protocol import ErrorCode, ProtocolError
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.codec import encode, encode_error, encode_push_body, frame_with_seq
from desktop_chat.server.committer import Committer
from desktop_chat.server.connection import DeviceConnection
from desktop_chat.server.storage.interface import Store
from desktop_chat.server.store import StoreError

log = logging.getLogger(__name__)

NOT_SAVED = (
    "the server could not save this change (its storage is unavailable, full or"
    " read-only); nothing was applied, try again later"
)


def storage_refusal(
    request_id: str | None, cause: BaseException, message: str = NOT_SAVED
) -> ProtocolError:
    """STORAGE_UNAVAILABLE for a request whose change was not (or may not be) saved."""
    return ProtocolError(ErrorCode.STORAGE_UNAVAILABLE, message, request_id, cause=cause)


def internal_refusal(request_id: str | None, cause: BaseException) -> ProtocolError:
    """INTERNAL_ERROR for a request a bug stopped (it was rolled back)."""
    return ProtocolError(
        ErrorCode.INTERNAL_ERROR,
        "the server failed on this request; it was not applied",
        request_id,
        cause=cause,
    )


@dataclass
class _Reply:
    conn: DeviceConnection
    request_id: str | None
    data: bytes
    # For a request that only read: how to answer it again from committed state
    # when the batch it shared with failed writes is rolled back.
    again: Callable[[], bytes] | None = None


@dataclass
class _Push:
    user_id: int
    seq: int
    body: bytes
    skip_device: int | None


@dataclass
class _Batch:
    items: list[_Reply | _Push] = field(default_factory=list)
    on_commit: list[Callable[[], None]] = field(default_factory=list)
    on_rollback: list[Callable[[], None]] = field(default_factory=list)
    group_reads: dict[tuple[int, str], list[f.GroupAckInfo]] = field(
        default_factory=lambda: defaultdict(list)
    )
    group_deliveries: dict[tuple[int, str], f.GroupDeliveredPush] = field(default_factory=dict)


class Hub:
    # Whether the COMMIT runs on the committer thread (a cluster node commits its
    # requests on worker threads of its own, and the loop's store commits nothing).
    commits_off_loop = True

    def __init__(self, store: Store, clock: Callable[[], int]) -> None:
        self.store = store
        self.clock = clock
        self.online: dict[int, set[DeviceConnection]] = defaultdict(set)
        self._batch = _Batch()
        self._flush_scheduled = False
        self._committing = False  # a batch's COMMIT is running on the committer thread
        self._committed_event: asyncio.Event | None = None  # set when it ends
        self._committer: Committer | None = None
        # What arrived while it ran, to run when it ends (in arrival order).
        self._deferred: list[tuple[DeviceConnection, Callable[[], None], int]] = []

    # ------------------------------------------------------------------ devices

    def attach(self, conn: DeviceConnection, user_id: int) -> None:
        conn.user_id = user_id
        self.online[user_id].add(conn)
        if conn.on_sign_in is not None:
            conn.on_sign_in(True)

    def detach(self, conn: DeviceConnection) -> None:
        was_attached = conn.user_id is not None
        if conn.user_id is not None:
            devices = self.online.get(conn.user_id)
            if devices is not None:
                devices.discard(conn)
                if not devices:
                    del self.online[conn.user_id]
        conn.user_id = None
        conn.live = False
        if was_attached and conn.on_sign_in is not None:
            conn.on_sign_in(False)

    def devices_of(self, user_id: int) -> list[DeviceConnection]:
        return list(self.online.get(user_id, ()))

    def connections_of_device(self, user_id: int, device_id: int) -> list[DeviceConnection]:
        return [c for c in self.online.get(user_id, ()) if c.device_id == device_id]

    def all_connections(self) -> list[DeviceConnection]:
        return [conn for conns in self.online.values() for conn in conns]

    def commit_soon(self) -> None:
        """Commit what was written outside a request (the session check's touches)."""
        self._schedule()

    # ------------------------------------------------------------------ the batch

    def checkpoint(self) -> int:
        """Where the current request's entries start, to drop them if it fails."""
        return len(self._current().items)

    def drop_since(self, checkpoint: int) -> None:
        del self._current().items[checkpoint:]

    def reply(
        self,
        conn: DeviceConnection,
        request_id: str | None,
        frame: msgspec.Struct,
        again: Callable[[], msgspec.Struct] | None = None,
    ) -> None:
        """Queue a reply. `again`, for reads, answers anew if the batch is refused."""
        again_bytes = None if again is None else (lambda: encode(again()))
        self._enqueue(_Reply(conn, request_id, encode(frame), again_bytes))

    def reply_error(self, conn: DeviceConnection, error: ProtocolError) -> None:
        self._enqueue(_Reply(conn, error.request_id, encode_error(error)))

    def emit(
        self, user_ids: list[int], push: msgspec.Struct, skip_device: int | None = None
    ) -> list[int]:
        """Append `push` (built with seq=0) to each user's log; send it after commit."""
        if not user_ids:
            return []
        body = encode_push_body(push)
        seqs = self.store.append_events(user_ids, body, self.clock())
        items = self._current().items
        for user_id, seq in zip(user_ids, seqs, strict=True):
            items.append(_Push(user_id, seq, body, skip_device))
        self._schedule()
        return seqs

    def coalesce_group_read(self, sender_id: int, group_id: str, ack: f.GroupAckInfo) -> None:
        self._current().group_reads[(sender_id, group_id)].append(ack)
        self._schedule()

    def coalesce_group_delivered(self, sender_id: int, push: f.GroupDeliveredPush) -> None:
        self._current().group_deliveries[(sender_id, push.msg_id)] = push
        self._schedule()

    def on_commit(self, callback: Callable[[], None]) -> None:
        self._current().on_commit.append(callback)
        self._schedule()

    def on_rollback(self, callback: Callable[[], None]) -> None:
        self._current().on_rollback.append(callback)

    def go_live(self, conn: DeviceConnection, last_sent: int) -> None:
        """`conn` finished its sync with the events up to `last_sent`: from now on it gets
        pushes as they happen. With one writer every event up to the log's head is in
        this batch or was read by the sync, so the device counts as synced to the head."""
        was_live, was_synced = conn.live, conn.synced_upto
        conn.live = True
        assert conn.user_id is not None
        conn.synced_upto = max(last_sent, self.store.last_seq(conn.user_id))

        def undo() -> None:
            conn.live, conn.synced_upto = was_live, was_synced

        self.on_rollback(undo)

    def _current(self) -> _Batch:
        """The batch the running request's replies and pushes go to."""
        return self._batch

    def _enqueue(self, item: _Reply | _Push) -> None:
        self._current().items.append(item)
        self._schedule()

    def _schedule(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    @property
    def committing(self) -> bool:
        """A batch's COMMIT is running: nothing may touch the store until it ends."""
        return self._committing

    def defer(self, conn: DeviceConnection, work: Callable[[], None], size: int = 0) -> None:
        """Run `work` (a frame of `conn`, of `size` bytes) once the running COMMIT has ended."""
        conn.deferred += 1
        conn.deferred_bytes += size
        self._deferred.append((conn, work, size))

    async def ready(self) -> None:
        """Return once no COMMIT is running: call before anything touches the store."""
        while self._committing:
            if self._committed_event is None:
                self._committed_event = asyncio.Event()
            await self._committed_event.wait()

    async def settle(self) -> None:
        """Commit what was accepted and wait until its frames are queued (shutdown)."""
        while True:
            await self.ready()
            batch = self._batch
            if not (
                batch.items
                or batch.on_commit
                or batch.group_reads
                or batch.group_deliveries
                or self.store.in_transaction
            ):
                return
            self.flush()

    def close(self) -> None:
        """Stop the committer thread (after `settle`)."""
        if self._committer is not None:
            self._committer.close()
            self._committer = None

    def flush(self) -> None:
        """Commit the batch, then send its frames; on failure, refuse them all."""
        self._flush_scheduled = False
        if self._committing:
            return  # the running commit flushes again when it ends
        batch, self._batch = self._batch, _Batch()
        try:
            self._write_coalesced(batch)
            if not (self.commits_off_loop and self.store.in_transaction):
                self.store.commit()  # nothing to commit (or not this hub's to commit)
            else:
                # The batch's own writes here, so the thread's part is the COMMIT alone:
                # building the event rows is Python work, and holds the GIL.
                self.store.prepare_commit()
        except (StoreError, sqlite3.Error) as exc:
            self._failed(batch, exc)
            return
        if not self.store.in_transaction:
            self._send(batch)
            return
        if self._committer is None:
            self._committer = Committer(
                asyncio.get_running_loop(), self.store.commit, self._committed
            )
        self._committing = True
        self._committer.start(batch)

    def _committed(self, batch: object, exc: BaseException | None) -> None:
        """On the loop, when the committer thread's COMMIT of `batch` has ended."""
        assert isinstance(batch, _Batch)
        self._committing = False
        if self._committed_event is not None:
            self._committed_event.set()  # the waiting requests run, then flush again
            self._committed_event = None
        if exc is not None:
            self._failed(batch, exc)
        else:
            self._send(batch)
        deferred, self._deferred = self._deferred, []
        for conn, work, size in deferred:
            conn.deferred -= 1
            conn.deferred_bytes -= size
            try:
                work()
            except Exception:  # a bug: the frame's own handling logs and answers the rest
                log.exception("a frame held for the commit failed")
        self._schedule()

    def _failed(self, batch: _Batch, exc: BaseException) -> None:
        log.error("commit failed, %d frames refused: %s", len(batch.items), exc)
        self.store.rollback()
        self._refuse(batch, exc)

    def _send(self, batch: _Batch) -> None:
        for callback in batch.on_commit:
            callback()
        for item in batch.items:
            if isinstance(item, _Reply):
                item.conn.send(item.data)
            else:
                self._deliver(item)

    def _write_coalesced(self, batch: _Batch) -> None:
        if not batch.group_reads and not batch.group_deliveries:
            return
        items_before, self._batch.items = self._batch.items, batch.items
        try:
            with self.store.request():
                for (sender_id, group_id), acks in batch.group_reads.items():
                    self.emit([sender_id], f.GroupReadPush(seq=0, group_id=group_id, acks=acks))
                for (sender_id, _), push in batch.group_deliveries.items():
                    self.emit([sender_id], push)
        finally:
            self._batch.items = items_before

    def _refuse(self, batch: _Batch, exc: BaseException) -> None:
        for callback in batch.on_rollback:
            callback()
        error = storage_refusal(None, exc)
        for item in batch.items:
            if not isinstance(item, _Reply):
                continue
            if item.again is not None:
                # A read: answer it from what is committed, so reads keep working.
                try:
                    data = self._answer_again(item.again)
                except Exception as read_exc:
                    log.error("read failed after a refused batch: %s", read_exc)
                else:
                    item.conn.send(data)
                    continue
            item.conn.send(encode_error(error.with_request_id(item.request_id)))

    def _answer_again(self, again: Callable[[], bytes]) -> bytes:
        """A read run again on what is committed. Its answer is final: its undo (of a
        sync's going live, a resume's sign-in) goes nowhere, lest the next refused batch
        undo it; what waits for a commit runs now."""
        batch, self._batch = self._batch, _Batch()
        try:
            with self.store.request():
                data = again()
        finally:
            self.store.rollback()
            own, self._batch = self._batch, batch
        for callback in own.on_commit:
            callback()
        return data

    def _deliver(self, push: _Push) -> None:
        devices = self.online.get(push.user_id)
        if not devices:
            return
        frame = frame_with_seq(push.body, push.seq)
        for conn in devices:
            if conn.live and push.seq > conn.synced_upto and conn.device_id != push.skip_device:
                conn.synced_upto = push.seq
                conn.send(frame)
