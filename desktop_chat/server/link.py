"""The server's side of one websocket, below the protocol: frames written without
waiting, and closes that never wait on the peer.

Owns:
- the close codes the server uses (`GOING_AWAY` at shutdown, `POLICY_VIOLATION`
  when hello and sign-in did not come in time, `SESSION_ENDED` when the device's
  session ended: signed out, revoked or expired), listed in docs/protocol.md;
- `frame_writer`: many text frames in one socket write, no await;
- `end`: send a close frame at once and abort the TCP connection if the peer has
  not finished the close within a grace period;
- `abort`: drop the TCP connection now (no close handshake).

Never: await a socket's drain: a peer that does not read must never hold up the
server, a shutdown or a close.
"""

from __future__ import annotations

import asyncio

from websockets.asyncio.server import ServerConnection
from websockets.protocol import State

GOING_AWAY = 1001
POLICY_VIOLATION = 1008
SESSION_ENDED = 4001


def _write_out(ws: ServerConnection) -> None:
    """Hand what the protocol object has to send to the transport (no await)."""
    transport = ws.transport
    chunks = ws.protocol.data_to_send()
    if len(chunks) == 1:
        transport.write(chunks[0])
    elif all(chunks):
        transport.write(b"".join(chunks))
    else:  # an end-of-stream marker: let websockets handle it as it would
        for chunk in chunks:
            if chunk:
                transport.write(chunk)
            elif transport.can_write_eof():
                transport.write_eof()
            else:
                transport.close()


def frame_writer(ws: ServerConnection):
    """Write a list of text frames with one socket write; True when the socket is full.

    This is what `ws.send` does for one frame (the protocol object frames it, the
    transport writes it), for many frames at once: one write, one syscall, no
    await. When the transport's buffer passes its high-water mark (`paused`), the
    connection's writer task waits for it to drain, as `ws.send` would.
    """
    protocol = ws.protocol

    def write(frames: list[bytes]) -> bool:
        if protocol.state is not State.OPEN:
            raise ConnectionError(f"the connection is {protocol.state.name.lower()}")
        for data in frames:
            protocol.send_text(data)
        _write_out(ws)
        return ws.paused

    return write


def abort(ws: ServerConnection) -> None:
    ws.transport.abort()


def end(ws: ServerConnection, code: int, reason: str, grace: float) -> None:
    """Close with `code` and `reason` now; abort if not closed within `grace` seconds."""
    state = ws.protocol.state
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
    if ws.protocol.state is not State.CLOSED:
        ws.transport.abort()
