"""The server's storage fails under it: the disk fills up, or the database file becomes
read-only. The server must refuse new writes with STORAGE_UNAVAILABLE and a message
that says what to do, keep answering reads, lose nothing it confirmed, and write again
once the storage is back.

- Disk full: SQLite's own page cap (`sqlite_max_pages`, PRAGMA max_page_count) makes
  writes fail with SQLITE_FULL, on an in-process server (the `harness` fixture).
- Read-only: as root, chmod stops nothing, so the test sets the immutable attribute
  (`chattr +i`) on the database and its WAL while a real server process has them open:
  the kernel then refuses every write to them (EPERM), for root too. Skipped where
  chattr is not possible (not root, a filesystem without the attribute).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess

import pytest
from fault_tools import (
    PASSWORD,
    ServerProcess,
    close_all,
    create_users,
    db_rows,
    new_client,
    wait_until,
)

from desktop_chat.client import ChatMessage, MessageStatus
from desktop_chat.wire_client import WireClient, text_body

PAIRS = [("alice", "bob"), ("carol", "dave"), ("erin", "frank")]


async def history_ids(client: WireClient, peer: str) -> list[str]:
    """Every message of a conversation, paging back from the newest."""
    ids: list[str] = []
    before = None
    while True:
        page = await client.request(
            "fetch_history", conversation_id=peer, before_seq=before, page_size=200
        )
        ids[:0] = [m["msg_id"] for m in page["messages"]]
        if not page["more"]:
            return ids
        before = page["messages"][0]["conv_seq"]


def assert_refusal(reply: dict) -> None:
    assert reply["type"] == "error", reply
    assert reply["code"] == "STORAGE_UNAVAILABLE", reply
    assert "try again later" in reply["message"] and "nothing was applied" in reply["message"]


async def _fill_until_full(harness, pairs, in_flight: int):
    """Sign in the pairs, cap the database a few pages above its size, and send from every
    sender (`in_flight` frames pipelined each) until each has a refusal."""
    await harness.start()
    senders = {a: await harness.device(a) for a, _ in pairs}
    readers = {b: await harness.device(b) for _, b in pairs}
    confirmed: dict[str, list[str]] = {a: [] for a, _ in pairs}
    for a, b in pairs:
        for n in range(3):
            reply = await senders[a].request(
                "send", msg_id=f"{a}-before-{n:04d}", chat_type="chat", to=b, body=text_body("hi")
            )
            confirmed[a].append(reply["msg_id"])
    tokens = {c.username: c.token for c in (*senders.values(), *readers.values())}
    pages = db_rows(harness.config.db_path, "PRAGMA page_count")[0][0]

    # The same database, now on a "disk" with room for a few more pages only.
    await harness.stop()
    await harness.start(sqlite_max_pages=pages + 12)
    senders = {a: await harness.resume(tokens[a]) for a, _ in pairs}
    readers = {b: await harness.resume(tokens[b]) for _, b in pairs}
    for client in (*senders.values(), *readers.values()):
        await client.sync()  # live: pushes from here on

    refusals: dict[str, dict] = {}

    async def fill(a: str, b: str) -> None:
        window = asyncio.Semaphore(in_flight)

        async def one(n: int) -> None:
            async with window:
                if a in refusals:
                    return
                reply = await senders[a].call(
                    "send",
                    msg_id=f"{a}-full-{n:05d}",
                    chat_type="chat",
                    to=b,
                    body=text_body("x" * 200),
                )
                if reply["type"] == "send_ok":
                    confirmed[a].append(reply["msg_id"])
                else:
                    refusals.setdefault(a, reply)

        await asyncio.gather(*(one(n) for n in range(2_000)))
        confirmed[a].sort(key=lambda m: (not m.startswith(f"{a}-before"), m))

    await asyncio.wait_for(asyncio.gather(*(fill(a, b) for a, b in pairs)), 30)
    assert set(refusals) == {a for a, _ in pairs}
    for reply in refusals.values():
        assert_refusal(reply)
    assert all(len(ids) > 3 for ids in confirmed.values())  # some fitted before it filled
    return senders, readers, tokens, confirmed, refusals


async def test_disk_full_refuses_writes_keeps_reads_and_recovers(harness, clients):
    """One writer at a time: each commit holds one request."""
    pairs = [("alice", "bob")]
    senders, readers, tokens, confirmed, _ = await _fill_until_full(harness, pairs, 1)
    alice, bob = senders["alice"], readers["bob"]
    gina = await clients.login("gina", send_timeout_seconds=0.5)

    # The client core keeps a refused message queued (PENDING), not failed.
    queued = await gina.chat_manager.send_message(ChatMessage.text("bob", "y" * 4000))
    assert queued.status is MessageStatus.PENDING
    assert gina.store.outbox_size() == 1

    # Reads still work, and show exactly what was confirmed, nothing else.
    assert await history_ids(alice, "bob") == confirmed["alice"]
    synced = await bob.sync(after_seq=0)
    assert [e["message"]["msg_id"] for e in synced if e["type"] == "message"] == confirmed["alice"]
    live = [p["message"]["msg_id"] for p in bob.pushes_of("message")]
    assert live == confirmed["alice"][3:], "pushed: exactly the confirmed messages"
    conversations = await bob.request("fetch_conversations")
    [info] = conversations["conversations"]
    assert info["unread_count"] == len(confirmed["alice"])
    # A device that reconnects now can still sign in with its session and read.
    again = await harness.resume(tokens["bob"])
    assert await history_ids(again, "alice") == confirmed["alice"]
    assert harness.store.check_invariants() == []

    # Room again (the cap lifted): writes work, on the same database, nothing lost.
    await harness.stop()
    await harness.start(sqlite_max_pages=None)
    alice = await harness.resume(tokens["alice"])
    bob = await harness.resume(tokens["bob"])
    await bob.sync(after_seq=0)
    assert await history_ids(alice, "bob") == confirmed["alice"]
    refused_id = f"alice-full-{len(confirmed['alice']) - 3:05d}"
    reply = await alice.request(
        "send", msg_id=refused_id, chat_type="chat", to="bob", body=text_body("x" * 200)
    )
    confirmed["alice"].append(reply["msg_id"])
    await asyncio.wait_for(
        bob.wait_push("message", lambda p: p["message"]["msg_id"] == refused_id), 5
    )
    assert await history_ids(alice, "bob") == confirmed["alice"]
    # gina's client reconnected on its own and its outbox sent the queued message.
    await wait_until(
        lambda: gina.chat_manager.get_message(queued.msg_id).status is MessageStatus.SUCCESS,
        10,
        "the queued message sent after the disk has room",
    )
    assert gina.reconnects >= 1
    assert await history_ids(bob, "gina") == [queued.msg_id]
    assert harness.store.check_invariants() == []


async def test_disk_full_with_concurrent_writers_loses_nothing_confirmed(harness):
    """Three writers, four frames in flight each: refused and accepted sends share commits."""
    senders, readers, tokens, confirmed, _ = await _fill_until_full(harness, PAIRS, 4)
    for a, b in PAIRS:
        stored = await history_ids(senders[a], b)
        lost = [m for m in confirmed[a] if m not in stored]
        assert lost == [], f"{a}: {len(lost)} confirmed messages not stored: {lost[:3]}"
        live = {p["message"]["msg_id"] for p in readers[b].pushes_of("message")}
        assert live <= set(stored), "a message that is not stored was pushed to its recipient"
    await harness.stop()
    await harness.start(sqlite_max_pages=None)
    for a, b in PAIRS:
        alice = await harness.resume(tokens[a])
        assert set(confirmed[a]) <= set(await history_ids(alice, b))


def _chattr(flag: str, *paths) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["chattr", flag, *map(str, paths)], capture_output=True, text=True, timeout=10
    )


@pytest.fixture
def immutable(tmp_path):
    """`make(paths)` sets the immutable attribute; always cleared after the test."""
    if shutil.which("chattr") is None:
        pytest.skip("no chattr here")
    probe = tmp_path / "probe"
    probe.write_text("x")
    if _chattr("+i", probe).returncode != 0:
        pytest.skip("cannot set the immutable attribute here (needs root on ext2/3/4, xfs...)")
    _chattr("-i", probe)
    made: list = []

    def make(*paths) -> None:
        made.extend(paths)
        result = _chattr("+i", *paths)
        assert result.returncode == 0, result.stderr

    def clear() -> None:
        if made:
            _chattr("-i", *made)

    make.clear = clear  # type: ignore[attr-defined]
    yield make
    clear()


async def _signed_in(url: str, name: str) -> WireClient:
    client = await WireClient.connect(url)
    await client.login(name, PASSWORD)
    await client.sync()
    return client


async def test_read_only_database_file_refuses_writes_keeps_reads_and_recovers(tmp_path, immutable):
    db = tmp_path / "server.db"
    create_users(db, ["alice", "bob", "carol"])
    server = ServerProcess(db, tmp_path / "server.log")
    await server.start()
    wire: list[WireClient] = []
    carol = None
    try:
        alice = await _signed_in(server.url, "alice")
        bob = await _signed_in(server.url, "bob")
        wire += [alice, bob]
        carol, _ = new_client(server.url, tmp_path / "carol", send_timeout_seconds=0.5)
        await carol.login("carol", PASSWORD)
        confirmed = []
        for n in range(5):
            reply = await alice.request(
                "send", msg_id=f"before-{n:05d}", chat_type="chat", to="bob", body=text_body("hi")
            )
            confirmed.append(reply["msg_id"])
        await asyncio.wait_for(
            bob.wait_push("message", lambda p: p["message"]["msg_id"] == confirmed[-1]), 5
        )

        # The database and its write-ahead log become read-only under the running server.
        wal = db.with_name(db.name + "-wal")
        assert wal.exists()
        immutable(db, wal)
        refused = await alice.call(
            "send", msg_id="during-00001", chat_type="chat", to="bob", body=text_body("no room")
        )
        assert_refusal(refused)
        assert "read-only" in refused["message"]
        assert_refusal(await bob.call("read_ack", msg_ids=[confirmed[0]]))
        queued = await carol.chat_manager.send_message(ChatMessage.text("bob", "queued"))
        assert queued.status is MessageStatus.PENDING
        # Reads keep working.
        assert await history_ids(alice, "bob") == confirmed
        events = await bob.sync(after_seq=0)
        assert [e["message"]["msg_id"] for e in events if e["type"] == "message"] == confirmed
        conversations = await bob.request("fetch_conversations")
        assert conversations["conversations"][0]["unread_count"] == len(confirmed)
        assert bob.pushes_of("message")[-1]["message"]["msg_id"] == confirmed[-1]
        # A device that reconnects now (seen within the hour) signs in and reads.
        again = await WireClient.connect(server.url)
        wire.append(again)
        await again.request("resume", token=bob.token)
        assert await history_ids(again, "alice") == confirmed
        assert server.proc.poll() is None  # still serving
        assert carol.is_connected

        # Writable again: the same server writes again, without a restart.
        immutable.clear()
        reply = await alice.request(
            "send", msg_id="during-00001", chat_type="chat", to="bob", body=text_body("no room")
        )
        confirmed.append(reply["msg_id"])
        assert reply["conv_seq"] == len(confirmed)
        await asyncio.wait_for(
            bob.wait_push("message", lambda p: p["message"]["msg_id"] == "during-00001"), 5
        )
        # carol's outbox retried on its own and the queued message went out.
        await wait_until(
            lambda: carol.chat_manager.get_message(queued.msg_id).status is MessageStatus.SUCCESS,
            10,
            "carol's queued message sent",
        )
        assert carol.reconnects == 0

        # Nothing confirmed was lost, even through a SIGKILL now.
        server.sigkill()
        await server.wait_exit()
        stored = db_rows(db, "SELECT msg_id FROM messages WHERE recipient_id = 2 ORDER BY id")
        assert [m for (m,) in stored if m in confirmed] == confirmed
        assert {m for (m,) in stored} == {*confirmed, queued.msg_id}
    finally:
        immutable.clear()
        for client in wire:
            with contextlib.suppress(Exception):
                await client.close()
        await close_all([carol] if carol else [])
        await server.aclose_for_test()


async def test_read_only_database_a_read_sharing_a_commit_with_a_write_is_answered(
    tmp_path, immutable
):
    db = tmp_path / "server.db"
    create_users(db, ["alice", "bob"])
    server = ServerProcess(db, tmp_path / "server.log")
    await server.start()
    alice = None
    try:
        alice = await _signed_in(server.url, "alice")
        await alice.request(
            "send", msg_id="before-00001", chat_type="chat", to="bob", body=text_body("a")
        )
        immutable(db, db.with_name(db.name + "-wal"))
        # Both frames wait in the server's socket while it is stopped, so it reads them
        # together and handles them in one event-loop iteration: one commit for both.
        os.kill(server.proc.pid, signal.SIGSTOP)
        try:
            write = asyncio.ensure_future(
                alice.call(
                    "send", msg_id="during-0001", chat_type="chat", to="bob", body=text_body("b")
                )
            )
            read = asyncio.ensure_future(alice.call("fetch_history", conversation_id="bob"))
            await asyncio.sleep(0.2)
        finally:
            os.kill(server.proc.pid, signal.SIGCONT)
        write_reply, read_reply = await asyncio.wait_for(asyncio.gather(write, read), 10)
        assert_refusal(write_reply)
        assert read_reply["type"] == "history", read_reply
        assert [m["msg_id"] for m in read_reply["messages"]] == ["before-00001"]
    finally:
        immutable.clear()
        if alice is not None:
            with contextlib.suppress(Exception):
                await alice.close()
        await server.aclose_for_test()
