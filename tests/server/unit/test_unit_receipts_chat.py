"""The receipt rules of one-to-one messages, through the real Service with no socket:
delivery and read marks only move forward and each is told to the sender once; a read
implies delivery; `need_delivery_ack` and `need_read_ack` switch each receipt off (a
read then still counts as read, without a receipt), and a message read without a
receipt is never receipted later; a batch ack applies its valid ids and lists the
refused ones; reading lowers the unread count once and tells the reader's other
devices, never the reading one; a conversation read resets the unread count up to
the reader's bound, which never moves back."""

from __future__ import annotations

from inproc import InProcess

from desktop_chat.protocol import Mark
from desktop_chat.protocol import frames as f


async def pair(server: InProcess):
    """alice, and bob on two devices (phone and laptop), all live."""
    return await server.device("alice"), await server.device("bob"), await server.device("bob")


def mark_of(server: InProcess, msg_id: str) -> tuple[Mark, int | None, int | None]:
    message = server.store.message(msg_id)
    assert message is not None
    return Mark(message.mark), message.delivered_at, message.read_at


async def test_delivery_and_read_marks_only_move_forward_and_are_told_once(server):
    alice, phone, laptop = await pair(server)
    await alice.send_chat("bob", "forward-001", need_delivery_ack=True)
    alice.take()
    delivered_at = server.now = server.now + 1000
    assert (await phone.request("delivery_ack", msg_ids=["forward-001"])).applied == ["forward-001"]
    (push,) = alice.take()
    assert isinstance(push, f.DeliveredPush)
    assert (push.msg_ids, push.by, push.conversation_id, push.time) == (
        ["forward-001"],
        "bob",
        "bob",
        delivered_at,
    )
    assert mark_of(server, "forward-001") == (Mark.DELIVERED, delivered_at, None)
    # The laptop's copy is delivered too: applied, nothing moves, nobody is told.
    server.now += 1000
    assert (await laptop.request("delivery_ack", msg_ids=["forward-001"])).applied == [
        "forward-001"
    ]
    assert alice.take() == []
    read_at = server.now = server.now + 1000
    await phone.request("read_ack", msg_ids=["forward-001"])
    (read,) = alice.take()
    assert isinstance(read, f.ReadPush) and read.msg_ids == ["forward-001"]
    assert mark_of(server, "forward-001") == (Mark.READ, delivered_at, read_at)
    # Late acks of either kind: applied, no step back, no second receipt.
    server.now += 1000
    await laptop.request("delivery_ack", msg_ids=["forward-001"])
    await laptop.request("read_ack", msg_ids=["forward-001"])
    assert alice.take() == []
    assert mark_of(server, "forward-001") == (Mark.READ, delivered_at, read_at)
    assert server.unread("bob", "alice") == 0


async def test_a_read_implies_delivery(server):
    alice, phone, _ = await pair(server)
    await alice.send_chat("bob", "implied-001", need_delivery_ack=True)
    alice.take()
    server.now += 500
    await phone.request("read_ack", msg_ids=["implied-001"])
    assert [type(p) for p in alice.take()] == [f.ReadPush]
    assert mark_of(server, "implied-001") == (Mark.READ, server.now, server.now)
    await phone.request("delivery_ack", msg_ids=["implied-001"])
    assert alice.take() == []


async def test_a_delivery_ack_the_sender_did_not_ask_for_is_refused_the_rest_applied(server):
    alice, phone, _ = await pair(server)
    await alice.send_chat("bob", "unasked-01", need_delivery_ack=False)
    await alice.send_chat("bob", "asked-0001", need_delivery_ack=True)
    alice.take()
    reply = await phone.call("delivery_ack", msg_ids=["unasked-01", "asked-0001"])
    assert isinstance(reply, f.Error) and reply.code == "ACK_NOT_REQUESTED"
    assert reply.details["applied"] == ["asked-0001"]
    assert [r["msg_id"] for r in reply.details["rejected"]] == ["unasked-01"]
    (push,) = alice.take()
    assert push.msg_ids == ["asked-0001"]
    assert mark_of(server, "unasked-01")[0] == Mark.SENT


async def test_without_need_read_ack_a_read_counts_but_sends_no_receipt(server):
    alice, phone, laptop = await pair(server)
    await alice.send_chat("bob", "quiet-0001", need_read_ack=False)
    alice.take()
    laptop.take()
    assert server.unread("bob", "alice") == 1
    await phone.request("read_ack", msg_ids=["quiet-0001"])
    assert alice.take() == []
    assert mark_of(server, "quiet-0001") == (Mark.SENT, None, None)
    assert server.unread("bob", "alice") == 0
    (told,) = laptop.take()
    assert isinstance(told, f.SelfReadPush) and told.unread_count == 0


async def test_a_message_read_without_a_receipt_is_never_receipted_later(server):
    alice, phone, laptop = await pair(server)
    await alice.send_chat("bob", "private-01")
    await alice.send_chat("bob", "private-02")
    alice.take()
    await phone.request("read_ack", msg_ids=["private-01"], notify=False)
    assert alice.take() == []
    assert server.unread("bob", "alice") == 1
    await laptop.request("read_ack", msg_ids=["private-01"], notify=True)
    assert alice.take() == []
    # A conversation read receipts only the first reads it makes.
    await laptop.request("conversation_read_ack", conversation_id="alice", notify=True)
    (push,) = alice.take()
    assert isinstance(push, f.ConversationReadPush) and push.msg_ids == ["private-02"]
    assert mark_of(server, "private-01")[0] == Mark.SENT


async def test_a_read_ack_batch_applies_its_valid_ids_and_lists_the_refused(server):
    alice, phone, _ = await pair(server)
    await alice.send_chat("bob", "valid-0001")
    await phone.send_chat("alice", "mine-00001")
    await alice.send_chat("bob", "recalled-1")
    await alice.request("recall", msg_id="recalled-1")
    alice.take()
    ids = ["valid-0001", "missing-01", "mine-00001", "recalled-1", "valid-0001"]
    reply = await phone.call("read_ack", msg_ids=ids)
    assert isinstance(reply, f.Error)
    assert reply.details["applied"] == ["valid-0001"]
    assert [(r["msg_id"], r["code"]) for r in reply.details["rejected"]] == [
        ("missing-01", "MESSAGE_NOT_FOUND"),
        ("mine-00001", "CANNOT_ACK_OWN_MESSAGE"),
        ("recalled-1", "MESSAGE_RECALLED"),
    ]
    assert reply.message.startswith("3 of 4 acks were refused")
    (push,) = alice.take()
    assert push.msg_ids == ["valid-0001"]
    assert mark_of(server, "valid-0001")[0] == Mark.READ


async def test_reading_lowers_the_unread_count_once_and_tells_the_other_devices(server):
    alice, phone, laptop = await pair(server)
    for n in range(3):
        await alice.send_chat("bob", f"counted-{n:03d}")
    phone.take()
    laptop.take()
    assert server.unread("bob", "alice") == 3
    await phone.request("read_ack", msg_ids=["counted-000", "counted-001"])
    assert phone.pushes() == [], "the reading device is not told what it did"
    (told,) = laptop.take()
    assert isinstance(told, f.SelfReadPush)
    assert (told.conversation_id, told.msg_ids, told.unread_count) == (
        "alice",
        ["counted-000", "counted-001"],
        1,
    )
    await laptop.request("read_ack", msg_ids=["counted-001"])
    assert phone.pushes() == [] and server.unread("bob", "alice") == 1


async def test_a_conversation_read_resets_unread_and_tells_the_other_devices(server):
    alice, phone, laptop = await pair(server)
    await alice.send_chat("bob", "conv-00001")
    await alice.send_chat("bob", "conv-00002", need_read_ack=False)
    await alice.send_chat("bob", "conv-00003")
    for device in (alice, phone, laptop):
        device.take()
    server.now += 700
    reply = await phone.request("conversation_read_ack", conversation_id="alice")
    assert (reply.read_upto, reply.unread_count) == (3, 0)
    assert server.unread("bob", "alice") == 0
    assert phone.pushes() == []
    (mine,) = laptop.take()
    assert isinstance(mine, f.ConversationReadPush)
    assert (mine.from_, mine.to, mine.conversation_id) == ("bob", "alice", "alice")
    assert (mine.read_upto, mine.unread_count, mine.time) == (3, 0, server.now)
    (theirs,) = alice.take()
    assert (theirs.conversation_id, theirs.msg_ids) == ("bob", ["conv-00001", "conv-00003"])
    assert [mark_of(server, f"conv-0000{n}")[0] for n in (1, 2, 3)] == [
        Mark.READ,
        Mark.SENT,
        Mark.READ,
    ]


async def test_a_conversation_read_stops_at_the_readers_bound_which_never_moves_back(server):
    alice, phone, laptop = await pair(server)
    for n in range(1, 4):
        await alice.send_chat("bob", f"bound-0000{n}")
    alice.take()
    reply = await phone.request("conversation_read_ack", conversation_id="alice", read_upto=2)
    assert (reply.read_upto, reply.unread_count) == (2, 1)
    (push,) = alice.take()
    assert push.msg_ids == ["bound-00001", "bound-00002"]
    assert mark_of(server, "bound-00003")[0] == Mark.SENT
    # An older bound (a device that looked earlier) moves nothing back.
    laptop.take()
    back = await laptop.request("conversation_read_ack", conversation_id="alice", read_upto=1)
    assert (back.read_upto, back.unread_count) == (2, 1)
    assert alice.take() == []
    # A bound past the newest message stops at it: a message sent later stays unread.
    ahead = await laptop.request("conversation_read_ack", conversation_id="alice", read_upto=99)
    assert (ahead.read_upto, ahead.unread_count) == (3, 0)
    await alice.send_chat("bob", "bound-00004")
    assert server.unread("bob", "alice") == 1


async def test_a_conversation_without_messages_reads_as_empty(server):
    await server.device("alice")
    bob = await server.device("bob")
    reply = await bob.request("conversation_read_ack", conversation_id="alice")
    assert (reply.read_upto, reply.unread_count) == (0, 0)
    assert server.committed("SELECT COUNT(*) FROM events") == [(0,)]
    assert (await bob.call("conversation_read_ack", conversation_id="nobody")).code == (
        "USER_NOT_FOUND"
    )
