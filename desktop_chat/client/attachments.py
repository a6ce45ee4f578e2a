"""Files and images on the client: their bodies each way, uploading and downloading.

Owns:
- the body of a file or image message as the client keeps it (`FileMessageBody`,
  `ImageMessageBody`) and as it goes on the wire (`to_wire`, `from_wire`), and as the
  local store keeps it (`stored`, `from_stored`: JSON beside the message's text);
- `prepare`: a new file message's size, sha256 and type, read from its file (off
  the event loop) when it is sent;
- `without_location`: a photo's location kept off the wire: a JPEG (by its bytes,
  not its name) whose Exif or XMP says where it was taken is sent as a copy without
  it (`exif.strip_location`), kept private in the user's directory under its
  sha256; the person's own file is never written to;
- `upload`: from where the server says the upload stands (`upload_begin`), the rest
  in chunks, each with its sha256 (or the sha256 of the file up to its end, where the
  server takes that: `_Prefix`); so a send cut by a lost connection or a restart
  of the app resumes where the server's copy ends, never from zero; it reports the
  bytes the server holds when it begins and after each chunk, and stops before a
  chunk when told to (a cancelled send: the chunks already sent still land);
- `window`, `settle`, `abandon`: the chunks in flight each way, which
  `downloads.download` (the file of a message into the download folder) shares.

Both keep a few chunks in flight (`window`), so the client's reading and hashing, the
network and the server's work overlap instead of taking turns: an upload reads and
hashes its next chunk while the one before goes, a download asks for its next chunk
before it writes the one it got. The connection is
ordered and the server answers in order, so the replies come back as the chunks
went. The server takes a chunk only at the end of its copy: once a reply fails, or
says the copy is not where the chunks after it assumed (a refused chunk, another
device's upload), the replies still in flight are awaited and set aside (nothing
past a refused chunk is stored), and the upload raises the refusal or goes on from
the `received` of the last reply. A download whose chunk came short asks again from
where its `.part` ends.

Never: decide when a file goes (the outbox does, in order with the messages), or
touch Qt.
"""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
import os
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import msgspec

from desktop_chat.client.errors import ChatError, ChatErrorCode
from desktop_chat.client.exif import strip_location
from desktop_chat.client.models import (
    FileMessageBody,
    ImageMessageBody,
    MessageBody,
    TextMessageBody,
)
from desktop_chat.client.private_files import private_dir, private_file
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.filenames import safe_filename

R = TypeVar("R", bound=f.Reply)
Request = Callable[[f.Request[R]], Awaitable[R]]
Progress = Callable[[int, int], None]  # (bytes done, bytes in all)
Stopped = Callable[[], bool]  # asked before each chunk: True stops the upload there
JPEG_MAGIC = b"\xff\xd8\xff"
HASH_READ = 1024 * 1024
_MIME = "application/octet-stream"
# Chunks in flight each way: enough to overlap the two ends and the server's commit,
# few enough to keep memory at a few chunks; and at most IN_FLIGHT_BYTES of them, since
# the chunks a download asked for wait on the server to be read, and a connection with
# more than `max_queued_bytes` (8 MiB by default) waiting is dropped as not reading.
WINDOW = 4
IN_FLIGHT_BYTES = 4 * 1024 * 1024
# An upload's chunks wait in the server's memory only until its commit (at most 8 MiB
# of one connection's frames are held: `service.MAX_DEFERRED_BYTES`); twice a
# download's, so each commit takes more of them: fewer syncs per byte.
UPLOAD_WINDOW = 8
UPLOAD_IN_FLIGHT_BYTES = 8 * 1024 * 1024
InFlight = deque[tuple[int, "asyncio.Future[Any]"]]  # (offset it stands for, reply)


# ---------------------------------------------------------------------- bodies


def to_wire(body: MessageBody) -> f.MessageBody:
    if isinstance(body, ImageMessageBody):
        return f.ImageBody(
            sha256=body.sha256,
            size=body.file_size,
            name=body.display_name,
            mime=body.mime,
            caption=body.caption,
            width=max(1, body.width),
            height=max(1, body.height),
            thumbnail=body.thumbnail,
        )
    if isinstance(body, FileMessageBody):
        return f.FileBody(
            sha256=body.sha256,
            size=body.file_size,
            name=body.display_name,
            mime=body.mime,
            caption=body.caption,
        )
    return f.TextBody(body.content)


def from_wire(body: f.MessageBody | None, local_path: str = "") -> MessageBody:
    """The client's body of a wire body (a recalled message's is an empty text)."""
    if isinstance(body, f.ImageBody):
        return ImageMessageBody(
            safe_filename(body.name),
            body.size,
            body.sha256,
            body.mime,
            body.caption,
            local_path,
            body.width,
            body.height,
            body.thumbnail,
        )
    if isinstance(body, f.FileBody):
        return FileMessageBody(
            safe_filename(body.name), body.size, body.sha256, body.mime, body.caption, local_path
        )
    return TextMessageBody(body.text if body is not None else "")


_stored_decoder: msgspec.json.Decoder[f.MessageBody] = msgspec.json.Decoder(f.MessageBody)


def stored(body: MessageBody) -> str | None:
    """The local store's JSON of a file or image body (None for a text)."""
    if not isinstance(body, FileMessageBody):
        return None
    wire = msgspec.to_builtins(to_wire(body))
    wire["local_path"] = body.local_path
    return msgspec.json.encode(wire).decode()


def from_stored(text: str, attachment: str | None) -> MessageBody:
    if attachment is None:
        return TextMessageBody(text)
    local_path = msgspec.json.decode(attachment).get("local_path", "")
    return from_wire(_stored_decoder.decode(attachment), local_path)


# ---------------------------------------------------------------------- sending


def _read_file(path: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as file:
        while piece := file.read(HASH_READ):
            digest.update(piece)
            size += len(piece)
    return size, digest.hexdigest()


async def prepare(body: FileMessageBody) -> None:
    """Fill in a new file body's size, sha256 and type from its file; ChatError
    (INVALID_PARAM) if the file cannot be read."""
    try:
        body.file_size, body.sha256 = await asyncio.to_thread(_read_file, body.local_path)
    except OSError as exc:
        raise ChatError(
            ChatErrorCode.INVALID_PARAM,
            f"{body.local_path} cannot be read ({exc.strerror}); choose the file again",
        ) from exc
    guessed = mimetypes.guess_type(body.display_name)[0]
    if guessed and (not isinstance(body, ImageMessageBody) or guessed.startswith("image/")):
        body.mime = guessed.lower()
    body.display_name = safe_filename(body.display_name)


def _read_jpeg(path: str) -> bytes | None:
    """The bytes of the file at `path` if it is a JPEG (by its first bytes)."""
    with open(path, "rb") as file:
        if file.read(len(JPEG_MAGIC)) != JPEG_MAGIC:
            return None
        file.seek(0)
        return file.read()


def _copy_without_location(path: str, folder: Path) -> str | None:
    """The path of a copy of the JPEG at `path` without its location, in `folder`;
    None when it is no JPEG or carries no location."""
    try:
        data = _read_jpeg(path)
    except OSError as exc:
        raise ChatError(
            ChatErrorCode.INVALID_PARAM,
            f"{path} cannot be read ({exc.strerror}); choose the file again",
        ) from exc
    if data is None:
        return None
    stripped = strip_location(data)
    if stripped == data:
        return None
    target = folder / f"{hashlib.sha256(stripped).hexdigest()}.jpg"
    try:
        private_dir(folder)
        if not target.exists():  # named by its bytes: one that is there is this copy
            partial = private_file(folder / f".{target.name}.{os.getpid()}.part")
            partial.write_bytes(stripped)
            os.replace(partial, target)  # whole or not at all
    except OSError as exc:
        raise ChatError(
            ChatErrorCode.DATABASE_ERROR,
            f"the photo's copy without its location cannot be written in {folder}"
            f" ({exc.strerror}); it was not sent",
        ) from exc
    return str(target)


async def without_location(body: ImageMessageBody, folder: Path) -> None:
    """Before `prepare`: if the body's file is a JPEG that says where it was taken,
    point the body at a copy without that (read and written off the event loop), in
    `folder` (0700, the copy 0600, named by its sha256). The file the person chose is
    only read. ChatError: INVALID_PARAM if it cannot be read, DATABASE_ERROR if the
    copy cannot be written."""
    copy = await asyncio.to_thread(_copy_without_location, body.local_path, folder)
    if copy is not None:
        body.local_path = copy


def window(chunk_bytes: int) -> int:
    """How many chunks of `chunk_bytes` a download keeps in flight at once."""
    return max(1, min(WINDOW, IN_FLIGHT_BYTES // max(1, chunk_bytes)))


def upload_window(chunk_bytes: int) -> int:
    """How many chunks of `chunk_bytes` an upload keeps in flight at once."""
    return max(1, min(UPLOAD_WINDOW, UPLOAD_IN_FLIGHT_BYTES // max(1, chunk_bytes)))


class _Prefix:
    """The sha256 of an upload's file from byte 0 to `position`, for `prefix_sha256`:
    each chunk extends it, so the file is hashed once as it goes. Used on the reading
    thread only, one read at a time."""

    def __init__(self) -> None:
        self.hasher = hashlib.sha256()
        self.position = 0

    def move_to(self, source: IO[bytes], offset: int) -> None:
        """Cover exactly the bytes before `offset` (a resume elsewhere: read them)."""
        if offset < self.position:
            self.hasher, self.position = hashlib.sha256(), 0
        while self.position < offset:
            source.seek(self.position)
            piece = source.read(min(HASH_READ, offset - self.position))
            if not piece:
                return  # the file is shorter now: the chunk at `offset` reads empty
            self.hasher.update(piece)
            self.position += len(piece)

    def extend(self, data: bytes) -> str:
        self.hasher.update(data)
        self.position += len(data)
        return str(self.hasher.hexdigest())


def _read_chunk(
    source: IO[bytes], offset: int, length: int, prefix: _Prefix | None
) -> tuple[bytes, str]:
    """The chunk at `offset` and its check: its own sha256, or with `prefix` the
    sha256 of the file up to its end."""
    if prefix is not None:
        prefix.move_to(source, offset)
    source.seek(offset)
    data = source.read(length)
    if prefix is not None:
        return data, prefix.extend(data)
    return data, hashlib.sha256(data).hexdigest()


def _unreadable(path: str, exc: OSError) -> ChatError:
    return ChatError(
        ChatErrorCode.INVALID_PARAM,
        f"{path} cannot be read any more ({exc.strerror}); send it again",
    )


async def upload(
    request: Request[Any],
    body: FileMessageBody,
    chunk_bytes: int,
    progress: Progress | None = None,
    stopped: Stopped | None = None,
    *,
    prefix: bool = False,
) -> bool:
    """Upload the body's file from where the server's copy ends: True once the server
    holds it whole, False if `stopped()` said so before a chunk (what the server holds
    stays, for a later upload to go on from). `progress(done, total)` is told the
    bytes the server holds when the upload begins and after each chunk. `prefix`
    (the server's `limits.upload_prefix_sha256`): each chunk carries the sha256 of
    the file up to its end instead of its own, so each byte is hashed once.
    ChatError: refused (a limit), or the file changed or vanished."""
    state: f.UploadState = await request(
        f.UploadBegin(id="", sha256=body.sha256, size=body.file_size)
    )
    if progress is not None:
        progress(state.received, body.file_size)
    if state.complete:
        return True
    try:
        source = await asyncio.to_thread(open, body.local_path, "rb")
    except OSError as exc:
        raise _unreadable(body.local_path, exc) from exc
    hashed = _Prefix() if prefix else None
    try:
        while not state.complete:
            state, went_on = await _upload_from(
                request, body, (source, hashed), state, chunk_bytes, progress, stopped
            )
            if not went_on:
                return state.complete
    finally:
        source.close()
    return True


async def _upload_from(
    request: Request[Any],
    body: FileMessageBody,
    file: tuple[IO[bytes], _Prefix | None],
    state: f.UploadState,
    chunk_bytes: int,
    progress: Progress | None,
    stopped: Stopped | None,
) -> tuple[f.UploadState, bool]:
    """Chunks from `state.received` on, `window` of them in flight, until the file is
    whole, `stopped()` (then False), or a reply says the server's copy is not where
    the chunks after it assumed: then the last state, to go on from."""
    in_flight: InFlight = deque()
    offset, total, most = state.received, body.file_size, upload_window(chunk_bytes)
    going = True
    changed = ChatError(
        ChatErrorCode.INVALID_PARAM, f"{body.local_path} changed since it was chosen; send it again"
    )
    if offset >= total:
        raise changed  # the server holds every byte, yet not a file of this sha256
    ahead = _ReadAhead(*file, chunk_bytes)
    prefixed = file[1] is not None
    try:
        while True:
            while going and len(in_flight) < most and offset < total:
                if stopped is not None and stopped():
                    going = False
                    break
                try:
                    data, check = await ahead.take(offset)
                except OSError as exc:
                    raise _unreadable(body.local_path, exc) from exc
                if not data:
                    raise changed
                chunk = f.UploadChunk(
                    id="",
                    sha256=body.sha256,
                    offset=offset,
                    chunk_sha256="" if prefixed else check,
                    prefix_sha256=check if prefixed else "",
                    data=data,
                )
                offset += len(data)
                in_flight.append((offset, asyncio.ensure_future(request(chunk))))
                if offset < total:
                    ahead.start(offset)  # the next chunk, read while this one goes
            if not in_flight:
                return state, going
            end, reply = in_flight.popleft()
            state = await reply
            if progress is not None:
                progress(state.received, total)
            if state.complete or state.received != end:
                for later in await settle(in_flight):
                    if isinstance(later, f.UploadState):
                        state = later
                        if progress is not None:
                            progress(state.received, total)
                return state, going
    except ChatError:
        await settle(in_flight)  # consequences of this refusal: set aside
        raise
    finally:
        await abandon(in_flight)
        await ahead.close()


class _ReadAhead:
    """The next chunk of an upload's file, read and hashed on a thread while the one
    before it is sent (one read at a time: they share the file's position, and the
    prefix's hash)."""

    def __init__(self, source: IO[bytes], prefix: _Prefix | None, chunk_bytes: int) -> None:
        self._source, self._prefix, self._chunk_bytes = source, prefix, chunk_bytes
        self._read: tuple[int, asyncio.Future[tuple[bytes, str]]] | None = None

    def start(self, offset: int) -> None:
        if self._read is None:
            read = asyncio.to_thread(
                _read_chunk, self._source, offset, self._chunk_bytes, self._prefix
            )
            self._read = (offset, asyncio.ensure_future(read))

    async def take(self, offset: int) -> tuple[bytes, str]:
        """The chunk at `offset` (and its sha256): the one read ahead if it is there."""
        if self._read is not None and self._read[0] != offset:
            await self.close()  # read for another offset: the file's position is shared
        self.start(offset)
        assert self._read is not None
        read, self._read = self._read[1], None
        return await read

    async def close(self) -> None:
        """Wait for a read still running (its result, or failure, goes unused)."""
        if self._read is not None:
            read, self._read = self._read[1], None
            await asyncio.gather(read, return_exceptions=True)


async def settle(in_flight: InFlight) -> list[Any]:
    """The replies still in flight, in order, a refused one as its ChatError."""
    replies: list[Any] = []
    while in_flight:
        _, reply = in_flight.popleft()
        try:
            replies.append(await reply)
        except ChatError as exc:
            replies.append(exc)
    return replies


async def abandon(in_flight: InFlight) -> None:
    """Stop waiting for the replies in flight (the caller was cancelled, say)."""
    if not in_flight:
        return
    for _, reply in in_flight:
        reply.cancel()
    await asyncio.gather(*(reply for _, reply in in_flight), return_exceptions=True)
    in_flight.clear()
