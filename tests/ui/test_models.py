"""The message and conversation models, checked by Qt's own model tester."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QAbstractItemModelTester

from desktop_chat.client.models import ChatMessage, ChatType, MessageDirection, TextMessageBody
from desktop_chat.protocol import Mark
from desktop_chat.ui.chat.message_model import PAGE, MessageListModel
from desktop_chat.ui.conversations.conversation_model import ConversationListModel, ConversationRow
from desktop_chat.ui.painting.roles import ConversationRole, MessageRole


def message(n: int, *, conv: str = "bob", mark: Mark = Mark.SENT, t: int | None = None):
    return ChatMessage(
        msg_id=f"m{n:06d}",
        conversation_id=conv,
        from_="alice",
        to=conv,
        chat_type=ChatType.CHAT,
        body=TextMessageBody(f"message {n}"),
        direction=MessageDirection.SEND,
        server_time=1_000_000 + n if t is None else t,
        mark=mark,
    )


class History:
    """A conversation of `count` messages, served newest page first like the store."""

    def __init__(self, count: int) -> None:
        self.all = [message(n) for n in range(count)]
        self.calls = 0

    def __call__(self, before, count):
        self.calls += 1
        key = (lambda m: m.order_key) if isinstance(before, tuple) else (lambda m: m.sort_time)
        older = [m for m in self.all if before is None or key(m) < before]
        return older[-count:]


@pytest.fixture
def model(qapp):
    model = MessageListModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    return model


def test_history_loads_newest_page_then_older_pages_on_demand(model):
    history = History(2 * PAGE + 7)
    model.load("bob", history)
    assert model.rowCount() == PAGE
    assert model.message_at(PAGE - 1).msg_id == history.all[-1].msg_id
    assert not model.canFetchMore()  # only when the view asks: Qt asks at the bottom too
    model.fetchMore()
    assert model.rowCount() == PAGE
    for _ in range(2):
        model.older_wanted = True  # the view scrolled to the top
        assert model.canFetchMore()
        model.fetchMore()
        assert not model.canFetchMore()
    assert model.rowCount() == 2 * PAGE + 7
    assert not model.canFetchMore()
    ids = [model.message_at(r).msg_id for r in range(model.rowCount())]
    assert ids == [m.msg_id for m in history.all]
    assert model.row_of(history.all[0].msg_id) == 0


def test_receipt_updates_repaint_only_their_rows_once_per_loop_iteration(model, qtbot):
    history = History(30)
    model.load("bob", history)
    changes = []
    model.dataChanged.connect(lambda first, last, roles: changes.append((first.row(), last.row())))
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    delivered = [message(n, mark=Mark.DELIVERED) for n in (3, 4, 5, 20)]
    model.update(delivered)
    model.update([message(4, mark=Mark.READ)])  # same loop iteration: merged
    assert changes == []
    qtbot.waitUntil(lambda: changes != [], timeout=2000)
    assert sorted(changes) == [(3, 5), (20, 20)]
    assert model.index(4).data(MessageRole.MARK) is Mark.READ
    assert model.index(3).data(MessageRole.MARK) is Mark.DELIVERED
    assert resets == []
    assert model.repainted_rows == 4


def test_upsert_appends_new_messages_in_order_and_ignores_other_conversations(model):
    model.load("bob", History(3))
    model.upsert(message(10))
    model.upsert(message(1, conv="carol"))
    pending = message(11, mark=Mark.PENDING, t=0)
    pending.local_time = 1_000_000 + 50
    model.upsert(pending)
    assert [model.message_at(r).msg_id for r in range(model.rowCount())][-2:] == [
        "m000010",
        "m000011",
    ]
    stored = message(11, mark=Mark.SENT, t=1_000_000 + 51)  # the server's time, same place
    model.upsert(stored)
    assert model.rowCount() == 5
    assert model.index(4).data(MessageRole.MARK) is Mark.SENT


def test_a_late_older_message_is_inserted_in_its_place(model):
    model.load("bob", History(5))
    model.upsert(message(2, t=1_000_000 + 2))  # same id, same place: an update
    late = message(99, t=1_000_000 + 1)  # sorts between rows 1 and 2
    late.msg_id = "n-late"  # same time as row 1, and its id sorts after row 1's
    model.upsert(late)
    assert model.row_of("n-late") == 2
    assert model.row_of("m000004") == 5


def test_conversation_model_keeps_newest_first_and_totals_unread(qapp):
    model = ConversationListModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    totals = []
    model.total_unread_changed.connect(totals.append)
    model.reset(
        [
            ConversationRow("bob", "bob", False, "hi", 10, 2),
            ConversationRow("carol", "carol", False, "yo", 30, 0),
            ConversationRow("123", "Team", True, "notice", 20, 5),
        ]
    )
    order = [model.index(r).data(ConversationRole.CONVERSATION_ID) for r in range(3)]
    assert order == ["carol", "123", "bob"]
    assert model.total_unread() == 7 and totals == [7]
    model.upsert(ConversationRow("bob", "bob", False, "new!", 40, 3))
    order = [model.index(r).data(ConversationRole.CONVERSATION_ID) for r in range(3)]
    assert order == ["bob", "carol", "123"]
    model.set_unread("123", 0)
    assert model.total_unread() == 3 and totals[-1] == 3
    model.upsert(ConversationRow("dave", "dave", False, "", 0, 1))
    assert model.index(3).data(ConversationRole.CONVERSATION_ID) == "dave"
    assert model.total_unread() == 4


def test_flush_is_scheduled_on_the_event_loop(model, qtbot):
    model.load("bob", History(3))
    fired = []
    model.dataChanged.connect(lambda *a: fired.append(1))
    model.update([message(1, mark=Mark.READ)])
    QTimer.singleShot(0, lambda: fired.append("timer"))
    qtbot.waitUntil(lambda: len(fired) >= 2, timeout=2000)
    assert fired[0] == 1


def test_conversation_rows_repaint_once_per_flush_naming_the_roles_that_changed(qapp, qtbot):
    model = ConversationListModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    last = message(7, conv="bob")
    model.reset(
        [
            ConversationRow("bob", "bob", False, "hi", 10, 2, Mark.SENT, last_msg_id=last.msg_id),
            ConversationRow("carol", "carol", False, "yo", 5, 0),
        ]
    )
    changes = []
    model.dataChanged.connect(
        lambda first, last_index, roles: changes.append((first.row(), last_index.row(), roles))
    )
    older = message(3, conv="bob", mark=Mark.READ)
    for mark in (Mark.DELIVERED, Mark.READ):  # a burst: receipts for the last and an older one
        receipt = message(7, conv="bob", mark=mark)
        model.show_receipts([older, receipt])
    model.set_unread("bob", 0)
    model.set_draft("carol", "later")
    assert changes == []  # coalesced until the flush
    assert model.row("bob").last_outgoing_mark is Mark.READ  # the data is current at once
    qtbot.waitUntil(lambda: len(changes) == 2, timeout=2000)
    qtbot.wait(50)
    spoken = int(Qt.ItemDataRole.AccessibleTextRole)  # the unread count and draft are said
    bob_roles = {int(ConversationRole.LAST_OUTGOING_MARK), int(ConversationRole.UNREAD), spoken}
    assert sorted((first, last_row, set(roles)) for first, last_row, roles in changes) == [
        (0, 0, bob_roles),
        (1, 1, {int(ConversationRole.DRAFT), spoken}),
    ]
    assert model.row_of("carol") == 1 and model.row_of("nobody") is None
    # A move keeps the dict right, and names what changed.
    changes.clear()
    model.upsert(ConversationRow("carol", "carol", False, "new", 20, 1, draft="later"))
    assert [model.index(r).data(ConversationRole.CONVERSATION_ID) for r in range(2)] == [
        "carol",
        "bob",
    ]
    assert model.row_of("carol") == 0 and model.row_of("bob") == 1
    qtbot.waitUntil(lambda: changes != [], timeout=2000)
    assert [set(roles) for _, _, roles in changes] == [
        {
            int(ConversationRole.LAST_TEXT),
            int(ConversationRole.LAST_TIME),
            int(ConversationRole.UNREAD),
            spoken,
        }
    ]


def store_history(tmp_path, messages):
    """A real local store holding `messages`; its loader is what the app passes."""
    from desktop_chat.client.local_store import LocalStore

    store = LocalStore(tmp_path / "local.db")
    for m in messages:
        store.save_message(m)
    store.commit()
    return store, lambda before, count: store.conversation_messages("bob", before, count)


def same_millisecond(count: int) -> list[ChatMessage]:
    """`count` messages the server stamped in one millisecond: their conv_seq orders
    them, and their ids (random in real life) sort the other way round."""
    burst = []
    for n in range(count):
        m = message(n, t=1_000_000)
        m.msg_id = f"id-{count - n:06d}"
        m.conv_seq = n + 1
        burst.append(m)
    return burst


def test_rows_of_one_millisecond_keep_their_place_and_repaint_on_a_receipt(model, qtbot, tmp_path):
    burst = same_millisecond(12)
    store, loader = store_history(tmp_path, burst)
    model.load("bob", loader)
    shown = [model.message_at(r).msg_id for r in range(model.rowCount())]
    assert shown == [m.msg_id for m in burst]  # the order the server gave them
    changes, moves = [], []
    model.dataChanged.connect(lambda first, last, roles: changes.append((first.row(), last.row())))
    model.rowsRemoved.connect(lambda *a: moves.append(a))
    read = [store.message(m.msg_id) for m in burst]
    for m in read:
        m.mark = Mark.READ
    model.update(read)
    qtbot.waitUntil(lambda: changes != [], timeout=2000)
    assert moves == [], "a receipt moves no row"
    assert changes == [(0, 11)]
    assert [model.message_at(r).msg_id for r in range(model.rowCount())] == shown
    store.close()


def test_scrolling_up_shows_every_message_of_a_millisecond_that_spans_pages(model, tmp_path):
    burst = same_millisecond(PAGE + 30)
    older = message(0, t=999_000)
    older.msg_id, older.conv_seq = "older", 0
    store, loader = store_history(tmp_path, [older, *burst])
    model.load("bob", loader)
    assert model.rowCount() == PAGE
    while model.has_older:
        model.older_wanted = True
        model.fetchMore()
    shown = [model.message_at(r).msg_id for r in range(model.rowCount())]
    assert shown == ["older", *(m.msg_id for m in burst)]
    store.close()
