"""The app from the keyboard alone: the conversation list, search, notifications.

Real app window for alice (offscreen), real server, real senders; keys are
sent with QTest to the widget that has the focus, as a keyboard would.
"""

from __future__ import annotations

import asyncio

from app_driver import until
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from desktop_chat.client import ChatMessage
from desktop_chat.ui.chat.message_delegate import MessageDelegate
from desktop_chat.ui.controller import ChatController
from desktop_chat.ui.conversations.conversation_delegate import ConversationDelegate
from desktop_chat.ui.painting.roles import ConversationRole


async def alice_with_three_chats(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    for name in ("dave", "carol", "bob"):  # bob writes last: he is at the top
        peer = await clients.login(name)
        await peer.chat_manager.send_message(ChatMessage.text("alice", f"hi from {name}"))
        await asyncio.sleep(0.01)
    await until(lambda: len(alice.chat_manager.load_all_conversations()) == 3)
    controller = ChatController(
        alice, message_delegate=MessageDelegate(), conversation_delegate=ConversationDelegate()
    )
    window = controller.window
    window.resize(900, 600)
    window.show()
    window.activateWindow()
    await until(window.isActiveWindow, what="alice's window active")
    return controller


def focused():
    return QApplication.focusWidget()


def listed(window) -> list[str]:
    view = window.conversation_list
    model = view.model()
    return [
        model.index(row, 0).data(ConversationRole.CONVERSATION_ID)
        for row in range(model.rowCount())
    ]


def test_arrow_keys_and_enter_in_the_conversation_list_open_chats(qt_loop, clients):
    async def scenario():
        controller = await alice_with_three_chats(clients)
        window = controller.window
        assert listed(window) == ["bob", "carol", "dave"]
        view = window.conversation_list
        view.setFocus()
        QTest.keyClick(view, Qt.Key.Key_Down)
        assert controller.messages.conversation_id == "bob"
        QTest.keyClick(view, Qt.Key.Key_Down)
        assert controller.messages.conversation_id == "carol", "the arrow opens the chat"
        assert controller.chat_view.title.text() == "carol"
        assert focused() is view, "the focus stays in the list while browsing"
        QTest.keyClick(view, Qt.Key.Key_Up)
        assert controller.messages.conversation_id == "bob"
        QTest.keyClick(view, Qt.Key.Key_End)
        QTest.keyClick(view, Qt.Key.Key_Return)
        assert controller.messages.conversation_id == "dave"
        assert focused() is controller.chat_view.composer, "Enter goes on to writing"
        # Alt+Up / Alt+Down switch chats from anywhere in the window.
        QTest.keyClick(focused(), Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
        assert controller.messages.conversation_id == "carol"
        QTest.keyClick(focused(), Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
        assert controller.messages.conversation_id == "dave"
        # Where the desktop takes Alt+arrows (jwm switches desktops): Ctrl+PgUp/PgDown.
        QTest.keyClick(focused(), Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
        assert controller.messages.conversation_id == "carol"
        QTest.keyClick(focused(), Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
        assert controller.messages.conversation_id == "dave"
        await controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_ctrl_k_searches_chats_by_name_enter_opens_escape_clears(qt_loop, clients):
    async def scenario():
        controller = await alice_with_three_chats(clients)
        window = controller.window
        controller.open_conversation("bob")
        QTest.keyClick(focused(), Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
        search = window.search
        assert focused() is search
        QTest.keyClicks(search, "CAR")
        assert listed(window) == ["carol"]
        QTest.keyClick(search, Qt.Key.Key_Return)
        assert controller.messages.conversation_id == "carol"
        assert focused() is controller.chat_view.composer
        assert search.text() == "", "found and opened: the whole list is back"
        assert listed(window) == ["bob", "carol", "dave"]

        QTest.keyClick(focused(), Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        assert focused() is search
        QTest.keyClicks(search, "d")
        assert listed(window) == ["dave"]
        QTest.keyClick(search, Qt.Key.Key_Escape)
        assert search.text() == ""
        assert listed(window) == ["bob", "carol", "dave"]
        view = window.conversation_list
        assert view.currentIndex().data(ConversationRole.CONVERSATION_ID) == "carol"
        QTest.keyClicks(search, "zzz")
        assert listed(window) == []
        assert "No chats" in window.search_hint.text()
        QTest.keyClick(search, Qt.Key.Key_Return)  # nothing to open: nothing happens
        assert controller.messages.conversation_id == "carol"
        await controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_every_menu_action_has_a_keyboard_shortcut_or_mnemonic(qt_loop, clients):
    async def scenario():
        controller = await alice_with_three_chats(clients)
        window = controller.window
        for menu_action in window.menuBar().actions():
            assert "&" in menu_action.text(), menu_action.text()
            for item in menu_action.menu().actions():
                if item.isSeparator():
                    continue
                assert item.shortcut().toString() or "&" in item.text(), item.text()
        controller.open_conversation("bob")
        # Members… of a group and the receipt toggle are buttons in the tab order.
        view = controller.chat_view
        for widget in (view.composer, view.send_button, view.ask_receipts):
            assert widget.focusPolicy() & Qt.FocusPolicy.TabFocus, widget
        await controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_a_long_message_notifies_with_a_one_line_preview_and_the_group_name(qt_loop, clients):
    async def scenario():
        await clients.harness.start()
        await clients.harness.register("carol")
        alice = await clients.login("alice")
        bob = await clients.login("bob")
        controller = ChatController(alice)
        controller.window.show()
        long = "first line\n" + "x" * 5000
        await bob.chat_manager.send_message(ChatMessage.text("alice", long))
        await until(lambda: controller.window.notifications, what="a notification")
        title, text = controller.window.notifications[-1]
        assert title == "bob"
        assert len(text) <= 101 and "\n" not in text and text.endswith("…")
        assert text.startswith("first line x")
        assert len(controller.window.statusBar().currentMessage()) < 200
        group = await bob.group_manager.create_group("Launch team", ["alice", "carol"])
        await until(lambda: group.group_id in alice.groups)
        await bob.chat_manager.send_message(
            ChatMessage.text(group.group_id, "standup now", "groupchat")
        )
        await until(lambda: len(controller.window.notifications) == 2)
        assert controller.window.notifications[-1] == ("bob in Launch team", "standup now")
        assert controller.conversations.row(group.group_id).unread == 1, "not read by notifying"
        await controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))
