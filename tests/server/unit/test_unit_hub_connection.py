"""`hub.DeviceConnection`, a connection's outgoing queue, against a stand-in for its socket
(`Socket`: what `write` was given, a settable buffer size, a drain the test opens):
the frames of one loop turn go out in one write, in order; what waits (queued frames
and the socket's buffer, besides the largest frame) is bounded, and past the bound the
connection is aborted at once and frees what it held; a full socket hands the queue to
the writer task until it drains; a socket that takes nothing gets the connection
dropped; `end` sends what is queued, then closes with its code."""

from __future__ import annotations

import asyncio

from desktop_chat.server.connection import DeviceConnection


class Socket:
    """What a connection writes to: `write` takes a turn's frames and says whether the
    buffer is now full; `buffered` bytes it holds; `drain` waits until `drained` is set."""

    def __init__(self) -> None:
        self.writes: list[list[bytes]] = []
        self.buffered = 0
        self.full = False
        self.drained = asyncio.Event()
        self.drains = 0
        self.aborted = 0
        self.ended: list[tuple[int, str]] = []
        self.closed = 0
        self.gone = False

    def write(self, frames: list[bytes]) -> bool:
        if self.gone:
            raise ConnectionResetError("the peer is gone")
        self.writes.append(list(frames))
        return self.full

    async def drain(self) -> None:
        self.drains += 1
        await self.drained.wait()

    def abort(self) -> None:
        self.aborted += 1

    async def close(self) -> None:
        self.closed += 1

    def connection(
        self, max_queued_bytes: int = 100, stall_seconds: float = 60.0
    ) -> DeviceConnection:
        return DeviceConnection(
            self._one_by_one,
            max_queued_bytes,
            write=self.write,
            drain=self.drain,
            buffered=lambda: self.buffered,
            abort=self.abort,
            end=lambda code, reason: self.ended.append((code, reason)),
            stall_seconds=stall_seconds,
        )

    @staticmethod
    async def _one_by_one(data: bytes) -> None:
        raise AssertionError("with `write`, frames are never sent one by one")


def frame(n: int, size: int = 10) -> bytes:
    return f"{n:0{size}d}".encode()


async def turn() -> None:
    """One event-loop turn: the writes scheduled by `send` run."""
    await asyncio.sleep(0)


async def turns(n: int = 10) -> None:
    """Enough turns for the writer task to wake, drain and write."""
    for _ in range(n):
        await asyncio.sleep(0)


async def test_the_frames_of_one_turn_go_out_in_one_write_in_order():
    socket = Socket()
    conn = socket.connection()
    for n in range(3):
        conn.send(frame(n))
    assert socket.writes == []  # written on the next turn, not from inside `send`
    await turn()
    assert socket.writes == [[frame(0), frame(1), frame(2)]]
    conn.send(frame(3))
    await turn()
    assert socket.writes[-1] == [frame(3)]


async def test_past_the_bound_the_connection_is_aborted_and_frees_its_queue():
    socket = Socket()
    conn = socket.connection(max_queued_bytes=100)
    for n in range(11):  # 110 bytes wait: 100 besides the largest frame
        conn.send(frame(n))
    assert socket.aborted == 0 and not conn.closed
    conn.send(frame(11))
    assert socket.aborted == 1 and conn.closed and not conn.live
    conn.send(frame(12))  # a dropped connection takes nothing more
    await turn()
    assert socket.writes == [], "what it held was freed, not written"
    conn.drop("again")
    assert socket.aborted == 1, "aborted once"


async def test_one_frame_larger_than_the_bound_goes_out_when_nothing_waits():
    socket = Socket()
    conn = socket.connection(max_queued_bytes=100)
    big = b"x" * 1000
    conn.send(big)
    await turn()
    assert socket.writes == [[big]] and socket.aborted == 0
    # Behind it, the bound holds as before (the transport no longer holds it).
    conn.send(big)
    conn.send(frame(0, 101))
    assert socket.aborted == 1


async def test_the_bytes_the_socket_holds_count_against_the_bound():
    socket = Socket()
    conn = socket.connection(max_queued_bytes=100)
    socket.buffered = 90
    conn.send(frame(0))
    conn.send(frame(1))  # 90 held + 20 queued, 10 of it the largest frame: 100
    assert socket.aborted == 0
    conn.send(frame(2))
    assert socket.aborted == 1


async def test_a_full_socket_hands_the_queue_to_the_writer_until_it_drains():
    socket = Socket()
    conn = socket.connection()
    writer = asyncio.create_task(conn.write_loop(socket.close))
    socket.full = True
    conn.send(frame(0))
    await turn()
    assert socket.writes == [[frame(0)]]
    socket.full = False
    conn.send(frame(1))
    conn.send(frame(2))
    await turns()
    assert socket.drains == 1 and socket.writes == [[frame(0)]], "waits for the drain"
    socket.drained.set()
    await turns()
    assert socket.writes == [[frame(0)], [frame(1), frame(2)]]
    # Drained: back to one write per turn, without the writer.
    conn.send(frame(3))
    await turn()
    assert socket.writes[-1] == [frame(3)] and socket.drains == 1
    conn.close()
    await writer
    assert socket.closed == 1 and socket.aborted == 0


async def test_a_socket_that_takes_nothing_gets_the_connection_dropped():
    socket = Socket()
    conn = socket.connection(stall_seconds=0)  # no byte taken within 0 s: stalled
    writer = asyncio.create_task(conn.write_loop(socket.close))
    socket.full = True
    socket.buffered = 50
    conn.send(frame(0))
    conn.send(frame(1))
    await writer
    assert socket.aborted == 1 and conn.closed
    assert socket.closed == 0, "aborted, not closed: a peer that does not read never answers"
    conn.send(frame(2))
    await turn()
    assert socket.writes == [[frame(0), frame(1)]]


async def test_a_write_to_a_gone_peer_fails_the_connection_quietly():
    socket = Socket()
    conn = socket.connection()
    socket.gone = True
    conn.send(frame(0))
    await turn()
    assert conn.closed and not conn.live
    socket.gone = False
    conn.send(frame(1))
    await turn()
    assert socket.writes == []


async def test_end_sends_what_is_queued_then_closes_with_its_code():
    socket = Socket()
    conn = socket.connection()
    writer = asyncio.create_task(conn.write_loop(socket.close))
    conn.send(frame(0))
    conn.send(frame(1))
    conn.end(4001, "session ended")
    assert socket.writes == [[frame(0), frame(1)]]
    assert socket.ended == [(4001, "session ended")]
    conn.send(frame(2))
    await writer
    await turn()
    assert socket.writes == [[frame(0), frame(1)]]
    assert socket.closed == 0, "closed by `end`, with its code, not by the writer"


async def test_without_write_the_writer_sends_frame_by_frame():
    sent: list[bytes] = []

    async def send(data: bytes) -> None:
        sent.append(data)

    conn = DeviceConnection(send, 100)
    closed: list[bool] = []

    async def close() -> None:
        closed.append(True)

    writer = asyncio.create_task(conn.write_loop(close))
    for n in range(3):
        conn.send(frame(n))
    conn.close()
    await writer
    assert sent == [frame(0), frame(1), frame(2)] and closed == [True]
