"""The cost of one receipt's path through the app, on both sides (issue 13 §1, §2).

Real server on loopback, real clients, the real `ChatController` (offscreen):
- the reader's side: acks the person made in one look cost one local SQLite
  commit, counted on the reader's real `LocalStore` with sqlite3's trace callback;
- the sender's side: a burst of 500 read receipts, each a frame of its own from
  a raw device of the reader, repaints each affected row once per flush, and
  names the roles it changes.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import Counter

from app_driver import until as wait_until

from desktop_chat.client import ChatMessage
from desktop_chat.protocol import Mark
from desktop_chat.ui.chat.message_delegate import MessageDelegate
from desktop_chat.ui.controller import ChatController
from desktop_chat.ui.painting.roles import ConversationRole, MessageRole

DWELL = 0.3


# The app driver's wait, with more room: these scenarios move hundreds of frames.
until = functools.partial(wait_until, timeout=20.0)


class Transactions:
    """Every statement a `LocalStore` runs, grouped by the transaction that committed it."""

    def __init__(self, store) -> None:
        self.committed: list[list[str]] = []
        self._open: list[str] = []
        self._store = store
        store._db.set_trace_callback(self._statement)

    def _statement(self, sql: str) -> None:
        if sql == "BEGIN":
            self._open = []
        elif sql == "COMMIT":
            self.committed.append(self._open)
            self._open = []
        else:
            self._open.append(sql)

    def queuing(self, kind: str) -> list[list[str]]:
        """The committed transactions that put an entry of `kind` in the outbox."""
        return [
            statements
            for statements in self.committed
            if any("INTO outbox" in s and f"'{kind}'" in s for s in statements)
        ]

    def stop(self) -> None:
        self._store._db.set_trace_callback(None)


def test_acks_seen_in_one_look_cost_one_local_commit(qt_loop, clients):
    async def scenario():
        await clients.harness.start()
        alice = await clients.login("alice")
        bob = await clients.login("bob")
        active = False
        # Every row counts as on screen: this test is about cost, not the honest-read
        # rules (tests/ui/test_app_reading.py and tests/x11 check those).
        controller = ChatController(
            bob,
            message_delegate=MessageDelegate(),
            dwell_seconds=DWELL,
            tracker_sources={
                "is_active": lambda: active,
                "last_input": time.monotonic,
                "visible_fractions": lambda: {
                    m.msg_id: 1.0 for m in controller.messages.messages()
                },
            },
        )
        controller.window.resize(900, 600)
        controller.window.show()
        controller.start_chat("alice")
        sent = [
            await alice.chat_manager.send_message(ChatMessage.text("bob", f"seen {n}"))
            for n in range(20)
        ]
        await until(
            lambda: all(controller.messages.row_of(m.msg_id) is not None for m in sent),
            what="20 rows in bob's open chat",
        )
        await clients.settle(bob)  # the delivery acks are out
        transactions = Transactions(bob.store)
        active = True  # bob looks: all 20 are seen in the same evaluation
        await until(
            lambda: len(clients.events(alice).flat("on_messages_read")) == 20,
            what="20 read receipts at alice",
        )
        transactions.stop()
        queued = transactions.queuing("read_ack")
        assert len(queued) == 1, f"{len(queued)} commits queued the 20 read acks"
        assert sum("INTO outbox" in s for s in queued[0]) == 20
        assert controller.conversations.row("alice").unread == 0
        await controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_a_burst_of_500_receipts_repaints_each_affected_row_once_per_flush(qt_loop, clients):
    async def scenario():
        await clients.harness.start()
        await clients.harness.register("bob")
        alice = await clients.login("alice")
        sent = await asyncio.gather(
            *(
                alice.chat_manager.send_message(ChatMessage.text("bob", f"n {n}"))
                for n in range(500)
            )
        )
        await until(
            lambda: all(alice.chat_manager.get_message(m.msg_id).mark is Mark.SENT for m in sent),
            what="500 sent",
        )
        controller = ChatController(alice, message_delegate=MessageDelegate())
        controller.window.resize(900, 600)
        controller.window.show()
        controller.open_conversation("bob")  # its newest page of rows is loaded
        messages, conversations = controller.messages, controller.conversations
        loaded = [m.msg_id for m in messages.messages()]
        assert 0 < len(loaded) < 500

        def marks() -> list[Mark]:
            return [messages.index(messages.row_of(i)).data(MessageRole.MARK) for i in loaded]

        assert all(mark is Mark.SENT for mark in marks())
        await asyncio.sleep(0.2)  # the repaints of opening are flushed
        repaints: dict[str, Counter] = {"messages": Counter(), "conversations": Counter()}
        roleless: list[str] = []

        def recorder(name, model, key_role):
            def record(first, last, roles):
                if not roles:
                    roleless.append(name)
                for row in range(first.row(), last.row() + 1):
                    repaints[name][model.index(row).data(key_role)] += 1

            return record

        messages.dataChanged.connect(recorder("messages", messages, MessageRole.MSG_ID))
        conversations.dataChanged.connect(
            recorder("conversations", conversations, ConversationRole.CONVERSATION_ID)
        )
        deliveries = []  # the receipts' callbacks that reached the app (one per flush)
        controller.signals.messages_read.connect(deliveries.append)

        reader = await clients.harness.device("bob")  # one frame per receipt
        await asyncio.gather(*(reader.request("read_ack", msg_ids=[m.msg_id]) for m in sent))
        await until(lambda: sum(len(d) for d in deliveries) == 500, what="500 receipts")
        await until(lambda: all(mark is Mark.READ for mark in marks()), what="the rows read")
        await until(
            lambda: conversations.row("bob").last_outgoing_mark is Mark.READ,
            what="the read tick in the conversation list",
        )
        await asyncio.sleep(0.2)  # any repaint still scheduled
        flushes = len(deliveries)
        assert 1 <= flushes <= 500
        assert sum(len(d) for d in deliveries) == 500
        # Each loaded message row changed once (sent -> read): one repaint each.
        assert set(repaints["messages"]) == set(loaded)
        assert max(repaints["messages"].values()) == 1
        # The conversation row shows the tick of its last message only: one repaint,
        # whatever the number of receipts or flushes.
        assert repaints["conversations"]["bob"] <= flushes
        assert repaints["conversations"] == Counter({"bob": 1})
        assert roleless == [], "every dataChanged names its roles"
        await controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 90))
