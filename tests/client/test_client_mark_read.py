"""`ChatManager.mark_read`: the one call a reader's app makes, and the one place that
decides which receipts a read sends (require_ack, the sender's need_read_ack, chat or
group, need_group_ack, recalled). Real clients against the real server; commits are
counted on the reader's real `LocalStore` with sqlite3's trace callback.
"""

from __future__ import annotations

import asyncio

from test_client_basics import settle
from test_client_read_watermark import read_at_alice, received

from desktop_chat.client import ChatMessage, ChatType
from desktop_chat.client.chat_manager import EVERYTHING


class Statements:
    """The statements a store runs while recording."""

    def __init__(self, store) -> None:
        self.sql: list[str] = []
        self._store = store
        store._db.set_trace_callback(self.sql.append)

    def stop(self) -> list[str]:
        self._store._db.set_trace_callback(None)
        return self.sql

    def count(self, prefix: str) -> int:
        return sum(s.startswith(prefix) for s in self.sql)


def outbox_kinds(client) -> list[tuple[str, dict]]:
    return [(e.kind, e.payload) for e in client.store.outbox()]


async def test_n_message_acks_cost_one_commit_and_report_the_rows_read(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob")
    messages = await received(clients, alice, bob, [f"m{n}" for n in range(25)])
    await settle(bob)
    statements = Statements(bob.store)
    changed = bob.chat_manager.mark_read("alice", None, [m.msg_id for m in messages])
    sql = statements.stop()
    assert statements.count("COMMIT") == 1, "one local transaction for 25 acks"
    assert statements.count("SELECT") <= 2  # the messages, once; the unread count
    assert sum("INTO outbox" in s for s in sql) == 25
    assert [m.msg_id for m in changed] == [m.msg_id for m in messages]
    assert all(m.recipient_read for m in changed)
    assert bob.chat_manager.get_conversation("alice").unread_count == 0
    await clients.events(bob).wait("on_messages_marked_read")
    assert {m.msg_id for m in clients.events(bob).flat("on_messages_marked_read")} == {
        m.msg_id for m in messages
    }
    await clients.events(alice).wait(
        "on_messages_read", lambda r: len(r.flat("on_messages_read")) == 25
    )
    assert read_at_alice(alice, messages) == [True] * 25
    # Seen again: nothing to send, nothing to commit.
    await settle(bob)
    statements = Statements(bob.store)
    assert bob.chat_manager.mark_read("alice", None, [m.msg_id for m in messages]) == []
    assert statements.stop() and statements.count("INSERT") == 0


async def test_a_watermark_and_the_messages_above_it_go_in_one_commit(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob")
    messages = await received(clients, alice, bob, ["one", "two", "three", "four"])
    await settle(bob)
    frames = bob.outbox.frames
    statements = Statements(bob.store)
    # Seen: everything up to "two" (a watermark), and "four" on its own; not "three".
    ids = [messages[1].msg_id, messages[3].msg_id]
    changed = bob.chat_manager.mark_read("alice", messages[1].conv_seq, ids)
    statements.stop()
    assert statements.count("COMMIT") == 1
    assert sorted(m.body.content for m in changed) == ["four", "one", "two"]
    kinds = sorted(kind for kind, _ in outbox_kinds(bob))
    assert kinds == ["conversation_read_ack", "read_ack"]  # "two" rides on the watermark
    await settle(bob)
    await clients.events(alice).wait("on_conversation_read")
    await clients.events(alice).wait("on_messages_read")
    assert read_at_alice(alice, messages) == [True, True, False, True]
    assert bob.chat_manager.get_conversation("alice").unread_count == 1
    assert bob.outbox.frames - frames == 2  # one conversation ack, one message ack


async def test_with_read_receipts_off_a_read_is_private_everywhere(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob", require_ack=False)
    bob_phone = await clients.login("bob", device="bob-phone")
    messages = await received(clients, alice, bob, ["one", "two"])
    await settle(bob)  # its delivery acks are out
    bob.chat_manager.mark_read("alice", None, [messages[0].msg_id])
    assert outbox_kinds(bob) == [("read_ack", {"notify": False})]
    bob.chat_manager.mark_read("alice", EVERYTHING)
    (kind, payload) = outbox_kinds(bob)[-1]
    assert kind == "conversation_read_ack" and payload["notify"] is False
    await settle(bob)
    await clients.events(bob_phone).wait(
        "on_conversation_updated",
        lambda _r: bob_phone.chat_manager.get_conversation("alice").unread_count == 0,
    )
    await asyncio.sleep(0.3)  # time for a receipt that must not come
    assert read_at_alice(alice, messages) == [False, False]
    assert clients.events(alice).calls["on_messages_read"] == []
    assert clients.events(alice).calls["on_conversation_read"] == []


async def test_a_message_whose_sender_asked_for_no_receipt_is_read_privately(clients):
    await clients.harness.start()
    alice = await clients.login("alice", require_ack=False)  # her messages ask for none
    bob = await clients.login("bob")
    (message,) = await received(clients, alice, bob, ["no receipt wanted"])
    assert not message.need_read_ack
    await settle(bob)
    bob.chat_manager.mark_read("alice", None, [message.msg_id])
    assert outbox_kinds(bob) == [("read_ack", {"notify": False})]
    await settle(bob)
    assert bob.chat_manager.get_conversation("alice").unread_count == 0
    assert not bob.chat_manager.get_message(message.msg_id).has_read_ack


async def test_group_reads_ack_only_what_asked_for_receipts(clients):
    await clients.harness.start()
    await clients.harness.register("bob")
    alice = await clients.login("alice")
    group = await alice.group_manager.create_group("team", ["bob"])
    bob = await clients.login("bob")
    notice = ChatMessage.text(group.group_id, "please read", ChatType.GROUP_CHAT)
    notice.need_group_ack = True
    notice = await alice.chat_manager.send_message(notice)
    chatter = await alice.chat_manager.send_message(
        ChatMessage.text(group.group_id, "chatter", ChatType.GROUP_CHAT)
    )
    await clients.events(bob).wait(
        "on_messages_received", lambda r: len(r.flat("on_messages_received")) == 2
    )
    await settle(bob)
    statements = Statements(bob.store)
    seq = bob.chat_manager.get_message(chatter.msg_id).conv_seq
    bob.chat_manager.mark_read(group.group_id, seq, [notice.msg_id, chatter.msg_id])
    statements.stop()
    assert statements.count("COMMIT") == 1
    kinds = sorted(kind for kind, _ in outbox_kinds(bob))
    assert kinds == ["conversation_read_ack", "group_read_ack"]  # none for the chatter
    await clients.events(alice).wait("on_group_message_read")
    assert alice.chat_manager.get_message(notice.msg_id).group_ack_count == 1
    await settle(bob)
    assert bob.chat_manager.get_conversation(group.group_id).unread_count == 0


async def test_recalled_own_and_unknown_messages_are_never_acked(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob")
    (gone, kept) = await received(clients, alice, bob, ["oops", "kept"])
    await alice.chat_manager.recall_message(gone.msg_id)
    await clients.events(bob).wait("on_message_recalled")
    mine = await bob.chat_manager.send_message(ChatMessage.text("alice", "mine"))
    await settle(bob)
    changed = bob.chat_manager.mark_read(
        "alice", None, [gone.msg_id, mine.msg_id, "no-such-message", kept.msg_id]
    )
    assert [m.msg_id for m in changed] == [kept.msg_id]
    assert [e.key for e in bob.store.outbox()] == [kept.msg_id]
