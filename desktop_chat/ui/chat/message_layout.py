"""How a message row is measured: the row as the delegate reads it, and its geometry.

Owns: `MessageRow` (a row read from the model's roles), `TextBlock` (wrapped
text), `BubbleGeometry` (where the separators, bubble, sender, text, time, tick
and "Read n/m" of one row go) and `BubbleLayout`, which builds that geometry
for a width and caches it, so sizing and painting never lay text out twice.
Line breaks in a message are laid out as lines (`as_layout_text`); a row may
carry a date line ("Today") and an unread line ("3 unread messages") above its
bubble (`separator_height`). A reply's bubble holds the quoted sender and first
line above its text (`quote_rect`, where a click jumps to the original); an
edited message has "edited" beside its time; a recalled one is no bubble but a
quiet centred line (`is_notice`). Someone else's announcement that asks for
read receipts ends with its "Confirm" line (`confirm_line`).

Never: paint, change a model, or talk to the client. Never allocate fonts,
metrics, paths or text layouts for a row whose geometry is cached.
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QFont, QPainterPath, QTextLayout, QTextOption
from PySide6.QtWidgets import QStyleOptionViewItem

from desktop_chat.ui.chat.attachment_layout import AttachmentBox, place_attachment
from desktop_chat.ui.chat.confirm_line import GAP_ABOVE, ConfirmBox, measure_confirm
from desktop_chat.ui.chat.message_row import MessageRow
from desktop_chat.ui.painting.common import Fonts, Lru, TickArt, fill, translated_cache
from desktop_chat.ui.painting.roles import MessageRole


def as_layout_text(text: str) -> str:
    """`text` as QTextLayout breaks lines: each line break becomes U+2028."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\u2028")


@translated_cache
def read_count_label(read: int, members: int | None) -> str:
    """ "Read 5/9" (zh: "已读 5/9"); cached, as every group row asks on every paint."""
    if members:
        return fill(QCoreApplication.translate("MessageBubble", "Read %1/%2"), read, members)
    return fill(QCoreApplication.translate("MessageBubble", "Read %1"), read)


# ---------------------------------------------------------------- messages

BANNER_HEIGHT = 30  # px of a separator band above a bubble ("3 unread messages")
DATE_HEIGHT = 32  # px of the date line above the first message of a day ("Today")


def separator_height(index: QModelIndex | QPersistentModelIndex) -> int:
    """How far a row's bubble starts below the row's top: its date and unread lines."""
    date = DATE_HEIGHT if index.data(int(MessageRole.DATE)) else 0
    return date + (BANNER_HEIGHT if index.data(int(MessageRole.BANNER)) else 0)


@dataclasses.dataclass(frozen=True)
class TextBlock:
    """A wrapped paragraph: the layout to draw and its line widths."""

    layout: QTextLayout
    line_widths: tuple[float, ...]
    height: float


@dataclasses.dataclass(frozen=True)
class BubbleGeometry:
    """Where everything of one row goes, relative to the row's top-left corner."""

    height: int
    date_rect: QRect | None  # the day's line at the top of the row, if it has one
    banner_rect: QRect | None  # the unread band above the bubble, if the row has one
    bubble: QRect
    path: QPainterPath
    text: TextBlock
    text_origin: QPointF
    sender_rect: QRect | None
    sender_text: str
    time_rect: QRect
    tick_rect: QRect | None
    ring_rect: QRect | None
    read_label_rect: QRect | None
    read_label: str
    read_rect: QRect | None  # ring + label: the clickable area
    edited_rect: QRect | None = None  # "edited", left of the time
    quote_rect: QRect | None = None  # the quoted message above the text (clickable)
    quote_sender: str = ""
    quote_text: str = ""
    is_notice: bool = False  # a recalled message: only `text` is drawn, centred and quiet
    attachment: AttachmentBox | None = None  # its picture or file card, above the caption
    confirm: ConfirmBox | None = None  # "Confirm" / "Confirmed · note" under an announcement

    @property
    def status_rect(self) -> QRect:
        """The time and tick together: where the receipt tooltip answers."""
        area = self.time_rect
        return area.united(self.tick_rect) if self.tick_rect is not None else area


def _no_text() -> TextBlock:
    """The text of a picture or file sent without a caption: nothing to draw."""
    return TextBlock(QTextLayout(""), (), 0.0)


class _MetaSize(NamedTuple):
    """The time line's measure: its width and height, and its parts' widths (0: absent)."""

    width: int
    height: int
    tick_w: int
    label_w: int
    edited_w: int


class _MetaRects(NamedTuple):
    """Where the time line's parts go (None: the row has no such part)."""

    time_rect: QRect
    tick_rect: QRect | None
    edited_rect: QRect | None
    ring_rect: QRect | None
    read_label_rect: QRect | None
    read_rect: QRect | None


def _attachment_key(row: MessageRow) -> tuple[str, str, str, int, int] | None:
    """What of a row's attachment its geometry depends on (not its transfer or path)."""
    view = row.attachment
    return None if view is None else (view.kind, view.sha256, view.name, view.width, view.height)


class BubbleLayout:
    """Measures chat bubbles for a width; caches fonts and each row's geometry."""

    SIDE_MARGIN = 14
    OUTER_Y = 3  # half the vertical gap between bubbles
    PAD_X = 11
    PAD_TOP = 6
    PAD_BOTTOM = 5
    RADIUS = 12.0
    MAX_FRACTION = 0.7
    MIN_BUBBLE = 160
    META_GAP = 10  # between the last text line and an inline time
    RING = 12
    CACHE_LIMIT = 4096

    def __init__(self) -> None:
        self._fonts: Fonts | None = None
        self._geometry = Lru(self.CACHE_LIMIT)
        # Translated once, not per paint: the word beside an edited message's time.
        self.EDITED = QCoreApplication.translate("MessageBubble", "edited")

    # -- caches

    def fonts(self, font: QFont) -> Fonts:
        if self._fonts is None or self._fonts.source != font:
            self._fonts = Fonts(font)
            self._geometry.clear()
        return self._fonts

    # -- measuring

    def layout_text(self, text: str, width: int, font: QFont) -> TextBlock:
        """Wrap `text` to `width` px (at word boundaries, or anywhere for CJK runs)."""
        # QTextLayout ignores "\n"; U+2028 is its line break. The stored text keeps "\n".
        layout = QTextLayout(as_layout_text(text), font)
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        layout.setCacheEnabled(True)
        widths: list[float] = []
        y = 0.0
        layout.beginLayout()
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            line.setPosition(QPointF(0.0, y))
            y += line.height()
            widths.append(line.naturalTextWidth())
        layout.endLayout()
        return TextBlock(layout, tuple(widths), y)

    @staticmethod
    def available_width(option: QStyleOptionViewItem) -> int:
        """The width rows lay out in: the view's viewport, else the option's rect."""
        widget = option.widget
        viewport = getattr(widget, "viewport", None)
        if callable(viewport):
            return viewport().width()
        return option.rect.width()

    def geometry(self, option: QStyleOptionViewItem, row: MessageRow) -> BubbleGeometry:
        fonts = self.fonts(option.font)
        width = self.available_width(option)
        label = (
            read_count_label(row.group_ack_count, row.group_member_count)
            if row.shows_read_count
            else ""
        )
        key = (
            row.msg_id,
            row.text,
            width,
            row.outgoing,
            row.sender_line,
            label,
            row.has_tick,
            row.banner,
            row.date,
            row.notice,
            row.edited,
            row.reply_sender,
            row.reply_text,
            _attachment_key(row),
            row.confirmable,
            row.confirmed_at is not None,
            row.confirm_note,
        )
        cached = self._geometry.lookup(key)
        if cached is None:
            cached = self._geometry.store(key, self._build(fonts, width, row, label))
        return cached

    EDITED = "edited"
    QUOTE_BAR = 3  # px of the accent bar left of a quote

    @staticmethod
    def _separator_rects(width: int, row: MessageRow) -> tuple[QRect | None, QRect | None, int]:
        """The date line and unread band above a row's bubble, and where the bubble starts."""
        date_rect = QRect(0, 0, width, DATE_HEIGHT) if row.date else None
        top = DATE_HEIGHT if row.date else 0
        banner_rect = QRect(0, top, width, BANNER_HEIGHT) if row.banner else None
        top += BANNER_HEIGHT if row.banner else 0
        return date_rect, banner_rect, top

    def _build_notice(self, fonts: Fonts, width: int, row: MessageRow) -> BubbleGeometry:
        """A recalled message: its quiet line, centred, on a faint pill (no time, no tick)."""
        date_rect, banner_rect, top = self._separator_rects(width, row)
        block = self.layout_text(row.notice, max(20, width - 4 * self.SIDE_MARGIN), fonts.small)
        text_w = math.ceil(max(block.line_widths, default=0.0))
        pill_w, pill_h = text_w + 24, math.ceil(block.height) + 8
        pill = QRect((width - pill_w) // 2, top + self.OUTER_Y, pill_w, pill_h)
        path = QPainterPath()
        path.addRoundedRect(QRectF(pill), pill_h / 2, pill_h / 2)
        return BubbleGeometry(
            height=pill.bottom() + 1 + self.OUTER_Y,
            date_rect=date_rect,
            banner_rect=banner_rect,
            bubble=pill,
            path=path,
            text=block,
            text_origin=QPointF(pill.left() + 12, pill.top() + 4),
            sender_rect=None,
            sender_text="",
            time_rect=QRect(),
            tick_rect=None,
            ring_rect=None,
            read_label_rect=None,
            read_label="",
            read_rect=None,
            is_notice=True,
        )

    def _measure_meta(self, fonts: Fonts, row: MessageRow, label: str) -> _MetaSize:
        """How wide and tall the time line is: "Read n/m", "edited", the time, the tick."""
        tick_w = TickArt.SIZE.width() if row.has_tick else 0
        label_w = fonts.small_fm.horizontalAdvance(label) if label else 0
        edited_w = fonts.small_fm.horizontalAdvance(self.EDITED) if row.edited else 0
        width = fonts.time_width + (tick_w + 3 if tick_w else 0) + (edited_w + 5 if edited_w else 0)
        if label:
            width += 10 + self.RING + 4 + label_w
        height = max(fonts.small_fm.height(), TickArt.SIZE.height(), self.RING)
        return _MetaSize(width, height, tick_w, label_w, edited_w)

    @staticmethod
    def _elide_sender(fonts: Fonts, row: MessageRow, text_max: int) -> tuple[str, int]:
        """The sender line above an incoming group message, elided, and its width."""
        sender_text = row.sender_line
        if not sender_text:
            return sender_text, 0
        sender_text = fonts.sender_fm.elidedText(sender_text, Qt.TextElideMode.ElideRight, text_max)
        return sender_text, fonts.sender_fm.horizontalAdvance(sender_text)

    def _elide_quote(self, fonts: Fonts, row: MessageRow, text_max: int) -> tuple[str, str, int]:
        """A reply's quoted sender and first line, elided, and the quote's width (0: none)."""
        if not (row.reply_sender or row.reply_text):
            return "", "", 0
        inner = text_max - self.QUOTE_BAR - 8
        quote_sender = fonts.sender_fm.elidedText(
            row.reply_sender, Qt.TextElideMode.ElideRight, inner
        )
        quote_text = fonts.small_fm.elidedText(row.reply_text, Qt.TextElideMode.ElideRight, inner)
        quote_w = (
            self.QUOTE_BAR
            + 8
            + max(
                fonts.sender_fm.horizontalAdvance(quote_sender),
                fonts.small_fm.horizontalAdvance(quote_text),
            )
        )
        return quote_sender, quote_text, quote_w

    def _place_meta(
        self, fonts: Fonts, bubble: QRect, meta_bottom: int, meta: _MetaSize, label: str
    ) -> _MetaRects:
        """The time line, right to left along the bubble's bottom: tick, time, "edited", "Read"."""
        right = bubble.right() + 1 - self.PAD_X
        meta_h = meta.height
        meta_top = meta_bottom - meta_h
        tick_rect = None
        if meta.tick_w:
            tick_rect = QRect(
                right - meta.tick_w,
                meta_top + (meta_h - TickArt.SIZE.height()) // 2,
                meta.tick_w,
                TickArt.SIZE.height(),
            )
            right -= meta.tick_w + 3
        time_rect = QRect(right - fonts.time_width, meta_top, fonts.time_width, meta_h)
        right = time_rect.left()
        edited_rect = None
        if meta.edited_w:
            edited_rect = QRect(right - 5 - meta.edited_w, meta_top, meta.edited_w, meta_h)
            right = edited_rect.left()
        ring_rect = read_label_rect = read_rect = None
        if label:
            read_label_rect = QRect(right - 10 - meta.label_w, meta_top, meta.label_w, meta_h)
            ring_rect = QRect(
                read_label_rect.left() - 4 - self.RING,
                meta_top + (meta_h - self.RING) // 2,
                self.RING,
                self.RING,
            )
            read_rect = ring_rect.united(read_label_rect).adjusted(-3, -2, 3, 2)
        return _MetaRects(time_rect, tick_rect, edited_rect, ring_rect, read_label_rect, read_rect)

    def _text_width(self, width: int) -> int:
        """How wide a bubble's text may wrap in a view `width` px wide."""
        bubble_max = max(self.MIN_BUBBLE, round(width * self.MAX_FRACTION))
        bubble_max = max(60, min(bubble_max, width - 2 * self.SIDE_MARGIN))
        return max(20, bubble_max - 2 * self.PAD_X)

    def _content_width(
        self, block: TextBlock, meta: _MetaSize, header_w: int, text_max: int
    ) -> tuple[bool, int]:
        """(whether the time fits after the last line, the bubble's inner width)."""
        widest = math.ceil(max(block.line_widths, default=0.0))
        last = math.ceil(block.line_widths[-1]) if block.line_widths else 0
        inline = last + self.META_GAP + meta.width <= text_max
        if inline:
            return inline, max(widest, last + self.META_GAP + meta.width, header_w)
        return inline, max(widest, meta.width, header_w)

    @staticmethod
    def _stack_above_text(
        fonts: Fonts, y: int, sender_text: str, sender_w: int, quote_w: int
    ) -> tuple[QRect | None, QRect | None, int]:
        """The sender line and the quote, stacked down from `y` (at x 0), and the text's top."""
        sender_rect = None
        if sender_text:
            sender_rect = QRect(0, y, sender_w + 2, fonts.sender_fm.height())
            y += fonts.sender_fm.height() + 1
        quote_rect = None
        if quote_w:
            quote_h = fonts.sender_fm.height() + fonts.small_fm.height() + 6
            quote_rect = QRect(0, y, quote_w + 6, quote_h)
            y += quote_h + 4
        return sender_rect, quote_rect, y

    @staticmethod
    def _boxes(
        fonts: Fonts, row: MessageRow, text_max: int
    ) -> tuple[AttachmentBox | None, ConfirmBox | None, int]:
        """A row's picture or file card and its "Confirm" line, at (0, 0), and the
        width the wider of them needs."""
        box = (
            place_attachment(row.attachment, fonts, text_max, 0, 0)
            if row.attachment is not None
            else None
        )
        confirm = measure_confirm(fonts, row, text_max)
        widths = (box.rect.width() if box else 0, confirm.rect.width() if confirm else 0)
        return box, confirm, max(widths)

    def _rounded(self, bubble: QRect) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(bubble).adjusted(0.5, 0.5, -0.5, -0.5), self.RADIUS, self.RADIUS)
        return path

    def _build(self, fonts: Fonts, width: int, row: MessageRow, label: str) -> BubbleGeometry:
        if row.notice:
            return self._build_notice(fonts, width, row)
        text_max = self._text_width(width)
        block = self.layout_text(row.text, text_max, fonts.text) if row.text else _no_text()
        meta = self._measure_meta(fonts, row, label)
        sender_text, sender_w = self._elide_sender(fonts, row, text_max)
        quote_sender, quote_text, quote_w = self._elide_quote(fonts, row, text_max)
        box, confirm, boxes_w = self._boxes(fonts, row, text_max)
        header_w = max(sender_w, quote_w, boxes_w)
        inline, content_w = self._content_width(block, meta, header_w, text_max)
        inline = inline and bool(row.text)  # a picture without a caption: the time below it
        date_rect, banner_rect, top = self._separator_rects(width, row)
        sender_rect, quote_rect, text_top = self._stack_above_text(
            fonts, top + self.OUTER_Y + self.PAD_TOP, sender_text, sender_w, quote_w
        )
        left = width - self.SIDE_MARGIN - content_w - 2 * self.PAD_X if row.outgoing else None
        left = self.SIDE_MARGIN if left is None else left
        if box is not None:
            box = box.translated(left + self.PAD_X, text_top)
            text_top = box.rect.bottom() + 1 + (6 if row.text else 0)
        text_bottom = text_top + math.ceil(block.height)
        # An inline time sits just below the last line's baseline; otherwise on its own row.
        meta_bottom = text_bottom + 3 if inline else text_bottom + 2 + meta.height
        bubble_bottom = max(text_bottom, meta_bottom) + self.PAD_BOTTOM
        if confirm is not None:  # its own line at the bubble's bottom, below the time
            confirm = confirm.translated(
                left + self.PAD_X, bubble_bottom - self.PAD_BOTTOM + GAP_ABOVE
            )
            bubble_bottom = confirm.rect.bottom() + 1 + self.PAD_BOTTOM + 2
        bubble = QRect(
            left, top + self.OUTER_Y, content_w + 2 * self.PAD_X, bubble_bottom - top - self.OUTER_Y
        )
        if sender_rect is not None:
            sender_rect.moveLeft(left + self.PAD_X)
        if quote_rect is not None:
            quote_rect.moveLeft(left + self.PAD_X)
            quote_rect.setWidth(max(quote_rect.width(), content_w))
        placed = self._place_meta(fonts, bubble, meta_bottom, meta, label)

        return BubbleGeometry(
            height=bubble.bottom() + 1 + self.OUTER_Y,
            date_rect=date_rect,
            banner_rect=banner_rect,
            bubble=bubble,
            path=self._rounded(bubble),
            text=block,
            text_origin=QPointF(left + self.PAD_X, text_top),
            sender_rect=sender_rect,
            sender_text=sender_text,
            time_rect=placed.time_rect,
            tick_rect=placed.tick_rect,
            ring_rect=placed.ring_rect,
            read_label_rect=placed.read_label_rect,
            read_label=label,
            read_rect=placed.read_rect,
            edited_rect=placed.edited_rect,
            quote_rect=quote_rect,
            quote_sender=quote_sender,
            quote_text=quote_text,
            attachment=box,
            confirm=confirm,
        )

    def size_hint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        geometry = self.geometry(option, MessageRow.from_index(index))
        return QSize(max(1, self.available_width(option)), geometry.height)

    # -- painting
