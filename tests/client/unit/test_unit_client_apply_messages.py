"""The client's event applier (`client/apply.py`) on canned server pushes, no socket:
messages, copies of our own, recalls, edits, unreadable events and typing. Each
logged event is applied once, in seq order: a replayed seq changes nothing and fires
nothing; the change, its delivery ack in the outbox and the new last seq are
committed together before any callback; a message deleted here stays deleted; a
recall drops the text, the queued ack and the unread count; a BadEvent is told in
its place; typing never moves the seq."""

from __future__ import annotations

import json
import sqlite3

from canned import ME, NOW, Device, info, message, push, read_event

from desktop_chat.client.events import ChatEventHandler
from desktop_chat.client.models import ChatMessage, ChatType, MessageDirection, TextMessageBody
from desktop_chat.protocol import Mark
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.codec import read_server_frame


def committed(device: Device) -> tuple[str | None, int, int]:
    """What another connection to the store's file sees: (last seq, messages, outbox)."""
    db = sqlite3.connect(device.store.path)
    try:
        (seq,) = db.execute("SELECT value FROM settings WHERE key = 'last_seq'").fetchone() or (
            None,
        )
        (messages,) = db.execute("SELECT COUNT(*) FROM messages").fetchone()
        (outbox,) = db.execute("SELECT COUNT(*) FROM outbox").fetchone()
    finally:
        db.close()
    return seq, messages, outbox


async def test_a_message_is_stored_counted_and_acked_in_one_commit_before_callbacks(device):
    seen_at_callback = []
    device.chat_handlers.add(
        "peek",
        ChatEventHandler(on_messages_received=lambda _: seen_at_callback.append(committed(device))),
    )
    device.apply(message(1, "hello-0001", need_delivery_ack=True, need_read_ack=True))
    # The callback already saw the message, its ack and the seq on disk.
    assert seen_at_callback == [("1", 1, 1)]
    stored = device.message("hello-0001")
    assert (stored.direction, stored.conversation_id, stored.recipient_read) == (
        MessageDirection.RECEIVE,
        "bob",
        False,
    )
    assert [(e.kind, e.key) for e in device.store.outbox()] == [("delivery_ack", "hello-0001")]
    assert device.flushes_wanted == 1
    assert device.store.unread_count("bob") == 1
    assert device.calls.take() == [
        ("on_messages_received", ([stored],)),
        ("on_conversation_updated", ("bob", 1)),
    ]
    # The same push again (a replay after a reconnect): nothing changes, nothing fires.
    device.apply(message(1, "hello-0001", need_delivery_ack=True, need_read_ack=True))
    assert device.calls.take() == []
    assert device.store.unread_count("bob") == 1
    assert len(device.store.outbox()) == 1 and device.flushes_wanted == 1


async def test_events_apply_in_seq_order_and_a_seq_at_or_below_the_last_is_skipped(device):
    device.apply(message(1, "order-0001"), message(2, "order-0002"))
    assert device.calls.ids("on_messages_received") == [["order-0001", "order-0002"]]
    device.calls.take()
    # A replayed seq, a jump (the server skips what its replies told us), and an
    # event behind one applied in the same batch.
    device.apply(message(2, "order-0002"), message(5, "order-0005"), message(4, "order-0004"))
    assert device.calls.ids("on_messages_received") == [["order-0005"]]
    assert device.store.last_seq == 5
    assert device.store.message("order-0004") is None
    assert device.store.unread_count("bob") == 3
    assert device.calls.of("on_conversation_updated") == [("bob", 3)]
    # What a replay would tell again (a reminder: a second notification), at the
    # applied seq itself and below it.
    device.calls.take()
    remind = {"group_id": "123", "msg_id": "order-0001", "from": "bob"}
    device.apply(push("group_ack_reminder", 6, **remind))
    device.apply(push("group_ack_reminder", 6, **remind), push("group_ack_reminder", 3, **remind))
    assert device.calls.of("on_group_ack_reminder") == [("order-0001", "123", "bob")]


async def test_the_copy_of_our_own_message_confirms_it_once_and_never_moves_a_mark_back(
    device,
):
    pending = ChatMessage(
        msg_id="mine-00001",
        conversation_id="bob",
        from_=ME,
        to="bob",
        chat_type=ChatType.CHAT,
        body=TextMessageBody("hi"),
        local_time=NOW,
    )
    device.store.save_message(pending)
    device.store.commit()
    device.apply(message(1, "mine-00001", from_=ME, to="bob", need_read_ack=True))
    confirmed = device.message("mine-00001")
    assert (confirmed.mark, confirmed.server_time, confirmed.conv_seq) == (Mark.SENT, NOW + 1, 1)
    assert device.calls.names() == ["on_message_status_changed"]
    assert device.store.unread_count("bob") == 0 and device.store.outbox() == []
    device.calls.take()
    read = {"conversation_id": "bob", "msg_ids": ["mine-00001"], "by": "bob", "time": NOW + 9}
    device.apply(push("read", 2, **read))
    # A later copy (sync from another device's seq) finds it read: it stays read.
    device.apply(message(3, "mine-00001", from_=ME, to="bob", need_read_ack=True))
    assert device.message("mine-00001").mark is Mark.READ
    assert device.calls.names() == ["on_messages_read"]
    # One sent from another device of ours: kept as sent, never unread.
    device.calls.take()
    device.apply(message(4, "mine-00002", from_=ME, to="bob"))
    other = device.message("mine-00002")
    assert (other.direction, other.mark) == (MessageDirection.SEND, Mark.SENT)
    assert device.calls.names() == ["on_messages_received"]
    assert device.store.unread_count("bob") == 0


async def test_a_message_deleted_here_stays_deleted_when_the_log_is_replayed(device):
    device.apply(message(1, "gone-00001"))
    device.store.delete_message("gone-00001")
    device.store.last_seq = 0  # the log read again from its start
    device.store.commit()
    device.calls.take()
    device.apply(message(1, "gone-00001", need_delivery_ack=True))
    assert device.store.message("gone-00001") is None
    assert device.store.outbox() == [] and device.calls.take() == []
    assert device.store.last_seq == 1


async def test_a_recall_drops_the_text_the_queued_ack_and_the_badge_and_is_told_once(device):
    device.apply(
        message(1, "recall-001", text="secret", need_delivery_ack=True),
        message(
            2,
            "answer-001",
            from_=ME,
            to="bob",
            reply_to="recall-001",
            reply_preview={"msg_id": "recall-001", "from": "bob", "text": "secret"},
        ),
    )
    assert [e.key for e in device.store.outbox()] == ["recall-001"]
    device.calls.take()
    recall = {"msg_id": "recall-001", "from": "bob", "to": ME, "chat_type": "chat", "conv_seq": 1}
    device.apply(push("message_recalled", 3, time=NOW + 50, unread_count=0, **recall))
    recalled = device.message("recall-001")
    assert (recalled.body.content, recalled.recalled_at) == ("", NOW + 50)
    assert device.store.outbox() == []  # its delivery ack never leaves
    preview = device.message("answer-001").reply_preview
    assert preview is not None and (preview.text, preview.recalled) == (None, True)
    assert device.store.unread_count("bob") == 0
    assert device.calls.take() == [
        ("on_message_recalled", ([recalled],)),
        ("on_conversation_updated", ("bob", 0)),
    ]
    # The recall logged again under a new seq (another device's copy): told once only.
    device.apply(push("message_recalled", 4, time=NOW + 60, **recall))
    assert device.calls.take() == []
    # A message that arrives recalled (a device that was away): never unread, never acked.
    device.apply(
        push(
            "message",
            5,
            message={**info("late-00001", "bob", ME, 5), "body": None, "need_delivery_ack": True},
        )
    )
    assert device.message("late-00001").recalled
    assert device.store.unread_count("bob") == 0 and device.store.outbox() == []


async def test_an_edit_changes_the_text_once_and_keeps_the_marks(device):
    device.apply(message(1, "edit-00001", from_=ME, to="bob", text="teh", need_read_ack=True))
    read = {"conversation_id": "bob", "msg_ids": ["edit-00001"], "by": "bob", "time": NOW + 5}
    device.apply(push("read", 2, **read))
    device.calls.take()
    edited = info("edit-00001", ME, "bob", 1, text="the", edited_at=NOW + 7, read_at=NOW + 5)
    device.apply(push("message_edited", 3, message=edited, by=ME, time=NOW + 7))
    now = device.message("edit-00001")
    assert (now.body.content, now.edited_at, now.mark) == ("the", NOW + 7, Mark.READ)
    assert device.calls.take() == [("on_message_content_changed", (now, ME, NOW + 7))]
    # The same edit from another seq (another device's copy): nothing new to tell.
    device.apply(push("message_edited", 4, message=edited, by=ME, time=NOW + 7))
    assert device.calls.take() == []


async def test_unreadable_events_are_told_in_their_place_and_typing_never_moves_the_seq(
    device,
):
    batch = {
        "type": "sync_batch",
        "id": "r1",
        "events": [
            message(1, "sync-00001"),
            push("poll_closed", 2, poll_id="p1"),  # from a newer server
            {"type": "message", "message": "no seq here"},  # not even its seq readable
            message(3, "sync-00003"),
        ],
        "last_seq": 3,
        "more": False,
    }
    read = read_server_frame(json.dumps(batch).encode())
    assert isinstance(read, f.SyncBatch)
    device.applier.apply(read.events)
    device.notifier.flush()
    bad = [event for (event,) in device.calls.of("on_bad_event")]
    assert [(event.seq, event.type) for event in bad] == [(2, "poll_closed"), (None, "message")]
    assert device.calls.ids("on_messages_received") == [["sync-00001", "sync-00003"]]
    assert device.store.last_seq == 3
    device.calls.take()
    typing = read_event({"type": "peer_typing", "from": "bob", "conversation_id": "bob", "time": 1})
    device.applier.apply([typing, *read.events])  # typing, then the batch replayed
    device.notifier.flush()
    # The one without a seq cannot be known as applied: it is told again, never dropped.
    assert device.calls.names() == ["on_typing", "on_bad_event"]
    assert device.calls.of("on_typing") == [("bob", "bob")]
    assert device.store.last_seq == 3


async def test_a_push_whose_numbers_no_database_can_hold_is_a_bad_event_not_a_stuck_sync(device):
    # A server (broken, or not ours) sends a time past 64 bits: the push must become a
    # BadEvent the sync steps past, never an error that rolls the batch back forever.
    huge = message(2, "huge-00002", server_time=2**63)
    device.apply(message(1, "fine-00001"), huge, message(3, "fine-00003"))
    bad = [event for (event,) in device.calls.of("on_bad_event")]
    assert [(event.seq, event.type) for event in bad] == [(2, "message")]
    assert device.calls.ids("on_messages_received") == [["fine-00001", "fine-00003"]]
    assert device.store.last_seq == 3
