"""One client's websocket, as the server sees it: its outgoing queue and its device.

Owns: `DeviceConnection`: the frames queued for one websocket and how they are
written (in one write per loop turn where the socket takes them, by a writer task
where it does not), its protocol phase, its signed-in device, and whether that
device is live (has synced, so gets pushes as they happen).

Never: decide what a frame means, or block on a socket: a slow reader only grows
its own queue, and is dropped past a bound in bytes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from desktop_chat.protocol import ConnectionSession
from desktop_chat.server.limits import DeviceRates


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
        # Frames of this connection waiting for the hub's running COMMIT to end, and
        # their bytes.
        self.deferred = 0
        self.deferred_bytes = 0
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
