"""Message search in the real app: Ctrl+Shift+F, results, and opening a chat at a hit.

Real server and clients; the real window's shortcut opens the real search panel;
what the panel shows never reads anything: no receipt, no drop in the badge.
"""

from __future__ import annotations

import asyncio

from app_driver import until
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop_chat.client import ChatMessage, ChatType
from desktop_chat.ui.chat.message_delegate import MessageDelegate
from desktop_chat.ui.chat.message_search import snippet
from desktop_chat.ui.controller import ChatController
from desktop_chat.ui.conversations.conversation_delegate import ConversationDelegate
from desktop_chat.ui.painting.roles import MessageRole


def app_of(client) -> ChatController:
    controller = ChatController(
        client,
        message_delegate=MessageDelegate(),
        conversation_delegate=ConversationDelegate(),
        dwell_seconds=0.3,
    )
    controller.window.resize(900, 600)
    controller.window.show()
    return controller


async def send(client, to: str, text: str) -> ChatMessage:
    return await client.chat_manager.send_message(ChatMessage.text(to, text, ChatType.CHAT))


def test_search_finds_chinese_reads_nothing_and_opens_the_chat_at_the_hit(qt_loop, clients):
    async def scenario():
        await clients.harness.start()
        alice, bob, carol = [await clients.login(n) for n in ("alice", "bob", "carol")]
        hit = await send(bob, "alice", "我们明天说你好世界吧")
        for n in range(70):
            await send(bob, "alice", f"filler {n}")
        await send(carol, "alice", "nothing to see")
        await until(lambda: alice.chat_manager.get_conversation("bob").unread_count == 71)
        app = app_of(alice)
        app.open_conversation("carol")  # another chat is open
        window = app.window
        window.activateWindow()
        await until(window.isActiveWindow)
        QTest.keyClick(
            window,
            Qt.Key.Key_F,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
        dialog = app.search_dialog
        assert dialog is not None and dialog.isVisible()
        dialog.field.insert("你好世界")  # as an input method commits it (QTest types ASCII)
        await until(lambda: dialog.found(), what="results")
        [result] = dialog.found()
        assert (result.msg_id, result.sender, result.chat) == (hit.msg_id, "bob", "bob")
        assert "你好世界" in dialog.results.item(0).text()
        assert "1 message found" in dialog.status.text()
        dialog.search_now("nobody wrote this")
        assert not dialog.found() and "No messages" in dialog.status.text()
        dialog.search_now("你好")  # two characters
        assert [r.msg_id for r in dialog.found()] == [hit.msg_id]
        await asyncio.sleep(0.5)
        # Showing results read nothing.
        assert alice.chat_manager.get_conversation("bob").unread_count == 71
        assert bob.chat_manager.get_message(hit.msg_id).read_at is None
        QTest.keyClick(dialog.field, Qt.Key.Key_Return)  # open the first result
        await asyncio.sleep(0.2)
        assert app.messages.conversation_id == "bob"
        row = app.messages.row_of(hit.msg_id)
        assert row is not None
        assert app.messages.index(row).data(MessageRole.HIGHLIGHTED)
        assert hit.msg_id in app.chat_view.visible_fractions()
        await app.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_a_snippet_is_the_part_around_the_word_found():
    text = "a" * 100 + " needle " + "b" * 100
    cut = snippet(text, "needle", 40)
    assert "needle" in cut and cut.startswith("…") and cut.endswith("…")
    assert snippet("short", "x") == "short"
