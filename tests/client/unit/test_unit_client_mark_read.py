"""`ChatManager.mark_read` on a device with no socket (a stand-in of the client core
made of the device's real store, outbox and notifier, `canned.Core`), read back as
the frames its outbox then sends: a watermark never claims more than this device
received; messages seen above it are acked one by one, once; what is read already,
by the watermark or before, is never acked again; with read receipts off every read
is private (its conversation ack kept apart from receipted ones) and no group ack
goes out; a group message is acked only when it asked, and its ack lowers this
device's badge as the server lowers the others'. The end-to-end cases (commit
counts, a real server's view) are in tests/client/test_client_mark_read.py."""

from __future__ import annotations

from canned import Device, message


def conversation(device: Device, count: int, peer: str = "bob", **fields) -> list[str]:
    """`count` messages from `peer` that ask for read receipts; no delivery acks."""
    device.options.require_delivery_ack = False
    ids = [f"{peer}-{seq:06d}" for seq in range(1, count + 1)]
    start = device.store.last_seq
    device.apply(
        *(
            message(start + seq, msg_id, from_=peer, conv_seq=seq, need_read_ack=True, **fields)
            for seq, msg_id in enumerate(ids, 1)
        )
    )
    device.calls.take()
    return ids


async def test_a_watermark_never_claims_more_than_this_device_received(device):
    ids = conversation(device, 3)
    read = device.chat.mark_read("bob", 99)  # the view's bound: past what arrived
    assert [m.msg_id for m in read] == ids
    assert device.store.unread_count("bob") == 0
    device.notifier.flush()
    assert device.calls.ids("on_messages_marked_read") == [ids]
    assert device.calls.of("on_conversation_updated") == [("bob", 0)]
    await device.outbox.drain()
    assert device.wire.sent() == [("conversation_read_ack", ("bob", 3, True))]
    # A message that arrives later is unread, whatever the earlier bound said.
    device.apply(message(4, "bob-000004", conv_seq=4, need_read_ack=True))
    assert not device.message("bob-000004").recipient_read
    assert device.store.unread_count("bob") == 1


async def test_messages_seen_above_the_watermark_are_acked_one_by_one_and_once(device):
    ids = conversation(device, 4)
    (elsewhere,) = conversation(device, 1, peer="carol")
    read = device.chat.mark_read("bob", 2, seen=[ids[3], elsewhere])
    assert sorted(m.msg_id for m in read) == [ids[0], ids[1], ids[3]]
    assert (
        not device.message(ids[2]).recipient_read and not device.message(elsewhere).recipient_read
    )
    assert device.store.unread_count("bob") == 1
    # Seen again, by the watermark or one by one: read already, nothing more to send.
    assert device.chat.mark_read("bob", None, seen=[ids[3], ids[0]]) == []
    await device.outbox.drain()
    assert device.wire.sent() == [
        ("read_ack", [ids[3]]),
        ("conversation_read_ack", ("bob", 2, True)),
    ]
    assert [m.read_ack_sent for m in device.store.messages(ids)] == [True, True, False, True]


async def test_with_read_receipts_off_a_read_is_private_and_kept_apart(device):
    ids = conversation(device, 3)
    device.options.require_ack = False
    device.chat.mark_read("bob", 1, seen=[ids[2]])
    device.options.require_ack = True
    device.chat.mark_read("bob", 2)
    await device.outbox.drain()
    frames = device.wire.take()
    assert [(x.__struct_config__.tag, x.notify) for x in frames] == [
        ("read_ack", False),
        ("conversation_read_ack", False),
        ("conversation_read_ack", True),
    ]
    assert [getattr(x, "read_upto", None) for x in frames] == [None, 1, 2]
    assert [m.read_ack_sent for m in device.store.messages(ids)] == [False, True, False]
    assert device.store.unread_count("bob") == 0


async def test_a_group_message_is_acked_only_when_it_asked_and_receipts_are_on(device):
    group = {"to": "123", "chat_type": "groupchat"}
    asked, quiet = conversation(device, 2, **group)
    device.apply(message(3, "bob-000003", conv_seq=3, need_group_ack=True, **group))
    device.chat.mark_read("123", None, seen=[asked, quiet])
    await device.outbox.drain()
    assert device.wire.sent() == []  # neither asked for group acks: read with the group
    # (need_read_ack is a one-to-one switch; a group message asks with need_group_ack.)
    device.options.require_ack = False
    device.chat.mark_read("123", None, seen=["bob-000003"])
    await device.outbox.drain()
    assert device.wire.sent() == []
    device.options.require_ack = True
    device.chat.mark_read("123", 3, seen=["bob-000003"])
    await device.outbox.drain()
    assert device.wire.sent() == [
        ("group_read_ack", "bob-000003"),
        ("conversation_read_ack", ("123", 3, True)),
    ]
    assert device.store.unread_count("123") == 0


async def test_a_group_ack_lowers_the_badge_here_as_the_server_does_for_the_others(device):
    """The server counts a group read ack as a read (one fewer unread, `self_read` to
    the reader's other devices, never the acking one): this device's badge drops too."""
    group = {"to": "123", "chat_type": "groupchat"}
    device.options.require_delivery_ack = False
    device.apply(
        message(1, "bob-000001", need_group_ack=True, **group), message(2, "bob-000002", **group)
    )
    assert device.store.unread_count("123") == 2
    device.calls.take()
    assert await device.chat.send_group_message_read_ack("bob-000001", "123", "seen it")
    assert device.store.unread_count("123") == 1
    device.notifier.flush()
    assert device.calls.of("on_conversation_updated") == [("123", 1)]
    # Acked again (read already): the ack may go again, the badge does not move.
    assert await device.chat.send_group_message_read_ack("bob-000001", "123", "seen it")
    assert device.store.unread_count("123") == 1
    await device.outbox.drain()
    (frame,) = device.wire.take()
    assert (frame.group_id, frame.msg_id, frame.content) == ("123", "bob-000001", "seen it")
