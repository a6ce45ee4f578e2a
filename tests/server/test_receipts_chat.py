"""One-to-one receipts end to end: delivery acks, message and conversation read acks,
read-state sync across a user's devices, and the privacy switch (notify=false)."""

from __future__ import annotations

import asyncio

import pytest

from desktop_chat.wire_client import WireClient, text_body


async def send(client: WireClient, to: str, msg_id: str, **flags) -> dict:
    return await client.request(
        "send", msg_id=msg_id, chat_type="chat", to=to, body=text_body(msg_id), **flags
    )


async def barrier(sender: WireClient, receiver: WireClient, msg_id: str) -> None:
    """Send a marker message and wait for it, so every earlier push has arrived."""
    await send(sender, receiver.username or "", msg_id)
    await receiver.wait_push("message", lambda p: p["message"]["msg_id"] == msg_id)


async def test_first_device_to_store_counts_for_delivery(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob_phone = await harness.device("bob")
    bob_laptop = await harness.device("bob")
    await send(alice, "bob", "deliver-0001", need_delivery_ack=True)
    for device in (bob_phone, bob_laptop):
        await device.wait_push("message")
    first = await bob_phone.request("delivery_ack", msg_ids=["deliver-0001"])
    second = await bob_laptop.request("delivery_ack", msg_ids=["deliver-0001"])
    assert first["applied"] == ["deliver-0001"] and second["applied"] == ["deliver-0001"]
    delivered = await alice.wait_push("delivered")
    assert delivered["msg_ids"] == ["deliver-0001"] and delivered["conversation_id"] == "bob"
    await barrier(bob_phone, alice, "marker-00001")
    assert len(alice.pushes_of("delivered")) == 1
    marks = (await alice.history_by_id("bob"))["deliver-0001"]
    assert marks["delivered_at"] is not None and marks["read_at"] is None


async def test_message_read_ack_reaches_sender_and_syncs_readers_devices(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob_phone = await harness.device("bob")
    bob_laptop = await harness.device("bob")
    ids = ["read-000001", "read-000002", "read-000003"]
    for msg_id in ids:
        await send(alice, "bob", msg_id)
    assert await bob_laptop.unread_count("alice") == 3
    await bob_phone.request("read_ack", msg_ids=ids[:2])
    read = await alice.wait_push("read")
    assert read["msg_ids"] == ids[:2] and read["by"] == "bob"
    synced = await bob_laptop.wait_push("self_read")
    assert synced["msg_ids"] == ids[:2] and synced["unread_count"] == 1
    assert synced["conversation_id"] == "alice"
    assert await bob_phone.unread_count("alice") == 1
    assert await bob_laptop.unread_count("alice") == 1
    # The device that acked is told by its reply, not by a push.
    assert bob_phone.pushes_of("self_read") == []
    marks = await alice.history_by_id("bob")
    assert [marks[i]["read_at"] is not None for i in ids] == [True, True, False]


async def test_conversation_read_ack_reads_everything_and_resets_unread(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob_phone = await harness.device("bob")
    bob_laptop = await harness.device("bob")
    ids = [f"conv-{n:07d}" for n in range(5)]
    for msg_id in ids:
        await send(alice, "bob", msg_id)
    reply = await bob_phone.request("conversation_read_ack", conversation_id="alice")
    assert reply["unread_count"] == 0 and reply["read_upto"] == 5
    peer = await alice.wait_push("conversation_read")
    assert (peer["from"], peer["to"], peer["conversation_id"]) == ("bob", "alice", "bob")
    assert peer["read_upto"] == 5
    own = await bob_laptop.wait_push("conversation_read")
    assert (own["from"], own["to"], own["conversation_id"]) == ("bob", "alice", "alice")
    assert own["unread_count"] == 0
    assert await bob_phone.unread_count("alice") == 0
    assert await bob_laptop.unread_count("alice") == 0
    marks = await alice.history_by_id("bob")
    assert all(marks[i]["read_at"] is not None for i in ids)
    assert all(marks[i]["delivered_at"] is not None for i in ids)
    # Acking again changes nothing and tells the peer nothing new.
    await bob_phone.request("conversation_read_ack", conversation_id="alice")
    await barrier(bob_phone, alice, "marker-00002")
    assert len(alice.pushes_of("conversation_read")) == 1


async def test_alice_own_messages_do_not_count_in_her_unread(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    await send(alice, "bob", "own-0000001")
    await send(bob, "alice", "own-0000002")
    assert await alice.unread_count("bob") == 1
    assert await bob.unread_count("alice") == 1


async def test_read_implies_delivered_and_late_delivery_changes_nothing(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    await send(alice, "bob", "late-000001", need_delivery_ack=True)
    await bob.request("read_ack", msg_ids=["late-000001"])
    await alice.wait_push("read")
    late = await bob.request("delivery_ack", msg_ids=["late-000001"])
    assert late["applied"] == ["late-000001"]
    again = await bob.request("read_ack", msg_ids=["late-000001"])
    assert again["applied"] == ["late-000001"]
    await barrier(bob, alice, "marker-00003")
    assert alice.pushes_of("delivered") == []
    assert len(alice.pushes_of("read")) == 1
    marks = (await alice.history_by_id("bob"))["late-000001"]
    assert marks["delivered_at"] is not None and marks["read_at"] is not None


async def test_private_read_syncs_own_devices_but_tells_the_sender_nothing(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob_phone = await harness.device("bob")
    bob_laptop = await harness.device("bob")
    await send(alice, "bob", "priv-000001")
    await send(alice, "bob", "priv-000002")
    await bob_phone.request("read_ack", msg_ids=["priv-000001"], notify=False)
    synced = await bob_laptop.wait_push("self_read")
    assert synced["unread_count"] == 1
    await bob_phone.request("conversation_read_ack", conversation_id="alice", notify=False)
    await bob_laptop.wait_push("conversation_read")
    await barrier(bob_phone, alice, "marker-00004")
    assert alice.pushes_of("read") == [] and alice.pushes_of("conversation_read") == []
    marks = await alice.history_by_id("bob")
    assert marks["priv-000001"]["read_at"] is None and marks["priv-000002"]["read_at"] is None
    assert await bob_laptop.unread_count("alice") == 0


async def test_sender_that_asked_for_no_read_acks_gets_none(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    await send(alice, "bob", "noack-00001", need_read_ack=False)
    await bob.request("read_ack", msg_ids=["noack-00001"])
    await bob.request("conversation_read_ack", conversation_id="alice")
    await barrier(bob, alice, "marker-00005")
    assert alice.pushes_of("read") == [] and alice.pushes_of("conversation_read") == []
    assert await bob.unread_count("alice") == 0


async def test_senders_other_devices_get_the_sent_message(harness):
    await harness.start()
    alice_phone = await harness.device("alice")
    alice_laptop = await harness.device("alice")
    await harness.device("bob")
    await send(alice_phone, "bob", "copy-000001")
    copy = await alice_laptop.wait_push("message")
    assert copy["message"]["from"] == "alice" and copy["message"]["to"] == "bob"
    # The sending device was answered by send_ok; it finds the copy in its log.
    assert alice_phone.pushes_of("message") == []
    events = await alice_phone.sync(after_seq=0)
    assert [e["message"]["msg_id"] for e in events if e["type"] == "message"] == ["copy-000001"]


async def test_sync_pages_the_log_in_order_without_gaps(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob", sync=False)
    for n in range(30):
        await send(alice, "bob", f"page-{n:07d}")
    seqs = []
    after = 0
    while True:
        reply = await bob.request("sync", after_seq=after, limit=7)
        seqs += [event["seq"] for event in reply["events"]]
        after = reply["last_seq"]
        if not reply["more"]:
            break
    assert seqs == list(range(1, 31))
    # Live now: the next message arrives as a push with the next seq.
    await send(alice, "bob", "page-live001")
    live = await bob.wait_push("message")
    assert live["seq"] == 31


async def test_no_gap_and_no_duplicate_between_sync_and_live_pushes(harness):
    """Messages sent while a device syncs arrive exactly once, in seq order."""
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob", sync=False)

    async def flood() -> None:
        for n in range(60):
            await send(alice, "bob", f"race-{n:07d}")

    sender = asyncio.create_task(flood())
    events = await bob.sync(after_seq=0)
    await sender
    await bob.wait_push("message", lambda p: p["message"]["msg_id"] == "race-0000059")
    seen = [e["seq"] for e in events] + [p["seq"] for p in bob.pushes_of("message")]
    assert seen == list(range(1, 61))


@pytest.mark.parametrize("count", [1, 200])
async def test_batched_read_acks_go_in_one_frame(harness, count):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    ids = [f"batch-{n:06d}" for n in range(count)]
    for msg_id in ids:
        await send(alice, "bob", msg_id)
    sent_before = bob.frames_sent
    await bob.request("read_ack", msg_ids=ids)
    assert bob.frames_sent - sent_before == 1
    read = await alice.wait_push("read")
    assert read["msg_ids"] == ids
    assert await bob.unread_count("alice") == 0
