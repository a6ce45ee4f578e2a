"""Receipts that never claim more than was seen, on a real X server (Xvfb + jwm).

Nothing about the window is injected: bob's real `ChatController` asks the real
window whether it is active, covered or on screen, and the real list view what is
in view; windows are moved, covered and focused by xdotool and other X clients, as
a person would. alice's client records which receipts come back.

- a window dragged almost off the screen reads nothing;
- a window fully covered by another application reads nothing, even with focus;
- a message taller than the window is read once it fills the view;
- opening a chat with 200 unread reads exactly what was on screen, then the rest as
  the person scrolls;
- a conversation ack held in a stalled uplink never covers a message that arrived
  after the person looked.
"""

from __future__ import annotations

import asyncio
import os

import pytest
from held_uplink import HeldUplink
from test_focus_x11 import DWELL, NOT_ACKED_FOR, Reader, until

from desktop_chat.client import ChatMessage
from desktop_chat.ui.painting.roles import MessageRole

pytestmark = [
    pytest.mark.x11,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY"),
        reason="needs a real X server: DISPLAY is unset (./scripts/test runs this under "
        "xvfb-run with jwm)",
    ),
]

SCREEN_WIDTH = 1280  # scripts/test starts Xvfb at 1280x800


def has_read_ack(client, msg_id: str) -> bool:
    message = client.chat_manager.get_message(msg_id)
    return message is not None and message.has_read_ack


async def open_reader(clients, x11, bob, chat: str | None = "alice") -> Reader:
    reader = Reader(bob)
    await until(reader.exposed, what="bob's window mapped")
    if chat is not None:
        reader.controller.start_chat(chat)
    await reader.activate(x11)
    return reader


async def shown_in_open_chat(reader: Reader, msg_id: str) -> None:
    await until(
        lambda: reader.controller.messages.row_of(msg_id) is not None,
        what="the message in bob's open chat",
    )


async def finish(clients, reader: Reader) -> None:
    await reader.controller.shutdown()
    await clients.aclose_for_test()


def test_a_window_dragged_almost_off_the_screen_reads_nothing(qt_loop, clients, x11):
    async def scenario():
        await clients.harness.start()
        alice = await clients.login("alice")
        bob = await clients.login("bob")
        reader = await open_reader(clients, x11, bob)
        # Only 100 px of its left edge stay on the screen: the chat is off it.
        await x11.arun("windowmove", "--sync", reader.window_id, SCREEN_WIDTH - 100, 40)
        await until(lambda: reader.window.x() > SCREEN_WIDTH - 200, what="the window moved")
        await reader.activate(x11)
        sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "are you there?"))
        await shown_in_open_chat(reader, sent.msg_id)
        await asyncio.sleep(NOT_ACKED_FOR)
        assert reader.active(), "the window keeps the focus: only its place holds the ack"
        assert reader.controller.chat_view.visible_fractions().get(sent.msg_id, 0.0) < 0.5
        assert not has_read_ack(alice, sent.msg_id)
        # Dragged back onto the screen, the message is read.
        await x11.arun("windowmove", "--sync", reader.window_id, 40, 40)
        await until(lambda: has_read_ack(alice, sent.msg_id), what="the read receipt")
        await finish(clients, reader)

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_a_window_covered_by_another_application_reads_nothing_even_with_focus(
    qt_loop, clients, x11
):
    async def scenario():
        await clients.harness.start()
        alice = await clients.login("alice")
        bob = await clients.login("bob")
        reader = await open_reader(clients, x11, bob)
        other = await x11.start_other_client("xlogo")
        await x11.arun("windowsize", "--sync", other, SCREEN_WIDTH, 800)
        await x11.arun("windowmove", "--sync", other, 0, 0)
        await x11.arun("windowraise", other)
        # bob's window gets the keyboard focus back without being raised: it is
        # active, yet nobody can see it.
        await x11.arun("windowfocus", "--sync", reader.window_id)
        await until(
            lambda: reader.window.isActiveWindow(), what="bob's window focused, still covered"
        )
        await asyncio.sleep(0.5)  # the X server's visibility news is a round trip away
        sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "hidden"))
        await shown_in_open_chat(reader, sent.msg_id)
        await asyncio.sleep(NOT_ACKED_FOR)
        assert reader.window.isActiveWindow()
        assert not has_read_ack(alice, sent.msg_id)
        x11.close()  # the other application quits: the chat is in sight again
        await until(lambda: has_read_ack(alice, sent.msg_id), what="the read receipt")
        await finish(clients, reader)

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_a_message_taller_than_the_window_is_read_once_it_fills_the_view(qt_loop, clients, x11):
    async def scenario():
        await clients.harness.start()
        alice = await clients.login("alice")
        bob = await clients.login("bob")
        reader = await open_reader(clients, x11, bob)
        reader.window.resize(900, 680)
        long_text = " ".join(f"word{n}" for n in range(800))[:5000]
        sent = await alice.chat_manager.send_message(ChatMessage.text("bob", long_text))
        await shown_in_open_chat(reader, sent.msg_id)
        view = reader.controller.chat_view
        row = reader.controller.messages.row_of(sent.msg_id)
        await until(
            lambda: (
                view.list.visualRect(view.model.index(row)).height() > view.list.viewport().height()
            ),
            what="the bubble laid out taller than the view",
        )
        await until(lambda: has_read_ack(alice, sent.msg_id), what="the read receipt")
        await finish(clients, reader)

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_opening_200_unread_reads_what_was_on_screen_and_the_rest_as_scrolled(
    qt_loop, clients, x11
):
    async def scenario():
        await clients.harness.start()
        alice = await clients.login("alice")
        bob = await clients.login("bob")
        sent = [
            await alice.chat_manager.send_message(ChatMessage.text("bob", f"update {n}"))
            for n in range(200)
        ]
        await until(
            lambda: bob.chat_manager.get_conversation("alice").unread_count == 200,
            what="200 unread at bob",
        )
        reader = await open_reader(clients, x11, bob, chat=None)
        view = reader.controller.chat_view
        seen: set[str] = set()

        async def watch(seconds: float) -> None:
            for _ in range(round(seconds / 0.05)):
                seen.update(m for m, share in view.visible_fractions().items() if share >= 0.5)
                await asyncio.sleep(0.05)

        reader.controller.open_conversation("alice")
        await watch(0.3)
        top = view.list.indexAt(view.list.viewport().rect().topLeft())
        assert top.data(MessageRole.MSG_ID) == sent[0].msg_id
        assert top.data(MessageRole.BANNER) == "200 unread messages"

        def read_at_alice() -> set[str]:
            return {m.msg_id for m in sent if has_read_ack(alice, m.msg_id)}

        await until(read_at_alice, what="the first read receipts")
        await watch(NOT_ACKED_FOR)
        read_now = read_at_alice()
        assert read_now <= seen, "only what was on screen is read"
        assert 0 < len(read_now) < 40
        assert not has_read_ack(alice, sent[-1].msg_id)
        assert clients.events(alice).calls["on_conversation_read"] == []
        # Scrolling down with the keyboard's Page Down, as a person reads on.
        scrollbar = view.list.verticalScrollBar()
        for _ in range(200):
            if scrollbar.value() >= scrollbar.maximum():
                break
            scrollbar.setValue(scrollbar.value() + view.list.viewport().height() * 2 // 3)
            await watch(DWELL * 2)
        await until(
            lambda: all(has_read_ack(alice, m.msg_id) for m in sent),
            timeout=20,
            what="all 200 read after scrolling through them",
        )
        assert read_at_alice() <= seen
        await finish(clients, reader)

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 120))


def test_a_read_held_in_a_stalled_uplink_never_covers_a_later_message(qt_loop, clients, x11):
    async def scenario():
        await clients.harness.start()
        uplink = HeldUplink(clients.harness.server.port)
        await uplink.start()
        alice = await clients.login("alice")
        bob = await clients.login("bob", server_url=uplink.url)
        first = [
            await alice.chat_manager.send_message(ChatMessage.text("bob", f"seen {n}"))
            for n in range(3)
        ]
        await until(
            lambda: bob.chat_manager.get_conversation("alice").unread_count == 3,
            what="3 unread at bob",
        )
        await clients.settle(bob)
        reader = await open_reader(clients, x11, bob, chat=None)
        uplink.hold()  # bob's uplink stalls from now on
        reader.controller.open_conversation("alice")
        await until(
            lambda: bob.store.outbox("conversation_read_ack"), what="bob's conversation ack"
        )
        # bob looks away; alice's next message reaches the server and bob's device.
        other = await x11.start_other_client("xlogo")
        await x11.arun("windowactivate", "--sync", other)
        await until(lambda: not reader.active(), what="bob looking elsewhere")
        late = await alice.chat_manager.send_message(ChatMessage.text("bob", "arrived later"))
        await shown_in_open_chat(reader, late.msg_id)
        uplink.release()
        await until(lambda: all(has_read_ack(alice, m.msg_id) for m in first), what="read")
        await asyncio.sleep(NOT_ACKED_FOR)
        assert uplink.held_bytes > 0
        assert not has_read_ack(alice, late.msg_id), "read before anyone could see it"
        await uplink.aclose_for_test()
        await finish(clients, reader)

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))
