"""A server given a `blob_dir`: the bytes of files in a folder, one file per blob, the
rows in SQLite. Against a real server and real files: an upload cut by a TCP reset
resumes, survives restarts and downloads whole, with its bytes in the folder and none
in the database; a recall's collection deletes the file; a disk that cannot take the
bytes refuses the chunk with STORAGE_UNAVAILABLE and loses nothing accepted; a sync
that fails refuses the whole batch; a file left with no row by a crash goes when the
store opens; a blob begun in the database before the folder was set ends there."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest
from file_tools import CHUNK, download, file_body, send_file, sha, upload

from desktop_chat.server import blob_files
from desktop_chat.server.store import SqliteStore

NOW = 1_800_000_000_000


def rows_bytes(db_path: Path) -> int:
    """The bytes of chunks in the SQLite file (none, with a blob_dir)."""
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT COALESCE(sum(length(data)), 0) FROM blob_chunks").fetchone()[0]


def blob_file(folder: Path, data: bytes) -> Path:
    digest = sha(data)
    return folder / digest[:2] / digest


async def test_a_cut_upload_resumes_survives_restarts_and_lives_in_the_folder(harness, tmp_path):
    folder = tmp_path / "blobs"
    await harness.start(blob_dir=folder, upload_bytes_per_second=0)
    alice = await harness.device("alice")
    await harness.device("bob")
    data = os.urandom(5 * CHUNK + 17)
    state = await upload(alice, data, stop_at=2 * CHUNK)
    alice.ws.transport.abort()  # a TCP reset, mid-upload
    await harness.restart()
    alice = await harness.device("alice")
    resumed = await alice.request("upload_begin", sha256=sha(data), size=len(data))
    assert resumed["received"] == state["received"], "the upload went back"
    assert (await upload(alice, data))["complete"]
    await send_file(alice, "bob", "blobdir-0000001", file_body(data))
    await harness.restart()
    bob = await harness.device("bob")
    assert sha(await download(bob, "blobdir-0000001", sha(data))) == sha(data)
    assert blob_file(folder, data).read_bytes() == data
    assert rows_bytes(harness.config.db_path) == 0


async def test_a_recalled_messages_file_is_deleted_from_the_folder(harness, tmp_path):
    clock = [NOW]
    folder = tmp_path / "blobs"
    await harness.start(blob_dir=folder, clock=lambda: clock[0], blob_grace_seconds=60)
    alice = await harness.device("alice")
    await harness.device("bob")
    data = os.urandom(CHUNK + 3)
    await upload(alice, data)
    await send_file(alice, "bob", "blobdir-0000002", file_body(data))
    await alice.request("recall", msg_id="blobdir-0000002")
    clock[0] += 61_000
    assert harness.server.service.files.collect() == 1
    for _ in range(100):  # deleted after the commit that drops its row
        if not blob_file(folder, data).exists():
            break
        await asyncio.sleep(0.05)
    assert not blob_file(folder, data).exists()


async def test_a_disk_that_cannot_take_the_bytes_refuses_the_chunk_and_keeps_the_rest(
    harness, tmp_path
):
    folder = tmp_path / "blobs"
    await harness.start(blob_dir=folder, upload_bytes_per_second=0)
    alice = await harness.device("alice")
    kept = os.urandom(CHUNK)
    assert (await upload(alice, kept))["complete"]
    data = os.urandom(2 * CHUNK)
    blocked = folder / sha(data)[:2]
    if blocked.exists():  # the two files share a folder: use another file
        data = os.urandom(2 * CHUNK + 1)
        blocked = folder / sha(data)[:2]
    blocked.write_bytes(b"a file where the folder must go")  # as a full or broken disk
    begun = await alice.request("upload_begin", sha256=sha(data), size=len(data))
    piece = data[:CHUNK]
    refused = await alice.call_data(
        "upload_chunk", piece, sha256=sha(data), offset=0, chunk_sha256=sha(piece)
    )
    assert (refused["type"], refused["code"]) == ("error", "STORAGE_UNAVAILABLE"), refused
    assert refused["message"]
    again = await alice.request("upload_begin", sha256=sha(data), size=len(data))
    assert again["received"] == begun["received"] == 0
    blocked.unlink()  # the disk is fixed: the same connection goes on
    assert (await upload(alice, data))["complete"]
    assert blob_file(folder, kept).read_bytes() == kept


async def test_a_sync_that_fails_refuses_the_batch_and_counts_nothing(
    harness, tmp_path, monkeypatch
):
    # The one stand-in here: a disk whose fdatasync fails (EIO) cannot be made on demand.
    folder = tmp_path / "blobs"
    await harness.start(blob_dir=folder, upload_bytes_per_second=0)
    alice = await harness.device("alice")
    data = os.urandom(2 * CHUNK)
    await alice.request("upload_begin", sha256=sha(data), size=len(data))

    def broken(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(blob_files, "_sync_data", broken)
    piece = data[:CHUNK]
    refused = await alice.call_data(
        "upload_chunk", piece, sha256=sha(data), offset=0, chunk_sha256=sha(piece)
    )
    assert (refused["type"], refused["code"]) == ("error", "STORAGE_UNAVAILABLE"), refused
    monkeypatch.undo()
    again = await alice.request("upload_begin", sha256=sha(data), size=len(data))
    assert again["received"] == 0, "a chunk whose bytes were not synced counted"
    assert (await upload(alice, data))["complete"]


def test_a_file_a_crash_left_without_a_row_goes_when_the_store_opens(tmp_path):
    folder = tmp_path / "blobs"
    store = SqliteStore(tmp_path / "server.db", blob_dir=folder)
    user = store.create_user("alice", "x", NOW)
    data = b"kept: it has a row"
    with store.request():
        store.blob_begin(sha(data), len(data), user, NOW)
        store.blob_put_chunk(sha(data), 0, data, NOW)
        assert store.blob_complete(sha(data))
    store.commit()
    store.close()
    stray = blob_file(folder, b"a crash came between its row's delete and this unlink")
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(b"left behind")
    other = folder / "README.txt"
    other.write_text("not a blob: left alone")
    again = SqliteStore(tmp_path / "server.db", blob_dir=folder)
    try:
        assert not stray.exists()
        assert other.exists()
        assert again.blob_read(sha(data), 0, 100) == data
    finally:
        again.close()


def test_a_blob_begun_in_the_database_ends_there_once_a_folder_is_set(tmp_path):
    db = tmp_path / "server.db"
    data = bytes(range(256)) * 4
    store = SqliteStore(db)
    user = store.create_user("alice", "x", NOW)
    with store.request():
        store.blob_begin(sha(data), len(data), user, NOW)
        assert store.blob_put_chunk(sha(data), 0, data[:300], NOW) == 300
    store.commit()
    store.close()
    folder = tmp_path / "blobs"
    store = SqliteStore(db, blob_dir=folder)
    try:
        with store.request():
            assert store.blob_put_chunk(sha(data), 300, data[300:], NOW) == len(data)
            assert store.blob_complete(sha(data))
            fresh = b"a blob begun now goes to the folder"
            store.blob_begin(sha(fresh), len(fresh), user, NOW)
            store.blob_put_chunk(sha(fresh), 0, fresh, NOW)
        store.commit()
        assert store.blob_read(sha(data), 0, len(data)) == data
        assert not blob_file(folder, data).exists()
        assert rows_bytes(db) == len(data)
        assert blob_file(folder, fresh).read_bytes() == fresh
    finally:
        store.close()


@pytest.mark.parametrize("bad", ["../" + "a" * 61, "A" * 64, "a" * 63])
def test_a_name_that_is_not_a_sha256_never_becomes_a_path(tmp_path, bad):
    with pytest.raises(ValueError):
        blob_files.BlobFiles(tmp_path).path(bad)
