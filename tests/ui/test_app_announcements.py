"""Announcements in the real app (issue 17): a member's confirm with a note, the
owner's read progress over time, and the pinned notice.

Real server on loopback, real clients, real widgets (offscreen). "Active" and
"last input" are injected where a test says so (offscreen Qt cannot lose focus to
another program; see PLATFORM.md); what is visible comes from the real widgets'
geometry, the pin bar's included.
"""

from __future__ import annotations

import asyncio
import time

from app_driver import DWELL, App, Person, until
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton, QStyleOptionViewItem

from desktop_chat.client import ChatMessage
from desktop_chat.ui.chat.message_delegate import MessageRow
from desktop_chat.ui.chat.message_menu import MenuChoice
from desktop_chat.ui.chat.visibility import measure_fractions
from desktop_chat.ui.read_by.chart import CHART_EDGES, HOUR, MINUTE


async def group_of_three(clients, **server):
    await clients.harness.start(**server)
    await clients.harness.register("bob", "carol")
    alice = await clients.login("alice")
    group = await alice.group_manager.create_group("Launch team", ["bob", "carol"], "admins")
    bob = await clients.login("bob")
    return alice, bob, group


async def announce(alice, group_id: str, text: str = "Launch moved to Friday 10:00.") -> str:
    notice = ChatMessage.text(group_id, text, "groupchat")
    notice.need_group_ack = True
    sent = await alice.chat_manager.send_message(notice)
    return sent.msg_id


def confirm_point(person: Person, msg_id: str) -> QPoint:
    """The centre of the bubble's "Confirm" pill, in the list's viewport."""
    view = person.view.list
    index = person.controller.messages.index(person.controller.messages.row_of(msg_id))
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    option.rect = view.visualRect(index)
    delegate = view.itemDelegate()
    geo = delegate.row_painter.geometry(option, MessageRow.from_index(index))
    assert geo.confirm is not None, "no Confirm line on the announcement"
    return geo.confirm.rect.translated(option.rect.topLeft()).center()


def test_a_members_confirm_with_a_note_reaches_the_owners_read_by_view_live(qt_loop, clients):
    async def scenario():
        alice, bob, group = await group_of_three(clients)
        owner, member = Person(alice), Person(bob)
        owner.controller.open_conversation(group.group_id)
        member.controller.open_conversation(group.group_id)
        msg_id = await announce(alice, group.group_id)
        # bob sees it: the read rule acks it (a read, not a confirmation)
        await until(
            lambda: (bob.chat_manager.get_message(msg_id) or ChatMessage).read_ack_sent,
            what="bob's automatic read",
        )
        owner.controller.open_read_by(msg_id)
        view = owner.controller.read_by_views[msg_id]
        await until(lambda: view.read_names() == ["bob"], what="bob in the owner's Read list")
        assert view.confirmed_count() == 0

        # bob clicks "Confirm" under the announcement, picks "收到" and sends
        await asyncio.sleep(0.1)
        QTest.mouseClick(
            member.view.list.viewport(),
            Qt.MouseButton.LeftButton,
            pos=confirm_point(member, msg_id),
        )
        popup = member.controller.confirm_popup
        assert popup is not None and popup.isVisible(), "the confirm popup opened"
        quick = [b for b in popup.findChildren(QPushButton, "quickNote") if b.text() == "收到"]
        QTest.mouseClick(quick[0], Qt.MouseButton.LeftButton)
        assert popup.note.text() == "收到"
        QTest.mouseClick(popup.send_button, Qt.MouseButton.LeftButton)

        await until(lambda: view.confirmed_count() == 1, what="the confirm in the owner's view")
        row = view._readers.rows()[0]
        assert (row.name, row.note) == ("bob", "收到")
        assert row.confirmed_at is not None and row.read_at is not None
        assert row.confirmed_at >= row.read_at
        assert view.read_names() == ["bob"], "still one reader"
        # bob's bubble now says so
        await until(lambda: bob.chat_manager.get_message(msg_id).confirmed_at is not None)
        mine = bob.chat_manager.get_message(msg_id)
        assert mine.confirm_note == "收到"
        await until(
            lambda: (
                MessageRow.from_index(
                    member.controller.messages.index(member.controller.messages.row_of(msg_id))
                ).confirmed_at
                is not None
            ),
            what="Confirmed on bob's bubble",
        )
        await owner.controller.shutdown()
        await member.controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_the_chart_counts_a_scripted_group_at_given_times(qt_loop, clients):
    """Acks at fixed times after sending (a server clock the test moves): the chart
    shows 1 after 5 min, 2 after 1 h (one of them confirmed), and the reminder."""
    start = int(time.time() * 1000) - 3 * HOUR * 1000
    now = [start]

    async def scenario():
        harness = clients.harness
        await harness.start(clock=lambda: now[0])
        await harness.register("bob", "carol", "dave")
        alice = await clients.login("alice")
        group = await alice.group_manager.create_group(
            "Launch team", ["bob", "carol", "dave"], "admins"
        )
        bob = await clients.login("bob")
        carol = await clients.login("carol")
        msg_id = await announce(alice, group.group_id)
        for reader in (bob, carol):
            await until(lambda r=reader: r.chat_manager.get_message(msg_id) is not None)
        now[0] = start + 2 * MINUTE * 1000
        await bob.chat_manager.send_group_message_read_ack(msg_id, group.group_id)
        now[0] = start + 30 * MINUTE * 1000
        await alice.chat_manager.remind_group_unread(msg_id, group.group_id)
        now[0] = start + 40 * MINUTE * 1000
        await carol.chat_manager.send_group_message_read_ack(
            msg_id, group.group_id, "Will do", confirm=True
        )
        now[0] = start + 2 * HOUR * 1000
        owner = Person(alice)
        owner.controller.open_conversation(group.group_id)
        owner.controller.open_read_by(msg_id)
        view = owner.controller.read_by_views[msg_id]
        await until(lambda: view.chart.progress is not None, what="the chart's counts")
        # the view measures "now" by this computer's clock: give it the server's
        sent_at = alice.chat_manager.get_message(msg_id).server_time
        stats = await alice.chat_manager.fetch_group_ack_stats(
            msg_id, group.group_id, list(CHART_EDGES)
        )
        at = {
            edge: (read, confirmed)
            for edge, read, confirmed in zip(stats.edges, stats.reads, stats.confirms, strict=True)
        }
        assert at[MINUTE] == (0, 0) and at[2 * MINUTE] == (1, 0) and at[30 * MINUTE] == (1, 0)
        assert at[HOUR] == (2, 1) and stats.reminders == [sent_at + 30 * MINUTE * 1000]
        view.set_stats(stats, now_ms=sent_at + 2 * HOUR * 1000)
        progress = view.chart.progress
        assert progress.figures() == [(5 * MINUTE, 1, 0), (HOUR, 2, 1)]
        assert progress.reminders == (30 * MINUTE,)
        assert view.chart.summary() == "After 5 min: 1 read · After 1 h: 2 read, 1 confirmed"

        # the painted picture: the reads line at 2 members after 1 h, the reminder
        chart = view.chart
        chart.resize(420, 160)
        image = QImage(chart.size(), QImage.Format.Format_ARGB32)
        image.fill(QColor("white"))
        chart.render(image)
        read_colour, _confirm_colour, remind_colour = chart.colours()

        def near(point, colour, radius=3) -> bool:
            for dx in range(-radius, radius + 1):
                for dy in range(-radius, radius + 1):
                    pixel = image.pixelColor(int(point.x()) + dx, int(point.y()) + dy)
                    if (
                        abs(pixel.red() - colour.red()) < 40
                        and abs(pixel.green() - colour.green()) < 40
                        and abs(pixel.blue() - colour.blue()) < 40
                    ):
                        return True
            return False

        assert near(chart.point_for(HOUR, 2), read_colour), "2 read after 1 h"
        assert near(chart.point_for(4 * MINUTE, 1), read_colour), "1 read after 4 min"
        assert not near(chart.point_for(4 * MINUTE, 2), read_colour, 1), "not 2 yet at 4 min"
        reminder = QPointF(chart.point_for(30 * MINUTE, 0).x(), chart.plot_rect().center().y())
        assert near(reminder, remind_colour, 2), "the reminder's mark at 30 min"
        await owner.controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_the_pin_shows_and_clears_on_a_members_window_and_members_cannot_pin(qt_loop, clients):
    async def scenario():
        alice, bob, group = await group_of_three(clients)
        owner, member = Person(alice), Person(bob)
        owner.controller.open_conversation(group.group_id)
        member.controller.open_conversation(group.group_id)
        member.active = False  # bob is elsewhere: he has not read it
        msg_id = await announce(alice, group.group_id)
        await until(lambda: owner.controller.messages.row_of(msg_id) is not None)
        await until(lambda: member.controller.messages.row_of(msg_id) is not None)

        # a plain member's menu has no Pin
        menu = member.controller.open_message_menu(msg_id, QPoint(10, 10))
        assert "Pin" not in menu.labels()
        menu.close()
        # the owner pins it from the message's menu
        menu = owner.controller.open_message_menu(msg_id, QPoint(10, 10))
        menu.choose(MenuChoice.PIN)
        bar = member.view.pin_bar
        await until(lambda: bar.msg_id == msg_id and bar.isVisible(), what="bob's pin bar")
        assert bar.view.state == "Not read yet"
        assert not bar.close_button.isVisibleTo(bar), "unread: it cannot be hidden"
        await until(lambda: owner.view.pin_bar.msg_id == msg_id, what="alice's pin bar")
        assert owner.view.pin_bar.view.state == "Read 0/2"

        member.active = True  # bob comes back: he reads it, the owner sees it
        await until(lambda: owner.view.pin_bar.view.state == "Read 1/2", what="Read 1/2")
        await until(lambda: bar.view.state == "Read", what="bob's own state")
        assert bar.close_button.isVisibleTo(bar)

        menu = owner.controller.open_message_menu(msg_id, QPoint(10, 10))
        assert "Unpin" in menu.labels()
        menu.choose(MenuChoice.UNPIN)
        await until(lambda: not bar.isVisible(), what="the pin gone from bob's window")
        await until(lambda: not owner.view.pin_bar.isVisible())
        await owner.controller.shutdown()
        await member.controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_the_pin_survives_a_restart_of_the_app_and_of_the_server(qt_loop, clients, tmp_path):
    async def scenario():
        harness = clients.harness
        alice, _bob, group = await group_of_three(clients)
        msg_id = await announce(alice, group.group_id)
        app = await App(tmp_path / "bob-pc", harness.url).start()
        await app.sign_in("bob")
        controller = app.controller
        await until(lambda: controller.client.chat_manager.get_message(msg_id) is not None)
        await alice.group_manager.pin_message(group.group_id, msg_id)
        controller.open_conversation(group.group_id)
        bar = controller.chat_view.pin_bar
        await until(lambda: bar.msg_id == msg_id and bar.isVisible(), what="the pin")
        await app.ctrl_q()
        await harness.restart()

        again = await App(tmp_path / "bob-pc", harness.url).start()
        controller = again.controller
        assert controller is not None, "the saved session resumes"
        controller.open_conversation(group.group_id)
        bar = controller.chat_view.pin_bar
        await until(lambda: bar.msg_id == msg_id and bar.isVisible(), what="the pin again")
        assert "Launch moved" in bar.view.text
        await again.close()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_the_pin_bar_reads_its_message_only_while_seen_there(qt_loop, clients):
    """The announcement is far above, out of the list's view; only the pin bar shows
    it. No ack while the window is inactive or hidden; one once it is seen there."""

    async def scenario():
        alice, bob, group = await group_of_three(clients)
        msg_id = await announce(alice, group.group_id)
        for n in range(30):
            await alice.chat_manager.send_message(
                ChatMessage.text(group.group_id, f"later {n}\nsecond line", "groupchat")
            )
        await alice.group_manager.pin_message(group.group_id, msg_id)
        await until(lambda: bob.chat_manager.get_message(msg_id) is not None)
        await until(
            lambda: group.group_id in bob.groups and bob.groups[group.group_id].pinned_msg_id
        )
        member = Person(bob)
        member.active = False
        member.controller.open_conversation(group.group_id)
        view = member.view
        view.scroll_to_bottom()
        await asyncio.sleep(0.2)
        bar = view.pin_bar
        assert bar.msg_id == msg_id and bar.isVisible()
        viewport = view.list.viewport()
        only_list = measure_fractions(
            view.list,
            member.controller.messages,
            viewport.rect(),
            viewport.mapToGlobal(QPoint(0, 0)),
            [screen.geometry() for screen in QGuiApplication.screens()],
        )
        assert msg_id not in only_list, "the bubble itself is out of view"
        await asyncio.sleep(6 * DWELL)
        assert not bob.chat_manager.get_message(msg_id).read_ack_sent, "inactive: no ack"

        member.active = True
        member.controller.window.hide()  # active, but nobody can see it
        await asyncio.sleep(6 * DWELL)
        assert not bob.chat_manager.get_message(msg_id).read_ack_sent, "hidden: no ack"

        member.controller.window.show()
        member.last_input = time.monotonic()
        await until(
            lambda: bob.chat_manager.get_message(msg_id).read_ack_sent,
            what="the ack from the pin bar",
        )
        await until(
            lambda: alice.chat_manager.get_message(msg_id).group_ack_count == 1,
            what="the owner's Read 1/2",
        )
        await member.controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))
