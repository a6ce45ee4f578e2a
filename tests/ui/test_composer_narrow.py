"""A group's composer in a narrow window: the text box keeps its room.

The real `ChatView` (offscreen) for a group whose owner may ask for read
receipts, alone at a narrow and a wide width, and in the real `MainWindow`
beside the conversation list at window widths where the composer used to be
squeezed. Narrow, the text input stays at least `ROOM` px wide (and at the
window's smallest, never under `FLOOR`) and "Ask
for read receipts" is still a visible, named, Tab-reachable control inside the
view that a click or Space toggles and that the next send honours; wide, it is
the familiar labelled check box. The state survives the window being resized
across the two.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QAccessible
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication

from desktop_chat.ui.chat.chat_view import ChatView
from desktop_chat.ui.chat.message_delegate import MessageDelegate
from desktop_chat.ui.chat.message_model import MessageListModel
from desktop_chat.ui.conversations.conversation_model import ConversationListModel
from desktop_chat.ui.main_window import MainWindow

ROOM = 160  # px: room for a few words, as a person needs to see what they type
FLOOR = 140  # px: never less, even at the window's smallest (`chat_view.MIN_INPUT`)
RECEIPTS = "Ask for read receipts"
NARROW = 340  # px: the chat pane of a ~600 px window beside the conversation list


@pytest.fixture
def group(qtbot):
    view = ChatView(MessageListModel(), MessageDelegate())
    qtbot.addWidget(view)
    view.show_conversation("team", "3 members", can_ask_receipts=True, is_group=True)
    view.resize(NARROW, 500)
    view.show()
    qtbot.waitExposed(view)
    return view


def resize(view: ChatView, width: int, qtbot) -> None:
    view.resize(width, 500)
    qtbot.waitUntil(lambda: view.width() == width)
    QApplication.processEvents()


def receipts_control(view: ChatView) -> QAbstractButton:
    """The one visible control that says "Ask for read receipts" (by its text or name)."""
    found = [
        button
        for button in view.findChildren(QAbstractButton)
        if button.isVisible() and RECEIPTS in (button.text(), button.accessibleName())
    ]
    assert len(found) == 1, [b.metaObject().className() for b in found]
    return found[0]


def inside(view: ChatView, button: QAbstractButton) -> bool:
    where = QRect(button.mapTo(view, QPoint(0, 0)), button.size())
    return view.rect().contains(where)


def test_a_narrow_group_chat_keeps_the_text_input_wide_enough(group, qtbot):
    assert group.composer.width() >= ROOM, group.composer.width()
    assert inside(group, group.composer)
    assert inside(group, group.send_button)
    assert inside(group, group.attacher.button)


def test_narrow_the_receipts_option_is_named_reachable_and_toggles_the_send(group, qtbot):
    control = receipts_control(group)
    assert inside(group, control), "not clipped off the edge"
    assert control.isEnabled() and control.isCheckable()
    assert control.focusPolicy() & Qt.FocusPolicy.TabFocus, "reachable by Tab"
    assert control.toolTip(), "a compact control says what it does on hover"
    accessible = QAccessible.queryAccessibleInterface(control)
    assert accessible.text(QAccessible.Text.Name) == RECEIPTS
    # A click asks for receipts on the next send, then the toggle resets.
    QTest.mouseClick(control, Qt.MouseButton.LeftButton)
    assert control.isChecked()
    sent = []
    group.send_requested.connect(lambda text, need_ack: sent.append((text, need_ack)))
    group.set_draft("all hands at 3")
    group.send_button.click()
    assert sent == [("all hands at 3", True)]
    assert not control.isChecked(), "each announcement asks on purpose"
    # The keyboard: Space on the focused control toggles it too.
    control.setFocus()
    QTest.keyClick(control, Qt.Key.Key_Space)
    assert control.isChecked()
    group.set_draft("and bring snacks")
    group.composer.setFocus()
    QTest.keyClick(group.composer, Qt.Key.Key_Return)
    assert sent[-1] == ("and bring snacks", True)


def test_wide_it_is_the_labelled_check_box_and_the_state_survives_resizing(group, qtbot):
    resize(group, 900, qtbot)
    wide = receipts_control(group)
    assert wide is group.ask_receipts and wide.text() == RECEIPTS
    assert group.composer.width() >= ROOM
    wide.setChecked(True)
    resize(group, NARROW, qtbot)
    narrow = receipts_control(group)
    assert narrow.isChecked(), "the choice made wide is kept narrow"
    assert group.composer.width() >= ROOM
    narrow.click()
    resize(group, 900, qtbot)
    assert receipts_control(group) is group.ask_receipts
    assert not group.ask_receipts.isChecked()


def test_a_direct_chat_shows_no_receipts_option_at_any_width(group, qtbot):
    group.show_conversation("bob", "online", can_ask_receipts=False, is_group=False)
    for width in (NARROW, 900):
        resize(group, width, qtbot)
        assert not [
            b
            for b in group.findChildren(QAbstractButton)
            if b.isVisible() and RECEIPTS in (b.text(), b.accessibleName())
        ]
        assert group.composer.width() >= ROOM


@pytest.fixture
def windows():
    """Main windows to end as the app does (`dispose`, not close: closing the last
    window would end the test's event loop for the tests after)."""
    made: list[MainWindow] = []
    yield made
    for window in made:
        window.dispose()
    QApplication.processEvents()


def window_at(width: int, qtbot, windows) -> tuple[MainWindow, ChatView]:
    """The real main window, `width` px wide (or its smallest), showing a group."""
    view = ChatView(MessageListModel(), MessageDelegate())
    window = MainWindow("alice", ConversationListModel(), view, None)
    windows.append(window)
    view.show_conversation("team", "3 members", can_ask_receipts=True, is_group=True)
    window.stack.setCurrentWidget(view)
    window.resize(width, 600)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.width() >= width)  # more only at its smallest
    QApplication.processEvents()
    qtbot.wait(20)
    return window, view


@pytest.mark.parametrize("width", [620, 650, 700])
def test_in_a_narrow_window_beside_the_chat_list_the_input_keeps_its_room(width, qtbot, windows):
    _window, view = window_at(width, qtbot, windows)
    assert view.composer.width() >= ROOM, (width, view.composer.width())
    control = receipts_control(view)
    assert inside(view, control)
    control.click()
    assert view.ask_receipts.isChecked()


def test_at_the_windows_smallest_the_input_keeps_its_floor_and_the_toggle(qtbot, windows):
    window, view = window_at(400, qtbot, windows)
    assert window.width() > 400, "the window has a minimum"
    assert view.composer.width() >= FLOOR, view.composer.width()
    control = receipts_control(view)
    assert inside(view, control) and inside(view, view.send_button)
    QTest.mouseClick(control, Qt.MouseButton.LeftButton)
    assert view.ask_receipts.isChecked()
