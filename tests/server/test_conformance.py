"""docs/protocol.md against a real server: every error code the document lists is sent.

The codes are read from the document's error table (§11), so the document, `ErrorCode`
and this file cannot drift apart:
- the table lists exactly the members of `ErrorCode`;
- each listed code has a case here that makes a real server send it for a real frame
  over a real websocket, with the `details` the table names; a code the document calls
  reserved ("not sent") must have no case, and a code with a case must not be called so.
A code added to the enum or to the document without a case fails; so does a case whose
code the document dropped. (Close codes: test_close_codes.py.)
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from file_tools import file_body, send_file, sha, upload
from protocol_doc import error_rows

from desktop_chat.protocol import ErrorCode
from desktop_chat.wire_client import WireClient, text_body

PASSWORD = "correct horse"  # the harness's password for every account
ERROR_ROWS = error_rows()

# Codes no request can produce in this version: each says where that is checked instead.
NOT_SENT: set[str] = set()

Trigger = Callable[[Any], Awaitable[tuple[WireClient, dict]]]
ERROR_CASES: dict[str, Trigger] = {}


def sends(code: str) -> Callable[[Trigger], Trigger]:
    def register(case: Trigger) -> Trigger:
        ERROR_CASES[code] = case
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


@sends("SERVER_BUSY")
async def _server_busy(harness):
    # One hashing thread, one waiting place, and hashes that take a while: eight
    # sign-ups at once leave most of them refused at once.
    await harness.start(
        hash_workers=1,
        hash_queue=1,
        hash_waiting_per_address=1,
        argon2_time_cost=3,
        argon2_memory_kib=65536,
    )
    clients = [await harness.connect() for _ in range(8)]
    replies = await asyncio.gather(
        *(
            client.call("register", username=f"busy{n}", password=PASSWORD)
            for n, client in enumerate(clients)
        )
    )
    for client, reply in zip(clients, replies, strict=True):
        if reply.get("code") == "SERVER_BUSY":
            return client, reply
    raise AssertionError(f"no sign-up was refused as busy: {replies}")


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


@sends("MESSAGE_RECALLED")
async def _message_recalled(harness):
    await harness.start()
    alice = await harness.device("alice")
    await harness.device("bob")
    await send(alice, "bob", "gone-000001", need_read_ack=True)
    await alice.request("recall", msg_id="gone-000001")
    return alice, await alice.call("edit", msg_id="gone-000001", body=text_body("back"))


@sends("RECALL_TIME_LIMIT")
async def _recall_time_limit(harness):
    now = [1_700_000_000_000]
    await harness.start(clock=lambda: now[0], recall_seconds=120)
    alice = await harness.device("alice")
    await harness.device("bob")
    await send(alice, "bob", "late-000001")
    now[0] += 121_000
    return alice, await alice.call("recall", msg_id="late-000001")


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


# --------------------------------------------------------------------------- files


@sends("FILE_NOT_FOUND")
async def _file_not_found(harness):
    await harness.start()
    alice = await harness.device("alice")
    await harness.device("bob")
    return alice, await send_file(alice, "bob", "nofile-0001", file_body(b"never uploaded"))


@sends("FILE_TOO_LARGE")
async def _file_too_large(harness):
    await harness.start(max_file_bytes=1000)
    alice = await harness.device("alice")
    return alice, await alice.call("upload_begin", sha256="a" * 64, size=1001)


@sends("QUOTA_EXCEEDED")
async def _quota_exceeded(harness):
    await harness.start(quota_bytes_per_user=1000)
    alice = await harness.device("alice")
    await upload(alice, b"x" * 600)
    return alice, await alice.call("upload_begin", sha256="b" * 64, size=600)


@sends("UPLOAD_RATE_LIMITED")
async def _upload_rate_limited(harness):
    await harness.start(upload_bytes_per_second=10, upload_burst_bytes=10, max_chunk_bytes=10)
    alice = await harness.device("alice")
    data = b"y" * 20
    await alice.request("upload_begin", sha256=sha(data), size=len(data))
    piece = data[:10]
    for offset in (0, 10):
        reply = await alice.call_data(
            "upload_chunk", piece, sha256=sha(data), offset=offset, chunk_sha256=sha(piece)
        )
    return alice, reply


@sends("CHECKSUM_MISMATCH")
async def _checksum_mismatch(harness):
    await harness.start()
    alice = await harness.device("alice")
    data = b"z" * 10
    await alice.request("upload_begin", sha256=sha(data), size=len(data))
    return alice, await alice.call_data(
        "upload_chunk", data, sha256=sha(data), offset=0, chunk_sha256="0" * 64
    )


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


# The cases that break the store to provoke these open its SQLite file themselves.
_SQLITE_CASES = {"INTERNAL_ERROR", "STORAGE_UNAVAILABLE"}


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(code, marks=pytest.mark.sqlite_only) if code in _SQLITE_CASES else code
        for code in sorted(ERROR_ROWS)
    ],
)
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
