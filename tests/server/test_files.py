"""Files on the wire, against a real server: chunked, resumable uploads checked by
sha256 (a 50 MB file cut at 40% by a TCP reset and resumed), a file stored once
however often it is sent, downloads only by those who can see the message (a
non-member, a removed member and a member who joined later are refused; a proof of
holding someone else's file by sending its bytes is kept across a restart), each limit
with its own code, names made safe, a recalled message's file gone and collected,
and a file that survives a restart of the server."""

from __future__ import annotations

import asyncio
import os
import sqlite3

import pytest
from file_tools import CHUNK, download, file_body, send_file, sha, upload

from desktop_chat.protocol.filenames import safe_filename
from desktop_chat.wire_client import WireError

MB = 1024 * 1024


def stored(db_path) -> tuple[int, int]:
    """(blobs, bytes of their chunks) in the server's SQLite file."""
    with sqlite3.connect(db_path) as db:
        blobs = db.execute("SELECT count(*) FROM blobs").fetchone()[0]
        size = db.execute("SELECT COALESCE(sum(length(data)), 0) FROM blob_chunks").fetchone()[0]
    return blobs, size


async def test_a_50_mb_file_cut_at_40_percent_by_a_tcp_reset_resumes_and_arrives_whole(harness):
    await harness.start(upload_bytes_per_second=0)
    data = os.urandom(50 * MB)
    alice = await harness.device("alice")
    bob = await harness.device("bob")

    state = await upload(alice, data, stop_at=20 * MB)
    assert not state["complete"] and state["received"] >= 20 * MB
    alice.ws.transport.abort()  # a TCP reset, mid-upload
    alice = await harness.device("alice")

    resumed = await alice.request("upload_begin", sha256=sha(data), size=len(data))
    assert resumed["received"] == state["received"], "the upload went back"
    assert (await upload(alice, data))["complete"]
    sent = await send_file(alice, "bob", "file-00000001", file_body(data, "big.bin"))
    assert sent["type"] == "send_ok", sent

    push = await bob.wait_push("message")
    body = push["message"]["body"]
    assert (body["kind"], body["name"], body["size"]) == ("file", "big.bin", len(data))
    got = await download(bob, "file-00000001", body["sha256"])
    assert sha(got) == sha(data)


async def test_the_same_file_sent_twice_is_stored_once(harness):
    await harness.start()
    data = os.urandom(3 * CHUNK + 5)
    alice = await harness.device("alice")
    await harness.device("bob")
    await harness.device("carol")
    await upload(alice, data)
    again = await alice.request("upload_begin", sha256=sha(data), size=len(data))
    assert again["complete"], "the uploader is asked to send a stored file again"
    for n, to in enumerate(["bob", "carol", "bob"]):
        reply = await send_file(alice, to, f"twice-{n:08d}", file_body(data))
        assert reply["type"] == "send_ok", reply
    assert stored(harness.config.db_path) == (1, len(data))


async def test_knowing_a_files_hash_gives_no_access_to_it(harness):
    await harness.start()
    data = os.urandom(2 * CHUNK)
    alice = await harness.device("alice")
    mallory = await harness.device("mallory")
    await harness.device("bob")
    await upload(alice, data)
    await send_file(alice, "bob", "secret-00000001", file_body(data))

    state = await mallory.request("upload_begin", sha256=sha(data), size=len(data))
    assert (state["complete"], state["received"]) == (False, 0)
    refused = await send_file(mallory, "bob", "steal-000000001", file_body(data))
    assert refused["code"] == "FILE_NOT_FOUND"
    with pytest.raises(WireError) as denied:
        await download(mallory, "secret-00000001", sha(data))
    assert denied.value.code == "MESSAGE_NOT_FOUND"

    # Sending the bytes proves the file is held: then it may be sent, and is stored once.
    wrong = bytearray(data[:CHUNK])
    wrong[0] ^= 1
    reply = await mallory.call_data(
        "upload_chunk", bytes(wrong), sha256=sha(data), offset=0, chunk_sha256=sha(bytes(wrong))
    )
    assert reply["code"] == "CHECKSUM_MISMATCH"
    assert (await upload(mallory, data))["complete"]
    assert (await send_file(mallory, "bob", "proven-00000001", file_body(data)))[
        "type"
    ] == "send_ok"
    assert stored(harness.config.db_path) == (1, len(data))


async def test_a_proof_of_holding_a_file_lasts_across_a_restart(harness):
    await harness.start()
    data = os.urandom(2 * CHUNK)
    alice = await harness.device("alice")
    carol = await harness.device("carol")
    await harness.device("bob")
    await upload(alice, data)
    assert (await upload(carol, data))["complete"]  # carol sends the bytes: proven
    await harness.restart()
    carol = await harness.device("carol")
    state = await carol.request("upload_begin", sha256=sha(data), size=len(data))
    assert state["complete"], "the proof was forgotten"
    sent = await send_file(carol, "bob", "proven-00000002", file_body(data))
    assert sent["type"] == "send_ok", sent


async def test_only_those_who_can_see_the_message_download_its_file(harness):
    await harness.start()
    data = os.urandom(CHUNK + 1)
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    carol = await harness.device("carol")
    dave = await harness.device("dave")
    await upload(alice, data)
    await send_file(alice, "bob", "direct-00000001", file_body(data))
    assert sha(await download(bob, "direct-00000001", sha(data))) == sha(data)
    assert sha(await download(alice, "direct-00000001", sha(data))) == sha(data)
    with pytest.raises(WireError) as outsider:
        await download(carol, "direct-00000001", sha(data))
    assert outsider.value.code == "MESSAGE_NOT_FOUND"

    group = await alice.request("create_group", name="team", members=["bob", "carol"])
    group_id = group["group"]["group_id"]
    await send_file(alice, group_id, "group-000000001", file_body(data))
    assert sha(await download(carol, "group-000000001", sha(data))) == sha(data)
    await alice.request("add_members", group_id=group_id, members=["dave"])
    with pytest.raises(WireError) as later:  # joined after the send: not a reader of it
        await download(dave, "group-000000001", sha(data))
    assert later.value.code == "MESSAGE_NOT_FOUND"
    await alice.request("remove_members", group_id=group_id, members=["carol"])
    with pytest.raises(WireError) as removed:  # removed: refused at once
        await download(carol, "group-000000001", sha(data))
    assert removed.value.code == "MESSAGE_NOT_FOUND"
    # A file the message does not carry is not served through it.
    other = os.urandom(10)
    await upload(alice, other)
    with pytest.raises(WireError) as wrong:
        await download(bob, "group-000000001", sha(other))
    assert wrong.value.code == "FILE_NOT_FOUND"


async def test_each_limit_has_its_own_code_and_nothing_accepted_is_lost(harness):
    await harness.start(
        max_file_bytes=4 * CHUNK,
        quota_bytes_per_user=6 * CHUNK,
        upload_bytes_per_second=4 * CHUNK,
        upload_burst_bytes=8 * CHUNK,
    )
    alice = await harness.device("alice")
    await harness.device("bob")
    too_big = await alice.call("upload_begin", sha256="a" * 64, size=4 * CHUNK + 1)
    assert too_big["code"] == "FILE_TOO_LARGE" and too_big["details"]["limit"] == 4 * CHUNK

    first = os.urandom(4 * CHUNK)
    await upload(alice, first)
    second = os.urandom(3 * CHUNK)
    over = await alice.call("upload_begin", sha256=sha(second), size=len(second))
    assert over["code"] == "QUOTA_EXCEEDED", over
    assert over["details"] == {"quota": 6 * CHUNK, "used": 4 * CHUNK, "size": 3 * CHUNK}

    small = os.urandom(2 * CHUNK)
    await alice.request("upload_begin", sha256=sha(small), size=len(small))
    piece = small[:CHUNK]
    limited = None
    for _ in range(20):  # the burst (8 chunks) is spent: the rate refuses within 20
        limited = await alice.call_data(
            "upload_chunk", piece, sha256=sha(small), offset=0, chunk_sha256=sha(piece)
        )
        if limited["type"] == "error":
            break
    assert limited is not None and limited["code"] == "UPLOAD_RATE_LIMITED", limited
    assert limited["details"]["retry_after_ms"] > 0

    damaged = await alice.call_data(
        "upload_chunk", piece, sha256=sha(small), offset=0, chunk_sha256="0" * 64
    )
    assert damaged["code"] in ("CHECKSUM_MISMATCH", "UPLOAD_RATE_LIMITED")
    # What was accepted stays: the first file is still whole and sendable.
    assert (await send_file(alice, "bob", "kept-0000000001", file_body(first)))["type"] == "send_ok"


async def test_a_full_chunk_still_goes_after_a_small_file_when_the_burst_is_smaller(harness):
    """Found by the screenshot script: a user's rate bucket made by a small file's chunk
    was too small for a full chunk ever to fit, so a later big upload never moved."""
    await harness.start(
        max_chunk_bytes=CHUNK, upload_bytes_per_second=4 * CHUNK, upload_burst_bytes=1024
    )
    alice = await harness.device("alice")
    await upload(alice, os.urandom(100))  # the bucket is made here, by a 100 B chunk
    big = os.urandom(2 * CHUNK)
    await alice.request("upload_begin", sha256=sha(big), size=len(big))
    offset = 0
    for _ in range(40):  # a refusal says when to try again: within a second here
        piece = big[offset : offset + CHUNK]
        reply = await alice.call_data(
            "upload_chunk", piece, sha256=sha(big), offset=offset, chunk_sha256=sha(piece)
        )
        if reply["type"] == "error":
            assert reply["code"] == "UPLOAD_RATE_LIMITED", reply
            await asyncio.sleep(reply["details"]["retry_after_ms"] / 1000)
            continue
        offset = reply["received"]
        if reply["complete"]:
            break
    assert offset == len(big), "every chunk went, at the rate"


async def test_a_file_whose_bytes_do_not_match_its_sha256_is_thrown_away(harness):
    await harness.start()
    alice = await harness.device("alice")
    data = os.urandom(CHUNK + 10)
    claimed = sha(b"something else entirely")
    await alice.request("upload_begin", sha256=claimed, size=len(data))
    await alice.call_data(
        "upload_chunk", data[:CHUNK], sha256=claimed, offset=0, chunk_sha256=sha(data[:CHUNK])
    )
    last = data[CHUNK:]
    reply = await alice.call_data(
        "upload_chunk", last, sha256=claimed, offset=CHUNK, chunk_sha256=sha(last)
    )
    assert reply["code"] == "CHECKSUM_MISMATCH", reply
    again = await alice.request("upload_begin", sha256=claimed, size=len(data))
    assert (again["received"], again["complete"]) == (0, False)
    assert stored(harness.config.db_path) == (1, 0)


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "C:\\Users\\me\\CON.txt", "a\x1b[31mb\u202egnp.exe", "NUL", "dots..."],
)
async def test_a_bad_file_name_is_made_safe_on_the_way_in(harness, name):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    data = b"hello"
    await upload(alice, data)
    assert (await send_file(alice, "bob", "named-000000001", file_body(data, name)))["type"] == (
        "send_ok"
    )
    got = (await bob.wait_push("message"))["message"]["body"]["name"]
    assert got == safe_filename(name) and "/" not in got and "\\" not in got
    assert got == safe_filename(got)


async def test_a_name_with_nul_or_past_the_limit_is_refused_with_its_code(harness):
    await harness.start()
    alice = await harness.device("alice")
    await harness.device("bob")
    data = b"hello"
    await upload(alice, data)
    nul = await send_file(alice, "bob", "nulname-0000001", file_body(data, "a\x00b.txt"))
    assert nul["code"] == "INVALID_PARAM" and nul["details"]["field"] == "body.name"
    long = await send_file(alice, "bob", "longname-000001", file_body(data, "x" * 5000))
    assert long["code"] == "INVALID_PARAM"
    missing = await send_file(alice, "bob", "missing-0000001", file_body(b"never uploaded"))
    assert missing["code"] == "FILE_NOT_FOUND"


async def test_a_recalled_messages_file_is_not_served_and_is_collected(harness):
    clock = [1_800_000_000_000]
    await harness.start(clock=lambda: clock[0], blob_grace_seconds=60)
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    data = os.urandom(CHUNK * 2)
    await upload(alice, data)
    await send_file(alice, "bob", "recall-00000001", file_body(data))
    await alice.request("recall", msg_id="recall-00000001")
    with pytest.raises(WireError) as gone:
        await download(bob, "recall-00000001", sha(data))
    assert gone.value.code == "MESSAGE_RECALLED"

    files = harness.server.service.files
    assert files.collect() == 0, "collected within its grace period"
    clock[0] += 61_000
    assert files.collect() == 1
    for _ in range(100):  # its commit comes with the hub's next one
        if stored(harness.config.db_path) == (0, 0):
            break
        await asyncio.sleep(0.05)
    assert stored(harness.config.db_path) == (0, 0)


async def test_a_file_survives_a_restart_of_the_server(harness):
    await harness.start()
    alice = await harness.device("alice")
    await harness.device("bob")
    data = os.urandom(CHUNK * 3)
    await upload(alice, data, stop_at=CHUNK)
    await harness.restart()
    alice = await harness.device("alice")
    assert (await upload(alice, data))["complete"]
    await send_file(alice, "bob", "restart-0000001", file_body(data))
    await harness.restart()
    bob = await harness.device("bob")
    assert sha(await download(bob, "restart-0000001", sha(data))) == sha(data)
