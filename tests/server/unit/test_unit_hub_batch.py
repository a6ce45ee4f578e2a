"""The hub's commit batch, without a socket: what the requests of one event-loop turn
queue is committed once and only then written; a batch whose commit fails is refused
whole (its pushes dropped, its reads answered anew from what is committed, its sign-ins
and syncs undone); a sync makes its device live at the log's head so no event comes
twice; the sending device is skipped; group acks of one batch reach their sender as
one push.

The commit failure is real: the database is capped a few pages above its size
(SQLite's max_page_count), so a long message fails with SQLITE_FULL and SQLite rolls
back the whole transaction, the other requests of the batch with it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from inproc import InProcess, text

from desktop_chat.protocol import frames as f

LONG = "汉" * 8000  # the longest text: 24,000 bytes, three times over (row, two logs)
SPARE_PAGES = 8  # room for short messages, not for a long one


def refused(frame: object, request_id: str) -> bool:
    return (
        isinstance(frame, f.Error)
        and frame.id == request_id
        and frame.code == "STORAGE_UNAVAILABLE"
    )


async def full_disk(tmp_path: Path) -> tuple[InProcess, dict[str, str]]:
    """A server on a database with room for a few pages more, and a session token for
    alice, bob and a second device of bob (made before the cap, so signing in writes
    nothing)."""
    setup = InProcess(tmp_path)
    tokens = {name: setup.new_token(name.rstrip("2")) for name in ("alice", "bob", "bob2")}
    setup.close()
    with sqlite3.connect(tmp_path / "server.db") as db:
        (pages,) = db.execute("PRAGMA page_count").fetchone()
    return InProcess(tmp_path, sqlite_max_pages=pages + SPARE_PAGES), tokens


async def test_the_frames_of_one_loop_turn_go_out_after_one_commit(server):
    alice = await server.device("alice")
    bob = await server.device("bob")
    ids = [
        await alice.submit(
            "send", msg_id=f"turn-{n:06d}", chat_type="chat", to="bob", body=text("x")
        )
        for n in range(3)
    ]
    # Accepted, not yet committed nor written.
    assert alice.frames == [] and bob.frames == []
    assert server.committed("SELECT COUNT(*) FROM messages") == [(0,)]
    await server.settle()
    assert server.committed("SELECT COUNT(*) FROM messages") == [(3,)]
    # One write each: the replies in request order, the pushes in log order.
    assert len(alice.writes[-1]) == 3
    replies = alice.take()
    assert [type(x) for x in replies] == [f.SendOk] * 3
    assert [frame.id for frame in replies] == ids
    (write,) = bob.writes[-1:]
    assert len(write) == 3
    pushes = bob.take()
    assert [p.seq for p in pushes] == [1, 2, 3]
    assert [p.message.conv_seq for p in pushes] == [1, 2, 3]


async def test_a_batch_whose_commit_fails_refuses_all_its_requests_and_drops_their_pushes(
    tmp_path,
):
    server, tokens = await full_disk(tmp_path)
    alice = await server.device("alice", token=tokens["alice"])
    bob = await server.device("bob", token=tokens["bob"])
    short = await alice.submit(
        "send", msg_id="short-00001", chat_type="chat", to="bob", body=text("hi")
    )
    long = await alice.submit(
        "send", msg_id="long-000001", chat_type="chat", to="bob", body=text(LONG)
    )
    after = await bob.submit(
        "send", msg_id="after-00001", chat_type="chat", to="alice", body=text("x")
    )
    await server.settle()
    replies = alice.take() + bob.take()
    # The short message fitted, but SQLite rolled it back with the long one; the request
    # after them began a new transaction that the commit must not confirm either.
    assert all(refused(r, rid) for r, rid in zip(replies, (short, long, after), strict=True))
    assert server.committed("SELECT COUNT(*) FROM messages") == [(0,)]
    assert server.committed("SELECT COUNT(*) FROM events") == [(0,)]
    # Nothing was lost: the seqs the refused requests took are free again.
    ok = await alice.send_chat("bob", "short-00001")
    assert ok.conv_seq == 1
    (push,) = bob.take()
    assert push.seq == 1 and push.message.msg_id == "short-00001"
    assert server.store.check_invariants() == []
    server.close()


async def test_a_read_in_a_refused_batch_is_answered_from_what_is_committed(tmp_path):
    server, tokens = await full_disk(tmp_path)
    alice = await server.device("alice", token=tokens["alice"])
    bob = await server.device("bob", token=tokens["bob"])
    await alice.send_chat("bob", "before-0001")
    bob.take()
    await alice.submit("send", msg_id="short-00002", chat_type="chat", to="bob", body=text("hi"))
    history = await bob.submit("fetch_history", conversation_id="alice")
    await alice.submit("send", msg_id="long-000002", chat_type="chat", to="bob", body=text(LONG))
    await server.settle()
    reply = bob.reply_to(history)
    assert isinstance(reply, f.History)
    # Not the message written in its own batch before it: that one was rolled back.
    assert [m.msg_id for m in reply.messages] == ["before-0001"]
    assert bob.pushes() == []
    server.close()


async def test_a_sign_in_in_a_refused_batch_is_undone(tmp_path):
    server, tokens = await full_disk(tmp_path)
    alice = await server.device("alice", token=tokens["alice"])
    bob = server.connect()
    await bob.request("hello", version=f.PROTOCOL_VERSION)
    server.now += 2 * 3600 * 1000  # resuming now writes the device's last-seen time
    resume = await bob.submit("resume", token=tokens["bob"])
    await alice.submit("send", msg_id="long-000003", chat_type="chat", to="bob", body=text(LONG))
    await server.settle()
    assert refused(bob.reply_to(resume), resume)
    assert server.hub.devices_of(server.account("bob")) == []
    bob.take()
    assert (await bob.call("fetch_conversations")).code == "NOT_LOGGED_IN"
    # Signed out as it was: it may sign in again.
    assert isinstance(await bob.call("resume", token=tokens["bob"]), f.LoginOk)
    server.close()


async def test_a_sync_answered_in_a_refused_batch_stays_live_through_the_next_refusal(
    tmp_path,
):
    """A sync is a read: a refused batch answers it anew, and the device is live from
    that answer. A later refused batch of other requests must not undo that."""
    server, tokens = await full_disk(tmp_path)
    alice = await server.device("alice", token=tokens["alice"])
    bob = await server.device("bob", sync=False, token=tokens["bob"])
    sync = await bob.submit("sync", after_seq=0)
    await alice.submit("send", msg_id="long-000004", chat_type="chat", to="bob", body=text(LONG))
    await server.settle()
    assert isinstance(bob.reply_to(sync), f.SyncBatch)
    assert bob.conn.live
    # The disk is still full: another long message, another refused batch.
    reply = await alice.call(
        "send", msg_id="long-000005", chat_type="chat", to="bob", body=text(LONG)
    )
    assert reply.code == "STORAGE_UNAVAILABLE"
    assert bob.conn.live
    bob.take()
    await alice.send_chat("bob", "short-00003")
    assert [p.message.msg_id for p in bob.pushes(f.MessagePush)] == ["short-00003"]
    server.close()


async def test_a_resume_answered_in_a_refused_batch_stays_signed_in_through_the_next(
    tmp_path,
):
    server, tokens = await full_disk(tmp_path)
    alice = await server.device("alice", token=tokens["alice"])
    bob = server.connect()
    await bob.request("hello", version=f.PROTOCOL_VERSION)
    resume = await bob.submit("resume", token=tokens["bob"])  # a read: last seen is recent
    await alice.submit("send", msg_id="long-000006", chat_type="chat", to="bob", body=text(LONG))
    await server.settle()
    assert isinstance(bob.reply_to(resume), f.LoginOk)
    reply = await alice.call(
        "send", msg_id="long-000007", chat_type="chat", to="bob", body=text(LONG)
    )
    assert reply.code == "STORAGE_UNAVAILABLE"
    assert server.hub.devices_of(server.account("bob")) == [bob.conn]
    assert isinstance(await bob.call("fetch_conversations"), f.Conversations)
    server.close()


async def test_an_event_logged_in_the_batch_of_a_sync_comes_once_in_the_sync(server):
    alice = await server.device("alice")
    bob = await server.device("bob", sync=False)
    await alice.submit("send", msg_id="with-sync-01", chat_type="chat", to="bob", body=text("a"))
    sync = await bob.submit("sync", after_seq=0)
    await alice.submit("send", msg_id="with-sync-02", chat_type="chat", to="bob", body=text("b"))
    await server.settle()
    batch, push = bob.take()
    assert isinstance(batch, f.SyncBatch) and batch.id == sync
    # The first was logged before the sync read the log: in the batch, never pushed.
    assert [(e.seq, e.message.msg_id) for e in batch.events] == [(1, "with-sync-01")]
    assert (push.seq, push.message.msg_id) == (2, "with-sync-02")
    assert bob.conn.synced_upto == 2


async def test_a_device_gets_pushes_only_once_its_sync_reaches_the_head(server):
    alice = await server.device("alice")
    bob = await server.device("bob", sync=False)
    for n in range(3):
        await alice.send_chat("bob", f"backlog-{n:04d}")
    assert bob.frames == []  # signed in, not live
    first = await bob.request("sync", after_seq=0, limit=2)
    assert first.more and [e.seq for e in first.events] == [1, 2]
    await alice.send_chat("bob", "backlog-0003")
    assert bob.pushes() == [], "not live while pages remain"
    rest = await bob.request("sync", after_seq=2, limit=2)
    assert not rest.more and [e.seq for e in rest.events] == [3, 4]
    bob.take()
    await alice.send_chat("bob", "live-000001")
    assert [p.seq for p in bob.take()] == [5]


async def test_the_sending_device_is_skipped_and_the_senders_others_get_a_copy(server):
    laptop = await server.device("alice")
    phone = await server.device("alice")
    bob = await server.device("bob")
    await laptop.send_chat("bob", "copied-0001")
    assert [type(x) for x in laptop.take()] == [f.SendOk]
    (copy,) = phone.take()
    (delivered,) = bob.take()
    assert copy.message == delivered.message
    # Both copies are in alice's one log: the laptop catches up on it with sync.
    assert (copy.seq, delivered.seq) == (1, 1)
    again = await laptop.request("sync", after_seq=0)
    assert [e.message.msg_id for e in again.events] == ["copied-0001"]


async def test_group_acks_of_one_batch_reach_the_sender_as_one_push(server):
    alice = await server.device("alice")
    readers = {name: await server.device(name) for name in ("bob", "carol", "dave")}
    group = (await alice.request("create_group", name="team", members=list(readers))).group
    await alice.send_group(group.group_id, "asked-00001", need_group_ack=True)
    alice.take()
    for reader in readers.values():
        reader.take()
        await reader.submit("group_read_ack", group_id=group.group_id, msg_id="asked-00001")
    await server.settle()
    (read,) = alice.pushes(f.GroupReadPush)
    assert [(a.from_, a.read_count) for a in read.acks] == [("bob", 1), ("carol", 2), ("dave", 3)]
    (delivered,) = alice.pushes(f.GroupDeliveredPush)
    assert (delivered.delivered_count, delivered.member_count) == (3, 3)
    # A later ack is a batch of its own: a push of its own.
    alice.take()
    erin = await server.device("erin")
    await alice.request("add_members", group_id=group.group_id, members=["erin"])
    await alice.send_group(group.group_id, "asked-00002", need_group_ack=True)
    alice.take()
    await readers["bob"].request("group_read_ack", group_id=group.group_id, msg_id="asked-00002")
    await erin.request("group_read_ack", group_id=group.group_id, msg_id="asked-00002")
    reads = alice.pushes(f.GroupReadPush)
    assert [[a.from_ for a in push.acks] for push in reads] == [["bob"], ["erin"]]
    # The coalesced pushes are logged like any other: a sync finds them.
    logged = await alice.request("sync", after_seq=0)
    assert sum(isinstance(e, f.GroupReadPush) for e in logged.events) == 3
