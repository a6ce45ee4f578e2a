"""MessageDelegate and ConversationDelegate: sizing and its cache, every tick painted,
the clickable "Read n/m" and "!" areas, tooltips, and the unread badge.

Rows live in a QStandardItemModel filled through the roles, shown in a real
QListView on the offscreen platform; pixels are sampled from QImages.
"""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QEvent, QPoint, QRect, Qt
from PySide6.QtGui import (
    QColor,
    QHelpEvent,
    QImage,
    QPainter,
    QPalette,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyleOptionViewItem, QToolTip

from desktop_chat.protocol import Mark
from desktop_chat.ui.chat.message_delegate import (
    MessageDelegate,
    MessageRow,
    read_count_tooltip,
    receipt_tooltip,
)
from desktop_chat.ui.conversations.conversation_delegate import ConversationDelegate, badge_text
from desktop_chat.ui.painting.common import contrast, initials
from desktop_chat.ui.painting.roles import ConversationRole, MessageRole

NOW = int(time.time() * 1000)
CHINESE = "今天下午五点发布，请确认。"
WIDTH = 520


def message_item(
    msg_id: str,
    text: str = "hello",
    *,
    outgoing: bool = True,
    mark: Mark | None = Mark.SENT,
    group: bool = False,
    ack: tuple[int, int] | None = None,
    sender: str = "alice",
    show_sender: bool = False,
    delivered_at: int | None = None,
    read_at: int | None = None,
) -> QStandardItem:
    item = QStandardItem()
    values = {
        MessageRole.MSG_ID: msg_id,
        MessageRole.TEXT: text,
        MessageRole.SENDER: sender,
        MessageRole.OUTGOING: outgoing,
        MessageRole.TIME: NOW - 60_000,
        MessageRole.MARK: mark,
        MessageRole.DELIVERED_AT: delivered_at,
        MessageRole.READ_AT: read_at,
        MessageRole.IS_GROUP: group,
        MessageRole.NEED_GROUP_ACK: ack is not None,
        MessageRole.GROUP_ACK_COUNT: ack[0] if ack else 0,
        MessageRole.GROUP_MEMBER_COUNT: ack[1] if ack else None,
        MessageRole.SHOW_SENDER: show_sender,
    }
    for role, value in values.items():
        item.setData(value, int(role))
    item.setEditable(False)
    return item


def model_of(*items: QStandardItem) -> QStandardItemModel:
    model = QStandardItemModel()
    for item in items:
        model.appendRow(item)
    return model


def dark_palette() -> QPalette:
    palette = QPalette()
    role = QPalette.ColorRole
    for which, colour in [
        (role.Window, "#1e1f22"),
        (role.WindowText, "#e6e6e6"),
        (role.Base, "#17212b"),
        (role.AlternateBase, "#232e3c"),
        (role.Button, "#2b2d31"),
        (role.ButtonText, "#e6e6e6"),
        (role.Text, "#e9edef"),
        (role.Highlight, "#2f6ea5"),
        (role.HighlightedText, "#ffffff"),
    ]:
        palette.setColor(which, QColor(colour))
    return palette


def light_palette() -> QPalette:
    palette = QPalette()
    role = QPalette.ColorRole
    for which, colour in [
        (role.Base, "#ffffff"),
        (role.AlternateBase, "#f7f7f7"),
        (role.Button, "#efefef"),
        (role.Text, "#000000"),
        (role.Highlight, "#308cc6"),
        (role.HighlightedText, "#ffffff"),
    ]:
        palette.setColor(which, QColor(colour))
    return palette


def detached_option(width: int = WIDTH, height: int = 0, palette: QPalette | None = None):
    """An option with no view: rows lay out in `width`."""
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, width, height)
    option.palette = palette or light_palette()
    return option


def view_option(view: QListView, row: int) -> QStyleOptionViewItem:
    """The option the view paints `row` with, for the geometry helpers."""
    option = QStyleOptionViewItem()
    option.rect = view.visualRect(view.model().index(row, 0))
    option.widget = view
    option.font = view.font()
    option.palette = view.palette()
    return option


@pytest.fixture
def message_view(qtbot):
    def make(model: QStandardItemModel) -> tuple[QListView, MessageDelegate]:
        view = QListView()
        delegate = MessageDelegate(view)
        view.setItemDelegate(delegate)
        view.setUniformItemSizes(False)
        view.setResizeMode(QListView.ResizeMode.Adjust)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setModel(model)
        view.resize(WIDTH, 600)
        qtbot.addWidget(view)
        view.show()
        qtbot.waitExposed(view)
        return view, delegate

    return make


def render(delegate, model: QStandardItemModel, palette: QPalette, width: int = WIDTH):
    """Paint row 0 into a QImage; returns the image and the option used."""
    index = model.index(0, 0)
    height = delegate.sizeHint(detached_option(width, palette=palette), index).height()
    option = detached_option(width, height, palette)
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(palette.color(QPalette.ColorRole.Base))
    painter = QPainter(image)
    try:
        delegate.paint(painter, option, index)
    finally:
        painter.end()
    return image, option, index


def pixels_in(image: QImage, rect: QRect) -> list[QColor]:
    rect = rect.intersected(image.rect())
    return [
        image.pixelColor(x, y)
        for y in range(rect.top(), rect.bottom() + 1)
        for x in range(rect.left(), rect.right() + 1)
    ]


def is_blue(colour: QColor) -> bool:
    return colour.blue() >= 180 and colour.blue() - colour.red() >= 100


def is_red(colour: QColor) -> bool:
    return colour.red() >= 180 and colour.red() - colour.green() >= 80


# ------------------------------------------------------------------- sizing


def test_size_hint_positive_grows_with_text_and_shrinks_with_width(qapp):
    delegate = MessageDelegate()
    model = model_of(
        message_item("short", "hi"),
        message_item("long", "a fairly long message that needs to wrap " * 8),
    )
    short, long = model.index(0, 0), model.index(1, 0)

    short_hint = delegate.sizeHint(detached_option(), short)
    long_hint = delegate.sizeHint(detached_option(), long)
    assert short_hint.width() > 0 and short_hint.height() > 0
    assert long_hint.height() > short_hint.height()

    wide = delegate.sizeHint(detached_option(900), long).height()
    narrow = delegate.sizeHint(detached_option(300), long).height()
    assert narrow > wide


def test_size_hint_is_served_from_the_cache(qapp, monkeypatch):
    delegate = MessageDelegate()
    model = model_of(message_item("m1", "cache me " * 20))
    index = model.index(0, 0)
    calls = []
    measure = delegate.row_painter.layout_text

    def counting(*args, **kwargs):
        calls.append(args)
        return measure(*args, **kwargs)

    monkeypatch.setattr(delegate.row_painter, "layout_text", counting)
    first = delegate.sizeHint(detached_option(), index)
    assert len(calls) == 1
    for _ in range(5):
        assert delegate.sizeHint(detached_option(), index) == first
    render(delegate, model, light_palette())
    assert len(calls) == 1

    delegate.sizeHint(detached_option(WIDTH - 100), index)  # a new width measures again
    assert len(calls) == 2


def test_chinese_text_wraps_within_the_bubble(qapp):
    delegate = MessageDelegate()
    model = model_of(message_item("zh", CHINESE * 6), message_item("zh1", CHINESE))
    painter = delegate.row_painter
    option = detached_option()
    font = painter.fonts(option.font).text
    block = painter.layout_text(CHINESE * 6, 200, font)
    assert len(block.line_widths) > 2
    assert all(width <= 200 for width in block.line_widths)

    long = delegate.sizeHint(detached_option(400), model.index(0, 0)).height()
    one_line = delegate.sizeHint(detached_option(400), model.index(1, 0)).height()
    assert long > one_line


def test_bubble_stays_within_seventy_percent_and_sides(qapp):
    delegate = MessageDelegate()
    option = detached_option()
    for outgoing in (True, False):
        model = model_of(message_item("w", "word " * 200, outgoing=outgoing))
        row = MessageRow.from_index(model.index(0, 0))
        bubble = delegate.row_painter.geometry(option, row).bubble
        assert bubble.width() <= round(WIDTH * 0.7)
        if outgoing:
            assert bubble.right() > WIDTH * 0.9
        else:
            assert bubble.left() < WIDTH * 0.1


# ------------------------------------------------------------------- painting


@pytest.mark.parametrize("palette", [light_palette(), dark_palette()], ids=["light", "dark"])
def test_every_mark_and_the_read_count_paint(qapp, palette):
    delegate = MessageDelegate()
    items = [message_item(f"m{int(mark)}", mark=mark) for mark in Mark]
    items += [
        message_item("g", "group", group=True, ack=(3, 10), mark=Mark.DELIVERED),
        message_item("g-all", "group", group=True, ack=(10, 10), mark=Mark.READ),
        message_item("in", "incoming", outgoing=False, mark=None, show_sender=True),
        message_item("zh", CHINESE, outgoing=False, mark=None),
    ]
    for item in items:
        image, option, _index = render(delegate, model_of(item), palette)
        middle = QRect(0, option.rect.height() // 2, WIDTH, 1)
        assert len({colour.rgb() for colour in pixels_in(image, middle)}) > 2


@pytest.mark.parametrize("palette", [light_palette(), dark_palette()], ids=["light", "dark"])
def test_read_ticks_are_blue_and_delivered_ticks_are_not(qapp, palette):
    delegate = MessageDelegate()
    blues = {}
    for mark in (Mark.DELIVERED, Mark.READ):
        model = model_of(message_item("m", "tick", mark=mark))
        image, option, index = render(delegate, model, palette)
        tick = delegate.tick_rect(option, index)
        assert tick.isValid() and image.rect().contains(tick)
        blues[mark] = sum(is_blue(colour) for colour in pixels_in(image, tick))
    assert blues[Mark.READ] > 5
    assert blues[Mark.DELIVERED] == 0


def test_failed_tick_is_red(qapp):
    delegate = MessageDelegate()
    model = model_of(message_item("f", "oops", mark=Mark.FAILED))
    image, option, index = render(delegate, model, light_palette())
    assert sum(is_red(c) for c in pixels_in(image, delegate.tick_rect(option, index))) > 10


@pytest.mark.parametrize("palette", [light_palette(), dark_palette()], ids=["light", "dark"])
def test_text_has_contrast_on_both_bubbles(qapp, palette):
    colours = MessageDelegate().row_painter.colours(palette)
    assert contrast(colours.outgoing_text, colours.outgoing) >= 4.5
    assert contrast(colours.incoming_text, colours.incoming) >= 4.5


def test_incoming_rows_have_no_tick_or_read_count(qapp):
    delegate = MessageDelegate()
    model = model_of(message_item("in", outgoing=False, mark=None, group=True, ack=(1, 3)))
    option, index = detached_option(), model.index(0, 0)
    option.rect.setHeight(delegate.sizeHint(option, index).height())
    assert delegate.tick_rect(option, index).isEmpty()
    assert delegate.read_count_rect(option, index) is None


# ------------------------------------------------------------------- clicks


def test_clicking_read_count_emits_the_msg_id(qtbot, message_view):
    model = model_of(
        message_item("before", "first"),
        message_item("grp", "please ack", group=True, ack=(3, 10), mark=Mark.DELIVERED),
    )
    view, delegate = message_view(model)
    rect = delegate.read_count_rect(view_option(view, 1), model.index(1, 0))
    assert rect is not None and view.viewport().rect().contains(rect)

    with qtbot.waitSignal(delegate.read_count_clicked, timeout=1000) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == ["grp"]


def test_clicking_elsewhere_emits_nothing(qtbot, message_view):
    model = model_of(message_item("grp", "please ack", group=True, ack=(3, 10)))
    view, delegate = message_view(model)
    option = view_option(view, 0)
    read_rect = delegate.read_count_rect(option, model.index(0, 0))
    assert read_rect is not None
    elsewhere = [
        QPoint(option.rect.left() + 5, option.rect.center().y()),
        delegate.tick_rect(option, model.index(0, 0)).center(),
        QPoint(read_rect.left() - 20, option.rect.top() + 10),
    ]
    with (
        qtbot.assertNotEmitted(delegate.read_count_clicked),
        qtbot.assertNotEmitted(delegate.retry_clicked),
    ):
        for point in elsewhere:
            assert not read_rect.contains(point)
            qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)


def test_clicking_the_red_bang_emits_retry(qtbot, message_view):
    model = model_of(message_item("ok", mark=Mark.SENT), message_item("bad", mark=Mark.FAILED))
    view, delegate = message_view(model)
    sent_tick = delegate.tick_rect(view_option(view, 0), model.index(0, 0))
    failed_tick = delegate.tick_rect(view_option(view, 1), model.index(1, 0))

    with qtbot.assertNotEmitted(delegate.retry_clicked):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=sent_tick.center())
    with qtbot.waitSignal(delegate.retry_clicked, timeout=1000) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=failed_tick.center())
    assert blocker.args == ["bad"]


# ------------------------------------------------------------------- tooltips


def test_receipt_tooltip_text():
    sent, delivered, read = NOW - 60_000, NOW - 30_000, NOW
    text = receipt_tooltip(Mark.READ, sent, delivered, read)
    assert text.splitlines()[0].startswith("Sent ")
    assert "Delivered" in text and "Read" in text
    assert receipt_tooltip(Mark.SENT, sent, None, None).startswith("Sent ")
    assert "Delivered" not in receipt_tooltip(Mark.SENT, sent, None, None)
    assert receipt_tooltip(Mark.PENDING, sent, None, None) == "Sending…"
    assert receipt_tooltip(Mark.FAILED, sent, None, None) == "Not sent — click to retry"
    assert read_count_tooltip(3, 10) == "Read by 3 of 10 members — click for details"


def test_help_event_over_the_tick_shows_the_receipt_times(qtbot, message_view):
    model = model_of(
        message_item("r", "read me", mark=Mark.READ, delivered_at=NOW - 5000, read_at=NOW),
        message_item("grp", "ack me", group=True, ack=(2, 5)),
    )
    view, delegate = message_view(model)

    option, index = view_option(view, 0), model.index(0, 0)
    pos = delegate.tick_rect(option, index).center()
    event = QHelpEvent(QEvent.Type.ToolTip, pos, view.viewport().mapToGlobal(pos))
    assert delegate.helpEvent(event, view, option, index)
    text = QToolTip.text()
    assert "Delivered" in text and "Read" in text

    option, index = view_option(view, 1), model.index(1, 0)
    rect = delegate.read_count_rect(option, index)
    assert rect is not None
    assert delegate.tooltip_text(option, index, rect.center()) == (
        "Read by 2 of 5 members — click for details"
    )
    assert delegate.tooltip_text(option, index, QPoint(option.rect.left() + 2, rect.top())) is None
    QToolTip.hideText()


# ------------------------------------------------------------------- conversations


def conversation_item(title: str, unread: int, mark: Mark | None = None, group: bool = False):
    item = QStandardItem()
    for role, value in {
        ConversationRole.CONVERSATION_ID: title,
        ConversationRole.TITLE: title,
        ConversationRole.IS_GROUP: group,
        ConversationRole.LAST_TEXT: "see you at five\nbring the checklist",
        ConversationRole.LAST_TIME: NOW,
        ConversationRole.UNREAD: unread,
        ConversationRole.LAST_OUTGOING_MARK: mark,
    }.items():
        item.setData(value, int(role))
    return item


def test_badge_text():
    assert badge_text(0) == ""
    assert badge_text(7) == "7"
    assert badge_text(99) == "99"
    assert badge_text(150) == "99+"


def test_initials():
    assert initials("alice") == "A"
    assert initials("alice_smith") == "AS"
    assert initials("Release Team Alpha") == "RT"
    assert initials("发布小组") == "发"
    assert initials("  ") == "?"


@pytest.mark.parametrize("palette", [light_palette(), dark_palette()], ids=["light", "dark"])
def test_conversation_rows_paint_with_a_badge(qapp, palette):
    delegate = ConversationDelegate()
    images = []
    for unread, mark, group in ((150, None, True), (0, Mark.READ, False), (3, Mark.FAILED, False)):
        model = model_of(conversation_item("Release Team", unread, mark, group))
        index = model.index(0, 0)
        hint = delegate.sizeHint(detached_option(360), index)
        assert hint.height() == 64
        image, _option, _index = render(delegate, model, palette, width=360)
        images.append(image)
    badge_area = QRect(300, 32, 60, 32)
    highlight = palette.color(QPalette.ColorRole.Highlight)
    with_badge = pixels_in(images[0], badge_area)
    without = pixels_in(images[1], badge_area)
    assert any(c.rgb() == highlight.rgb() for c in with_badge)
    assert not any(c.rgb() == highlight.rgb() for c in without)


def test_conversation_size_is_uniform(qapp):
    delegate = ConversationDelegate()
    model = model_of(conversation_item("a", 0), conversation_item("a much longer title " * 5, 4))
    heights = {
        delegate.sizeHint(detached_option(w), model.index(r, 0)).height()
        for w in (200, 400)
        for r in (0, 1)
    }
    assert heights == {64}
