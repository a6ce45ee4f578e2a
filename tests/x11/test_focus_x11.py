"""Honest read acks against a real window manager: Xvfb + jwm, Qt's xcb platform.

The offscreen app tests inject "active" (offscreen Qt cannot lose the focus to
another program, and a minimized window stays "active" there; see PLATFORM.md).
Here nothing is injected: bob's real `ChatController` asks the real
`MainWindow.is_active_for_reading`, the focus really moves between X clients
(xdotool asks jwm, as a person clicking would), and alice's client, on a real
server, records which read receipts come back.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from desktop_chat.client import ChatMessage
from desktop_chat.ui.chat.message_delegate import MessageDelegate
from desktop_chat.ui.controller import ChatController

pytestmark = [
    pytest.mark.x11,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY"),
        reason="needs a real X server: DISPLAY is unset (./scripts/test runs this under "
        "xvfb-run with jwm)",
    ),
]

DWELL = 0.3
NOT_ACKED_FOR = 6 * DWELL  # several dwell periods with the message in view
TIMEOUT = 10.0


async def until(predicate, timeout: float = TIMEOUT, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout} s")
        await asyncio.sleep(0.02)


class Reader:
    """bob's real app window: nothing injected, the window manager decides."""

    def __init__(self, client) -> None:
        self.controller = ChatController(
            client, message_delegate=MessageDelegate(), dwell_seconds=DWELL
        )
        self.window = self.controller.window
        self.window.resize(900, 600)
        self.window.move(40, 40)
        self.window.show()

    @property
    def window_id(self) -> int:
        return int(self.window.winId())

    def exposed(self) -> bool:
        handle = self.window.windowHandle()
        return handle is not None and handle.isExposed()

    def active(self) -> bool:
        return self.window.is_active_for_reading()

    async def activate(self, x11) -> None:
        """Give bob's window the focus, as a click on it would, and wait until Qt knows."""
        await x11.arun("windowactivate", "--sync", self.window_id)
        await until(self.active, what="bob's window active for reading")


async def start(clients, x11):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob")
    reader = Reader(bob)
    await until(reader.exposed, what="bob's window mapped")
    reader.controller.start_chat("alice")
    await reader.activate(x11)
    return alice, bob, reader


def read_ids(clients, alice) -> list[str]:
    return [m.msg_id for m in clients.events(alice).flat("on_messages_read")]


async def arrives_unread(clients, alice, reader, text: str) -> ChatMessage:
    """alice sends; bob's open chat shows it, in view; it is not acked for a while."""
    sent = await alice.chat_manager.send_message(ChatMessage.text("bob", text))
    await until(
        lambda: reader.controller.messages.row_of(sent.msg_id) is not None,
        what="the message in bob's open chat",
    )
    await asyncio.sleep(NOT_ACKED_FOR)
    assert reader.controller.chat_view.visible_fractions().get(sent.msg_id, 0.0) >= 0.5, (
        "the message must be in view, so only the window's state holds the ack back"
    )
    assert read_ids(clients, alice) == []
    assert not alice.chat_manager.get_message(sent.msg_id).has_read_ack
    assert sent.msg_id in reader.controller.tracker.pending
    return sent


async def finish(clients, reader) -> None:
    await reader.controller.shutdown()
    await clients.aclose_for_test()


def test_active_window_acks_an_arriving_message(qt_loop, clients, x11):
    async def scenario():
        alice, _bob, reader = await start(clients, x11)
        assert x11.run("getactivewindow") == str(reader.window_id)
        sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "hi bob"))
        await until(lambda: read_ids(clients, alice) == [sent.msg_id], what="the read receipt")
        await finish(clients, reader)

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_focus_lost_to_another_x_client_stops_acks_and_regaining_it_resumes(qt_loop, clients, x11):
    async def scenario():
        alice, _bob, reader = await start(clients, x11)
        other = await x11.start_other_client("xlogo")
        await x11.arun("windowactivate", "--sync", other)
        await until(lambda: not reader.active(), what="bob's window losing the focus")
        assert x11.run("getactivewindow") == str(other)
        assert reader.window.isVisible() and not reader.window.isMinimized()
        assert reader.window.is_active_for_reading() is False

        sent = await arrives_unread(clients, alice, reader, "are you there?")
        assert reader.window.is_active_for_reading() is False  # still elsewhere throughout

        await reader.activate(x11)  # the person clicks bob's window again
        await until(lambda: read_ids(clients, alice) == [sent.msg_id], what="the read receipt")
        await finish(clients, reader)

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_minimized_window_sends_no_acks_and_restoring_it_resumes(qt_loop, clients, x11):
    async def scenario():
        alice, _bob, reader = await start(clients, x11)
        await x11.arun("windowminimize", "--sync", reader.window_id)
        await until(reader.window.isMinimized, what="bob's window minimized")
        await until(lambda: not reader.active(), what="bob's window inactive")
        assert reader.window.is_active_for_reading() is False

        sent = await arrives_unread(clients, alice, reader, "lunch?")
        assert reader.window.isMinimized()

        await reader.activate(x11)  # restored from the taskbar
        assert not reader.window.isMinimized()
        await until(lambda: read_ids(clients, alice) == [sent.msg_id], what="the read receipt")
        await finish(clients, reader)

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))
