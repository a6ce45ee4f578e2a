"""Store and forward, and restarts: nothing confirmed is ever lost.

A recipient offline at send time, a sender offline when its receipt happens, a
server restarted mid-conversation, and a write refused by the storage.
"""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from desktop_chat.wire_client import WireClient, text_body


async def send(client: WireClient, to: str, msg_id: str, **flags) -> dict:
    return await client.request(
        "send", msg_id=msg_id, chat_type="chat", to=to, body=text_body(msg_id), **flags
    )


async def test_recipient_offline_at_send_time_gets_message_then_delivery_flows(harness):
    await harness.start()
    await harness.register("bob")
    alice = await harness.device("alice")
    for n in range(3):
        await send(alice, "bob", f"offline-{n:04d}", need_delivery_ack=True)
    await asyncio.sleep(0.05)
    assert alice.pushes_of("delivered") == []  # nobody has it yet: ✓, not ✓✓
    bob = await harness.device("bob", sync=False)
    events = await bob.sync(after_seq=0)
    ids = [e["message"]["msg_id"] for e in events if e["type"] == "message"]
    assert ids == ["offline-0000", "offline-0001", "offline-0002"]
    await bob.request("delivery_ack", msg_ids=ids)
    delivered = await alice.wait_push("delivered")
    assert delivered["msg_ids"] == ids


async def test_sender_offline_when_receipts_happen_gets_them_on_return(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    await send(alice, "bob", "away-000001", need_delivery_ack=True)
    await send(alice, "bob", "away-000002", need_delivery_ack=True)
    token, seen = alice.token, alice.last_seq
    await alice.close()
    await bob.wait_push("message", lambda p: p["message"]["msg_id"] == "away-000002")
    await bob.request("delivery_ack", msg_ids=["away-000001", "away-000002"])
    await bob.request("read_ack", msg_ids=["away-000001"])
    await bob.request("conversation_read_ack", conversation_id="alice")
    back = await harness.resume(token, after_seq=seen)
    # Her log also holds copies of her own messages (for her other devices).
    events = [e for e in await back.sync() if e["type"] != "message"]
    kinds = [(e["type"], e.get("msg_ids")) for e in events]
    assert kinds == [
        ("delivered", ["away-000001", "away-000002"]),
        ("read", ["away-000001"]),
        ("conversation_read", ["away-000002"]),
    ]
    assert events[2]["from"] == "bob" and events[2]["read_upto"] == 2


async def test_server_restart_mid_conversation_loses_nothing_confirmed(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    confirmed = []
    for n in range(20):
        reply = await send(alice, "bob", f"restart-{n:04d}", need_delivery_ack=True)
        confirmed.append((reply["msg_id"], reply["conv_seq"]))
    await bob.wait_push("message", lambda p: p["message"]["msg_id"] == "restart-0019")
    await bob.request("delivery_ack", msg_ids=[m for m, _ in confirmed[:10]])
    await bob.request("read_ack", msg_ids=[m for m, _ in confirmed[:5]])
    await alice.wait_push("read")
    alice_token, bob_token = alice.token, bob.token
    bob_seen = bob.last_seq

    await harness.restart()

    alice = await harness.resume(alice_token)
    bob = await harness.resume(bob_token, after_seq=bob_seen)
    history = await alice.request("fetch_history", conversation_id="bob", page_size=200)
    stored = [(m["msg_id"], m["conv_seq"]) for m in history["messages"]]
    assert stored == confirmed
    marks = {m["msg_id"]: m for m in history["messages"]}
    assert sum(marks[m]["delivered_at"] is not None for m, _ in confirmed) == 10
    assert sum(marks[m]["read_at"] is not None for m, _ in confirmed) == 5
    conversations = await bob.request("fetch_conversations")
    assert conversations["conversations"][0]["unread_count"] == 15
    # The conversation goes on where it stopped, and nothing replays twice: all
    # bob's device missed is the note of its own read, kept for his other devices.
    assert [e["type"] for e in await bob.sync()] == ["self_read"]
    assert await bob.sync() == []
    await send(alice, "bob", "restart-0020")
    live = await bob.wait_push("message")
    assert live["message"]["conv_seq"] == 21
    assert harness.store.check_invariants() == []


@pytest.mark.sqlite_only
async def test_read_only_storage_refuses_writes_keeps_reads_and_recovers(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    await send(alice, "bob", "before-00001")
    harness.store._db.execute("PRAGMA query_only = 1")  # SQLite itself refuses writes now
    refused = await alice.call(
        "send", msg_id="during-00001", chat_type="chat", to="bob", body=text_body("x")
    )
    assert refused["type"] == "error" and refused["code"] == "STORAGE_UNAVAILABLE"
    assert "try again" in refused["message"]
    history = await alice.request("fetch_history", conversation_id="bob")
    assert [m["msg_id"] for m in history["messages"]] == ["before-00001"]
    harness.store._db.execute("PRAGMA query_only = 0")
    await send(alice, "bob", "during-00001")
    pushed = await bob.wait_push("message", lambda p: p["message"]["msg_id"] == "during-00001")
    assert pushed["message"]["conv_seq"] == 2


@pytest.mark.sqlite_only
async def test_confirmed_means_committed(harness):
    """A send_ok is only sent once the message is in the database file on disk."""
    await harness.start()
    alice = await harness.device("alice")
    await harness.device("bob")
    await send(alice, "bob", "commit-00001")
    # A second, independent connection to the file sees it: it was committed.
    with sqlite3.connect(harness.config.db_path) as other:
        rows = other.execute("SELECT msg_id FROM messages").fetchall()
    assert rows == [("commit-00001",)]
