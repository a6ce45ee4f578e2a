"""The frames of files and images: uploading a file before it is sent, and
downloading the file of a message.

Owns: `upload_begin` and `upload_chunk` (answered `upload_state`), `download`
(answered `chunk`), and `DATA_FRAMES`, the two whose `data` travels as the raw
payload of a data frame (a binary websocket frame, `codec.py`), never in JSON.
`frames` gathers them into its unions; docs/protocol.md §9 describes each.

Never: import asyncio, websockets, sqlite or Qt, or do I/O of any kind.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from desktop_chat.protocol.frame_base import Reply, Request
from desktop_chat.protocol.structs import (
    DEFAULT_MAX_CHUNK_BYTES,
    MsgId,
    NonNegative,
    Sha256,
    Sha256OrNone,
)


class UploadState(Reply, frozen=True, tag="upload_state"):
    """Where an upload stands: `received` bytes of `size` are stored (send the rest
    from there); `complete` once its sha256 was checked (the file may be sent)."""

    sha256: str
    size: int
    received: int
    complete: bool


class Chunk(Reply, frozen=True, tag="chunk"):
    """Bytes of a file from `offset`, in a data frame (`data` is its payload); `size`
    is the whole file's."""

    sha256: str
    offset: int
    size: int
    data: bytes = b""


class UploadBegin(Request[UploadState], frozen=True, tag="upload_begin"):
    """Start or resume the upload of a file of `size` bytes named by its sha256."""

    sha256: Sha256
    size: NonNegative


class UploadChunk(Request[UploadState], frozen=True, tag="upload_chunk"):
    """Bytes of an upload from `offset`, in a data frame (`data` is its payload),
    checked before they are stored against `chunk_sha256` (the sha256 of these bytes)
    or `prefix_sha256` (of the file's bytes from 0 to the end of these, where the
    server says `limits.upload_prefix_sha256`): one of them at least."""

    sha256: Sha256
    offset: NonNegative
    chunk_sha256: Sha256OrNone = ""
    prefix_sha256: Sha256OrNone = ""
    data: bytes = b""


class Download(Request[Chunk], frozen=True, tag="download"):
    """Up to `length` bytes from `offset` of the file of message `msg_id`."""

    msg_id: MsgId
    sha256: Sha256
    offset: NonNegative = 0
    length: Annotated[int, msgspec.Meta(ge=1, le=2**31)] = DEFAULT_MAX_CHUNK_BYTES


# Frames whose `data` travels as the payload of a data frame (`codec.py`), not in JSON.
DATA_FRAMES = (UploadChunk, Chunk)
