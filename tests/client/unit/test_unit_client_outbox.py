"""The client's outbox sender (`client/outbox.py`) with a recording wire, no socket:
what it sends, in which frames, and when an entry leaves. Messages go one frame each
in the order they were written; delivery and read acks queued together go out in
batches of at most the server's `max_ack_batch`, a private read apart from receipted
ones; an entry leaves only once the server answered it; a transient failure keeps it
(the sender's own task tries again, and tells the app once per outage), a refusal
for good fails the message or is told through `on_error`; and what was queued is
still there, in order, after the app restarts on the same local store."""

from __future__ import annotations

import msgspec
import pytest
from canned import Device, message

from desktop_chat.client import outbox
from desktop_chat.client.errors import ChatError, ChatErrorCode
from desktop_chat.client.models import ChatMessage, ChatType, MessageStatus
from desktop_chat.protocol import Mark
from desktop_chat.protocol import frames as f


def refusal(code: str, **details) -> f.Error:
    return f.Error(id="r", code=code, message=f"refused: {code}", details=details or None)


async def queued_offline(device: Device, *texts: str, to: str = "bob") -> list[ChatMessage]:
    """Messages sent while offline: each stays pending, in the outbox."""
    device.options.send_timeout_seconds = 0
    sent = [await device.chat.send_message(ChatMessage.text(to, text)) for text in texts]
    assert [m.mark for m in sent] == [Mark.PENDING] * len(texts)
    return sent


def received(device: Device, count: int, start: int = 1, **fields) -> list[str]:
    """`count` messages from bob, each asking for delivery and read receipts."""
    ids = [f"in-{seq:07d}" for seq in range(start, start + count)]
    device.apply(
        *(
            message(seq, msg_id, need_delivery_ack=True, need_read_ack=True, **fields)
            for seq, msg_id in zip(range(start, start + count), ids, strict=True)
        )
    )
    return ids


async def test_messages_go_in_order_one_frame_each_and_acks_in_batches_the_server_takes(device):
    device.limits = msgspec.structs.replace(device.limits, max_ack_batch=3)
    ids = received(device, 7)
    one, two = await queued_offline(device, "one", "two")
    device.chat.mark_read("bob", None, seen=ids[:4])
    await device.outbox.drain()
    assert device.wire.sent() == [
        ("delivery_ack", ids[0:3]),
        ("delivery_ack", ids[3:6]),
        ("delivery_ack", ids[6:7]),
        ("send", one.msg_id),
        ("send", two.msg_id),
        ("read_ack", ids[0:3]),
        ("read_ack", ids[3:4]),
    ]
    assert device.store.outbox_size() == 0
    confirmed = [device.message(m.msg_id) for m in (one, two)]
    assert [(m.mark, m.conv_seq) for m in confirmed] == [(Mark.SENT, 1), (Mark.SENT, 2)]
    assert [(m.deliver_ack_sent, m.read_ack_sent) for m in device.store.messages(ids)] == [
        (True, True)
    ] * 4 + [(True, False)] * 3
    device.notifier.flush()
    assert [m.msg_id for (m,) in device.calls.of("on_message_status_changed")][-2:] == [
        one.msg_id,
        two.msg_id,
    ]


async def test_a_private_read_goes_in_a_frame_of_its_own_and_is_no_receipt(device):
    asked = received(device, 2)
    private = [f"in-{seq:07d}" for seq in (3, 4)]
    device.apply(*(message(seq, msg_id) for seq, msg_id in zip((3, 4), private, strict=True)))
    device.store.outbox_remove([e.id for e in device.store.outbox()])  # no delivery acks here
    device.chat.mark_read("bob", None, seen=[asked[0], private[0], asked[1], private[1]])
    await device.outbox.drain()
    frames = device.wire.take()
    assert [(type(x), list(x.msg_ids), x.notify) for x in frames] == [
        (f.ReadAck, asked, True),
        (f.ReadAck, private, False),
    ]
    sent = {m.msg_id: m.read_ack_sent for m in device.store.messages(asked + private)}
    assert sent == {asked[0]: True, asked[1]: True, private[0]: False, private[1]: False}


async def test_a_transient_failure_keeps_the_entry_and_the_sender_tries_again(device, monkeypatch):
    monkeypatch.setattr(outbox, "RETRY_SECONDS", 0)  # the retry's delay, not its rule
    (pending,) = await queued_offline(device, "hello")
    device.wire.script.append(ChatError(ChatErrorCode.NETWORK_ERROR, "connection lost"))
    with pytest.raises(ChatError):
        await device.outbox.drain()
    assert [e.key for e in device.store.outbox()] == [pending.msg_id]
    assert device.message(pending.msg_id).mark is Mark.PENDING
    # Live again; the server is busy twice, then takes it. The sender's own task retries.
    device.wire.script.extend([refusal("SERVER_BUSY"), refusal("SERVER_BUSY")])
    device.wire.connected = True
    waiter = device.outbox.waiter("send", pending.msg_id)
    device.outbox.kick(delay=False)
    confirmed = await waiter
    assert confirmed.mark is Mark.SENT and device.message(pending.msg_id).mark is Mark.SENT
    assert device.wire.sent() == [("send", pending.msg_id)] * 4  # one msg_id: harmless
    assert device.store.outbox_size() == 0
    assert [e.code for e in device.errors] == [ChatErrorCode.SERVER_BUSY]  # once an outage


async def test_a_send_refused_for_good_fails_the_message_until_it_is_resent(device):
    device.wire.connected = True
    device.wire.script.append(refusal("USER_NOT_FOUND"))
    draft = ChatMessage.text("nobody", "anyone there?")
    with pytest.raises(ChatError) as refused:
        await device.chat.send_message(draft)
    assert refused.value.code is ChatErrorCode.USER_NOT_FOUND
    failed = device.message(draft.msg_id)
    assert (failed.mark, failed.status) == (Mark.FAILED, MessageStatus.FAIL)
    assert device.store.outbox_size() == 0
    assert device.errors == []  # the caller was told, by the raise
    device.notifier.flush()
    assert [m.mark for (m,) in device.calls.of("on_message_status_changed")] == [
        Mark.PENDING,
        Mark.FAILED,
    ]
    resent = await device.chat.resend_message(draft.msg_id)
    assert resent.mark is Mark.SENT
    assert device.wire.sent() == [("send", draft.msg_id)] * 2


async def test_acks_refused_for_good_leave_the_outbox_and_only_unexplained_ones_are_told(
    device,
):
    ids = received(device, 2)
    device.apply(
        message(3, "group-0003", to="123", chat_type="groupchat", need_group_ack=True),
    )
    device.wire.script.extend(
        [
            refusal("MESSAGE_EXPIRED", rejected=[ids[0]]),  # delivery acks: one id refused
            refusal("NOT_GROUP_MEMBER"),  # the group read ack: nobody waits for it
        ]
    )
    device.store.outbox_remove([e.id for e in device.store.outbox() if e.key == "group-0003"])
    device.chat.mark_read("123", None, seen=["group-0003"])
    await device.outbox.drain()
    assert device.wire.sent() == [("delivery_ack", ids), ("group_read_ack", "group-0003")]
    assert device.store.outbox_size() == 0
    assert [e.code for e in device.errors] == [ChatErrorCode.NOT_GROUP_MEMBER]


async def test_what_was_queued_survives_a_restart_and_goes_out_in_order(device):
    ids = received(device, 2)
    (first, second) = await queued_offline(device, "one", "two")
    device.chat.mark_read("bob", 2)  # the watermark: a conversation ack
    # The connection drops after the delivery acks went out.
    device.wire.script.extend([None, ChatError(ChatErrorCode.NETWORK_ERROR, "lost")])
    with pytest.raises(ChatError):
        await device.outbox.drain()
    waiter = device.outbox.waiter("send", first.msg_id)
    device.restart()  # the app quits
    with pytest.raises(ChatError) as closed:
        await waiter
    assert closed.value.code is ChatErrorCode.CLIENT_CLOSED
    assert [e.kind for e in device.store.outbox()] == ["send", "send", "conversation_read_ack"]
    await device.outbox.drain()
    assert device.wire.sent() == [
        ("delivery_ack", ids),
        ("send", first.msg_id),  # the try that was lost
        ("send", first.msg_id),
        ("send", second.msg_id),
        ("conversation_read_ack", ("bob", 2, True)),
    ]
    assert device.store.outbox_size() == 0
    assert [device.message(m.msg_id).mark for m in (first, second)] == [Mark.SENT] * 2


async def test_a_group_message_is_sent_with_the_acks_it_asks_for(device):
    device.wire.connected = True
    device.options.require_delivery_ack = True
    group = ChatMessage.text("123", "meeting at 3", chat_type=ChatType.GROUP_CHAT)
    group.need_group_ack = True
    await device.chat.send_message(group)
    chat = await device.chat.send_message(ChatMessage.text("bob", "hi"))
    frames = device.wire.take()
    assert [(x.to, x.need_delivery_ack, x.need_read_ack, x.need_group_ack) for x in frames] == [
        ("123", False, True, True),
        ("bob", True, True, False),
    ]
    assert chat.mark is Mark.SENT
