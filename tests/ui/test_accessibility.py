"""The app as a screen reader and a keyboard meet it: the accessibility tree, walked.

The real app (`AppSession`, as `desktop-chat` runs it) signs in against a real
server; real peers send, receive and read. Each check asks Qt's accessibility
layer (`QAccessible.queryAccessibleInterface`, `child(i)` down the tree), which
is what AT-SPI hands to Orca: every visible control a person can use has a
name; a message row says its sender, time, text and receipt state, and says it
anew when the peer reads; the keyboard scrolls the message list and its focus
is painted, in a light and a dark palette.
"""

from __future__ import annotations

import asyncio
import re

from app_driver import App, until
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAccessible, QColor, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QMenu, QTabWidget

from desktop_chat.client import ChatMessage
from desktop_chat.client.models import ChatType, MessageDirection, TextMessageBody
from desktop_chat.protocol import Mark
from desktop_chat.ui.painting.common import clock_text
from desktop_chat.ui.spoken import conversation_text, message_text, receipt_text

Role = QAccessible.Role
# What a person operates (and so must hear named). Scroll bars and splitter grips
# are Qt's own and say their role; static text is read as it is.
INTERACTIVE = {
    Role.Button,  # PushButton, QToolButton
    Role.CheckBox,
    Role.RadioButton,
    Role.ComboBox,
    Role.EditableText,
    Role.SpinBox,
    Role.List,
    Role.ListItem,
    Role.PageTab,
    Role.PageTabList,
    Role.MenuItem,
    Role.ButtonMenu,
    Role.ButtonDropDown,
}


def walk(iface, seen: set | None = None):
    """`iface` and every interface below it, depth first."""
    seen = set() if seen is None else seen
    if iface is None or not iface.isValid():
        return
    yield iface
    for i in range(iface.childCount()):
        child = iface.child(i)
        if child is None or not child.isValid():
            continue
        key = (id(child.object()) if child.object() is not None else None, child.role(), i)
        if child.object() is not None and key in seen:
            continue
        seen.add(key)
        yield from walk(child, seen)


def tree(widget):
    return list(walk(QAccessible.queryAccessibleInterface(widget)))


def describe(iface) -> str:
    obj = iface.object()
    what = type(obj).__name__ if obj is not None else "item"
    name = obj.objectName() if obj is not None else ""
    return f"{iface.role().name} {what} {name!r}".strip()


def unnamed(widget) -> list[str]:
    """The visible controls under `widget` that a screen reader would not name."""
    return [
        describe(iface)
        for iface in tree(widget)
        if iface.role() in INTERACTIVE
        and not iface.state().invisible
        and not iface.text(QAccessible.Text.Name).strip()
    ]


def roles(widget) -> set:
    return {iface.role() for iface in tree(widget) if not iface.state().invisible}


def item_texts(view) -> list[str]:
    """What the screen reader hears for each row of a list view."""
    iface = QAccessible.queryAccessibleInterface(view)
    assert iface is not None and iface.role() is Role.List, describe(iface)
    return [
        iface.child(i).text(QAccessible.Text.Name)
        for i in range(iface.childCount())
        if iface.child(i).role() is Role.ListItem
    ]


def spoken_row(view, text: str) -> str:
    found = [said for said in item_texts(view) if text in said]
    assert len(found) == 1, (text, item_texts(view))
    return found[0]


def dialogs(kind=QDialog) -> list:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


async def signed_in(clients, tmp_path, name: str = "alice") -> App:
    QAccessible.setActive(True)  # as with a screen reader running: item interfaces answer
    app = await App(tmp_path / f"{name}-pc", clients.harness.url).start()
    return app


# ---------------------------------------------------------------- names


def test_every_visible_control_in_every_window_has_an_accessible_name(qt_loop, clients, tmp_path):
    async def scenario():
        await clients.harness.start()
        await clients.harness.register("carol")
        bob = await clients.login("bob")
        app = await signed_in(clients, tmp_path)
        await until(lambda: app.session.login_dialog is not None, what="the sign-in dialog")
        login = app.session.login_dialog
        assert unnamed(login) == []
        assert {Role.EditableText, Role.Button} <= roles(login)
        await app.sign_in("alice", register=True)
        window, controller = app.window, app.controller

        await bob.chat_manager.send_message(ChatMessage.text("alice", "hello alice"))
        group = await bob.group_manager.create_group("Launch team", ["alice", "carol"], "all")
        await until(lambda: group.group_id in controller.client.groups, what="the group")
        await bob.chat_manager.send_message(
            ChatMessage.text(group.group_id, "standup", ChatType.GROUP_CHAT)
        )
        await until(lambda: controller.conversations.row(group.group_id) is not None)
        controller.open_conversation(group.group_id)
        await until(lambda: controller.messages.rowCount() == 1, what="the group's message")
        chat = controller.chat_view
        incoming = controller.messages.message_at(0)
        chat.start_reply(incoming.msg_id, "bob", "standup")  # the bar's × is visible
        await until(chat.bar.isVisible, what="the reply bar")
        assert unnamed(window) == []
        assert {Role.List, Role.ListItem, Role.EditableText, Role.Button, Role.MenuItem} <= roles(
            window
        )

        session = app.session
        for open_dialog in (session.open_new_chat, session.open_new_group, session.open_settings):
            open_dialog()
            await until(lambda: len(dialogs()) == 1, what="a dialog")
            (dialog,) = dialogs()
            assert unnamed(dialog) == [], dialog.windowTitle()
            dialog.reject()
            await until(lambda: not dialogs(), what="the dialog closed")

        search = controller.open_message_search()
        await until(search.isVisible)
        assert unnamed(search) == []
        search.close()

        controller.open_group_info()
        await until(lambda: controller.group_info_view is not None)
        info = controller.group_info_view
        await until(info.isVisible)
        assert unnamed(info) == []
        info.close()

        ask = ChatMessage.text(group.group_id, "who read this?", ChatType.GROUP_CHAT)
        ask.need_group_ack = True
        mine = await controller.client.chat_manager.send_message(ask)
        controller.open_read_by(mine.msg_id)
        await until(lambda: mine.msg_id in controller.read_by_views)
        read_by = controller.read_by_views[mine.msg_id]
        await until(read_by.isVisible)
        assert unnamed(read_by) == []
        assert {Role.PageTab, Role.EditableText} <= roles(read_by)
        read_by.findChild(QTabWidget, "tabs").setCurrentIndex(1)  # who hasn't read it
        await until(lambda: Role.ListItem in roles(read_by), what="the unread members listed")
        assert unnamed(read_by) == []
        read_by.close()

        menu = controller.open_message_menu(incoming.msg_id, window.mapToGlobal(QPoint(50, 50)))
        assert menu is not None and isinstance(menu, QMenu)
        await until(menu.isVisible)
        assert unnamed(menu) == [] and Role.MenuItem in roles(menu)
        menu.close()
        await app.close()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 80))


def test_the_check_finds_a_control_without_a_name(qapp):
    """The walk above can fail: a nameless icon button and an unnamed list are found."""
    from PySide6.QtWidgets import QListView, QToolButton, QVBoxLayout, QWidget

    QAccessible.setActive(True)
    box = QWidget()
    layout = QVBoxLayout(box)
    button = QToolButton()
    listing = QListView()
    layout.addWidget(button)
    layout.addWidget(listing)
    box.show()
    assert sorted(unnamed(box)) == ["Button QToolButton ''", "List QListView ''"]
    button.setAccessibleName("Close")
    listing.setAccessibleName("Things")
    assert unnamed(box) == []
    box.close()


# ---------------------------------------------------------------- message rows


def _message(mark: Mark, **fields) -> ChatMessage:
    base = {
        "msg_id": "m1",
        "conversation_id": "bob",
        "from_": "alice",
        "to": "bob",
        "chat_type": ChatType.CHAT,
        "body": TextMessageBody("meeting moved"),
        "server_time": 1_700_000_000_000,
        "mark": mark,
    }
    base.update(fields)
    return ChatMessage(**base)


def test_the_receipt_part_says_what_the_tick_shows():
    said = {mark: receipt_text(_message(mark)) for mark in Mark}
    assert said[Mark.PENDING] == "Sending"
    assert said[Mark.SENT] == "Sent"
    assert said[Mark.DELIVERED] == "Delivered"
    assert said[Mark.FAILED] == "Not sent"
    assert said[Mark.READ] == "Read by bob"
    read = _message(Mark.READ, read_at=1_700_000_060_000)
    assert receipt_text(read) == f"Read by bob at {clock_text(1_700_000_060_000)}"
    group = _message(
        Mark.DELIVERED,
        chat_type=ChatType.GROUP_CHAT,
        conversation_id="g1",
        to="g1",
        need_group_ack=True,
        group_ack_count=5,
        group_member_count=9,
    )
    assert receipt_text(group) == "Read by 5 of 9"
    received = _message(Mark.DELIVERED, direction=MessageDirection.RECEIVE, from_="bob")
    assert receipt_text(received) == ""
    time = clock_text(1_700_000_000_000)
    assert message_text(received) == f"bob, {time}: meeting moved"
    assert message_text(_message(Mark.DELIVERED)) == f"You, {time}: meeting moved. Delivered"
    assert (
        conversation_text("bob", "hi", 2, "", False) == "bob, 2 unread messages, last message: hi"
    )
    assert conversation_text("bob", "hi", 0, "draft", False) == "bob, draft: draft"


def test_a_message_row_says_sender_time_text_and_receipt_and_the_read_changes_it(
    qt_loop, clients, tmp_path
):
    async def scenario():
        await clients.harness.start()
        bob = await clients.login("bob")
        app = await signed_in(clients, tmp_path)
        await app.sign_in("alice", register=True)
        controller = app.controller
        await bob.chat_manager.send_message(ChatMessage.text("alice", "see you tomorrow"))
        await until(lambda: controller.conversations.row("bob") is not None)
        listing = app.window.conversation_list
        assert any(
            said == "bob, 1 unread message, last message: see you tomorrow"
            for said in item_texts(listing)
        ), item_texts(listing)

        controller.open_conversation("bob")
        view = controller.chat_view.list
        await until(lambda: controller.messages.rowCount() == 1)
        received = controller.messages.message_at(0)
        assert spoken_row(view, "see you tomorrow") == (
            f"bob, {clock_text(received.sort_time)}: see you tomorrow"
        )

        sent = await controller.client.chat_manager.send_message(
            ChatMessage.text("bob", "meeting moved")
        )
        await until(
            lambda: controller.client.chat_manager.get_message(sent.msg_id).mark is Mark.DELIVERED,
            what="delivered to bob",
        )
        time = clock_text(controller.client.chat_manager.get_message(sent.msg_id).sort_time)
        await until(lambda: spoken_row(view, "meeting moved").endswith("Delivered"))
        assert spoken_row(view, "meeting moved") == f"You, {time}: meeting moved. Delivered"

        got = await until_message(bob, sent.msg_id)
        assert await bob.chat_manager.send_message_read_ack(got)
        await until(
            lambda: "Read by" in spoken_row(view, "meeting moved"), what="the read receipt said"
        )
        read_at = controller.client.chat_manager.get_message(sent.msg_id).read_at
        assert spoken_row(view, "meeting moved") == (
            f"You, {time}: meeting moved. Read by bob at {clock_text(read_at)}"
        )
        await app.close()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


async def until_message(client, msg_id: str) -> ChatMessage:
    await until(lambda: client.chat_manager.get_message(msg_id) is not None, what=msg_id)
    return client.chat_manager.get_message(msg_id)


def test_a_group_message_says_how_many_members_read_it(qt_loop, clients, tmp_path):
    async def scenario():
        await clients.harness.start()
        await clients.harness.register("carol")
        bob = await clients.login("bob")
        app = await signed_in(clients, tmp_path)
        await app.sign_in("alice", register=True)
        controller = app.controller
        group = await bob.group_manager.create_group("Launch team", ["alice", "carol"], "all")
        await until(lambda: group.group_id in controller.client.groups, what="the group")
        controller.open_conversation(group.group_id)
        ask = ChatMessage.text(group.group_id, "release at five", ChatType.GROUP_CHAT)
        ask.need_group_ack = True
        sent = await controller.client.chat_manager.send_message(ask)
        view = controller.chat_view.list
        await until(lambda: "Read by 0 of" in spoken_row(view, "release at five"))
        got = await until_message(bob, sent.msg_id)
        await bob.chat_manager.send_group_message_read_ack(got.msg_id, group.group_id)
        await until(
            lambda: re.search(r"Read by 1 of \d+$", spoken_row(view, "release at five")),
            what="one read",
        )
        assert spoken_row(view, "release at five").startswith("You, ")
        await app.close()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


# ---------------------------------------------------------------- the keyboard


async def long_chat(clients, tmp_path) -> App:
    await clients.harness.start()
    bob = await clients.login("bob")
    app = await signed_in(clients, tmp_path)
    await app.sign_in("alice", register=True)
    for i in range(40):
        await bob.chat_manager.send_message(ChatMessage.text("alice", f"line {i}\nsecond"))
    controller = app.controller
    await until(lambda: controller.conversations.row("bob") is not None)
    await until(lambda: controller.conversations.row("bob").last_text.startswith("line 39"))
    controller.open_conversation("bob")
    await until(lambda: controller.messages.rowCount() == 40, what="40 messages")
    bar = controller.chat_view.list.verticalScrollBar()
    await until(lambda: bar.maximum() > 0, what="a list taller than the view")
    await asyncio.sleep(0.2)  # the chat opens at its first unread message, then rests
    return app


def test_page_up_down_home_end_scroll_the_message_list(qt_loop, clients, tmp_path):
    async def scenario():
        app = await long_chat(clients, tmp_path)
        chat = app.controller.chat_view
        bar = chat.list.verticalScrollBar()
        await until(lambda: bar.maximum() > 0, what="a list taller than the view")
        chat.scroll_to_bottom()  # it opened at the first unread message
        await until(lambda: bar.value() == bar.maximum(), what="at the end")
        bottom = bar.value()

        # From the composer, where the focus is while chatting: Page Up/Down page the list.
        chat.composer.setFocus()
        QTest.keyClick(chat.composer, Qt.Key.Key_PageUp)
        assert bar.value() < bottom, "Page Up in the composer scrolls the messages"
        QTest.keyClick(chat.composer, Qt.Key.Key_PageDown)
        assert bar.value() == bottom

        chat.list.setFocus(Qt.FocusReason.TabFocusReason)
        await until(chat.list.hasFocus)
        QTest.keyClick(chat.list, Qt.Key.Key_PageUp)
        paged = bar.value()
        assert paged < bottom
        QTest.keyClick(chat.list, Qt.Key.Key_PageUp)
        assert bar.value() < paged
        QTest.keyClick(chat.list, Qt.Key.Key_Home)
        assert bar.value() == bar.minimum()
        assert chat.list.currentIndex().row() == 0
        QTest.keyClick(chat.list, Qt.Key.Key_PageDown)
        assert bar.value() > bar.minimum()
        QTest.keyClick(chat.list, Qt.Key.Key_End)
        await until(lambda: bar.value() == bar.maximum(), what="back at the end")
        assert chat.list.currentIndex().row() == 39
        await app.close()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_tab_goes_from_the_chat_list_to_the_messages_to_the_composer(qt_loop, clients, tmp_path):
    async def scenario():
        app = await long_chat(clients, tmp_path)
        window, chat = app.window, app.controller.chat_view
        window.search.setFocus()
        order = [QApplication.focusWidget()]
        for _ in range(12):
            QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
            order.append(QApplication.focusWidget())
        stops = [window.search, window.conversation_list, chat.list, chat.composer]
        at = [order.index(widget) for widget in stops]
        assert at == sorted(at), [type(w).__name__ for w in order]
        await app.close()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def _palette(dark: bool) -> QPalette:
    palette = QPalette()
    if dark:
        for role, colour in (
            (QPalette.ColorRole.Window, "#202124"),
            (QPalette.ColorRole.Base, "#1b1b1d"),
            (QPalette.ColorRole.Text, "#e8eaed"),
            (QPalette.ColorRole.WindowText, "#e8eaed"),
            (QPalette.ColorRole.Highlight, "#3d7bd9"),
            (QPalette.ColorRole.HighlightedText, "#ffffff"),
        ):
            palette.setColor(role, QColor(colour))
    return palette


def test_the_focused_row_is_painted_in_both_lists_light_and_dark(qt_loop, clients, tmp_path):
    async def scenario():
        app = await long_chat(clients, tmp_path)
        window, chat = app.window, app.controller.chat_view
        for dark in (False, True):
            for view in (chat.list, window.conversation_list):
                view.setPalette(_palette(dark))
                view.setFocus(Qt.FocusReason.TabFocusReason)
                await until(view.hasFocus, what="the focus in the list")
                if view is chat.list:
                    QTest.keyClick(view, Qt.Key.Key_End)
                current = view.currentIndex()
                if not current.isValid():
                    QTest.keyClick(view, Qt.Key.Key_Down)
                    current = view.currentIndex()
                assert current.isValid()
                await asyncio.sleep(0.05)  # let the view settle, then grab the row twice
                rect = view.visualRect(view.currentIndex())
                focused = view.viewport().grab(rect).toImage()
                chat.composer.setFocus()
                await until(lambda v=view: not v.hasFocus())
                unfocused = view.viewport().grab(rect).toImage()
                assert focused != unfocused, ("no focus painted", type(view).__name__, dark)
        await app.close()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))
