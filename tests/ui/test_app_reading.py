"""Honest read acks in the real app: real server, real clients, real widgets.

Each test drives the real `ChatController` (window, chat view, list view and
delegate, offscreen) of a reader, bob, while alice's client sends and records
what receipts reach her. "Active" and "last input" are injected (offscreen Qt
cannot lose focus to another program; see PLATFORM.md); what is visible comes
from the real list view's geometry. Dwell is shortened to keep tests quick.
"""

from __future__ import annotations

import asyncio
import time

from app_driver import DWELL, Person

from desktop_chat.client import ChatMessage
from desktop_chat.ui.painting.roles import MessageRole

Reader = Person  # bob's window


async def until(predicate, timeout: float = 10.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout} s")
        await asyncio.sleep(0.02)


async def idle(seconds: float) -> None:
    """Let the app run (timers, dwell) for a while."""
    await asyncio.sleep(seconds)


async def start(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob")
    return alice, bob


def read_ids(clients, alice) -> list[str]:
    return [m.msg_id for m in clients.events(alice).flat("on_messages_read")]


def test_opening_a_chat_with_unread_messages_sends_one_conversation_ack(qt_loop, clients):
    async def scenario():
        alice, bob = await start(clients)
        for n in range(3):
            await alice.chat_manager.send_message(ChatMessage.text("bob", f"unread {n}"))
        await until(lambda: bob.chat_manager.get_conversation("alice").unread_count == 3)
        await clients.settle(bob)  # its delivery acks are out
        reader = Reader(bob)
        frames_before = bob.outbox.frames
        reader.controller.open_conversation("alice")
        await clients.events(alice).wait("on_conversation_read")
        await idle(4 * DWELL)
        assert clients.events(alice).calls["on_conversation_read"] == [("bob", "alice")]
        assert read_ids(clients, alice) == []  # one conversation ack, no message acks
        assert bob.outbox.frames - frames_before == 1
        assert reader.controller.conversations.total_unread() == 0
        assert bob.chat_manager.get_conversation("alice").unread_count == 0
        await reader.controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_messages_waiting_in_an_open_chat_are_acked_in_one_batch(qt_loop, clients):
    # Five messages arrive while another program has the focus; when the person comes
    # back they are all seen at once, and one read-ack frame receipts them all. (They
    # are made to wait so that the test does not depend on how fast they arrive: sent
    # one by one into a focused chat, a slow machine spreads them over several looks.)
    async def scenario():
        alice, bob = await start(clients)
        reader = Reader(bob)
        reader.controller.start_chat("alice")
        reader.active = False
        sent = [
            await alice.chat_manager.send_message(ChatMessage.text("bob", f"live {n}"))
            for n in range(5)
        ]
        messages = reader.controller.messages
        await until(
            lambda: all(messages.row_of(m.msg_id) is not None for m in sent),
            what="the 5 messages in the open chat",
        )
        await until(
            lambda: all(alice.chat_manager.get_message(m.msg_id).has_deliver_ack for m in sent),
            what="their delivery receipts (bob's outbox has nothing else to send)",
        )
        assert read_ids(clients, alice) == []
        frames_before = bob.outbox.frames
        reader.active = True
        await until(lambda: len(read_ids(clients, alice)) == 5, what="5 read receipts")
        assert sorted(read_ids(clients, alice)) == sorted(m.msg_id for m in sent)
        assert bob.outbox.frames - frames_before == 1
        await reader.controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_inactive_window_and_notifications_never_ack_then_focus_does(qt_loop, clients):
    async def scenario():
        alice, bob = await start(clients)
        reader = Reader(bob)
        reader.controller.start_chat("alice")
        reader.active = False  # another program has the focus
        sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "are you there?"))
        await until(lambda: reader.controller.messages.row_of(sent.msg_id) is not None)
        await until(
            lambda: "are you there?" in reader.controller.window.statusBar().currentMessage(),
            what="the notification",
        )
        await idle(6 * DWELL)
        assert read_ids(clients, alice) == []
        assert not alice.chat_manager.get_message(sent.msg_id).has_read_ack
        assert reader.controller.conversations.total_unread() == 1
        reader.active = True  # the person comes back to the window
        await until(lambda: read_ids(clients, alice) == [sent.msg_id], what="the read receipt")
        await reader.controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_a_message_scrolled_out_of_view_is_not_acked_until_scrolled_to(qt_loop, clients):
    async def scenario():
        alice, bob = await start(clients)
        for n in range(40):
            await alice.chat_manager.send_message(ChatMessage.text("bob", f"old {n}\nsecond line"))
        reader = Reader(bob)
        reader.controller.open_conversation("alice")
        await clients.events(alice).wait("on_messages_read")  # the first screenful is read
        view = reader.view
        view.list.verticalScrollBar().setValue(0)  # reading history at the top
        await idle(0.1)
        fresh = await alice.chat_manager.send_message(ChatMessage.text("bob", "new, below"))
        await until(lambda: reader.controller.messages.row_of(fresh.msg_id) is not None)
        await idle(6 * DWELL)
        assert fresh.msg_id not in view.visible_fractions()
        assert fresh.msg_id not in read_ids(clients, alice)
        view.scroll_to_bottom()
        await until(lambda: fresh.msg_id in read_ids(clients, alice), what="the read receipt")
        await reader.controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_an_idle_person_sends_no_ack(qt_loop, clients):
    async def scenario():
        alice, bob = await start(clients)
        reader = Reader(bob)
        reader.controller.tracker.idle_seconds = 30
        reader.last_input = time.monotonic() - 120  # away for two minutes
        reader.controller.start_chat("alice")
        sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "hello?"))
        await until(lambda: reader.controller.messages.row_of(sent.msg_id) is not None)
        await idle(6 * DWELL)
        assert read_ids(clients, alice) == []
        reader.last_input = time.monotonic()  # a key press
        await until(lambda: read_ids(clients, alice) == [sent.msg_id], what="the read receipt")
        await reader.controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_group_announcement_read_in_the_app_raises_the_owners_count(qt_loop, clients):
    async def scenario():
        await clients.harness.start()
        await clients.harness.register("bob", "carol")
        alice = await clients.login("alice")
        group = await alice.group_manager.create_group("Launch team", ["bob", "carol"])
        bob = await clients.login("bob")
        owner = Reader(alice)
        reader = Reader(bob)
        reader.active = True
        owner.active = False
        owner.controller.open_conversation(group.group_id)
        reader.controller.open_conversation(group.group_id)
        notice = ChatMessage.text(group.group_id, "Release on Friday", "groupchat")
        notice.need_group_ack = True
        sent = await alice.chat_manager.send_message(notice)
        await clients.events(alice).wait("on_group_message_read")
        row = owner.controller.messages.row_of(sent.msg_id)
        assert row is not None  # sent through the API, shown in the owner's open chat
        await until(
            lambda: owner.controller.messages.message_at(row).group_ack_count == 1,
            what="Read 1/2 in the owner's model",
        )
        assert owner.controller.messages.message_at(row).group_member_count == 2
        await owner.controller.shutdown()
        await reader.controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_opening_a_chat_with_30_unread_reads_only_what_is_on_screen_then_the_rest_as_scrolled(
    qt_loop, clients
):
    async def scenario():
        alice, bob = await start(clients)
        sent = [
            await alice.chat_manager.send_message(ChatMessage.text("bob", f"unread {n}"))
            for n in range(30)
        ]
        await until(lambda: bob.chat_manager.get_conversation("alice").unread_count == 30)
        reader = Reader(bob)
        view = reader.view
        reader.controller.open_conversation("alice")
        seen: set[str] = set()

        async def watch(seconds: float) -> None:
            """Record what is at least half on screen, as the person sees it."""
            for _ in range(round(seconds / 0.05)):
                seen.update(m for m, share in view.visible_fractions().items() if share >= 0.5)
                await idle(0.05)

        await watch(0.2)
        # It opened at the first unread message, under the separator.
        top = view.list.indexAt(view.list.viewport().rect().topLeft())
        assert top.data(MessageRole.MSG_ID) == sent[0].msg_id
        assert top.data(MessageRole.BANNER) == "30 unread messages"

        def read_at_alice() -> set[str]:
            return {m.msg_id for m in sent if alice.chat_manager.get_message(m.msg_id).has_read_ack}

        await until(read_at_alice, what="the first read receipts")
        await watch(6 * DWELL)
        read_now = read_at_alice()
        assert read_now and read_now <= seen, "only messages that were on screen are read"
        assert len(read_now) < 30
        assert sent[-1].msg_id not in read_now
        assert clients.events(alice).calls["on_conversation_read"] == []
        unread = reader.controller.conversations.row("alice").unread
        assert unread == 30 - len(read_now)
        # The person scrolls down through the rest: everything gets read, nothing twice.
        scrollbar = view.list.verticalScrollBar()
        while scrollbar.value() < scrollbar.maximum():
            scrollbar.setValue(scrollbar.value() + view.list.viewport().height() // 2)
            await watch(2 * DWELL)
        await until(
            lambda: all(alice.chat_manager.get_message(m.msg_id).has_read_ack for m in sent),
            what="all 30 read at alice",
        )
        assert read_at_alice() <= seen
        assert len(read_ids(clients, alice)) == len(set(read_ids(clients, alice)))
        await until(lambda: reader.controller.conversations.row("alice").unread == 0)
        await reader.controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_new_chat_opens_only_for_an_account_that_exists(qt_loop, clients):
    async def scenario():
        _alice, bob = await start(clients)
        reader = Reader(bob)
        problem = await reader.controller.start_chat_if_exists("ghost")
        assert problem is not None and "no account “ghost”" in problem
        assert reader.controller.conversations.row("ghost") is None
        assert bob.chat_manager.get_conversation("ghost", create=False) is None
        assert await reader.controller.start_chat_if_exists("alice") is None
        assert reader.controller.messages.conversation_id == "alice"
        await reader.controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))
