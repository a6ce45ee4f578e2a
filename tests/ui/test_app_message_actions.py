"""What a person does to a message in the real app: recall, edit, reply, delete, info.

Real server, real clients, real widgets (offscreen): the message menu opens from
a real context-menu event or the Menu key on the list view, and its entries are
triggered as a click does; replies and edits are typed into the real composer.
"""

from __future__ import annotations

import asyncio

import pytest
from app_driver import until
from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QStyleOptionViewItem

from desktop_chat.client import ChatMessage, ChatType
from desktop_chat.server.config import wall_clock_ms
from desktop_chat.ui.chat.message_delegate import MessageDelegate, MessageRow
from desktop_chat.ui.chat.message_menu import MenuChoice
from desktop_chat.ui.controller import ChatController
from desktop_chat.ui.conversations.conversation_delegate import ConversationDelegate
from desktop_chat.ui.painting.roles import MessageRole


def app_of(client, **kwargs) -> ChatController:
    controller = ChatController(
        client,
        message_delegate=MessageDelegate(),
        conversation_delegate=ConversationDelegate(),
        **kwargs,
    )
    controller.window.resize(900, 600)
    controller.window.show()
    return controller


def index_of(controller: ChatController, msg_id: str):
    return controller.messages.index(controller.messages.row_of(msg_id))


def geometry_of(controller: ChatController, msg_id: str):
    view = controller.chat_view.list
    index = index_of(controller, msg_id)
    option = QStyleOptionViewItem()
    option.rect = view.visualRect(index)
    option.widget = view
    option.font = view.font()
    option.palette = view.palette()
    return view.itemDelegate().row_painter.geometry(option, MessageRow.from_index(index))


def right_click(controller: ChatController, msg_id: str):
    """A real right click's context-menu event on the message's bubble; the menu."""
    view = controller.chat_view.list
    view.scrollTo(index_of(controller, msg_id))
    where = (
        geometry_of(controller, msg_id).bubble.center()
        + view.visualRect(index_of(controller, msg_id)).topLeft()
    )
    event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, where, view.viewport().mapToGlobal(where)
    )
    QApplication.sendEvent(view.viewport(), event)
    return controller.message_menu


async def send(client, to: str, text: str, reply_to: str | None = None) -> ChatMessage:
    return await client.chat_manager.send_message(
        ChatMessage.text(to, text, ChatType.CHAT, reply_to=reply_to)
    )


def type_and_enter(composer, text: str) -> None:
    composer.setFocus()
    QTest.keyClicks(composer, text)
    QTest.keyClick(composer, Qt.Key.Key_Return)


def test_a_recall_from_the_menu_shows_a_quiet_line_on_both_sides_and_after_a_restart(
    qt_loop, clients
):
    async def scenario():
        await clients.harness.start()
        alice, bob = await clients.login("alice"), await clients.login("bob", device="bob1")
        sender, reader = app_of(alice), app_of(bob)
        sent = await send(alice, "bob", "oops, wrong chat")
        await until(lambda: bob.chat_manager.get_message(sent.msg_id) is not None)
        sender.open_conversation("bob")
        reader.open_conversation("alice")
        await until(lambda: reader.messages.row_of(sent.msg_id) is not None)
        menu = right_click(sender, sent.msg_id)
        assert menu is not None and "Recall" in menu.labels()
        menu.choose(MenuChoice.RECALL)
        for controller, line in (
            (sender, "You recalled a message"),
            (reader, "alice recalled a message"),
        ):
            await until(
                lambda c=controller, t=line: index_of(c, sent.msg_id).data(MessageRole.NOTICE) == t,
                what=f"{controller.me} sees the recall",
            )
            await asyncio.sleep(0.05)  # the coalesced repaint
            geo = geometry_of(controller, sent.msg_id)
            assert geo.is_notice and geo.tick_rect is None and geo.read_rect is None
            assert geo.time_rect.isEmpty()
            assert index_of(controller, sent.msg_id).data(MessageRole.TEXT) == ""
            # A recalled message offers no copy, no reply and no recall.
            labels = right_click(controller, sent.msg_id).labels()
            controller.message_menu.close()
            assert labels == ["Delete for me…"]
            assert controller.conversations.row(controller.messages.conversation_id).last_text == (
                line
            )
        await reader.shutdown()
        await bob.close()
        again = await clients.login("bob", device="bob1")  # bob restarts the app
        restarted = app_of(again)
        restarted.open_conversation("alice")
        assert index_of(restarted, sent.msg_id).data(MessageRole.NOTICE) == (
            "alice recalled a message"
        )
        await sender.shutdown()
        await restarted.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_recall_after_the_limit_says_why_in_words(qt_loop, clients):
    async def scenario():
        # The server's clock runs ahead of this computer's once the message is sent.
        ahead = [0]
        await clients.harness.start(clock=lambda: wall_clock_ms() + ahead[0])
        alice = await clients.login("alice")
        await clients.login("bob")
        sender = app_of(alice)
        sent = await send(alice, "bob", "too late")
        sender.open_conversation("bob")
        ahead[0] = 10 * 60 * 1000
        # The menu still offers it (this computer's clock says it was just sent, within
        # the server's limit); the server, 10 minutes on, refuses.
        right_click(sender, sent.msg_id).choose(MenuChoice.RECALL)
        await until(lambda: sender.errors, what="the refusal shown")
        assert "too late to recall" in sender.errors[-1].lower()
        assert "delete it for yourself" in sender.errors[-1].lower()
        await sender.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_the_menu_offers_recall_only_within_the_servers_limit(qt_loop, clients):
    """The server's own limit (its hello_ok), not the default: with none left, the
    menu has no Recall."""

    async def scenario():
        await clients.harness.start(recall_seconds=0)
        alice = await clients.login("alice")
        await clients.login("bob")
        sender = app_of(alice)
        sent = await send(alice, "bob", "too late already")
        sender.open_conversation("bob")
        with pytest.raises(LookupError):
            right_click(sender, sent.msg_id).choose(MenuChoice.RECALL)
        await sender.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_edit_from_the_menu_keeps_receipts_and_shows_edited_on_both_sides(qt_loop, clients):
    async def scenario():
        await clients.harness.start()
        alice, bob = await clients.login("alice"), await clients.login("bob")
        sender, reader = app_of(alice), app_of(bob)
        sent = await send(alice, "bob", "helo")
        await until(lambda: bob.chat_manager.get_message(sent.msg_id) is not None)
        sender.open_conversation("bob")
        reader.open_conversation("alice")
        await until(lambda: alice.chat_manager.get_message(sent.msg_id).delivered_at is not None)
        mark_before = alice.chat_manager.get_message(sent.msg_id).mark
        composer = sender.chat_view.composer
        QTest.keyClicks(composer, "a draft")
        # The Menu key on the current message opens the same menu.
        view = sender.chat_view.list
        view.setFocus()
        view.setCurrentIndex(index_of(sender, sent.msg_id))
        QTest.keyClick(view, Qt.Key.Key_Menu)
        sender.message_menu.choose(MenuChoice.EDIT)
        assert sender.chat_view.bar.isVisible() and "Editing" in sender.chat_view.bar.label.text()
        assert composer.toPlainText() == "helo"
        QTest.keyClick(composer, Qt.Key.Key_Escape)  # Esc cancels: the draft is back
        assert not sender.chat_view.bar.isVisible() and composer.toPlainText() == "a draft"
        sender.chat_view.setFocus()
        QTest.keyClick(view, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
        sender.message_menu.choose(MenuChoice.EDIT)
        composer.selectAll()
        type_and_enter(composer, "hello")
        assert composer.toPlainText() == "a draft"
        for controller in (sender, reader):
            await until(
                lambda c=controller: index_of(c, sent.msg_id).data(MessageRole.TEXT) == "hello",
                what=f"{controller.me} sees the edit",
            )
            assert index_of(controller, sent.msg_id).data(MessageRole.EDITED)
            await asyncio.sleep(0.05)
            assert geometry_of(controller, sent.msg_id).edited_rect is not None
        assert alice.chat_manager.get_message(sent.msg_id).mark == mark_before
        assert len(sender.messages.messages()) == 1  # an edit, not a new message
        await sender.shutdown()
        await reader.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_reply_quotes_the_original_and_a_click_on_the_quote_jumps_to_it(qt_loop, clients):
    async def scenario():
        await clients.harness.start()
        alice, bob = await clients.login("alice"), await clients.login("bob")
        sender, reader = app_of(alice), app_of(bob)
        original = await send(bob, "alice", "Lunch at noon?\nOr later")
        for n in range(30):
            await send(bob, "alice", f"filler {n}")
        await until(lambda: len(alice.chat_manager.local_messages("bob", None, 100)) == 31)
        sender.open_conversation("bob")
        await asyncio.sleep(0.1)
        sender.chat_view.reveal(original.msg_id)
        right_click(sender, original.msg_id).choose(MenuChoice.REPLY)
        bar = sender.chat_view.bar
        assert bar.isVisible() and bar.label.text().startswith("Replying to bob: Lunch at noon?")
        QTest.keyClick(sender.chat_view.composer, Qt.Key.Key_Escape)
        assert not bar.isVisible()
        right_click(sender, original.msg_id).choose(MenuChoice.REPLY)
        type_and_enter(sender.chat_view.composer, "Noon works")
        assert not bar.isVisible()
        await until(lambda: any(m.reply_to == original.msg_id for m in sender.messages.messages()))
        reply = next(m for m in sender.messages.messages() if m.reply_to == original.msg_id)
        await until(lambda: bob.chat_manager.get_message(reply.msg_id) is not None)
        assert bob.chat_manager.get_message(reply.msg_id).reply_to == original.msg_id
        reader.open_conversation("alice")
        await asyncio.sleep(0.1)
        for controller in (sender, reader):
            index = index_of(controller, reply.msg_id)
            assert index.data(MessageRole.REPLY_SENDER) == "bob"
            assert index.data(MessageRole.REPLY_TEXT) == "Lunch at noon?"
            controller.chat_view.scroll_to_bottom()
        await asyncio.sleep(0.1)
        # The original is out of view; the quote in the reply's bubble does not read it.
        fractions = reader.chat_view.visible_fractions()
        assert reply.msg_id in fractions and original.msg_id not in fractions
        # A click on the quote scrolls to the original and highlights it.
        view = reader.chat_view.list
        quote = geometry_of(reader, reply.msg_id).quote_rect
        where = quote.center() + view.visualRect(index_of(reader, reply.msg_id)).topLeft()
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=where)
        await asyncio.sleep(0.1)
        assert original.msg_id in reader.chat_view.visible_fractions()
        assert index_of(reader, original.msg_id).data(MessageRole.HIGHLIGHTED)
        await sender.shutdown()
        await reader.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_a_quote_loads_older_pages_until_the_original_is_shown(qt_loop, clients):
    async def scenario():
        await clients.harness.start()
        alice, bob = await clients.login("alice"), await clients.login("bob")
        original = await send(bob, "alice", "the very first")
        for n in range(120):
            await send(bob, "alice", f"filler {n}")
        await send(bob, "alice", "about that", reply_to=original.msg_id)
        await until(lambda: len(alice.chat_manager.local_messages("bob", None, 200)) == 122)
        await alice.chat_manager.mark_conversation_read_locally("bob", None)
        reader = app_of(alice)
        reader.open_conversation("bob")
        assert reader.messages.row_of(original.msg_id) is None  # not in the newest page
        assert reader.jump_to_message(original.msg_id)
        await asyncio.sleep(0.1)
        assert original.msg_id in reader.chat_view.visible_fractions()
        await reader.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_delete_for_me_asks_first_and_info_shows_the_receipt_times(qt_loop, clients):
    async def scenario():
        await clients.harness.start()
        alice, bob = await clients.login("alice"), await clients.login("bob")
        sender, reader = app_of(alice), app_of(bob)
        sent = await send(alice, "bob", "keep or delete")
        sender.open_conversation("bob")
        await until(lambda: alice.chat_manager.get_message(sent.msg_id).delivered_at is not None)
        right_click(sender, sent.msg_id).choose(MenuChoice.INFO)
        box = sender.message_box
        assert box.isVisible() and "Sent " in box.text() and "Delivered " in box.text()
        box.close()
        right_click(sender, sent.msg_id).choose(MenuChoice.DELETE)
        box = sender.message_box
        assert box.isVisible()
        box.button(QMessageBox.StandardButton.Cancel).click()
        assert sender.messages.row_of(sent.msg_id) is not None
        right_click(sender, sent.msg_id).choose(MenuChoice.DELETE)
        delete = next(b for b in sender.message_box.buttons() if b.text() == "Delete for me")
        delete.click()
        await until(lambda: sender.messages.row_of(sent.msg_id) is None)
        assert alice.chat_manager.get_message(sent.msg_id) is None
        reader.open_conversation("alice")
        assert reader.messages.row_of(sent.msg_id) is not None  # only alice's copy went
        await sender.shutdown()
        await reader.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_a_message_recalled_or_deleted_while_unread_is_never_acked(qt_loop, clients):
    async def scenario():
        await clients.harness.start()
        alice, bob = await clients.login("alice"), await clients.login("bob")
        seen = {"on": False}
        reader = app_of(
            bob,
            dwell_seconds=0.3,
            tracker_sources={
                "visible_fractions": lambda: (
                    {} if not seen["on"] else reader.chat_view.visible_fractions()
                )
            },
        )
        first = await send(alice, "bob", "recalled soon")
        second = await send(alice, "bob", "deleted soon")
        await until(lambda: bob.chat_manager.get_message(second.msg_id) is not None)
        reader.open_conversation("alice")
        assert set(reader.tracker.pending) >= {first.msg_id, second.msg_id}
        await alice.chat_manager.recall_message(first.msg_id)
        await until(lambda: first.msg_id not in reader.tracker.pending, what="recall forgotten")
        reader.delete_for_me(second.msg_id)
        assert second.msg_id not in reader.tracker.pending
        seen["on"] = True
        reader.tracker.evaluate()
        await asyncio.sleep(0.8)
        await clients.settle(bob)
        for msg_id in (first.msg_id, second.msg_id):
            stored = alice.chat_manager.get_message(msg_id)
            assert stored.read_at is None, "a read receipt reached alice"
        assert bob.chat_manager.get_conversation("alice").unread_count == 0
        await reader.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))
