"""The server's side of one websocket, below the protocol: frames written without
waiting, closes that never wait on the peer. The only server module that uses a
websockets connection's undocumented attributes.

Owns:
- the close codes the server uses (`GOING_AWAY` at shutdown, `POLICY_VIOLATION`
  when hello and sign-in did not come in time, `SESSION_ENDED` when the device's
  session ended: signed out, revoked or expired), listed in docs/protocol.md;
- `frame_writer`: many text frames in one socket write, no await, True when the
  socket is full; `buffered`: the bytes the socket has not taken yet; `drainer`:
  wait until it takes them;
- `end`: send a close frame at once and abort the TCP connection if the peer has
  not finished the close within a grace period;
- `abort`: drop the TCP connection now (no close handshake).

websockets' internals. A connection's documented API (`send`, `recv`, `close`,
`state`, ...) writes one frame per `await send`: one socket write, then a wait for
the socket. Writing every frame of a batch at once needs these undocumented
attributes of `websockets.asyncio.connection.Connection`, used nowhere else in the
server:
- `protocol`, its Sans-I/O `Protocol` (whose `send_text`, `send_close` and
  `data_to_send` are websockets' documented Sans-I/O API): frames the text frames
  (through the negotiated extensions) and the close frame;
- `transport`, its asyncio transport (asyncio's API): one `write` of them all
  (and the half-close, as websockets' `send_data`), `get_write_buffer_size`, `abort`;
- `paused` and `drain()`, its flow control: `paused` is True from the transport's
  `pause_writing` (past `write_limit`) to `resume_writing`, and `drain()` waits for
  that; every waiting `drain()` resumes at once, so concurrent drains are fine;
- `send_in_progress`, set while `send` writes a fragmented message.
Checked against websockets CHECKED_WEBSOCKETS: tests/server/test_link.py fails on
any other major.minor, and when the code of any of them, or of `send`'s guard it
mirrors, changes. What the guard (`send_context`) protects, `frame_writer` keeps: a
frame goes out only on an OPEN connection (else ConnectionError) and never between
the frames of a fragmented message (ConcurrencyError, the connection unharmed);
nothing is written then. What `send` does and this does not, on purpose: wait for
the socket after each frame (the hub's writer task drains, bounded in time) and
wait for a closing handshake to finish (`end` aborts after its grace). The server
sends no fragmented message itself; a close frame may go out between fragments
(RFC 6455 §5.4 lets control frames interleave). The gain, measured against
`await ws.send` per frame: docs/performance.md, "websockets internals".

Never: await a socket's drain itself: a peer that does not read must never hold up
the server, a shutdown or a close.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConcurrencyError
from websockets.protocol import State

from desktop_chat.protocol.codec import is_data_frame

GOING_AWAY = 1001
POLICY_VIOLATION = 1008
SESSION_ENDED = 4001

# The websockets releases (major, minor) whose internals this module was checked against.
CHECKED_WEBSOCKETS = {(17, 4)}


def _write_out(ws: ServerConnection) -> None:
    """Hand what the protocol object has to send to the transport (no await)."""
    transport = ws.transport
    chunks = ws.protocol.data_to_send()
    if len(chunks) == 1:
        transport.write(chunks[0])
    elif all(chunks):
        transport.write(b"".join(chunks))
    else:  # an end-of-stream marker: half-close as websockets' send_data would
        for chunk in chunks:
            if chunk:
                transport.write(chunk)
            elif transport.can_write_eof():
                transport.write_eof()
            else:
                transport.close()


def frame_writer(ws: ServerConnection) -> Callable[[list[bytes]], bool]:
    """Write a list of frames (text; a data frame as binary) with one socket write; True
    when the socket is full.

    This is what `ws.send` does for one frame (the protocol object frames it, the
    transport writes it), for many frames at once: one write, one syscall, no
    await. When the transport's buffer passes its high-water mark (`paused`), the
    caller waits with `drainer` before writing more, as `ws.send` would.
    """
    protocol = ws.protocol

    def write(frames: list[bytes]) -> bool:
        if protocol.state is not State.OPEN:
            raise ConnectionError(f"the connection is {protocol.state.name.lower()}")
        if ws.send_in_progress is not None:
            raise ConcurrencyError("a fragmented message is being sent")
        for data in frames:
            if is_data_frame(data):
                protocol.send_binary(data)
            else:
                protocol.send_text(data)
        _write_out(ws)
        return ws.paused

    return write


def buffered(ws: ServerConnection) -> Callable[[], int]:
    """How many bytes written to `ws` its socket has not taken yet."""
    return ws.transport.get_write_buffer_size


def drainer(ws: ServerConnection) -> Callable[[], Awaitable[None]]:
    """Wait until `ws`'s transport is under its high-water mark (at once if it is)."""
    return ws.drain


def abort(ws: ServerConnection) -> None:
    ws.transport.abort()


def end(ws: ServerConnection, code: int, reason: str, grace: float) -> None:
    """Close with `code` and `reason` now; abort if not closed within `grace` seconds."""
    state = ws.state
    if state is State.CLOSED:
        return
    if state is not State.OPEN and state is not State.CLOSING:
        ws.transport.abort()  # still in the HTTP upgrade: nothing to say goodbye with
        return
    if state is State.OPEN:
        ws.protocol.send_close(code, reason)
        _write_out(ws)
    asyncio.get_running_loop().call_later(grace, _abort_if_open, ws)


def _abort_if_open(ws: ServerConnection) -> None:
    if ws.state is not State.CLOSED:
        ws.transport.abort()
