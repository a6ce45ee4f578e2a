"""Uploads with chunks in flight, and the whole file's sha256 as it runs, against a real
server: a window whose second chunk is damaged gets CHECKSUM_MISMATCH for it and
nothing is stored past it; the running sha256 makes the last chunk read nothing back,
but a restart in the middle of an upload makes it read the file back, and a damaged
file is still thrown away; a chunk another upload stored first at the same offset
never counts in the running hash (so its bytes cannot pass for the file's)."""

from __future__ import annotations

import asyncio
import os

from file_tools import CHUNK, file_body, send_file, sha, upload


def count_read_backs(harness) -> list[str]:
    """The sha256s whose finished upload the server reads back from the store."""
    files = harness.server.service.files
    seen: list[str] = []
    read_back = files._read_back

    def counted(blob):
        seen.append(blob.sha256)
        return read_back(blob)

    files._read_back = counted
    return seen


async def test_a_damaged_chunk_in_a_window_is_refused_and_nothing_past_it_is_stored(harness):
    await harness.start(max_chunk_bytes=CHUNK)
    alice = await harness.device("alice")
    data = os.urandom(5 * CHUNK)
    digest = sha(data)
    await alice.request("upload_begin", sha256=digest, size=len(data))

    def chunk(n: int, damaged: bool = False):
        piece = data[n * CHUNK : (n + 1) * CHUNK]
        claimed = sha(b"not these bytes") if damaged else sha(piece)
        return alice.call_data(
            "upload_chunk", piece, sha256=digest, offset=n * CHUNK, chunk_sha256=claimed
        )

    # Four in flight at once, sent in order on the one connection; the second is damaged.
    replies = await asyncio.gather(chunk(0), chunk(1, damaged=True), chunk(2), chunk(3))
    assert [r["type"] for r in replies] == ["upload_state", "error", "upload_state", "upload_state"]
    assert replies[1]["code"] == "CHECKSUM_MISMATCH" and replies[1]["details"]["offset"] == CHUNK
    assert [r["received"] for r in (replies[0], replies[2], replies[3])] == [CHUNK] * 3
    assert harness.store.blob(digest).received == CHUNK, "nothing past the damaged chunk"
    # The upload goes on from there, and the file is checked whole.
    assert (await upload(alice, data))["complete"]


async def test_the_last_chunk_reads_nothing_back_but_after_a_restart_it_does(harness):
    await harness.start()
    alice = await harness.device("alice")
    await harness.device("bob")
    whole = os.urandom(4 * CHUNK + 3)
    read_backs = count_read_backs(harness)
    assert (await upload(alice, whole))["complete"]
    assert read_backs == [], "the running sha256 checked it"

    cut = os.urandom(4 * CHUNK + 5)
    await upload(alice, cut, stop_at=2 * CHUNK)
    await harness.restart()  # the running hash is gone with the process
    read_backs = count_read_backs(harness)
    alice = await harness.device("alice")
    assert (await upload(alice, cut))["complete"]
    assert read_backs == [sha(cut)], "the restarted server read the file back"
    sent = await send_file(alice, "bob", "window-00000001", file_body(cut))
    assert sent["type"] == "send_ok", sent


async def put(client, data: bytes, claimed: str, offset: int, length: int = CHUNK):
    piece = data[offset : offset + length]
    return await client.call_data(
        "upload_chunk", piece, sha256=claimed, offset=offset, chunk_sha256=sha(piece)
    )


async def test_a_restart_mid_upload_still_throws_a_damaged_file_away(harness):
    await harness.start()
    alice = await harness.device("alice")
    data = os.urandom(3 * CHUNK + 9)
    claimed = sha(b"another file altogether")  # every chunk is sound, the whole is not
    await alice.request("upload_begin", sha256=claimed, size=len(data))
    assert (await put(alice, data, claimed, 0))["received"] == CHUNK
    await harness.restart()
    alice = await harness.device("alice")
    begun = await alice.request("upload_begin", sha256=claimed, size=len(data))
    assert begun["received"] == CHUNK, "the stored prefix survived the restart"
    for offset in (CHUNK, 2 * CHUNK):
        assert (await put(alice, data, claimed, offset))["type"] == "upload_state"
    last = await put(alice, data, claimed, 3 * CHUNK)
    assert last["code"] == "CHECKSUM_MISMATCH" and last["details"]["offset"] == 0, last
    again = await alice.request("upload_begin", sha256=claimed, size=len(data))
    assert (again["received"], again["complete"]) == (0, False), "thrown away"


async def test_a_chunk_stored_first_by_another_upload_never_counts_in_the_running_hash(harness):
    # The true file is `first + rest`; someone else's chunk `junk` (as long as `first`,
    # sound by its own sha256) is stored at offset 0 first. The true first chunk then
    # writes nothing (a retry, as the store sees it): were it hashed all the same, the
    # running sha256 would match the file while the store holds `junk`.
    await harness.start()
    mallory = await harness.device("mallory")
    alice = await harness.device("alice")
    data = os.urandom(3 * CHUNK)
    junk = os.urandom(CHUNK)
    digest = sha(data)
    await mallory.request("upload_begin", sha256=digest, size=len(data))
    assert (await put(mallory, junk, digest, 0))["received"] == CHUNK
    await alice.request("upload_begin", sha256=digest, size=len(data))
    assert (await put(alice, data, digest, 0))["received"] == CHUNK  # wrote nothing
    assert (await put(alice, data, digest, CHUNK))["received"] == 2 * CHUNK
    last = await put(alice, data, digest, 2 * CHUNK)
    assert last["type"] == "error" and last["code"] == "CHECKSUM_MISMATCH", last
    assert harness.store.blob(digest) is None, "the file with junk in it was thrown away"
    # Uploaded again, whole and sound, it is complete.
    assert (await upload(alice, data))["complete"]
    assert harness.store.blob_read(digest, 0, len(data)) == data
