"""Typing and mute in the real app: real server, real clients, real widgets (offscreen).

Typing is typed into the real composer with QTest; a chat is muted from the
real conversation list's context menu (a real context-menu event) and from the
chat header's button; a restart is a new client on the same device's data.
"""

from __future__ import annotations

import asyncio

from app_driver import until
from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from desktop_chat.client import ChatMessage, ChatType
from desktop_chat.ui.chat.message_delegate import MessageDelegate
from desktop_chat.ui.controller import ChatController
from desktop_chat.ui.conversations.conversation_delegate import ConversationDelegate
from desktop_chat.ui.painting.roles import ConversationRole


def app_of(client) -> ChatController:
    controller = ChatController(
        client, message_delegate=MessageDelegate(), conversation_delegate=ConversationDelegate()
    )
    controller.window.resize(900, 600)
    controller.window.show()
    return controller


async def send(client, to: str, text: str) -> ChatMessage:
    return await client.chat_manager.send_message(ChatMessage.text(to, text, ChatType.CHAT))


def list_row(controller: ChatController, conversation_id: str):
    model = controller.conversations
    for row in range(model.rowCount()):
        index = model.index(row)
        if index.data(ConversationRole.CONVERSATION_ID) == conversation_id:
            return index
    raise LookupError(conversation_id)


def right_click_chat(controller: ChatController, conversation_id: str):
    view = controller.window.conversation_list
    proxy = view.model()
    index = proxy.mapFromSource(list_row(controller, conversation_id))
    where = view.visualRect(index).center()
    event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, where, view.viewport().mapToGlobal(where)
    )
    QApplication.sendEvent(view.viewport(), event)
    return controller.conversation_menu


def test_the_header_says_bob_is_typing_until_his_message_arrives(qt_loop, clients):
    async def scenario():
        await clients.harness.start()
        alice, bob = await clients.login("alice"), await clients.login("bob")
        watcher, typist = app_of(alice), app_of(bob)
        watcher.start_chat("bob")
        typist.start_chat("alice")
        subtitle = watcher.chat_view.subtitle
        assert "typing" not in subtitle.text()
        composer = typist.chat_view.composer
        composer.setFocus()
        QTest.keyClicks(composer, "on my w")
        await until(lambda: subtitle.text() == "bob is typing…", what="the typing line")
        assert watcher.chat_view.typing_timer.interval() == 5000
        assert watcher.chat_view.typing_timer.isActive()
        QTest.keyClicks(composer, "ay")
        QTest.keyClick(composer, Qt.Key.Key_Return)
        await until(lambda: watcher.messages.rowCount() == 1)
        assert "typing" not in subtitle.text()
        await watcher.shutdown()
        await typist.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_muting_from_the_list_holds_on_every_device_and_silences_but_still_counts(qt_loop, clients):
    async def scenario():
        await clients.harness.start()
        alice = await clients.login("alice", device="alice1")
        other = await clients.login("alice", device="alice2")
        bob = await clients.login("bob")
        await send(bob, "alice", "first")
        await until(lambda: other.chat_manager.get_conversation("bob", create=False) is not None)
        here, there = app_of(alice), app_of(other)
        await until(lambda: here.conversations.row("bob") is not None)
        await until(lambda: there.conversations.row("bob") is not None)
        menu = right_click_chat(here, "bob")
        assert [a.text() for a in menu.actions()] == ["Mute notifications"]
        menu.actions()[0].trigger()
        for controller in (here, there):
            await until(
                lambda c=controller: list_row(c, "bob").data(ConversationRole.MUTED),
                what=f"muted on {controller.client.options}",
            )
        there.open_conversation("bob")
        assert there.chat_view.mute_button.text() == "Unmute"
        here.window.notifications = []
        await send(bob, "alice", "you won't hear this")
        await until(lambda: here.conversations.row("bob").unread == 2, what="still counted")
        await asyncio.sleep(0.1)
        assert here.window.notifications == []
        await here.shutdown()
        await alice.close()
        again = await clients.login("alice", device="alice1")  # a restart
        restarted = app_of(again)
        assert list_row(restarted, "bob").data(ConversationRole.MUTED)
        assert [a.text() for a in right_click_chat(restarted, "bob").actions()] == ["Unmute"]
        restarted.conversation_menu.close()
        # The header's button unmutes; the other device follows.
        there.chat_view.mute_button.click()
        await until(lambda: not list_row(restarted, "bob").data(ConversationRole.MUTED))
        await send(bob, "alice", "now you do")
        await until(lambda: restarted.window.notifications, what="a notification")
        await restarted.shutdown()
        await there.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))
