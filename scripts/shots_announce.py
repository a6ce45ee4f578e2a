"""The screenshots of announcements (issue 17), for `scripts/screenshots.py`.

`shoot_announcements` drives alice's real window and, beside it, ivan's (a member
of "Launch team" who has not read it yet). The server's clock is `CLOCK`, which
runs with the wall clock except while this script moves it: alice's announcement
goes out 26 hours ago, and the members read and confirm it at given times after
(1 min, 3 min, …, 1 day 1 h), with a reminder at 50 min, so the chart is the same
every run. Then alice pins it from the message's menu, and the pictures are:

- "announce-confirm": ivan's window, the pin bar at the top ("Not read yet", no
  ×), the announcement's "Confirm" pill, and its popup open with the quick notes;
- "announce-read-by": alice's read-by view with the chart (reads and
  confirmations over time, the figures after 5 min, 1 h and 1 day, the reminder)
  and each reader's read and confirmation times and notes;
- "announce-pinned": alice's window with the pin bar saying "Read 7/9".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from PySide6.QtCore import QCoreApplication, QPoint, QRect
from PySide6.QtGui import QColor, QImage, QPainter, QPalette

from desktop_chat.client import ChatClient
from desktop_chat.ui.chat.message_delegate import MessageDelegate
from desktop_chat.ui.chat.message_menu import MenuChoice
from desktop_chat.ui.controller import ChatController
from desktop_chat.ui.conversations.conversation_delegate import ConversationDelegate

Until = Callable[..., Awaitable[None]]
MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000
SENT_AGO = DAY + 2 * HOUR
NOTICE = "Fire drill on Thursday at 15:00. Please confirm you have read this."
# (who, ms after sending, note, an explicit confirmation)
ACKS = (
    ("carol", MINUTE, None, False),
    ("dave", 3 * MINUTE, "OK", True),
    ("erin", 4 * MINUTE, None, False),
    ("grace", 20 * MINUTE, "收到", True),
    ("heidi", 55 * MINUTE, "Will do", True),
    ("bob", 3 * HOUR, None, False),
    ("frank", DAY + HOUR, None, False),
)
REMINDED_AT = 50 * MINUTE
MEMBER = "ivan"  # has not read it: the confirm button and the unread pin


class ScriptedClock:
    """The server's clock: the wall clock, or a fixed time this script sets."""

    def __init__(self) -> None:
        self.fixed: int | None = None

    def __call__(self) -> int:
        return self.fixed if self.fixed is not None else int(time.time() * 1000)


CLOCK = ScriptedClock()


def with_popup(window_image: QImage, window, popup) -> QImage:
    """The window's picture with the popup drawn where it stands over it."""
    painter = QPainter(window_image)
    offset = popup.mapToGlobal(QPoint(0, 0)) - window.mapToGlobal(QPoint(0, 0))
    at = offset + QPoint(1, 30)  # under the frame's title line
    shadow = QColor(0, 0, 0, 60)
    painter.fillRect(QRect(at + QPoint(3, 4), popup.size()), shadow)
    painter.drawPixmap(at, popup.grab())
    painter.setPen(popup.palette().color(QPalette.ColorRole.Mid))
    painter.drawRect(QRect(at, popup.size()).adjusted(0, 0, -1, -1))
    painter.end()
    return window_image


async def _script_the_reads(world, notice_id: str, group: str, sent_at: int, until: Until):
    """Each member's read or confirm, and alice's reminder, at their given times."""
    alice = world.people["alice"]
    events = sorted([*ACKS, ("", REMINDED_AT, None, False)], key=lambda event: event[1])
    for name, after, note, confirm in events:
        CLOCK.fixed = sent_at + after
        if not name:
            await alice.chat_manager.remind_group_unread(notice_id, group)
            continue
        client = world.people.get(name) or next(
            m.client for m in world.members if m.client.username == name
        )
        await until(
            f"{name} to get the announcement",
            lambda c=client: c.chat_manager.get_message(notice_id) is not None,
        )
        await client.chat_manager.send_group_message_read_ack(
            notice_id, group, note, confirm=confirm
        )


def _member_window(client: ChatClient, group: str, size) -> ChatController:
    """ivan's window, beside alice's: he is elsewhere (not active), so nothing is read."""
    member = ChatController(
        client,
        message_delegate=MessageDelegate(),
        conversation_delegate=ConversationDelegate(),
        tracker_sources={"is_active": lambda: False},
    )
    member.window.resize(*size)
    member.window.show()
    member.open_conversation(group)
    return member


async def shoot_announcements(
    controller: ChatController, world, shots, until: Until, type_and_send
):
    """The three pictures above (the caller's `shots` names and saves them)."""
    window = controller.window
    group = world.group_id
    controller.open_conversation(group)
    CLOCK.fixed = int(time.time() * 1000) - SENT_AGO
    notice_id = await type_and_send(controller, NOTICE, True)
    manager = controller.client.chat_manager
    await until(
        "the announcement on the server", lambda: manager.get_message(notice_id).server_time
    )
    sent_at = manager.get_message(notice_id).server_time
    try:
        await _script_the_reads(world, notice_id, group, sent_at, until)
    finally:
        CLOCK.fixed = None
    await until(
        "7 reads at alice", lambda: manager.get_message(notice_id).group_ack_count >= len(ACKS)
    )
    menu = controller.open_message_menu(notice_id, window.mapToGlobal(QPoint(400, 300)))
    if menu is None:
        raise RuntimeError("no menu for the announcement")
    menu.choose(MenuChoice.PIN)
    bar = controller.chat_view.pin_bar
    await until("the pin bar in alice's window", lambda: bar.msg_id == notice_id)
    await until("Read 7/n on the pin", lambda: bar.view is not None and "7/" in bar.view.state)
    controller.jump_to_message(notice_id)
    controller.messages.set_highlighted(None)  # the jump's brief tint is not the point here
    window.statusBar().clearMessage()
    await shots.save("announce-pinned", window)

    controller.open_read_by(notice_id)
    view = controller.read_by_views[notice_id]
    await until("the read-by view's chart", lambda: view.chart.progress is not None)
    await until("3 confirmations in the view", lambda: view.confirmed_count() == 3)
    view.resize(520, 760)
    await shots.save("announce-read-by", view)
    view.close()

    ivan = next(m.client for m in world.members if m.client.username == MEMBER)
    member = _member_window(ivan, group, window.size().toTuple())
    try:
        await until("ivan's pin bar", lambda: member.chat_view.pin_bar.msg_id == notice_id)
        member.jump_to_message(notice_id)
        member.messages.set_highlighted(None)
        await asyncio.sleep(0.3)
        popup = member.open_confirm(notice_id)
        if popup is None:
            raise RuntimeError("ivan's announcement offers no Confirm")
        await until("the confirm popup", popup.isVisible)
        popup.note.setFocus()
        # typed as a person would (keyClicks knows ASCII only: the Chinese note is inserted)
        popup.note.insert(QCoreApplication.translate("ConfirmPopup", "Will do"))
        await asyncio.sleep(0.1)
        await shots.save(
            "announce-confirm",
            member.window,
            lambda image: with_popup(image, member.window, popup),
        )
        popup.reject()
    finally:
        await member.shutdown()
    window.activateWindow()
    await until("alice's window to be active again", window.isActiveWindow)
