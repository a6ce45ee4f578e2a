"""The chat view's reading aids: date lines, "jump to newest", selectable text.

The real `ChatView`, `MessageListModel` and `MessageDelegate` (offscreen), under
Qt's own model tester; an app-level test checks that jumping to the newest
message reads only what is then really on screen.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

import pytest
from app_driver import until
from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester, QTest
from PySide6.QtWidgets import QApplication, QPlainTextEdit

from desktop_chat.client import ChatMessage
from desktop_chat.client.models import MessageDirection, TextMessageBody
from desktop_chat.protocol import Mark
from desktop_chat.ui.chat.chat_view import ChatView
from desktop_chat.ui.chat.message_delegate import (
    BANNER_HEIGHT,
    DATE_HEIGHT,
    MessageDelegate,
    MessageRow,
)
from desktop_chat.ui.chat.message_model import MessageListModel
from desktop_chat.ui.painting.common import day_label
from desktop_chat.ui.painting.roles import MessageRole


def at(days_ago: int, hour: int) -> int:
    day = datetime.now().replace(hour=hour, minute=0, second=0, microsecond=0)
    return int((day - timedelta(days=days_ago)).timestamp() * 1000)


def message(n: int, when: int, text: str | None = None, incoming: bool = True) -> ChatMessage:
    return ChatMessage(
        msg_id=f"m{n:04d}",
        conversation_id="bob",
        from_="bob" if incoming else "alice",
        to="alice" if incoming else "bob",
        chat_type="chat",
        body=TextMessageBody(text or f"message {n}"),
        direction=MessageDirection.RECEIVE if incoming else MessageDirection.SEND,
        server_time=when,
        mark=Mark.READ,
    )


def loader(messages):
    def load(before, count):
        older = [m for m in messages if before is None or m.order_key < before]
        return older[-count:]

    return load


@pytest.fixture
def chat(qtbot):
    model = MessageListModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    view = ChatView(model, MessageDelegate())
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    qtbot.waitExposed(view)
    return model, view


def test_day_labels_read_like_a_person_says_them():
    now = datetime(2025, 6, 15, 12, 0)
    assert day_label(int(datetime(2025, 6, 15, 8).timestamp() * 1000), now) == "Today"
    assert day_label(int(datetime(2025, 6, 14, 23).timestamp() * 1000), now) == "Yesterday"
    assert day_label(int(datetime(2025, 3, 3, 9).timestamp() * 1000), now) == "3 March"
    assert day_label(int(datetime(2023, 12, 31, 9).timestamp() * 1000), now) == "31 December 2023"


def test_a_date_line_stands_above_the_first_message_of_each_day(chat, qtbot):
    model, _view = chat
    history = [
        message(0, at(3, 9)),
        message(1, at(3, 10)),
        message(2, at(1, 9)),
        message(3, at(0, 8)),
        message(4, at(0, 9)),
    ]
    model.load("bob", loader(history))
    dates = [model.index(row).data(MessageRole.DATE) for row in range(model.rowCount())]
    assert dates == [day_label(history[0].server_time), "", "Yesterday", "Today", ""]
    # A message arriving today below today's messages gets no second "Today".
    model.upsert(message(5, at(0, 11)))
    assert model.index(5).data(MessageRole.DATE) == ""
    # An older message inserted before a day's first takes over its date line.
    model.upsert(message(6, at(1, 7)))
    qtbot.waitUntil(lambda: model.index(3).data(MessageRole.DATE) == "")
    assert model.index(2).data(MessageRole.DATE) == "Yesterday"


def test_a_row_with_a_date_and_the_unread_line_measures_only_its_bubble(chat, qtbot):
    model, view = chat
    history = [message(n, at(1, 9) + n) for n in range(30)]
    history += [message(100, at(0, 9), "first unread today")]
    history += [message(101 + n, at(0, 10) + n) for n in range(30)]
    model.load("bob", loader(history))
    model.set_unread_marker("m0100", 31)
    row = model.row_of("m0100")
    qtbot.waitUntil(lambda: model.index(row).data(MessageRole.BANNER) == "31 unread messages")
    assert model.index(row).data(MessageRole.DATE) == "Today"
    index = model.index(row)
    geometry = view.list.itemDelegate().row_painter.geometry(
        view_option(view, row), MessageRow.from_index(index)
    )
    assert geometry.date_rect is not None and geometry.banner_rect is not None
    assert geometry.banner_rect.top() >= geometry.date_rect.bottom()
    assert geometry.bubble.top() >= DATE_HEIGHT + BANNER_HEIGHT
    # Scroll so that both lines are above the viewport and the bubble is just inside.
    view.list.scrollTo(index)
    qtbot.wait(50)
    rect = view.list.visualRect(index)
    scrollbar = view.list.verticalScrollBar()
    scrollbar.setValue(scrollbar.value() + rect.top() + DATE_HEIGHT + BANNER_HEIGHT - 1)
    qtbot.wait(50)
    assert view.visible_fractions()["m0100"] == pytest.approx(1.0, abs=0.01)


def view_option(view, row):
    from PySide6.QtWidgets import QStyleOptionViewItem

    option = QStyleOptionViewItem()
    option.rect = view.list.visualRect(view.model.index(row))
    option.widget = view.list
    option.font = view.list.font()
    option.palette = view.list.palette()
    return option


def test_jump_to_newest_shows_while_the_newest_is_out_of_view_with_the_unread_count(chat, qtbot):
    model, view = chat
    history = [message(n, at(0, 9) + n * 1000) for n in range(60)]
    model.load("bob", loader(history))
    qtbot.wait(100)
    button = view.jump_button
    assert not button.isVisible(), "at the bottom: no button"
    view.list.verticalScrollBar().setValue(0)
    qtbot.waitUntil(button.isVisible)
    view.set_unread_below(7)
    assert "7" in button.badge_text()
    # It floats over the message list, in its bottom right corner.
    corner = view.list.viewport().mapTo(view, view.list.viewport().rect().bottomRight())
    assert button.geometry().right() <= corner.x() and button.geometry().bottom() <= corner.y()
    assert button.geometry().right() > corner.x() - 120
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    scrollbar = view.list.verticalScrollBar()
    qtbot.waitUntil(lambda: scrollbar.value() == scrollbar.maximum())
    qtbot.waitUntil(lambda: not button.isVisible())
    view.set_unread_below(0)
    view.list.verticalScrollBar().setValue(0)
    qtbot.waitUntil(button.isVisible)
    assert button.badge_text() == ""


def test_double_click_opens_a_selectable_read_only_copy_of_the_text(chat, qtbot):
    model, view = chat
    text = "line one\nline two with a link-like thing"
    model.load("bob", loader([message(0, at(0, 9), text)]))
    qtbot.wait(100)
    index = model.index(0)
    centre = view.list.visualRect(index).center()
    geometry = view.list.itemDelegate().row_painter.geometry(
        view_option(view, 0), MessageRow.from_index(index)
    )
    inside = view.list.visualRect(index).topLeft() + geometry.bubble.center()
    # What Qt gets from a real double-click: press, release, then the double-click.
    QTest.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=inside)
    QTest.mouseDClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=inside)
    editor = view.list.viewport().findChild(QPlainTextEdit)
    assert editor is not None and editor.isVisible(), "a text editor over the bubble"
    assert editor.isReadOnly()
    assert editor.toPlainText() == text, "the stored text, line breaks and all"
    assert editor.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert view.list.visualRect(index).contains(editor.geometry().center())
    editor.selectAll()
    QTest.keyClick(editor, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == text
    QTest.keyClick(editor, Qt.Key.Key_Escape)
    qtbot.waitUntil(
        lambda: (
            view.list.viewport().findChild(QPlainTextEdit) is None
            or not view.list.viewport().findChild(QPlainTextEdit).isVisible()
        )
    )
    assert model.message_at(0).body.content == text
    assert centre  # the row is still there


def test_the_message_list_is_reachable_by_keyboard_and_ctrl_c_copies(chat, qtbot):
    model, view = chat
    model.load("bob", loader([message(0, at(0, 9), "first"), message(1, at(0, 10), "a\nb")]))
    qtbot.wait(100)
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow)
    view.composer.setFocus()
    QTest.keyClick(view.composer, Qt.Key.Key_Backtab)
    assert view.list.hasFocus(), "Shift+Tab from the composer reaches the messages"
    assert view.list.currentIndex().row() == 1, "starting at the newest"
    QTest.keyClick(view.list, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == "a\nb"
    QTest.keyClick(view.list, Qt.Key.Key_Up)
    QTest.keyClick(view.list, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == "first"
    QTest.keyClick(view.list, Qt.Key.Key_F2)
    editor = view.list.viewport().findChild(QPlainTextEdit)
    assert editor is not None and editor.isVisible() and editor.toPlainText() == "first"
    QTest.keyClick(editor, Qt.Key.Key_Escape)


def test_jumping_to_the_newest_reads_only_what_is_then_on_screen(qt_loop, clients):
    from desktop_chat.ui.controller import ChatController

    async def scenario():
        await clients.harness.start()
        alice, bob = await clients.login("alice"), await clients.login("bob")
        sent = [
            await alice.chat_manager.send_message(ChatMessage.text("bob", f"unread {n}\nmore"))
            for n in range(40)
        ]
        await until(lambda: bob.chat_manager.get_conversation("alice").unread_count == 40)
        now = [time.monotonic()]
        reader = ChatController(
            bob,
            message_delegate=MessageDelegate(),
            dwell_seconds=0.3,
            tracker_sources={"is_active": lambda: True, "last_input": lambda: now[0]},
        )
        reader.window.resize(900, 600)
        reader.window.show()
        view = reader.chat_view
        reader.open_conversation("alice")
        await until(view.jump_button.isVisible, what="the jump button")
        assert "40" in view.jump_button.badge_text()
        seen: set[str] = set()

        async def watch(seconds: float) -> None:
            for _ in range(round(seconds / 0.05)):
                now[0] = time.monotonic()
                seen.update(m for m, share in view.visible_fractions().items() if share >= 0.5)
                await asyncio.sleep(0.05)

        view.jump_button.click()
        await watch(2.0)
        assert not view.jump_button.isVisible()
        read = {m.msg_id for m in sent if alice.chat_manager.get_message(m.msg_id).has_read_ack}
        assert read, "what is on screen at the bottom is read"
        assert read <= seen, "nothing skipped by the jump is read"
        assert sent[5].msg_id not in read
        unread = reader.conversations.row("alice").unread
        assert unread == 40 - len(read)
        await reader.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_while_editing_the_send_button_says_save_and_goes_back_after(chat, qtbot):
    model, view = chat
    model.load("bob", loader([message(0, at(0, 9), "typo hree", incoming=False)]))
    edits = []
    view.edit_requested.connect(lambda msg_id, text: edits.append((msg_id, text)))
    assert view.send_button.text() == "Send"
    view.start_edit("m0000", "typo hree")
    assert view.send_button.text() == "Save", "the button says what Enter does"
    view.cancel_bar()  # Esc or ×
    assert view.send_button.text() == "Send"
    view.start_edit("m0000", "typo hree")
    view.composer.set_text("typo here")
    view.send_button.click()
    assert edits == [("m0000", "typo here")]
    assert view.send_button.text() == "Send"


def fresh_fractions(view):
    """What a measurement from scratch says now (the remembered answer forgotten)."""
    view._fractions_key = None
    return view.visible_fractions()


def test_the_remembered_visible_fractions_follow_every_change_of_the_view(chat, qtbot):
    """The view remembers its last measurement while nothing moved (the read tracker
    asks five times a second); a scroll, a longer message, a resize or a window moved
    half off the screen must each give the answer a fresh measurement gives."""
    model, view = chat
    history = [message(n, at(0, 9) + n) for n in range(60)]
    model.load("bob", loader(history))
    qtbot.waitUntil(lambda: bool(view.visible_fractions()))
    first = view.visible_fractions()
    assert view.visible_fractions() == first  # nothing moved: the same answer

    def same_as_fresh() -> bool:
        remembered = view.visible_fractions()
        return remembered == fresh_fractions(view) and bool(remembered)

    scrollbar = view.list.verticalScrollBar()
    qtbot.waitUntil(lambda: scrollbar.maximum() > 400)
    scrollbar.setValue(scrollbar.maximum() - 300)
    qtbot.waitUntil(lambda: view.visible_fractions() != first, timeout=2000)
    assert same_as_fresh()

    shown = view.visible_fractions()
    top = min(shown, key=lambda m: model.row_of(m))
    longer = message(int(top[1:]), at(0, 9) + int(top[1:]), "a much longer text " * 60)
    before = view.visible_fractions()
    model.update([longer])
    qtbot.waitUntil(lambda: view.visible_fractions() != before, timeout=2000)
    assert same_as_fresh()

    before = view.visible_fractions()
    view.resize(700, 300)
    qtbot.waitUntil(lambda: view.visible_fractions() != before, timeout=2000)
    assert same_as_fresh()

    before = view.visible_fractions()
    screen = view.screen().geometry()
    view.move(screen.right() - 350, view.y())  # half the window off the screen
    qtbot.waitUntil(lambda: view.visible_fractions() != before, timeout=2000)
    assert same_as_fresh()
