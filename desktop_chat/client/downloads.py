"""Downloads: the file of a message into the download folder.

Owns: `download`, under a safe, unique name (`download_paths`), through a `.part`
file that a cut (or cancelled) download keeps and the next one resumes, checked
against its sha256 (hashed as it is written, and what a resumed `.part` held first)
before it takes its name; it reports the bytes saved when it begins (the `.part`'s)
and after each chunk. It keeps `attachments.window` chunks in flight: the next one is
asked for before the one that came is written, and a chunk that came short makes it
ask again from where its `.part` ends.

Never: decide when a file is fetched (the app does), or touch Qt.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from collections import deque
from pathlib import Path
from typing import IO, Any

from desktop_chat.client.attachments import (
    HASH_READ,
    InFlight,
    Progress,
    Request,
    abandon,
    settle,
    window,
)
from desktop_chat.client.download_paths import download_path
from desktop_chat.client.errors import ChatError, ChatErrorCode
from desktop_chat.client.models import FileMessageBody
from desktop_chat.protocol import frames as f


class _PartFile:
    """A download's `.part` file, open for appending, with the sha256 of what it holds:
    a resumed one's bytes are hashed once when it opens, the rest as they are written.
    Opened, written and closed off the event loop; one write at a time."""

    def __init__(self, path: Path, most: int) -> None:
        if path.exists() and path.stat().st_size > most:
            path.unlink()  # longer than the file: not a prefix of it
        self.size = 0
        self._digest = hashlib.sha256()
        self._lock = threading.Lock()  # `close` waits for a write a cancel left running
        if path.exists():
            with open(path, "rb") as held:
                while piece := held.read(HASH_READ):
                    self._digest.update(piece)
                    self.size += len(piece)
        self._file: IO[bytes] = open(path, "ab")  # noqa: SIM115 (closed by `close`)

    def append(self, data: bytes) -> None:
        with self._lock:
            self._file.write(data)
            self._file.flush()
            self._digest.update(data)
            self.size += len(data)

    def close(self) -> None:
        with self._lock:
            self._file.close()

    def hexdigest(self) -> str:
        with self._lock:
            return self._digest.hexdigest()


def _finish(part: Path, digest: str, folder: Path, name: str, sha256: str) -> Path:
    if digest != sha256:
        part.unlink(missing_ok=True)
        raise ChatError(
            ChatErrorCode.CHECKSUM_MISMATCH, "the downloaded file was damaged; download it again"
        )
    target = download_path(folder, name)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)  # never overwrite
    os.close(fd)
    os.replace(part, target)
    return target


async def download(
    request: Request[Any],
    msg_id: str,
    body: FileMessageBody,
    folder: Path,
    chunk_bytes: int,
    progress: Progress | None = None,
) -> Path:
    """Save the file of message `msg_id` in `folder`; its path. A download cut before
    it ends (a lost connection, a cancel) keeps its `.part` file and the next one goes
    on from there. `progress(done, total)` is told the bytes saved when it begins
    (the `.part`'s) and after each chunk."""
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f".{body.sha256[:16]}.part"
    saved = await asyncio.to_thread(_PartFile, part, body.file_size)
    try:
        if progress is not None:
            progress(saved.size, body.file_size)
        await _download_into(request, msg_id, body, saved, chunk_bytes, progress)
    finally:
        await asyncio.to_thread(saved.close)
    return await asyncio.to_thread(
        _finish, part, saved.hexdigest(), folder, body.display_name, body.sha256
    )


async def _download_into(
    request: Request[Any],
    msg_id: str,
    body: FileMessageBody,
    saved: _PartFile,
    chunk_bytes: int,
    progress: Progress | None,
) -> None:
    """Chunks from where `saved` ends to the file's end, `window` of them in flight
    (a chunk being written counts out: the next one is asked for before)."""
    in_flight: InFlight = deque()
    asked, total, most = saved.size, body.file_size, window(chunk_bytes)

    def ask_more() -> None:
        nonlocal asked
        while len(in_flight) < most and asked < total:
            ask = f.Download(
                id="", msg_id=msg_id, sha256=body.sha256, offset=asked, length=chunk_bytes
            )
            in_flight.append((asked, asyncio.ensure_future(request(ask))))
            asked += chunk_bytes

    try:
        while saved.size < total:
            ask_more()
            offset, reply = in_flight.popleft()
            # A reply already here is no suspension: yield once, so a cancel (from
            # `progress`, say) stops the download before it writes another chunk.
            await asyncio.sleep(0)
            chunk: f.Chunk = await reply
            if offset != saved.size:  # not where the file ends: ask again from there
                await settle(in_flight)
                asked = saved.size
                continue
            if not chunk.data:
                return  # the server has no more: the sha256 check says what that means
            if len(chunk.data) == chunk_bytes:
                ask_more()  # the server goes on while this chunk is written
            await asyncio.to_thread(saved.append, chunk.data)
            if progress is not None:
                progress(saved.size, total)
            if len(chunk.data) < chunk_bytes:  # short (a server of smaller chunks)
                await settle(in_flight)
                asked = saved.size
    except ChatError:
        await settle(in_flight)
        raise
    finally:
        await abandon(in_flight)
