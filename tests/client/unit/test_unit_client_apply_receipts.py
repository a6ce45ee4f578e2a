"""The receipts the event applier (`client/apply.py`) takes from canned server pushes,
no socket: delivered, read, conversation_read (from the peer, and from this user's
other devices), self_read, group_read and group_delivered. Marks only move forward
(`protocol.status.advance`: a late delivery after a read changes nothing, a read
implies delivery), each change is told once, a conversation read never marks past
its bound, only our own messages take receipts, group counts only grow; with
`require_ack` off incoming read receipts are ignored (reads on our own devices still
clear the badges), with `require_delivery_ack` off nothing is acked for delivery."""

from __future__ import annotations

from canned import ME, NOW, Device, message, push

from desktop_chat.protocol import Mark


def receipt(kind: str, seq: int, *msg_ids: str, at: int) -> dict:
    return push(kind, seq, conversation_id="bob", msg_ids=list(msg_ids), by="bob", time=at)


def marks(device: Device, *msg_ids: str) -> list[tuple[Mark, int | None, int | None]]:
    return [(m.mark, m.delivered_at, m.read_at) for m in (device.message(i) for i in msg_ids)]


def ours(seq: int, msg_id: str, conv_seq: int = 0, **fields) -> dict:
    """Our message to bob, as the log has it (sent, waiting for receipts)."""
    return message(seq, msg_id, from_=ME, to="bob", conv_seq=conv_seq, need_read_ack=True, **fields)


async def test_marks_only_move_forward_and_each_step_is_told_once(device):
    device.apply(ours(1, "fwd-000001", need_delivery_ack=True), ours(2, "fwd-000002"))
    device.calls.take()
    device.apply(receipt("delivered", 3, "fwd-000001", at=NOW + 10))
    assert marks(device, "fwd-000001") == [(Mark.DELIVERED, NOW + 10, None)]
    assert device.calls.ids("on_messages_delivered") == [["fwd-000001"]]
    device.apply(receipt("read", 4, "fwd-000001", "fwd-000002", at=NOW + 20))
    # A read implies delivery: the second message was never delivered on its own.
    assert marks(device, "fwd-000001", "fwd-000002") == [
        (Mark.READ, NOW + 10, NOW + 20),
        (Mark.READ, NOW + 20, NOW + 20),
    ]
    assert device.calls.ids("on_messages_read") == [["fwd-000001", "fwd-000002"]]
    device.calls.take()
    # Late and duplicate receipts: applied (the seq moves), no step back, nothing told.
    device.apply(
        receipt("delivered", 5, "fwd-000001", "fwd-000002", at=NOW + 30),
        receipt("read", 6, "fwd-000002", at=NOW + 40),
    )
    assert marks(device, "fwd-000001", "fwd-000002") == [
        (Mark.READ, NOW + 10, NOW + 20),
        (Mark.READ, NOW + 20, NOW + 20),
    ]
    assert device.calls.take() == [] and device.store.last_seq == 6


async def test_only_our_own_messages_take_receipts(device):
    device.apply(message(1, "theirs-001", need_read_ack=True))
    device.calls.take()
    device.apply(receipt("read", 2, "theirs-001", "unknown-01", at=NOW + 5))
    assert marks(device, "theirs-001") == [(Mark.SENT, None, None)]
    assert device.calls.take() == []


async def test_a_conversation_read_marks_only_up_to_its_bound(device):
    device.apply(
        ours(1, "conv-00001", conv_seq=1),
        ours(2, "conv-00002", conv_seq=2),
        ours(3, "conv-00003", conv_seq=3),
        message(4, "conv-00004", from_=ME, to="bob", conv_seq=4),  # asked for no receipt
    )
    device.calls.take()
    read = {"from": "bob", "to": ME, "conversation_id": "bob", "time": NOW + 9}
    # A push naming one message past its own bound: the bound wins.
    listed = ["conv-00001", "conv-00002", "conv-00003"]
    device.apply(push("conversation_read", 5, read_upto=2, msg_ids=listed, **read))
    assert [m[0] for m in marks(device, *listed)] == [Mark.READ, Mark.READ, Mark.SENT]
    assert device.calls.take() == [("on_conversation_read", ("bob", ME))]
    # An older server names none: what asked for a read receipt, up to the bound.
    device.apply(push("conversation_read", 6, read_upto=4, **read))
    assert [m[0] for m in marks(device, "conv-00003", "conv-00004")] == [Mark.READ, Mark.SENT]


async def test_reads_on_our_other_devices_clear_the_badge_up_to_their_bound(device):
    device.apply(*(message(seq, f"badge-{seq:04d}") for seq in (1, 2, 3)))
    assert device.store.unread_count("bob") == 3
    device.calls.take()
    read = {"from": ME, "to": "bob", "conversation_id": "bob", "time": NOW + 9}
    device.apply(push("conversation_read", 4, read_upto=2, unread_count=1, **read))
    read_here = [device.message(f"badge-{seq:04d}") for seq in (1, 2, 3)]
    assert [(m.recipient_read, m.read_ack_sent) for m in read_here] == [
        (True, False),
        (True, False),
        (False, False),
    ]
    assert device.store.unread_count("bob") == 1
    assert device.calls.take() == [
        ("on_conversation_read", (ME, "bob")),
        ("on_conversation_updated", ("bob", 1)),
    ]
    self_read = {"conversation_id": "bob", "msg_ids": ["badge-0003"], "unread_count": 0}
    device.apply(push("self_read", 5, **self_read))
    assert device.message("badge-0003").recipient_read
    assert device.store.unread_count("bob") == 0
    assert device.calls.take() == [("on_conversation_updated", ("bob", 0))]
    assert [e.kind for e in device.store.outbox()] == []  # no receipt goes out from here


async def test_group_read_and_delivered_counts_only_grow(device):
    group = {"chat_type": "groupchat", "need_group_ack": True, "group_member_count": 4}
    device.apply(message(1, "group-0001", from_=ME, to="123", **group))
    device.calls.take()

    def ack(reader: str, count: int) -> dict:
        return {
            "message_id": "group-0001",
            "ack_id": f"ack-{reader}",
            "from": reader,
            "content": "ok" if reader == "carol" else None,
            "read_count": count,
            "timestamp": NOW + count,
        }

    device.apply(push("group_read", 2, group_id="123", acks=[ack("bob", 1), ack("carol", 2)]))
    assert device.message("group-0001").group_ack_count == 2
    ((acks,),) = device.calls.of("on_group_message_read")
    assert [(a.from_, a.content, a.read_count) for a in acks] == [
        ("bob", None, 1),
        ("carol", "ok", 2),
    ]
    assert device.calls.names() == [
        "on_group_message_read",
        "on_read_ack_for_group_message_updated",
    ]
    # A push coalesced earlier but logged later carries a lower count: kept at 2.
    device.apply(push("group_read", 3, group_id="123", acks=[ack("dave", 1)]))
    assert device.message("group-0001").group_ack_count == 2
    device.calls.take()
    delivered = {"group_id": "123", "msg_id": "group-0001", "member_count": 4}
    device.apply(push("group_delivered", 4, delivered_count=3, **delivered))
    device.apply(push("group_delivered", 5, delivered_count=2, **delivered))
    assert device.message("group-0001").group_delivered_count == 3
    assert device.calls.ids("on_group_messages_delivered") == [["group-0001"]]


async def test_with_read_receipts_off_incoming_read_receipts_are_ignored(device):
    device.options.require_ack = False
    device.apply(
        ours(1, "off-000001", conv_seq=1),
        message(2, "off-000002", from_=ME, to="123", chat_type="groupchat", need_group_ack=True),
        message(3, "off-000003", conv_seq=3),
    )
    device.calls.take()
    ack = {"message_id": "off-000002", "ack_id": "a1", "from": "bob", "read_count": 1}
    peer = {"from": "bob", "to": ME, "conversation_id": "bob", "time": NOW + 9, "read_upto": 1}
    device.apply(
        receipt("read", 4, "off-000001", at=NOW + 5),
        push("conversation_read", 5, msg_ids=["off-000001"], **peer),
        push("group_read", 6, group_id="123", acks=[{**ack, "timestamp": NOW}]),
    )
    assert device.message("off-000001").mark is Mark.SENT
    assert device.message("off-000002").group_ack_count == 0
    assert device.calls.take() == [] and device.store.last_seq == 6
    # A read on another device of ours is no receipt: the badge still clears.
    mine = {**peer, "from": ME, "to": "bob", "read_upto": 3, "unread_count": 0}
    device.apply(push("conversation_read", 7, **mine))
    assert device.message("off-000003").recipient_read
    assert device.store.unread_count("bob") == 0


async def test_with_delivery_acks_off_nothing_is_acked_or_marked_delivered(device):
    device.options.require_delivery_ack = False
    device.apply(
        message(1, "nodel-0001", need_delivery_ack=True),
        message(2, "nodel-0002", to="123", chat_type="groupchat", need_group_ack=True),
        ours(3, "nodel-0003", need_delivery_ack=True),
        message(4, "nodel-0004", from_=ME, to="123", chat_type="groupchat", need_group_ack=True),
    )
    assert device.store.outbox() == [] and device.flushes_wanted == 0
    device.calls.take()
    delivered = {"group_id": "123", "msg_id": "nodel-0004", "member_count": 3}
    device.apply(
        receipt("delivered", 5, "nodel-0003", at=NOW + 5),
        push("group_delivered", 6, delivered_count=2, **delivered),
    )
    assert device.message("nodel-0003").mark is Mark.SENT
    assert device.message("nodel-0004").group_delivered_count == 0
    assert device.calls.take() == []
    # On, a group message that asked for group acks is acked for delivery too.
    device.options.require_delivery_ack = True
    device.apply(message(7, "nodel-0007", to="123", chat_type="groupchat", need_group_ack=True))
    assert [(e.kind, e.key) for e in device.store.outbox()] == [("delivery_ack", "nodel-0007")]
