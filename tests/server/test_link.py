"""`server/link.py`, the one module that reaches past websockets' documented API,
checked against the websockets that is installed.

- the version: an unchecked major.minor fails, telling the upgrader to re-check;
- the internals link.py relies on, and those whose behaviour it mirrors (websockets'
  send guard and flow control): their code, docstrings and comments left out, must
  be what link.py was checked against, so that even a patch release that changes
  them fails here;
- their behaviour, on a real server and a real client on 127.0.0.1: frames written
  through `frame_writer` arrive intact and in order, among `ws.send`'s; a full socket
  is reported and drained (many drains at once); no frame goes out during a
  fragmented message or once the connection is closing or closed; `end` says
  goodbye and aborts a peer that does not answer; `abort` drops the TCP connection.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import hashlib
import inspect
import socket
import textwrap
import time

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.connection import Connection
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConcurrencyError, ConnectionClosed, ConnectionClosedError
from websockets.protocol import Protocol, State
from websockets.version import version as websockets_version

from desktop_chat.server import link

# What link.py was checked against: the code of each, as `_digest` sees it.
CHECKED_CODE = {
    "Connection.__init__": "9ed4a2f0843e0899",
    "Connection.send": "f62ea1bd54481805",
    "Connection.send_context": "8390877e5c39882c",
    "Connection.send_data": "20b0526515a96a0c",
    "Connection.connection_made": "d4026bfb153bdd87",
    "Connection.connection_lost": "4a4086343a11bf2c",
    "Connection.pause_writing": "d189d78173ac0a84",
    "Connection.resume_writing": "49634234b679c958",
    "Connection.drain": "b7a5df218b6a8797",
    "Protocol.state": "d96b4d373cf856d3",
    "Protocol.send_text": "e917825fe1e539c5",
    "Protocol.send_close": "97b5672095932426",
    "Protocol.data_to_send": "a86d030f3a673442",
}

RE_CHECK = (
    "link.py reaches into websockets' internals; re-read them in websockets {found}"
    " (asyncio/connection.py, protocol.py) against link.py's docstring, then update"
    " {what}"
)


def _digest(name: str) -> str:
    """The code of websockets' `name` (docstrings and comments left out), hashed."""
    owner, attribute = name.split(".")
    obj = {"Connection": Connection, "Protocol": Protocol}[owner].__dict__[attribute]
    if isinstance(obj, property):
        obj = obj.fget
    tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.unparse(tree).encode()).hexdigest()[:16]


def test_websockets_is_a_version_link_was_checked_against():
    found = tuple(int(part) for part in websockets_version.split(".")[:2])
    assert found in link.CHECKED_WEBSOCKETS, RE_CHECK.format(
        found=websockets_version, what="link.CHECKED_WEBSOCKETS"
    )


@pytest.mark.parametrize("name", sorted(CHECKED_CODE))
def test_the_websockets_internals_link_relies_on_are_unchanged(name):
    assert _digest(name) == CHECKED_CODE[name], RE_CHECK.format(
        found=websockets_version, what=f"CHECKED_CODE[{name!r}] in {__name__}"
    )


# ------------------------------------------------------------------ live


@contextlib.asynccontextmanager
async def linked(*, stalled: bool = False, compression: str | None = None):
    """A real websockets server and client on 127.0.0.1: (the server's side, the client).

    Without compression, as `ChatServer` serves. A `stalled` client reads almost
    nothing until it calls `recv`: a tiny receive buffer, and its websockets stops
    reading once it holds one message.
    """
    accepted: asyncio.Future[ServerConnection] = asyncio.get_running_loop().create_future()

    async def handler(ws: ServerConnection) -> None:
        accepted.set_result(ws)
        await ws.wait_closed()

    options: dict = {"ping_interval": None, "close_timeout": 1, "compression": compression}
    async with serve(handler, "127.0.0.1", 0, **options) as server:
        port = server.sockets[0].getsockname()[1]
        if stalled:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", port))
            sock.setblocking(False)
            options |= {"sock": sock, "max_queue": 1}
        async with connect(f"ws://127.0.0.1:{port}", **options) as client:
            ws = await asyncio.wait_for(accepted, 10)
            yield ws, client


async def fill(ws: ServerConnection) -> int:
    """Write 64 KiB frames until the socket is full; how many."""
    write = link.frame_writer(ws)
    for count in range(1, 2000):
        if write([b"f" * 65536]):
            return count
        await asyncio.sleep(0)
    raise AssertionError("the socket never filled")


async def read(client: ClientConnection, count: int) -> list[str]:
    return [await asyncio.wait_for(client.recv(), 10) for _ in range(count)]


@pytest.mark.parametrize("compression", [None, "deflate"])
async def test_frames_arrive_intact_and_in_order_among_sends(compression):
    async with linked(compression=compression) as (ws, client):
        write = link.frame_writer(ws)
        first = [f'{{"n":{i},"text":"汉字 {i}"}}'.encode() for i in range(200)]
        assert write(first) is False  # the socket took them
        await ws.send(b'{"n":"sent"}', text=True)
        assert write([b'{"n":"last"}']) is False
        got = await read(client, 202)
        assert got == [frame.decode() for frame in first] + ['{"n":"sent"}', '{"n":"last"}']


async def test_a_full_socket_is_reported_and_every_drain_waits_for_it():
    async with linked(stalled=True) as (ws, client):
        written = await fill(ws)
        buffered = link.buffered(ws)
        assert buffered() > 0
        drain = link.drainer(ws)
        waiting = [asyncio.ensure_future(drain()) for _ in range(3)]
        waiting.append(asyncio.ensure_future(ws.send("after the flood")))
        await asyncio.sleep(0.2)
        assert not any(task.done() for task in waiting)  # the socket is still full
        got = await read(client, written + 1)
        await asyncio.wait_for(asyncio.gather(*waiting), 10)
        assert got[-1] == "after the flood" and all(len(frame) == 65536 for frame in got[:-1])
        assert link.frame_writer(ws)([b"empty again"]) is False
        assert await read(client, 1) == ["empty again"]


async def test_no_frame_goes_out_in_the_middle_of_a_fragmented_message():
    async with linked() as (ws, client):
        write = link.frame_writer(ws)
        gate = asyncio.Event()

        async def fragments():
            yield "first half, "
            await gate.wait()
            yield "second half"

        sending = asyncio.create_task(ws.send(fragments()))
        await asyncio.sleep(0.05)  # the first fragment is out
        assert not sending.done()
        with pytest.raises(ConcurrencyError):
            write([b"between the fragments"])
        gate.set()
        await asyncio.wait_for(sending, 10)
        assert write([b"after it"]) is False
        assert await read(client, 2) == ["first half, second half", "after it"]
        assert ws.state is State.OPEN  # the refusal did not break the connection


async def test_nothing_is_written_once_the_connection_is_closing_or_closed():
    async with linked() as (ws, client):
        write = link.frame_writer(ws)
        link.end(ws, link.SESSION_ENDED, "signed out", grace=5)
        assert ws.state is State.CLOSING
        with pytest.raises(ConnectionError):
            write([b"too late"])
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(client.recv(), 10)
        assert (client.close_code, client.close_reason) == (link.SESSION_ENDED, "signed out")
        await asyncio.wait_for(ws.wait_closed(), 10)
        with pytest.raises(ConnectionError):
            write([b"far too late"])
    async with linked() as (ws, client):
        await client.close()
        await asyncio.wait_for(ws.wait_closed(), 10)
        with pytest.raises(ConnectionError):
            link.frame_writer(ws)([b"to nobody"])
        link.end(ws, link.GOING_AWAY, "", grace=0.1)  # closed already: nothing to do


async def test_end_aborts_a_peer_that_does_not_answer_within_the_grace():
    async with linked(stalled=True) as (ws, _client):
        await fill(ws)  # the client reads nothing more: it never sees the close
        started = time.monotonic()
        link.end(ws, link.GOING_AWAY, "the server is shutting down", grace=0.3)
        await asyncio.wait_for(ws.wait_closed(), 5)
        assert 0.25 <= time.monotonic() - started < 3
        assert ws.state is State.CLOSED


async def test_abort_drops_the_tcp_connection_without_a_close_frame():
    async with linked() as (ws, client):
        link.abort(ws)
        with pytest.raises(ConnectionClosedError):
            await asyncio.wait_for(client.recv(), 10)
        assert client.close_code == 1006  # no close frame came
        await asyncio.wait_for(ws.wait_closed(), 10)
