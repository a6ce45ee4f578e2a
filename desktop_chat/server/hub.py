"""Who is online, and the commit batch that turns accepted frames into sent frames.

Owns:
- `DeviceConnection`: one websocket's outgoing queue and its signed-in device, and
  whether the device is live (has synced, so gets pushes as they happen);
- `Hub`: the online devices of each user, and the group commit. Every reply and
  every push is queued in the current batch, in order; once per event-loop
  iteration the batch's transaction is committed and only then are its frames
  sent. If the commit fails, every request in the batch gets
  STORAGE_UNAVAILABLE and its pushes are dropped: nothing unconfirmed is shown
  to anyone, and nothing confirmed is lost.
- coalescing: group read acks for the same sender in one batch become one push.

Never: decide what a request means (that is `service.py`), or block on a socket:
a slow reader only grows its own queue, and is dropped past a bound in bytes.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from desktop_chat.protocol import ConnectionSession, ErrorCode, ProtocolError
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.codec import encode, encode_error, encode_push_body, frame_with_seq
from desktop_chat.server.limits import DeviceRates
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


class DeviceConnection:
    """One device's connection, as the server sees it: its protocol session and its
    outgoing frames. (The client's `client.connection.Connection` is the other end.)

    Frames are written in batches: every frame queued during one event-loop
    iteration goes out in one write (`write`, synchronous, no task switch) on the
    next iteration. When the socket's buffer is full, the connection's writer task
    takes over: it waits for the buffer to drain while frames queue up.

    What waits to be sent (the frames queued and the bytes the transport holds,
    `buffered`) is bounded: past `max_queued_bytes` on top of the largest frame
    among them, or when the socket takes no byte for `stall_seconds`, the
    connection is dropped at once (`abort`: no close handshake, which a peer that
    does not read would never answer) and what it held is freed. Nothing is lost:
    the device catches up from its event log with `sync` when it comes back.
    Without `write`, the writer task sends each frame with `send` (no bound).
    """

    _next_id = 0

    def __init__(
        self,
        send: Callable[[bytes], Any],
        max_queued_bytes: int,
        peer: str = "",
        rates: DeviceRates | None = None,
        peer_host: str = "",
        *,
        write: Callable[[list[bytes]], bool] | None = None,
        drain: Callable[[], Any] | None = None,
        buffered: Callable[[], int] = lambda: 0,
        abort: Callable[[], None] = lambda: None,
        end: Callable[[int, str], None] | None = None,
        stall_seconds: float = 20.0,
    ) -> None:
        DeviceConnection._next_id += 1
        self.id = DeviceConnection._next_id
        self.peer = peer
        self.peer_host = peer_host
        self.rates = rates
        self.session = ConnectionSession()
        self.user_id: int | None = None
        self.live = False
        self.synced_upto = 0
        # Told True when the connection signs in, False when it signs out.
        self.on_sign_in: Callable[[bool], None] | None = None
        # Seconds before the next frame of this connection is read (a refused sign-in).
        self.read_pause = 0.0
        self._send = send
        self._write = write
        self._drain = drain
        self._buffered = buffered
        self._abort = abort
        self._end = end
        self._stall_seconds = stall_seconds
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._largest = 0
        self._scheduled = False
        # The writer task owns the pending frames (the socket is full, or no `write`).
        self._blocked = write is None
        self._failed = False
        self._ended = False
        self._wake = asyncio.Event()
        self._max_queued_bytes = max_queued_bytes
        self.closed = False
        self.log = logging.getLogger(f"{__name__}.conn{self.id}")

    @property
    def device_id(self) -> int | None:
        return self.session.device_id

    def send(self, data: bytes) -> None:
        if self.closed:
            return
        waiting = self._pending_bytes + self._buffered()
        if waiting == 0:
            self._largest = 0
        self._largest = max(self._largest, len(data))
        if waiting + len(data) - self._largest > self._max_queued_bytes:
            self.drop(f"{waiting + len(data)} bytes wait to be sent")
            return
        self._pending.append(data)
        self._pending_bytes += len(data)
        if self._blocked:
            self._wake.set()
        elif not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._write_pending)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.live = False
            self._wake.set()

    def end(self, code: int, reason: str) -> None:
        """Send what is queued if the socket takes it, then close with `code`."""
        if self.closed:
            return
        if not self._blocked:
            self._write_pending()
        self._ended = True
        self.close()
        self._clear()
        if self._end is not None:
            self._end(code, reason)

    def drop(self, why: str) -> None:
        """Abort the connection now and free what it held: its peer does not read."""
        if self._failed:
            return
        self.log.warning("dropping a connection that does not read: %s", why)
        self._fail(None)
        self._abort()

    def _clear(self) -> None:
        self._pending = []
        self._pending_bytes = 0

    def _write_pending(self) -> None:
        """Write every queued frame at once, unless the writer task owns them."""
        self._scheduled = False
        if self._blocked or self._failed or not self._pending:
            return
        frames = self._pending
        self._clear()
        self._log_frames(frames)
        assert self._write is not None
        try:
            full = self._write(frames)
        except Exception as exc:  # the peer is gone; its reader ends the connection
            self._fail(exc)
            return
        if full:
            self._blocked = True
            self._wake.set()

    def _fail(self, exc: BaseException | None) -> None:
        if exc is not None:
            self.log.debug("send failed: %s", exc)
        self._failed = True
        self.closed = True
        self.live = False
        self._clear()
        self._wake.set()

    def _log_frames(self, frames: list[bytes]) -> None:
        if self.log.isEnabledFor(logging.DEBUG):
            # The frame's type only: frames carry tokens and message text.
            for data in frames:
                self.log.debug("> %s", _frame_type(data))

    async def write_loop(self, close: Callable[[], Any]) -> None:
        """Send what the batched writes could not (a full socket), then close."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._failed:
                return
            try:
                if self._blocked:
                    await self._write_slowly()
                elif self.closed:
                    self._write_pending()
                    if self._blocked:
                        await self._write_slowly()
            except Exception as exc:  # the peer is gone; its reader ends the connection
                self._fail(exc)
                return
            if self._failed:
                return
            if self.closed and not self._pending:
                if not self._ended:
                    await close()
                return

    async def _write_slowly(self) -> None:
        """The writer task's part: wait for the socket, then write what queued meanwhile."""
        if self._write is None:
            while self._pending:
                frames = self._pending
                self._clear()
                self._log_frames(frames)
                for data in frames:
                    await self._send(data)
            return
        await self._wait_for_socket()
        while self._pending and not self._failed:
            frames = self._pending
            self._clear()
            self._log_frames(frames)
            if self._write(frames):
                await self._wait_for_socket()
        self._blocked = False

    async def _wait_for_socket(self) -> None:
        """Wait until the socket's buffer drains; drop the connection if it stalls.

        Stalled means no byte taken in `stall_seconds`. A slow link that takes a big
        sync page bit by bit is not stalled; a program that stopped reading is.
        """
        assert self._drain is not None
        while True:
            before = self._buffered()
            try:
                await asyncio.wait_for(self._drain(), self._stall_seconds)
                return
            except TimeoutError:
                if self._failed:
                    return
                if self._buffered() >= before:
                    self.drop(f"its socket took nothing for {self._stall_seconds:g} s")
                    return


def _frame_type(data: bytes) -> str:
    start = data.find(b'"type":"')
    if start < 0:
        return "?"
    end = data.find(b'"', start + 8)
    return data[start + 8 : end].decode("ascii", "replace")


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
    def __init__(self, store: Store, clock: Callable[[], int]) -> None:
        self.store = store
        self.clock = clock
        self.online: dict[int, set[DeviceConnection]] = defaultdict(set)
        self._batch = _Batch()
        self._flush_scheduled = False

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

    def flush(self) -> None:
        """Commit the batch, then send its frames; on failure, refuse them all."""
        self._flush_scheduled = False
        batch, self._batch = self._batch, _Batch()
        try:
            self._write_coalesced(batch)
            self.store.commit()
        except (StoreError, sqlite3.Error) as exc:
            log.error("commit failed, %d frames refused: %s", len(batch.items), exc)
            self.store.rollback()
            self._refuse(batch, exc)
            return
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
