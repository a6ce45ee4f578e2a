"""docs/protocol.md against a real server: every code the document lists is sent.

The error codes are read from the document's error table (§11) and the close codes from
its close-code table (§1), so the document, `ErrorCode` and this file cannot drift apart:
- the table lists exactly the members of `ErrorCode`;
- each listed error code has a case here that makes a real server send it over a real
  websocket, and the `details` the table names are the ones sent; a code that only the
  document calls reserved ("not sent") must have no case, and the reverse;
- each listed close code has a case here that makes the server close with it, and every
  case here is listed.
A code added to the enum or to the document without a case fails; so does a case whose
code the document dropped.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

from desktop_chat.protocol import ErrorCode
from desktop_chat.wire_client import WireClient, text_body

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
PASSWORD = "correct horse"  # the harness's password for every account


def _section(text: str, heading: str) -> str:
    """The text under `heading` up to the next heading; empty when it is missing."""
    start = text.find(heading)
    if start == -1:
        return ""
    end = text.find("\n#", start + len(heading))
    return text[start : end if end != -1 else len(text)]


def _error_rows() -> dict[str, list[str]]:
    """§11's table: code -> its cells (sent when, details)."""
    rows: dict[str, list[str]] = {}
    for line in _section(DOC.read_text(), "## 11. Error codes").splitlines():
        match = re.match(r"^\| `([A-Z_]+)` \|(.*)\|\s*$", line)
        if match:
            assert match[1] not in rows, f"{match[1]} is listed twice"
            rows[match[1]] = [cell.strip() for cell in match[2].split(" | ")]
    return rows


def _close_codes() -> list[int]:
    section = _section(DOC.read_text(), "### Close codes")
    return [int(code) for code in re.findall(r"^\| (\d{4}) \|", section, re.MULTILINE)]


ERROR_ROWS = _error_rows()
CLOSE_CODES = _close_codes()

# Codes no request can produce in this version: each says where that is checked instead.
NOT_SENT = {
    # Reserved for overload: the document says "not sent", checked in the test below.
    "SERVER_BUSY",
}

Trigger = Callable[[Any], Awaitable[tuple[WireClient, dict]]]
ERROR_CASES: dict[str, Trigger] = {}
CLOSE_CASES: dict[int, Callable[[Any], Awaitable[int]]] = {}


def sends(code: str) -> Callable[[Trigger], Trigger]:
    def register(case: Trigger) -> Trigger:
        ERROR_CASES[code] = case
        return case

    return register


def closes(code: int):
    def register(case):
        CLOSE_CASES[code] = case
        return case

    return register


async def error_after(client: WireClient, data: str | bytes) -> dict:
    """The `error` a raw frame got (one without a readable id, so not matched to a call)."""
    before = len(client.orphan_errors)
    await client.send_raw(data)
    await client.request("hello", version=1)  # replies come in order: the error is in
    assert len(client.orphan_errors) == before + 1, client.orphan_errors
    return client.orphan_errors[-1]


async def send(client: WireClient, to: str, msg_id: str, text: str = "hi", **flags) -> dict:
    return await client.call(
        "send", msg_id=msg_id, chat_type="chat", to=to, body=text_body(text), **flags
    )


async def group_with(owner: WireClient, *members: str) -> str:
    reply = await owner.request("create_group", name="team", members=list(members))
    return reply["group"]["group_id"]


# --------------------------------------------------------------------------- the frame


@sends("MALFORMED_FRAME")
async def _malformed(harness):
    await harness.start()
    alice = await harness.device("alice")
    return alice, await error_after(alice, "not json at all")


@sends("INVALID_PARAM")
async def _invalid_param(harness):
    await harness.start()
    alice = await harness.device("alice")
    return alice, await alice.call("sync", after_seq="zero")


@sends("UNKNOWN_TYPE")
async def _unknown_type(harness):
    await harness.start()
    alice = await harness.device("alice")
    return alice, await alice.call("fly_to_the_moon")


@sends("FRAME_TOO_LARGE")
async def _frame_too_large(harness):
    await harness.start(max_frame_bytes=4096)
    alice = await harness.device("alice")
    frame = '{"type": "hello", "id": "big-1", "version": 1, "client": "' + "x" * 5000 + '"}'
    return alice, await error_after(alice, frame)


@sends("UNSUPPORTED_VERSION")
async def _unsupported_version(harness):
    await harness.start()
    client = await harness.connect(hello=False)
    return client, await client.call("hello", version=2)


@sends("HELLO_REQUIRED")
async def _hello_required(harness):
    await harness.start()
    client = await harness.connect(hello=False)
    return client, await client.call("fetch_groups")


# --------------------------------------------------------------------------- accounts


@sends("NOT_LOGGED_IN")
async def _not_logged_in(harness):
    await harness.start()
    client = await harness.connect()
    return client, await client.call("fetch_groups")


@sends("ALREADY_LOGGED_IN")
async def _already_logged_in(harness):
    await harness.start()
    alice = await harness.device("alice")
    return alice, await alice.call("login", username="alice", password=PASSWORD)


@sends("REGISTRATION_DISABLED")
async def _registration_disabled(harness):
    await harness.start(allow_registration=False)
    client = await harness.connect()
    return client, await client.call("register", username="zed", password=PASSWORD)


@sends("USER_EXISTS")
async def _user_exists(harness):
    await harness.start()
    await harness.register("alice")
    client = await harness.connect()
    return client, await client.call("register", username="alice", password=PASSWORD)


@sends("USERNAME_NOT_ALLOWED")
async def _username_not_allowed(harness):
    await harness.start()
    await harness.register("alice")
    client = await harness.connect()
    return client, await client.call("register", username="a1ice", password=PASSWORD)


@sends("INVALID_CREDENTIALS")
async def _invalid_credentials(harness):
    await harness.start()
    await harness.register("alice")
    client = await harness.connect()
    return client, await client.call("login", username="alice", password="not the password")


@sends("TOKEN_INVALID")
async def _token_invalid(harness):
    await harness.start()
    client = await harness.connect()
    return client, await client.call("resume", token="A" * 43)


@sends("USER_NOT_FOUND")
async def _user_not_found(harness):
    await harness.start()
    alice = await harness.device("alice")
    return alice, await send(alice, "ghost", "ghost-00001")


@sends("RATE_LIMITED")
async def _rate_limited(harness):
    await harness.start(rate_messages_per_second=1, rate_message_burst=1)
    alice = await harness.device("alice")
    await harness.device("bob")
    assert (await send(alice, "bob", "fast-000001"))["type"] == "send_ok"
    return alice, await send(alice, "bob", "fast-000002")


# --------------------------------------------------------------------------- messages


@sends("MESSAGE_NOT_FOUND")
async def _message_not_found(harness):
    await harness.start()
    bob = await harness.device("bob")
    return bob, await bob.call("read_ack", msg_ids=["unknown-0001"])


@sends("MSG_ID_CONFLICT")
async def _msg_id_conflict(harness):
    await harness.start()
    alice = await harness.device("alice")
    await harness.device("bob")
    await send(alice, "bob", "taken-00001", "first")
    return alice, await send(alice, "bob", "taken-00001", "another body")


@sends("PERMISSION_DENIED")
async def _permission_denied(harness):
    await harness.start()
    alice = await harness.device("alice")
    await harness.device("bob")
    carol = await harness.device("carol")
    await send(alice, "bob", "private-001")
    return carol, await carol.call("read_ack", msg_ids=["private-001"])


@sends("CANNOT_ACK_OWN_MESSAGE")
async def _cannot_ack_own(harness):
    await harness.start()
    alice = await harness.device("alice")
    await harness.device("bob")
    await send(alice, "bob", "mine-000001")
    return alice, await alice.call("read_ack", msg_ids=["mine-000001"])


@sends("ACK_NOT_REQUESTED")
async def _ack_not_requested(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    await send(alice, "bob", "noack-00001", need_delivery_ack=False)
    return bob, await bob.call("delivery_ack", msg_ids=["noack-00001"])


@sends("MESSAGE_EXPIRED")
async def _message_expired(harness):
    now = [1_700_000_000_000]
    await harness.start(clock=lambda: now[0], ack_retention_seconds=60)
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    group_id = await group_with(alice, "bob")
    await alice.request(
        "send",
        msg_id="old-0000001",
        chat_type="groupchat",
        to=group_id,
        body=text_body("x"),
        need_group_ack=True,
    )
    now[0] += 61_000
    return bob, await bob.call("group_read_ack", group_id=group_id, msg_id="old-0000001")


# --------------------------------------------------------------------------- groups


@sends("GROUP_NOT_FOUND")
async def _group_not_found(harness):
    await harness.start()
    alice = await harness.device("alice")
    return alice, await alice.call("get_group", group_id="999999")


@sends("NOT_GROUP_MEMBER")
async def _not_group_member(harness):
    await harness.start()
    alice = await harness.device("alice")
    carol = await harness.device("carol")
    group_id = await group_with(alice)
    return carol, await carol.call("get_group", group_id=group_id)


@sends("GROUP_ACK_NOT_ALLOWED")
async def _group_ack_not_allowed(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    group_id = await group_with(alice, "bob")
    reply = await bob.call(
        "send",
        msg_id="ask-0000001",
        chat_type="groupchat",
        to=group_id,
        body=text_body("x"),
        need_group_ack=True,
    )
    return bob, reply


@sends("GROUP_FULL")
async def _group_full(harness):
    await harness.start(max_group_members=2)
    alice = await harness.device("alice")
    return alice, await alice.call("create_group", name="team", members=["b1", "b2", "b3"])


# --------------------------------------------------------------------------- limits


@sends("NOTE_TOO_LONG")
async def _note_too_long(harness):
    await harness.start()
    alice = await harness.device("alice")
    reply = await alice.call("group_read_ack", group_id="1", msg_id="abcdefgh", content="é" * 513)
    return alice, reply


@sends("PAGE_SIZE_OUT_OF_RANGE")
async def _page_size(harness):
    await harness.start()
    alice = await harness.device("alice")
    return alice, await alice.call("fetch_history", conversation_id="bob", page_size=0)


@sends("BATCH_TOO_LARGE")
async def _batch_too_large(harness):
    await harness.start()
    alice = await harness.device("alice")
    ids = [f"filler-{n:05d}" for n in range(501)]
    return alice, await alice.call("read_ack", msg_ids=ids)


# --------------------------------------------------------------------------- the server


@sends("STORAGE_UNAVAILABLE")
async def _storage_unavailable(harness):
    await harness.start()
    alice = await harness.device("alice")
    await harness.device("bob")
    token = alice.token
    pages = _db_rows(harness.config.db_path, "PRAGMA page_count")[0][0]
    # The same database on a "disk" with room for a few more pages (SQLite's page cap).
    await harness.stop()
    await harness.start(sqlite_max_pages=pages + 4)
    alice = await harness.resume(token)
    for n in range(200):
        reply = await send(alice, "bob", f"fill-{n:06d}", "x" * 8000)
        if reply["type"] == "error":
            return alice, reply
    raise AssertionError("200 messages of 8,000 characters fitted in 4 pages")


@sends("INTERNAL_ERROR")
async def _internal_error(harness):
    """A stored message damaged on disk: the server cannot read it back."""
    await harness.start()
    alice = await harness.device("alice")
    await harness.device("bob")
    await send(alice, "bob", "damaged-001")
    with closing(sqlite3.connect(harness.config.db_path)) as db, db:
        db.execute("UPDATE messages SET body = x'ff' WHERE msg_id = 'damaged-001'")
    return alice, await alice.call("fetch_history", conversation_id="bob")


def _db_rows(path: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(sql).fetchall()


# --------------------------------------------------------------------------- error tests


def test_the_error_table_lists_exactly_the_error_codes() -> None:
    assert sorted(ERROR_ROWS) == sorted(code.value for code in ErrorCode)


def test_every_case_here_is_a_documented_code() -> None:
    assert set(ERROR_CASES) <= set(ERROR_ROWS), "a case for a code docs/protocol.md dropped"
    assert set(CLOSE_CASES) <= set(CLOSE_CODES), "a close case docs/protocol.md does not list"


@pytest.mark.parametrize("code", sorted(ERROR_ROWS))
async def test_every_documented_error_code_is_sent(harness, code: str) -> None:
    sent_when, details = ERROR_ROWS[code]
    if code in NOT_SENT:
        assert code not in ERROR_CASES
        assert "not sent" in sent_when, f"{code} has no case: the document must say it is not sent"
        return
    assert code in ERROR_CASES, f"docs/protocol.md lists {code}: add a case here that sends it"
    assert "not sent" not in sent_when, f"{code} is sent: the document says otherwise"
    client, reply = await ERROR_CASES[code](harness)
    assert (reply["type"], reply["code"]) == ("error", code), reply
    assert reply["message"]
    if details == "`null`":
        assert reply["details"] is None, reply
    elif re.fullmatch(r"`\{[^`]*\}`", details):
        assert set(reply["details"] or {}) == set(re.findall(r'"(\w+)"', details)), reply
    # After any error the connection stays open (§11).
    assert (await client.request("hello", version=1))["type"] == "hello_ok"


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


@closes(1000)
async def _slow_reader(harness) -> int:
    """A device that reads nothing while the server has more and more to send it."""
    await harness.start()
    bob = await harness.device("bob")
    await harness.register("alice")
    big = "😀" * 8000  # 32,000 bytes a message
    await asyncio.gather(*(send(bob, "alice", f"big-{n:07d}", big) for n in range(50)))
    await harness.stop()
    await harness.start(max_queued_frames=4)
    raw = await RawSocket.open(harness.url)
    raw.send_text('{"type": "hello", "id": "1", "version": 1}')
    await raw.recv()
    raw.send_text(f'{{"type": "login", "id": "2", "username": "alice", "password": "{PASSWORD}"}}')
    assert b"login_ok" in await raw.recv()
    history = '{"type": "fetch_history", "id": "h%d", "conversation_id": "bob", "page_size": 50}'
    for n in range(40):  # 40 replies of 1.6 MB: far more than the sockets' buffers hold
        raw.send_text(history % n)
    await asyncio.sleep(0.5)
    return await raw.close_code(timeout=30)


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
