"""Paged history in the real chat view: an open chat loads its newest page only,
and scrolling to the top loads one older page at a time, keeping the reader's place."""

from __future__ import annotations

from desktop_chat.client.models import ChatMessage, MessageDirection, TextMessageBody
from desktop_chat.protocol import Mark
from desktop_chat.ui.chat.chat_view import ChatView
from desktop_chat.ui.chat.message_delegate import MessageDelegate
from desktop_chat.ui.chat.message_model import PAGE, MessageListModel


def history(count: int):
    messages = [
        ChatMessage(
            msg_id=f"h{n:06d}",
            conversation_id="bob",
            from_="bob" if n % 2 else "alice",
            to="alice" if n % 2 else "bob",
            chat_type="chat",
            body=TextMessageBody(f"message number {n}"),
            direction=MessageDirection.RECEIVE if n % 2 else MessageDirection.SEND,
            server_time=1_000_000 + n,
            mark=Mark.READ,
        )
        for n in range(count)
    ]

    def loader(before, count):
        older = [m for m in messages if before is None or m.order_key < before]
        return older[-count:]

    return loader


def test_an_open_chat_does_not_load_all_history_by_itself(qtbot):
    model = MessageListModel()
    view = ChatView(model, MessageDelegate())
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    model.load("bob", history(6 * PAGE))
    scrollbar = view.list.verticalScrollBar()
    # The view settles at the bottom (laid out on later loop passes, later on a busy
    # machine), where Qt asks for more whenever the scrollbar sits.
    qtbot.waitUntil(lambda: scrollbar.maximum() > 0 and scrollbar.value() == scrollbar.maximum())
    qtbot.wait(400)
    assert model.rowCount() == PAGE
    assert view.list.verticalScrollBar().value() == view.list.verticalScrollBar().maximum()

    newest_top = model.message_at(0).msg_id
    view.list.verticalScrollBar().setValue(0)  # the reader scrolls to the top
    qtbot.waitUntil(lambda: model.rowCount() == 2 * PAGE, timeout=2000)
    # The reader's place is restored once the older page is laid out (a loop pass or
    # more later): wait for that rather than for a fixed time.
    qtbot.waitUntil(lambda: newest_top in view.visible_fractions(), timeout=2000)
    qtbot.wait(200)
    assert model.rowCount() == 2 * PAGE  # one page, not a cascade
    # The message that was at the top is still in view: the reader keeps their place.
    assert newest_top in view.visible_fractions()


def test_a_receipt_repaints_its_row_without_measuring_every_row(qtbot):
    import dataclasses

    model = MessageListModel()
    delegate = MessageDelegate()
    view = ChatView(model, delegate)
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    model.load("bob", history(6 * PAGE))
    for _ in range(5):
        model.older_wanted = True
        model.fetchMore()
    qtbot.wait(100)
    measured = []
    original = delegate.sizeHint
    delegate.sizeHint = lambda option, index: (
        measured.append(index.row()) or original(option, index)
    )
    row = model.rowCount() - 1
    read = dataclasses.replace(model.message_at(row), mark=Mark.DELIVERED)
    model.update([read])
    qtbot.waitUntil(lambda: model.index(row).data() is not None and model.repainted_rows > 0)
    qtbot.wait(50)
    assert len(measured) <= 2  # not one per loaded row (300 here)
    # A change that can resize the row ("Read n/m" appears) is laid out again.
    grown = dataclasses.replace(read, group_ack_count=3, group_member_count=9)
    measured.clear()
    model.update([grown])
    qtbot.waitUntil(lambda: len(measured) > 0, timeout=2000)
