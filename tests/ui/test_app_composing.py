"""Writing messages in the real app: line breaks, the growing composer, drafts.

Keys are typed into the real composer with QTest; messages cross a real server
to a second real app; a restart is a second `App` on the same data dir.
"""

from __future__ import annotations

import asyncio

from app_driver import App, until
from PySide6.QtCore import QMimeData, QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem

from desktop_chat.ui.chat.message_delegate import MessageDelegate, MessageRow
from desktop_chat.ui.controller import ChatController
from desktop_chat.ui.conversations.conversation_delegate import ConversationDelegate, preview_text
from desktop_chat.ui.painting.roles import ConversationRole


def app_of(client) -> ChatController:
    controller = ChatController(
        client, message_delegate=MessageDelegate(), conversation_delegate=ConversationDelegate()
    )
    controller.window.resize(900, 600)
    controller.window.show()
    return controller


def type_lines(composer, *lines: str) -> None:
    """Type lines as a person does: Shift+Enter between them."""
    composer.setFocus()
    for n, line in enumerate(lines):
        if n:
            QTest.keyClick(composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
        QTest.keyClicks(composer, line)


def geometry_of(controller: ChatController, msg_id: str):
    view = controller.chat_view.list
    index = controller.messages.index(controller.messages.row_of(msg_id))
    option = QStyleOptionViewItem()
    option.rect = view.visualRect(index)
    option.widget = view
    option.font = view.font()
    option.palette = view.palette()
    return view.itemDelegate().row_painter.geometry(option, MessageRow.from_index(index))


def test_shift_enter_line_breaks_reach_both_sides_and_show_as_lines(qt_loop, clients):
    async def scenario():
        await clients.harness.start()
        alice, bob = await clients.login("alice"), await clients.login("bob")
        sender, reader = app_of(alice), app_of(bob)
        sender.start_chat("bob")
        type_lines(sender.chat_view.composer, "line one", "line two")
        QTest.keyClick(sender.chat_view.composer, Qt.Key.Key_Return)  # Enter sends
        await until(lambda: bob.chat_manager.get_conversation("alice").latest_message is not None)
        received = bob.chat_manager.get_conversation("alice").latest_message
        assert received.body.content == "line one\nline two"  # stored intact
        reader.open_conversation("alice")
        for controller, msg_id in ((sender, received.msg_id), (reader, received.msg_id)):
            lines = geometry_of(controller, msg_id).text.line_widths
            assert len(lines) == 2, f"{controller.me} sees {len(lines)} line(s)"
        assert reader.messages.message_at(0).body.content == "line one\nline two"
        row = reader.conversations.index(0)
        assert preview_text(row.data(ConversationRole.LAST_TEXT)) == "line one line two"
        await sender.shutdown()
        await reader.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_the_composer_grows_to_five_lines_then_scrolls_and_pastes_plain_text(qtbot):
    from desktop_chat.ui.chat.chat_view import ChatView
    from desktop_chat.ui.chat.message_model import MessageListModel

    view = ChatView(MessageListModel(), MessageDelegate())
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    composer = view.composer
    one = composer.height()
    type_lines(composer, "a", "b", "c")
    qtbot.waitUntil(lambda: composer.height() > one)
    three = composer.height()
    type_lines(composer, "", "d", "e", "f", "g", "h", "i")
    qtbot.waitUntil(lambda: composer.height() > three)
    qtbot.wait(50)
    most = composer.height()
    assert most < one * 5, "it stops growing at about five lines"
    assert composer.verticalScrollBar().maximum() > 0, "then it scrolls"
    sent: list[str] = []
    view.send_requested.connect(lambda text, _ack: sent.append(text))
    QTest.keyClick(composer, Qt.Key.Key_Return)
    assert sent == ["a\nb\nc\nd\ne\nf\ng\nh\ni"]
    qtbot.waitUntil(lambda: composer.height() == one)

    rich = QMimeData()
    rich.setHtml("<b>bold</b><br>next <i>line</i>")
    rich.setText("bold\nnext line")
    # The clipboard takes ownership of `rich`, a Python-made QMimeData: left there, Qt
    # deletes it at process exit, after Python has finalized, and the process dies
    # with SIGSEGV (in Shiboken::Object::destroy). clear() deletes it while Python runs.
    QApplication.clipboard().setMimeData(rich)
    try:
        composer.setFocus()
        composer.paste()
        assert composer.toPlainText() == "bold\nnext line"
        assert "<b>" not in composer.toPlainText()
    finally:
        QApplication.clipboard().clear()


def test_tab_in_the_composer_moves_the_focus_instead_of_typing_a_tab(qtbot):
    from desktop_chat.ui.chat.chat_view import ChatView
    from desktop_chat.ui.chat.message_model import MessageListModel

    view = ChatView(MessageListModel(), MessageDelegate())
    qtbot.addWidget(view)
    view.show()
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow)
    view.composer.setFocus()
    QTest.keyClicks(view.composer, "hi")
    QTest.keyClick(view.composer, Qt.Key.Key_Tab)
    assert view.composer.toPlainText() == "hi"
    assert not view.composer.hasFocus()


def test_a_draft_stays_with_its_chat_across_switches_and_a_restart(qt_loop, clients, tmp_path):
    async def scenario():
        harness = clients.harness
        await harness.start()
        await harness.register("bob", "carol")
        app = await App(tmp_path / "alice-pc", harness.url).start()
        await app.sign_in("alice", register=True)
        controller = app.controller
        composer = controller.chat_view.composer
        controller.start_chat("bob")
        type_lines(composer, "for bob,", "two lines")
        controller.start_chat("carol")
        assert composer.toPlainText() == "", "bob's draft does not follow into carol's chat"
        QTest.keyClick(composer, Qt.Key.Key_Return)  # Enter in carol's chat sends nothing
        await asyncio.sleep(0.3)
        assert controller.client.chat_manager.local_messages("carol", None, 10) == []
        type_lines(composer, "carol's")
        bob_row = controller.conversations.row("bob")
        assert bob_row.draft == "for bob,\ntwo lines"
        controller.open_conversation("bob")
        assert composer.toPlainText() == "for bob,\ntwo lines"
        await app.ctrl_q()

        again = await App(tmp_path / "alice-pc", harness.url).start()
        controller = again.controller
        assert controller.conversations.row("carol").draft == "carol's"
        assert controller.conversations.row("bob").draft == "for bob,\ntwo lines"
        controller.open_conversation("carol")
        assert controller.chat_view.composer.toPlainText() == "carol's"
        QTest.keyClick(controller.chat_view.composer, Qt.Key.Key_Return)
        await until(lambda: controller.client.chat_manager.local_messages("carol", None, 10))
        assert controller.conversations.row("carol").draft == "", "sent: the draft is gone"
        await again.ctrl_q()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_the_conversation_list_shows_a_draft(qtbot):
    from desktop_chat.ui.conversations.conversation_model import (
        ConversationListModel,
        ConversationRow,
    )

    model = ConversationListModel()
    model.reset([ConversationRow("bob", "bob", False, last_text="see you", draft="half a")])
    delegate = ConversationDelegate()
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, 320, 64)
    assert delegate.row_painter.second_line(model.index(0)) == ("Draft: ", "half a")
    model.reset([ConversationRow("bob", "bob", False, last_text="see\nyou")])
    assert delegate.row_painter.second_line(model.index(0)) == ("", "see you")
