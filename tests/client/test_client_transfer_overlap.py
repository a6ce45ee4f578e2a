"""What the client does while its chunks are in flight (`attachments`), against a fake
server whose replies the test hands out: an upload has its next chunk read and hashed
while the window is full (so it goes the moment a reply frees a place), and one that
stops there leaves no read running; with `prefix`, each chunk carries the sha256 of
the file up to its end, right after the server's copy went back or jumped ahead;
a download asks for its next chunk before it
writes the one it got, so the server has a full window while the `.part` is written.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from typing import Any

from desktop_chat.client import attachments, downloads
from desktop_chat.client.models import FileMessageBody
from desktop_chat.protocol import frames as f

CHUNK = 256 * 1024  # `attachments.window` keeps 4 of these in flight, `upload_window` 8


async def turns(n: int = 50) -> None:
    for _ in range(n):
        await asyncio.sleep(0.005)


async def test_an_upload_reads_its_next_chunk_while_the_window_is_full(tmp_path, monkeypatch):
    most = attachments.upload_window(CHUNK)
    data = os.urandom((most + 2) * CHUNK)
    path = tmp_path / "up.bin"
    path.write_bytes(data)
    body = FileMessageBody(path.name, 0, local_path=str(path))
    await attachments.prepare(body)
    reads: list[int] = []
    real_read = attachments._read_chunk

    def read(source: Any, offset: int, length: int, prefix: Any) -> tuple[bytes, str]:
        reads.append(offset)
        return real_read(source, offset, length, prefix)

    monkeypatch.setattr(attachments, "_read_chunk", read)
    replies: list[asyncio.Future[Any]] = []
    sent: list[int] = []

    async def request(frame: Any) -> Any:
        if isinstance(frame, f.UploadBegin):
            return f.UploadState(
                id="", sha256=body.sha256, size=len(data), received=0, complete=False
            )
        assert hashlib.sha256(frame.data).hexdigest() == frame.chunk_sha256
        sent.append(frame.offset)
        replies.append(asyncio.get_running_loop().create_future())
        return await replies[-1]

    stop = False
    upload = asyncio.ensure_future(attachments.upload(request, body, CHUNK, stopped=lambda: stop))
    await turns()
    assert sent == [n * CHUNK for n in range(most)]  # the window is full, none answered
    assert reads == [*sent, most * CHUNK], "the next chunk is read while the window is full"
    replies[0].set_result(
        f.UploadState(id="", sha256=body.sha256, size=len(data), received=CHUNK, complete=False)
    )
    await turns()
    assert sent[-1] == most * CHUNK and reads[-1] == (most + 1) * CHUNK
    stop = True  # a cancelled send: nothing more goes, and no read is left running
    for n, reply in enumerate(replies[1:], start=2):
        reply.set_result(
            f.UploadState(
                id="", sha256=body.sha256, size=len(data), received=n * CHUNK, complete=False
            )
        )
    assert await asyncio.wait_for(upload, 5) is False
    assert sent == [n * CHUNK for n in range(most + 1)]


async def test_with_prefix_each_chunk_carries_the_files_sha256_up_to_its_end(tmp_path):
    data = os.urandom(8 * CHUNK + 5)
    path = tmp_path / "up.bin"
    path.write_bytes(data)
    body = FileMessageBody(path.name, 0, local_path=str(path))
    await attachments.prepare(body)
    stored = 0
    moves = [(3 * CHUNK, CHUNK), (2 * CHUNK, 5 * CHUNK)]  # the copy goes back, then on
    sent: list[int] = []

    async def request(frame: Any) -> Any:
        nonlocal stored
        if isinstance(frame, f.UploadChunk):
            assert frame.chunk_sha256 == ""
            end = frame.offset + len(frame.data)
            assert frame.prefix_sha256 == hashlib.sha256(data[:end]).hexdigest(), frame.offset
            sent.append(frame.offset)
            if frame.offset == stored:
                stored = moves.pop(0)[1] if moves and moves[0][0] == end else end
        complete = stored == len(data)
        return f.UploadState(
            id="", sha256=body.sha256, size=len(data), received=stored, complete=complete
        )

    assert await asyncio.wait_for(attachments.upload(request, body, CHUNK, prefix=True), 10)
    assert sent[:3] == [0, CHUNK, 2 * CHUNK] and CHUNK in sent[3:] and 5 * CHUNK in sent
    assert stored == len(data) and not moves


async def test_a_download_asks_for_its_next_chunk_before_it_writes_one(tmp_path, monkeypatch):
    data = os.urandom(6 * CHUNK)
    body = FileMessageBody("down.bin", len(data), hashlib.sha256(data).hexdigest())
    asked: list[int] = []
    writing, written = threading.Event(), threading.Event()
    real_append = downloads._PartFile.append

    def append(self: Any, piece: bytes) -> None:
        writing.set()
        assert written.wait(10), "the test never let the write end"
        real_append(self, piece)

    monkeypatch.setattr(downloads._PartFile, "append", append)

    async def request(frame: f.Download) -> f.Chunk:
        asked.append(frame.offset)
        piece = data[frame.offset : frame.offset + frame.length]
        return f.Chunk(id="", sha256=body.sha256, offset=frame.offset, size=len(data), data=piece)

    download = asyncio.ensure_future(
        downloads.download(request, "m1", body, tmp_path / "in", CHUNK)
    )
    for _ in range(500):
        if writing.is_set():
            break
        await asyncio.sleep(0.01)
    await turns(10)
    # The first chunk is being written: the four others in flight, a fifth asked for.
    assert asked == [0, CHUNK, 2 * CHUNK, 3 * CHUNK, 4 * CHUNK]
    written.set()
    saved = await asyncio.wait_for(download, 10)
    assert saved.read_bytes() == data
    assert asked == [n * CHUNK for n in range(6)]
