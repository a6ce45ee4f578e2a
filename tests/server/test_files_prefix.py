"""Uploads checked by `prefix_sha256` (the sha256 of the file from byte 0 to the end of
the chunk), against a real server: the hello says it takes them; a whole upload
arrives and downloads whole; a damaged chunk is refused with CHECKSUM_MISMATCH at its
offset and nothing is stored; after a restart of the server (which then has no
running hash) the chunks are still checked, against the stored bytes read back; bytes
that match their own prefixes but not the file's sha256 are thrown away at the last
chunk; a chunk with neither check is INVALID_PARAM."""

from __future__ import annotations

import os

from file_tools import CHUNK, download, file_body, send_file, sha, upload


def prefix_chunk(data: bytes, offset: int, piece: bytes | None = None) -> dict:
    piece = data[offset : offset + CHUNK] if piece is None else piece
    return {
        "sha256": sha(data),
        "offset": offset,
        "prefix_sha256": sha(data[:offset] + piece),
    }


async def test_a_prefix_checked_upload_arrives_whole(harness):
    await harness.start(upload_bytes_per_second=0)
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    hello = await alice.request("hello", version=1)
    assert hello["limits"]["upload_prefix_sha256"] is True
    data = os.urandom(6 * CHUNK + 11)
    assert (await upload(alice, data, prefix=True))["complete"]
    await send_file(alice, "bob", "prefix-00000001", file_body(data))
    assert sha(await download(bob, "prefix-00000001", sha(data))) == sha(data)


async def test_a_damaged_chunk_is_refused_and_nothing_is_stored(harness):
    await harness.start(upload_bytes_per_second=0)
    alice = await harness.device("alice")
    data = os.urandom(3 * CHUNK)
    await upload(alice, data, prefix=True, stop_at=CHUNK)
    damaged = bytearray(data[CHUNK : 2 * CHUNK])
    damaged[100] ^= 0x40
    reply = await alice.call_data("upload_chunk", bytes(damaged), **prefix_chunk(data, CHUNK))
    assert (reply["type"], reply["code"]) == ("error", "CHECKSUM_MISMATCH"), reply
    assert reply["details"]["offset"] == CHUNK
    state = await alice.request("upload_begin", sha256=sha(data), size=len(data))
    assert state["received"] == CHUNK
    assert (await upload(alice, data, prefix=True))["complete"]


async def test_after_a_restart_chunks_are_checked_against_the_stored_bytes(harness):
    await harness.start(upload_bytes_per_second=0)
    alice = await harness.device("alice")
    await harness.device("bob")
    data = os.urandom(4 * CHUNK + 3)
    await upload(alice, data, prefix=True, stop_at=2 * CHUNK)
    await harness.restart()  # the running hash is gone with the process
    alice = await harness.device("alice")
    forged = os.urandom(CHUNK)  # consistent with a prefix, but not the stored one
    wrong = {"prefix_sha256": sha(os.urandom(2 * CHUNK) + forged)}
    reply = await alice.call_data(
        "upload_chunk", forged, **(prefix_chunk(data, 2 * CHUNK, forged) | wrong)
    )
    assert reply["code"] == "CHECKSUM_MISMATCH", reply
    assert (await upload(alice, data, prefix=True))["complete"]
    bob = await harness.device("bob")
    await send_file(alice, "bob", "prefix-00000002", file_body(data))
    assert sha(await download(bob, "prefix-00000002", sha(data))) == sha(data)


async def test_bytes_that_are_not_the_files_are_thrown_away_at_the_last_chunk(harness):
    await harness.start(upload_bytes_per_second=0)
    alice = await harness.device("alice")
    claimed, sent = os.urandom(2 * CHUNK), os.urandom(2 * CHUNK)
    await alice.request("upload_begin", sha256=sha(claimed), size=len(claimed))
    for offset in (0, CHUNK):
        piece = sent[offset : offset + CHUNK]
        header = {
            "sha256": sha(claimed),
            "offset": offset,
            "prefix_sha256": sha(sent[: offset + CHUNK]),
        }
        reply = await alice.call_data("upload_chunk", piece, **header)
    assert (reply["type"], reply["code"]) == ("error", "CHECKSUM_MISMATCH"), reply
    state = await alice.request("upload_begin", sha256=sha(claimed), size=len(claimed))
    assert state["received"] == 0, "the wrong bytes were kept"


async def test_a_chunk_with_neither_check_is_invalid(harness):
    await harness.start()
    alice = await harness.device("alice")
    data = os.urandom(CHUNK)
    await alice.request("upload_begin", sha256=sha(data), size=len(data))
    reply = await alice.call_data("upload_chunk", data, sha256=sha(data), offset=0)
    assert (reply["type"], reply["code"]) == ("error", "INVALID_PARAM"), reply
    assert reply["message"]
