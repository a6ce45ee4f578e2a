"""Uploading and downloading files on the wire, for the file tests (server and cluster)."""

from __future__ import annotations

import hashlib
from typing import Any

from desktop_chat.wire_client import WireClient, WireError

CHUNK = 256 * 1024


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_body(data: bytes, name: str = "report.pdf", **extra: Any) -> dict[str, Any]:
    return {"kind": "file", "sha256": sha(data), "size": len(data), "name": name, **extra}


async def upload(
    client: WireClient,
    data: bytes,
    *,
    chunk: int = CHUNK,
    stop_at: int | None = None,
    prefix: bool = False,
) -> dict[str, Any]:
    """Upload `data` from where the server says it stands; the last `upload_state`.
    With `stop_at`, stop once that many bytes are stored (to cut the upload there);
    with `prefix`, each chunk carries `prefix_sha256` instead of `chunk_sha256`."""
    digest = sha(data)
    state = await client.request("upload_begin", sha256=digest, size=len(data))
    while not state["complete"]:
        offset = state["received"]
        if stop_at is not None and offset >= stop_at:
            return state
        piece = data[offset : offset + chunk]
        check = {"prefix_sha256": sha(data[: offset + len(piece)])} if prefix else {}
        state = await client.call_data(
            "upload_chunk",
            piece,
            sha256=digest,
            offset=offset,
            **(check or {"chunk_sha256": sha(piece)}),
        )
        if state["type"] == "error":
            raise WireError(state)
    return state


async def download(client: WireClient, msg_id: str, digest: str) -> bytes:
    """The whole file of message `msg_id`, chunk by chunk."""
    out = bytearray()
    while True:
        reply = await client.request(
            "download", msg_id=msg_id, sha256=digest, offset=len(out), length=CHUNK
        )
        out += reply["data"]
        if len(out) >= reply["size"] or not reply["data"]:
            return bytes(out)


async def send_file(
    client: WireClient, to: str, msg_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    chat_type = "groupchat" if to.isdigit() else "chat"
    return await client.call("send", msg_id=msg_id, chat_type=chat_type, to=to, body=body)
