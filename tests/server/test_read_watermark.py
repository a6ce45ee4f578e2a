"""A read is a watermark: a conversation ack names the last message the reader saw
(its conv_seq), and the server marks nothing after it; what was read with read
receipts off is never receipted later (RECEIPTS.md §5, §8)."""

from __future__ import annotations

from desktop_chat.wire_client import WireClient, text_body


async def send(client: WireClient, to: str, msg_id: str, chat_type: str = "chat") -> dict:
    return await client.request(
        "send", msg_id=msg_id, chat_type=chat_type, to=to, body=text_body(msg_id)
    )


async def sent_to_bob(alice: WireClient, bob: WireClient, count: int, prefix: str) -> list[str]:
    ids = [f"{prefix}-{n:06d}" for n in range(1, count + 1)]
    for msg_id in ids:
        await send(alice, "bob", msg_id)
    await bob.wait_push("message", lambda p: p["message"]["msg_id"] == ids[-1])
    return ids


def read_marks(history: dict[str, dict]) -> dict[str, bool]:
    return {msg_id: m["read_at"] is not None for msg_id, m in history.items()}


async def test_a_bounded_conversation_ack_reads_nothing_after_its_bound(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    bob_laptop = await harness.device("bob")
    ids = await sent_to_bob(alice, bob, 5, "wm")
    # bob saw the first three (conv_seq 1..3); two more had reached the server.
    reply = await bob.request("conversation_read_ack", conversation_id="alice", read_upto=3)
    assert (reply["read_upto"], reply["unread_count"]) == (3, 2)
    assert read_marks(await alice.history_by_id("bob")) == {
        ids[0]: True,
        ids[1]: True,
        ids[2]: True,
        ids[3]: False,
        ids[4]: False,
    }
    push = await alice.wait_push("conversation_read")
    assert push["read_upto"] == 3 and push["msg_ids"] == ids[:3]
    mine = await bob_laptop.wait_push("conversation_read")
    assert (mine["read_upto"], mine["unread_count"]) == (3, 2)
    assert await bob.unread_count("alice") == 2
    # Reading on to the newest covers the rest, once.
    reply = await bob.request("conversation_read_ack", conversation_id="alice", read_upto=5)
    assert (reply["read_upto"], reply["unread_count"]) == (5, 0)
    push = await alice.wait_push("conversation_read", lambda p: p["read_upto"] == 5)
    assert push["msg_ids"] == ids[3:]


async def test_a_bound_never_moves_back_nor_past_the_newest_message(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    await sent_to_bob(alice, bob, 3, "bk")
    assert (await bob.request("conversation_read_ack", conversation_id="alice", read_upto=2))[
        "read_upto"
    ] == 2
    older = await bob.request("conversation_read_ack", conversation_id="alice", read_upto=1)
    assert (older["read_upto"], older["unread_count"]) == (2, 1)
    beyond = await bob.request("conversation_read_ack", conversation_id="alice", read_upto=99)
    assert (beyond["read_upto"], beyond["unread_count"]) == (3, 0)
    # A message sent after that is not covered by the bound of 99.
    await send(alice, "bob", "bk-late-0001")
    await bob.wait_push("message", lambda p: p["message"]["msg_id"] == "bk-late-0001")
    assert (await alice.history_by_id("bob"))["bk-late-0001"]["read_at"] is None
    assert await bob.unread_count("alice") == 1


async def test_an_unbounded_conversation_ack_keeps_its_old_meaning(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    ids = await sent_to_bob(alice, bob, 3, "old")
    reply = await bob.request("conversation_read_ack", conversation_id="alice")
    assert (reply["read_upto"], reply["unread_count"]) == (3, 0)
    assert all(read_marks(await alice.history_by_id("bob")).values())
    push = await alice.wait_push("conversation_read")
    assert push["msg_ids"] == ids


async def test_messages_read_with_receipts_off_are_never_receipted_later(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    ids = await sent_to_bob(alice, bob, 4, "priv")
    # Receipts off: bob reads the first two privately (one by message, one by bound).
    await bob.request("read_ack", msg_ids=[ids[0]], notify=False)
    await bob.request("conversation_read_ack", conversation_id="alice", notify=False, read_upto=2)
    # Receipts back on: he acks the first one again, and reads the whole conversation.
    await bob.request("read_ack", msg_ids=[ids[0]])
    await bob.request("conversation_read_ack", conversation_id="alice")
    assert read_marks(await alice.history_by_id("bob")) == {
        ids[0]: False,
        ids[1]: False,
        ids[2]: True,
        ids[3]: True,
    }
    pushes = alice.pushes_of("conversation_read") + alice.pushes_of("read")
    told = [msg_id for push in pushes for msg_id in push["msg_ids"]]
    assert sorted(told) == ids[2:]
    assert await bob.unread_count("alice") == 0


async def test_a_group_conversation_ack_counts_unread_after_its_bound(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    bob_laptop = await harness.device("bob")
    group = await alice.request("create_group", name="Team", members=["bob"])
    group_id = group["group"]["group_id"]
    for n in range(1, 5):
        await send(alice, group_id, f"grp-{n:06d}", chat_type="groupchat")
    await bob.wait_push("message", lambda p: p["message"]["msg_id"] == "grp-000004")
    assert await bob.unread_count(group_id) == 4
    first_seq = (await bob.history_by_id(group_id))["grp-000002"]["conv_seq"]
    reply = await bob.request(
        "conversation_read_ack", conversation_id=group_id, read_upto=first_seq
    )
    assert reply["unread_count"] == 2
    mine = await bob_laptop.wait_push("conversation_read")
    assert (mine["read_upto"], mine["unread_count"]) == (first_seq, 2)
    assert await bob.unread_count(group_id) == 2


async def test_the_read_position_survives_a_server_restart(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    await sent_to_bob(alice, bob, 4, "rs")
    await bob.request("conversation_read_ack", conversation_id="alice", read_upto=2)
    token = bob.token
    await harness.restart()
    back = await harness.resume(token)
    assert await back.unread_count("alice") == 2
    # A bound below the kept position changes nothing; the next one moves it on.
    again = await back.request("conversation_read_ack", conversation_id="alice", read_upto=1)
    assert (again["read_upto"], again["unread_count"]) == (2, 2)
    on = await back.request("conversation_read_ack", conversation_id="alice", read_upto=3)
    assert (on["read_upto"], on["unread_count"]) == (3, 1)
