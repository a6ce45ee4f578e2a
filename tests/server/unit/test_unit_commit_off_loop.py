"""The SQLite server's COMMIT runs on the hub's committer thread, never on the loop.

The commit is held for real: the store's `commit` is wrapped so it waits on a
threading.Event before it commits (as a slow disk's fsync would). While it waits, the
event loop must keep turning, a frame that arrives must be held (not run against a
store in mid-commit) and answered after the commit in arrival order, and a connection
that keeps sending while the commit runs must stop being read once it has
`MAX_DEFERRED_FRAMES` waiting, or `MAX_DEFERRED_BYTES` of frames (an upload's chunks).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from inproc import InProcess, text

from desktop_chat.protocol import frames as f
from desktop_chat.server.service import MAX_DEFERRED_BYTES, MAX_DEFERRED_FRAMES


class HeldCommits:
    """Wraps the store's commit: records the thread of each that has something to
    commit, and waits while held."""

    def __init__(self, server: InProcess) -> None:
        self.threads: list[int] = []
        self.release = threading.Event()
        self.release.set()
        self.started = threading.Event()
        real = server.store.commit

        def commit() -> None:
            if server.store.in_transaction:
                self.threads.append(threading.get_ident())
            self.started.set()
            assert self.release.wait(10), "the test never released the commit"
            real()

        server.store.commit = commit  # type: ignore[method-assign]

    def hold(self) -> None:
        self.started.clear()
        self.release.clear()


@pytest.fixture
def held(tmp_path: Path) -> Iterator[tuple[InProcess, HeldCommits]]:
    server = InProcess(tmp_path)
    commits = HeldCommits(server)
    yield server, commits
    commits.release.set()
    server.close()


async def wait_for(event: threading.Event) -> None:
    for _ in range(500):
        if event.is_set():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the commit never started")


async def test_the_loop_turns_while_a_commit_waits_for_the_disk(held):
    server, commits = held
    alice = await server.device("alice")
    bob = await server.device("bob")
    commits.threads.clear()  # the accounts were made by the test, on its own thread
    await alice.request("send", msg_id="held-000000", chat_type="chat", to="bob", body=text("0"))
    assert commits.threads and threading.get_ident() not in commits.threads
    alice.take()
    bob.take()

    commits.hold()
    first = await alice.submit(
        "send", msg_id="held-000001", chat_type="chat", to="bob", body=text("one")
    )
    await wait_for(commits.started)  # the batch's COMMIT is running, and waiting
    turns = 0
    for _ in range(20):  # the loop is free: it turns while the commit waits
        await asyncio.sleep(0)
        turns += 1
    assert turns == 20 and server.hub.committing
    # A frame that arrives now is held, not run on a store in mid-commit.
    second = await alice.submit(
        "send", msg_id="held-000002", chat_type="chat", to="bob", body=text("two")
    )
    assert alice.frames == [] and bob.frames == []
    assert server.committed("SELECT COUNT(*) FROM messages") == [(1,)]

    commits.release.set()
    await server.settle()
    replies = alice.take()
    assert [(type(x), x.id) for x in replies] == [(f.SendOk, first), (f.SendOk, second)]
    assert [p.message.msg_id for p in bob.pushes(f.MessagePush)] == ["held-000001", "held-000002"]
    assert server.committed("SELECT COUNT(*) FROM messages") == [(3,)]


async def test_a_connection_that_floods_during_a_commit_stops_being_read(held):
    server, commits = held
    alice = await server.device("alice")
    await server.device("bob")
    commits.hold()
    await alice.submit("send", msg_id="flood-000000", chat_type="chat", to="bob", body=text("x"))
    await wait_for(commits.started)
    for n in range(1, MAX_DEFERRED_FRAMES + 1):  # held, each returns at once
        await asyncio.wait_for(
            alice.submit(
                "send", msg_id=f"flood-{n:06d}", chat_type="chat", to="bob", body=text("x")
            ),
            5,
        )
    assert alice.conn.deferred == MAX_DEFERRED_FRAMES
    # One more: its reading waits for the commit.
    reading = asyncio.ensure_future(
        alice.submit("send", msg_id="flood-999999", chat_type="chat", to="bob", body=text("x"))
    )
    await asyncio.sleep(0.1)
    assert not reading.done()
    commits.release.set()
    last = await asyncio.wait_for(reading, 5)
    await server.settle()
    replies = alice.take()
    assert len(replies) == MAX_DEFERRED_FRAMES + 2
    assert all(isinstance(x, f.SendOk) for x in replies)
    assert replies[-1].id == last
    assert alice.conn.deferred == 0
    assert server.committed("SELECT COUNT(*) FROM messages") == [(MAX_DEFERRED_FRAMES + 2,)]


async def test_a_connection_holding_its_share_of_bytes_during_a_commit_stops_being_read(held):
    server, commits = held
    alice = await server.device("alice")
    await server.device("bob")
    piece = 600_000  # a text frame of 800 KB (base64): ten fit in MAX_DEFERRED_BYTES
    data = os.urandom(piece * 12)
    digest = hashlib.sha256(data).hexdigest()
    await alice.request("upload_begin", sha256=digest, size=len(data))
    alice.take()

    def chunk(n: int) -> dict:
        part = data[n * piece : (n + 1) * piece]
        return {
            "sha256": digest,
            "offset": n * piece,
            "chunk_sha256": hashlib.sha256(part).hexdigest(),
            "data": base64.b64encode(part).decode(),
        }

    commits.hold()
    await alice.submit("send", msg_id="bytes-000000", chat_type="chat", to="bob", body=text("x"))
    await wait_for(commits.started)
    held_chunks = 0
    while alice.conn.deferred_bytes + 800_200 <= MAX_DEFERRED_BYTES:
        await asyncio.wait_for(alice.submit("upload_chunk", **chunk(held_chunks)), 5)
        held_chunks += 1
    assert held_chunks == 10 and alice.conn.deferred == 10
    reading = asyncio.ensure_future(alice.submit("upload_chunk", **chunk(held_chunks)))
    await asyncio.sleep(0.1)
    assert not reading.done(), "a frame past the connection's share was taken in"
    commits.release.set()
    await asyncio.wait_for(reading, 5)
    await server.settle()
    states = [x for x in alice.take() if isinstance(x, f.UploadState)]
    assert [x.received for x in states] == [piece * n for n in range(1, 12)]
    assert (alice.conn.deferred, alice.conn.deferred_bytes) == (0, 0)
