"""docs/protocol.md's close codes against a real server: for each code the close-code
table (§1) lists, a real client does what the table says and the server closes with
that code. The table is read from the document, so a code added there without a case
here fails, and so does a case here whose code the document dropped."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from protocol_doc import close_codes
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

CLOSE_CODES = close_codes()
PASSWORD = "correct horse"  # the harness's password for every account
CLOSE_CASES: dict[int, Callable[[Any], Awaitable[int]]] = {}


def closes(code: int):
    def register(case):
        CLOSE_CASES[code] = case
        return case

    return register


# --------------------------------------------------------------------------- close codes


class RawSocket:
    """A websocket whose bytes the test writes: websockets' sans-I/O client makes the
    handshake and reads what the server sends; anything at all can be written after."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, protocol):
        self.reader, self.writer, self.protocol = reader, writer, protocol

    @classmethod
    async def open(cls, url: str) -> RawSocket:
        address = urlsplit(url)
        reader, writer = await asyncio.open_connection(address.hostname, address.port)
        protocol = ClientProtocol(parse_uri(url), max_size=None)
        protocol.send_request(protocol.connect())
        raw = cls(reader, writer, protocol)
        raw._flush()
        while protocol.state is State.CONNECTING:
            protocol.receive_data(await reader.read(65536))
        assert protocol.state is State.OPEN, protocol.handshake_exc
        return raw

    def _flush(self) -> None:
        for chunk in self.protocol.data_to_send():
            if chunk:
                self.writer.write(chunk)

    def send_text(self, text: str) -> None:
        self.protocol.send_text(text.encode())
        self._flush()

    def write(self, data: bytes) -> None:
        self.writer.write(data)

    async def recv(self) -> bytes:
        """The next message's payload."""
        while True:
            for event in self.protocol.events_received():
                if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                    return event.data
            self.protocol.receive_data(await asyncio.wait_for(self.reader.read(65536), 10))

    async def close_code(self, timeout: float = 10.0) -> int:
        """Read everything until the server's close frame; its code."""
        async with asyncio.timeout(timeout):
            while self.protocol.close_rcvd is None:
                data = await self.reader.read(1 << 20)
                if not data:
                    raise AssertionError("the server closed the TCP connection without a code")
                self.protocol.receive_data(data)
                self.protocol.events_received()  # drop the payloads
        self.writer.close()
        return self.protocol.close_rcvd.code


def masked(opcode: Opcode, payload: bytes) -> bytes:
    return Frame(opcode, payload).serialize(mask=True, extensions=[])


@closes(1008)
async def _never_signs_in(harness) -> int:
    """A connection that says hello and never signs in is closed at the deadline."""
    await harness.start(sign_in_timeout_seconds=0.5)
    raw = await RawSocket.open(harness.url)
    raw.send_text('{"type": "hello", "id": "1", "version": 1}')
    await raw.recv()
    return await raw.close_code(timeout=10)


@closes(4001)
async def _session_ended_elsewhere(harness) -> int:
    """Signing out on one connection ends the device's other open connections."""
    await harness.start()
    alice = await harness.device("alice")
    raw = await RawSocket.open(harness.url)
    raw.send_text('{"type": "hello", "id": "1", "version": 1}')
    await raw.recv()
    raw.send_text(f'{{"type": "resume", "id": "2", "token": "{alice.token}"}}')
    assert b"login_ok" in await raw.recv()
    await alice.request("logout")
    return await raw.close_code(timeout=10)


@closes(1001)
async def _server_stops(harness) -> int:
    await harness.start()
    alice = await harness.device("alice")
    await harness.stop()
    await asyncio.wait_for(alice.ws.wait_closed(), 10)
    return alice.ws.protocol.close_rcvd.code


@closes(1002)
async def _unmasked_frame(harness) -> int:
    await harness.start()
    raw = await RawSocket.open(harness.url)
    raw.write(Frame(Opcode.TEXT, b'{"type": "hello"}').serialize(mask=False, extensions=[]))
    return await raw.close_code()


@closes(1007)
async def _close_reason_not_utf8(harness) -> int:
    await harness.start()
    raw = await RawSocket.open(harness.url)
    raw.write(masked(Opcode.CLOSE, b"\x03\xe8\xff\xfe"))
    return await raw.close_code()


@closes(1009)
async def _message_far_too_big(harness) -> int:
    await harness.start(max_frame_bytes=4096)
    alice = await harness.device("alice")
    await alice.send_raw('{"type": "hello", "id": "1", "client": "' + "x" * 17000 + '"}')
    await asyncio.wait_for(alice.ws.wait_closed(), 10)
    return alice.ws.protocol.close_rcvd.code


@closes(1011)
async def _no_pong(harness) -> int:
    """A client that never answers the server's keepalive pings."""
    await harness.start(ping_interval_seconds=0.2, ping_timeout_seconds=0.2)
    raw = await RawSocket.open(harness.url)  # it reads nothing, so it answers no ping
    await asyncio.sleep(1.0)
    return await raw.close_code()


@pytest.mark.parametrize("code", CLOSE_CODES)
async def test_every_documented_close_code_is_used(harness, code: int) -> None:
    assert code in CLOSE_CASES, f"docs/protocol.md lists close code {code}: add a case here"
    assert await CLOSE_CASES[code](harness) == code


def test_the_close_codes_table_is_there() -> None:
    assert 1009 in CLOSE_CODES and len(CLOSE_CODES) == len(set(CLOSE_CODES))


def test_every_close_case_here_is_a_documented_code() -> None:
    assert set(CLOSE_CASES) <= set(CLOSE_CODES), "a close case docs/protocol.md does not list"
