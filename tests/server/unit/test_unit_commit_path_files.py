"""What runs beside the SQLite server's COMMIT instead of inside it or after it (the
files path, docs/performance.md "desktop-chat-bench files"):

- an upload chunk that arrives while a COMMIT runs has its own sha256 checked then,
  not after the commit; a damaged one is still refused with CHECKSUM_MISMATCH, in
  arrival order, and nothing past it is stored;
- a batch that only read (downloads, fetches) commits on the loop at once: a read-only
  COMMIT syncs nothing, so it needs no hand-off to the committer thread, and frames
  that arrive meanwhile are not held;
- the write-ahead log is copied into the database by the checkpointer thread after a
  commit, not by SQLite inside a later COMMIT (whose automatic checkpoint is set to
  the backstop, `store.BACKSTOP_PAGES`).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from inproc import InProcess, text

from desktop_chat.protocol import frames as f
from desktop_chat.protocol.codec import encode
from desktop_chat.server.store import BACKSTOP_PAGES

CHUNK = 64 * 1024


class HeldCommits:
    """The store's commit, wrapped: the thread of each that had a transaction, and a
    gate the test holds shut for those off the loop (as a slow disk's fsync would)."""

    def __init__(self, server: InProcess) -> None:
        self.threads: list[int] = []
        self.release = threading.Event()
        self.release.set()
        self.started = threading.Event()
        real = server.store.commit
        loop_thread = threading.get_ident()

        def commit() -> None:
            if server.store.in_transaction:
                self.threads.append(threading.get_ident())
                if threading.get_ident() != loop_thread:  # the loop must never wait
                    self.started.set()
                    assert self.release.wait(10), "the test never released the commit"
            real()

        server.store.commit = commit  # type: ignore[method-assign]

    def hold(self) -> None:
        self.started.clear()
        self.release.clear()


@pytest.fixture
def held(tmp_path: Path) -> Iterator[tuple[InProcess, HeldCommits]]:
    server = InProcess(tmp_path, max_chunk_bytes=CHUNK)
    commits = HeldCommits(server)
    yield server, commits
    commits.release.set()
    server.close()


async def wait_until(done, what: str, seconds: float = 5.0) -> None:
    for _ in range(int(seconds * 100)):
        if done():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{what} never happened")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def submit_chunk(
    server: InProcess, device, digest: str, offset: int, piece: bytes, damaged: bool = False
) -> str:
    request_id = next(server.ids)
    claimed = sha(b"not these bytes") if damaged else sha(piece)
    frame = f.UploadChunk(
        id=request_id, sha256=digest, offset=offset, chunk_sha256=claimed, data=piece
    )
    await server.service.handle_data(device.conn, encode(frame))
    return request_id


async def test_a_chunk_that_arrives_during_a_commit_is_checked_then(held):
    server, commits = held
    alice = await server.device("alice")
    data = os.urandom(4 * CHUNK)
    digest = sha(data)
    await alice.request("upload_begin", sha256=digest, size=len(data))
    alice.take()
    files = server.service.files
    checked_while: list[bool] = []
    real = files.intact

    def intact(req: f.UploadChunk) -> bool:
        checked_while.append(server.hub.committing)
        return real(req)

    files.intact = intact  # type: ignore[method-assign]

    commits.hold()
    first = await submit_chunk(server, alice, digest, 0, data[:CHUNK])
    await asyncio.sleep(0)  # the hub's flush: the first chunk's COMMIT starts, and waits
    await wait_until(commits.started.is_set, "the first chunk's commit")
    assert server.hub.committing
    pieces = [data[n * CHUNK : (n + 1) * CHUNK] for n in range(4)]
    second = await submit_chunk(server, alice, digest, CHUNK, pieces[1])
    third = await submit_chunk(server, alice, digest, 2 * CHUNK, pieces[2], damaged=True)
    fourth = await submit_chunk(server, alice, digest, 3 * CHUNK, pieces[3])
    # The three held ones were hashed while the commit ran, before any touched the store.
    assert checked_while == [False, True, True, True]
    assert alice.frames == []

    commits.release.set()
    await server.settle()
    replies = alice.take()
    assert [x.id for x in replies] == [first, second, third, fourth]
    assert [type(x) for x in replies] == [f.UploadState, f.UploadState, f.Error, f.UploadState]
    assert replies[2].code == "CHECKSUM_MISMATCH" and replies[2].details == {"offset": 2 * CHUNK}
    assert [replies[n].received for n in (0, 1, 3)] == [CHUNK, 2 * CHUNK, 2 * CHUNK]
    assert server.committed("SELECT received FROM blobs") == [(2 * CHUNK,)]


async def test_a_batch_that_only_read_commits_on_the_loop(held):
    server, commits = held
    alice = await server.device("alice")
    await server.device("bob")
    await alice.send_chat("bob", "read-000001", "one")
    alice.take()
    commits.threads.clear()
    commits.hold()  # a commit on the committer thread would wait here, and fail the test
    first = await alice.submit("fetch_conversations")
    await asyncio.sleep(0)  # the hub's flush
    assert not server.hub.committing
    second = await alice.submit("fetch_history", conversation_id="bob", page_size=10)
    await server.settle()
    replies = alice.take()
    assert [x.id for x in replies] == [first, second]
    assert not any(isinstance(x, f.Error) for x in replies), replies
    assert commits.threads and set(commits.threads) == {threading.get_ident()}
    # A write still commits on the committer thread, after the gate opens.
    commits.threads.clear()
    sent = await alice.submit(
        "send", msg_id="read-000002", chat_type="chat", to="bob", body=text("two")
    )
    await wait_until(commits.started.is_set, "the send's commit")
    assert server.hub.committing and threading.get_ident() not in commits.threads
    commits.release.set()
    await server.settle()
    assert [x.id for x in alice.take()] == [sent]


def wal_index(db: Path) -> tuple[int, int]:
    """(frames in the log, frames copied into the database), from the WAL-index header
    in the `-shm` file (sqlite.org/walformat.html: mxFrame at byte 16, nBackfill at 96)."""
    head = (db.parent / f"{db.name}-shm").read_bytes()[:100]
    return struct.unpack_from("=I", head, 16)[0], struct.unpack_from("=I", head, 96)[0]


async def test_the_log_is_copied_into_the_database_after_a_commit_off_its_path(tmp_path):
    server = InProcess(tmp_path)
    try:
        alice = await server.device("alice")
        await server.device("bob")
        for n in range(3):
            await alice.send_chat("bob", f"wal-{n:07d}", "a few pages of log")
        db = server.config.db_path

        def copied() -> bool:
            frames, backfilled = wal_index(db)
            return frames > 0 and backfilled == frames

        # SQLite's own checkpoint waits for 1,000 pages (or now the backstop's): only
        # the checkpointer thread copies these few.
        await wait_until(copied, "the checkpoint of the log")
        autocheckpoint = server.store._db.execute("PRAGMA wal_autocheckpoint").fetchone()
        assert autocheckpoint == (BACKSTOP_PAGES,)
    finally:
        server.close()
