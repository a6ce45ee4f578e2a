"""Uploads and downloads with several chunks in flight (`attachments.window`), through
the client core's own `Connection`, against the real server: an upload cut in the
middle of a window resumes on a new connection from the server's copy and the
recipient gets the very file; a damaged chunk in the middle of a window is refused
(CHECKSUM_MISMATCH), nothing is stored past it and the next upload goes on from
there; a chunk refused by the upload rate limit ends the upload with
UPLOAD_RATE_LIMITED and `retry_after_ms`, later refusals in the same window being
only its consequences, and tries after the wait finish it; a download whose chunks
come shorter than asked asks again from where its `.part` ends; and one of a server
with big chunks keeps fewer in flight, so what it asked for never waits on the server
past `max_queued_bytes` (which would drop the connection as not reading)."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path
from typing import Any

import msgspec
import pytest

from desktop_chat.client import attachments, downloads
from desktop_chat.client.connection import Connection
from desktop_chat.client.errors import ChatError, ChatErrorCode
from desktop_chat.client.models import FileMessageBody
from desktop_chat.protocol import frames as f

CHUNK = 256 * 1024
SECRET = "window password"


def ignore(events: list[Any]) -> None:
    """Pushes: these tests read replies only."""


async def signed_in(harness, name: str) -> Connection:
    conn = await Connection.open(
        harness.url, ignore, timeout=10.0, ping_interval=20.0, ping_timeout=20.0
    )
    if harness.store.user_id(name) is None:
        await conn.request(f.Register(id="", username=name, password=SECRET))
    await conn.request(f.Login(id="", username=name, password=SECRET))
    return conn


async def prepared(tmp_path: Path, size: int) -> tuple[bytes, FileMessageBody]:
    data = os.urandom(size)
    path = tmp_path / "movie.bin"
    path.write_bytes(data)
    body = FileMessageBody(path.name, 0, local_path=str(path))
    await attachments.prepare(body)
    return data, body


async def sent_and_downloaded(alice, bob, body: FileMessageBody, folder: Path) -> bytes:
    msg_id = f"window-{os.urandom(4).hex()}"
    await alice.request(
        f.SendMessage(
            id="", msg_id=msg_id, chat_type="chat", to="bob", body=attachments.to_wire(body)
        )
    )
    got = FileMessageBody(body.display_name, body.file_size, body.sha256, body.mime)
    path = await downloads.download(bob.request, msg_id, got, folder, CHUNK)
    return path.read_bytes()


async def test_an_upload_cut_in_the_middle_of_a_window_resumes_and_arrives_whole(harness, tmp_path):
    await harness.start(max_chunk_bytes=CHUNK)
    data, body = await prepared(tmp_path, 12 * CHUNK + 77)
    alice, bob = await signed_in(harness, "alice"), await signed_in(harness, "bob")
    chunks: list[int] = []

    async def cut_at_the_sixth_chunk(frame: f.Request[Any]) -> Any:
        if isinstance(frame, f.UploadChunk):
            chunks.append(frame.offset)
            if len(chunks) == 6:  # five sent, several of them still unanswered
                alice.abort()
        return await alice.request(frame)

    with pytest.raises(ChatError) as cut:
        await attachments.upload(cut_at_the_sixth_chunk, body, CHUNK)
    assert cut.value.code is ChatErrorCode.NETWORK_ERROR
    held = harness.store.blob(body.sha256).received
    assert held % CHUNK == 0 and held <= 5 * CHUNK

    alice = await signed_in(harness, "alice")
    told: list[int] = []
    assert await attachments.upload(alice.request, body, CHUNK, lambda d, t: told.append(d))
    assert told[0] == held, "the resumed upload begins at the server's copy"
    assert told == sorted(told) and told[-1] == len(data)
    assert await sent_and_downloaded(alice, bob, body, tmp_path / "dl") == data


async def test_a_damaged_chunk_in_a_window_stops_the_upload_there(harness, tmp_path):
    await harness.start(max_chunk_bytes=CHUNK)
    data, body = await prepared(tmp_path, 9 * CHUNK)
    alice, bob = await signed_in(harness, "alice"), await signed_in(harness, "bob")
    sent: list[int] = []

    async def damaging_the_third(frame: f.Request[Any]) -> Any:
        if isinstance(frame, f.UploadChunk):
            sent.append(frame.offset)
            if frame.offset == 2 * CHUNK:
                frame = msgspec.structs.replace(frame, data=bytes(len(frame.data)))
        return await alice.request(frame)

    with pytest.raises(ChatError) as damaged:
        await attachments.upload(damaging_the_third, body, CHUNK)
    assert damaged.value.code is ChatErrorCode.CHECKSUM_MISMATCH
    assert max(sent) > 2 * CHUNK, "chunks after the damaged one were in flight"
    assert harness.store.blob(body.sha256).received == 2 * CHUNK, "nothing stored past it"

    told: list[int] = []
    assert await attachments.upload(alice.request, body, CHUNK, lambda d, t: told.append(d))
    assert told[0] == 2 * CHUNK and told[-1] == len(data)
    assert await sent_and_downloaded(alice, bob, body, tmp_path / "dl") == data


async def test_a_rate_refusal_in_a_window_ends_the_upload_and_the_retries_finish_it(
    harness, tmp_path
):
    # The burst holds three chunks, then one more every 125 ms.
    await harness.start(
        max_chunk_bytes=CHUNK, upload_bytes_per_second=8 * CHUNK, upload_burst_bytes=3 * CHUNK
    )
    data, body = await prepared(tmp_path, 8 * CHUNK)
    alice = await signed_in(harness, "alice")
    with pytest.raises(ChatError) as limited:
        await attachments.upload(alice.request, body, CHUNK)
    assert limited.value.code is ChatErrorCode.UPLOAD_RATE_LIMITED
    wait_ms = (limited.value.details or {})["retry_after_ms"]
    assert 0 < wait_ms <= 1000
    assert harness.store.blob(body.sha256).received == 3 * CHUNK
    for _ in range(40):  # bounded: each try stores at least the chunk it waited for
        await asyncio.sleep(wait_ms / 1000)
        try:
            if await attachments.upload(alice.request, body, CHUNK):
                break
        except ChatError as exc:
            assert exc.code is ChatErrorCode.UPLOAD_RATE_LIMITED, exc
            wait_ms = (exc.details or {})["retry_after_ms"]
    blob = harness.store.blob(body.sha256)
    assert blob.complete and blob.received == len(data)
    assert harness.store.blob_read(body.sha256, 0, len(data)) == data


async def test_a_download_whose_chunks_come_short_asks_again_from_its_part(harness, tmp_path):
    await harness.start(max_chunk_bytes=CHUNK)
    data, body = await prepared(tmp_path, 7 * CHUNK + 11)
    alice, bob = await signed_in(harness, "alice"), await signed_in(harness, "bob")
    assert await attachments.upload(alice.request, body, CHUNK)
    msg_id = "window-short-01"
    await alice.request(
        f.SendMessage(
            id="", msg_id=msg_id, chat_type="chat", to="bob", body=attachments.to_wire(body)
        )
    )
    got = FileMessageBody(body.display_name, body.file_size, body.sha256, body.mime)
    told: list[int] = []
    # Asked for 3 chunks at a time, the server sends one: each reply is short.
    path = await downloads.download(
        bob.request, msg_id, got, tmp_path / "dl", 3 * CHUNK, lambda d, t: told.append(d)
    )
    assert path.read_bytes() == data
    assert hashlib.sha256(path.read_bytes()).hexdigest() == body.sha256
    assert told == [min(n * CHUNK, len(data)) for n in range(9)]


async def test_a_download_in_big_chunks_keeps_what_it_asked_for_under_the_queue_limit(
    harness, tmp_path
):
    big = 3 * 1024 * 1024  # four of these waiting would be past the 8 MiB queue limit
    await harness.start(max_chunk_bytes=big)
    data, body = await prepared(tmp_path, 8 * big)
    alice, bob = await signed_in(harness, "alice"), await signed_in(harness, "bob")
    assert await attachments.upload(alice.request, body, CHUNK)  # frames stay small
    assert attachments.window(big) == 1 and attachments.window(CHUNK) == attachments.WINDOW
    msg_id = "window-big-0001"
    await alice.request(
        f.SendMessage(
            id="", msg_id=msg_id, chat_type="chat", to="bob", body=attachments.to_wire(body)
        )
    )
    got = FileMessageBody(body.display_name, body.file_size, body.sha256, body.mime)
    path = await downloads.download(bob.request, msg_id, got, tmp_path / "dl", big)
    assert path.read_bytes() == data
