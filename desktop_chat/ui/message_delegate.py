"""The item delegate for the chat view: how a message row looks and where it is clicked.

Owns: how a message row looks (bubble, sender line, time, the receipt tick, the
group "Read n/m" ring); where the clickable areas of a message row are, and
what their tooltips say; the caches that keep painting and sizing bubbles cheap.

`MessageDelegate` only dispatches: `MessagePainter` owns `paint` and
`size_hint`. Colours come from the palette the view paints with (see
`desktop_chat.ui.paint`), so light and dark themes both work.

Never: change a model, talk to the client, or decide a message's state. The
tick is chosen at paint time from the MARK role alone, and a click only emits a
signal carrying the message id. Never allocate fonts, metrics, paths or pixmaps
per paint: the painter caches them.

Views using `MessageDelegate` need variable row heights
(`setUniformItemSizes(False)`) and `setResizeMode(QListView.ResizeMode.Adjust)`,
because a bubble's height depends on the viewport width.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QHelpEvent,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
)

from desktop_chat.protocol import Mark
from desktop_chat.ui.paint import (
    BubbleColours,
    Fonts,
    Lru,
    PaletteCache,
    TickArt,
    clock_text,
    mark_of,
    name_colour,
    shared_ticks,
)
from desktop_chat.ui.roles import MessageRole

# ---------------------------------------------------------------- text helpers


def _clock_seconds(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000).strftime("%H:%M:%S")


def receipt_tooltip(
    mark: Mark | None, sent_ms: int | None, delivered_ms: int | None, read_ms: int | None
) -> str:
    """What the tick's tooltip says: the sent, delivered and read times that are known."""
    if mark is Mark.PENDING:
        return "Sending…"
    if mark is Mark.FAILED:
        return "Not sent — click to retry"
    lines = []
    if sent_ms:
        lines.append(f"Sent {_clock_seconds(sent_ms)}")
    if delivered_ms and mark is not None and mark >= Mark.DELIVERED:
        lines.append(f"Delivered {_clock_seconds(delivered_ms)}")
    if read_ms and mark is Mark.READ:
        lines.append(f"Read {_clock_seconds(read_ms)}")
    return "\n".join(lines)


def as_layout_text(text: str) -> str:
    """`text` as QTextLayout breaks lines: each line break becomes U+2028."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\u2028")


def read_count_label(read: int, members: int | None) -> str:
    return f"Read {read}/{members}" if members else f"Read {read}"


def read_count_tooltip(read: int, members: int | None) -> str:
    if members:
        return f"Read by {read} of {members} members — click for details"
    return f"Read by {read} members — click for details"


# ---------------------------------------------------------------- messages

BANNER_HEIGHT = 30  # px of a separator band above a bubble ("3 unread messages")


@dataclasses.dataclass(frozen=True)
class MessageRow:
    """One message row as the delegate reads it from the roles."""

    msg_id: str
    text: str
    sender: str
    outgoing: bool
    time_ms: int
    mark: Mark | None
    delivered_at: int | None
    read_at: int | None
    is_group: bool
    need_group_ack: bool
    group_ack_count: int
    group_member_count: int | None
    show_sender: bool
    banner: str = ""  # a separator above the bubble, e.g. "3 unread messages"

    @classmethod
    def from_index(cls, index: QModelIndex) -> MessageRow:
        def get(role: MessageRole) -> Any:
            return index.data(int(role))

        return cls(
            msg_id=str(get(MessageRole.MSG_ID) or ""),
            text=str(get(MessageRole.TEXT) or ""),
            sender=str(get(MessageRole.SENDER) or ""),
            outgoing=bool(get(MessageRole.OUTGOING)),
            time_ms=int(get(MessageRole.TIME) or 0),
            mark=mark_of(get(MessageRole.MARK)),
            delivered_at=get(MessageRole.DELIVERED_AT),
            read_at=get(MessageRole.READ_AT),
            is_group=bool(get(MessageRole.IS_GROUP)),
            need_group_ack=bool(get(MessageRole.NEED_GROUP_ACK)),
            group_ack_count=int(get(MessageRole.GROUP_ACK_COUNT) or 0),
            group_member_count=get(MessageRole.GROUP_MEMBER_COUNT),
            show_sender=bool(get(MessageRole.SHOW_SENDER)),
            banner=str(get(MessageRole.BANNER) or ""),
        )

    @property
    def has_tick(self) -> bool:
        return self.outgoing and self.mark is not None

    @property
    def shows_read_count(self) -> bool:
        """Only a group message that asked for acks and reached the server shows "Read n/m"."""
        return (
            self.outgoing
            and self.need_group_ack
            and self.mark is not None
            and self.mark >= Mark.SENT
        )

    @property
    def sender_line(self) -> str:
        return self.sender if (self.show_sender and not self.outgoing and self.sender) else ""


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
    banner_rect: QRect | None  # the separator band above the bubble, if the row has one
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

    @property
    def status_rect(self) -> QRect:
        """The time and tick together: where the receipt tooltip answers."""
        area = self.time_rect
        return area.united(self.tick_rect) if self.tick_rect is not None else area


class MessagePainter:
    """Paints and measures chat bubbles; owns every cache the message delegate uses."""

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
        self._palettes = PaletteCache()
        self._geometry = Lru(self.CACHE_LIMIT)
        self.ticks = shared_ticks()

    # -- caches

    def fonts(self, font: QFont) -> Fonts:
        if self._fonts is None or self._fonts.source != font:
            self._fonts = Fonts(font)
            self._geometry.clear()
        return self._fonts

    def colours(self, palette: QPalette) -> BubbleColours:
        return self._palettes.get(palette)

    def clear_caches(self) -> None:
        self._geometry.clear()

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
        )
        cached = self._geometry.lookup(key)
        if cached is None:
            cached = self._geometry.store(key, self._build(fonts, width, row, label))
        return cached

    def _build(self, fonts: Fonts, width: int, row: MessageRow, label: str) -> BubbleGeometry:
        bubble_max = max(self.MIN_BUBBLE, round(width * self.MAX_FRACTION))
        bubble_max = max(60, min(bubble_max, width - 2 * self.SIDE_MARGIN))
        text_max = max(20, bubble_max - 2 * self.PAD_X)
        block = self.layout_text(row.text, text_max, fonts.text)

        tick_w = TickArt.SIZE.width() if row.has_tick else 0
        label_w = fonts.small_fm.horizontalAdvance(label) if label else 0
        meta_w = fonts.time_width + (tick_w + 3 if tick_w else 0)
        if label:
            meta_w += 10 + self.RING + 4 + label_w
        meta_h = max(fonts.small_fm.height(), TickArt.SIZE.height(), self.RING)

        sender_text = row.sender_line
        sender_w = 0
        if sender_text:
            sender_text = fonts.sender_fm.elidedText(
                sender_text, Qt.TextElideMode.ElideRight, text_max
            )
            sender_w = fonts.sender_fm.horizontalAdvance(sender_text)

        widest = math.ceil(max(block.line_widths, default=0.0))
        last = math.ceil(block.line_widths[-1]) if block.line_widths else 0
        inline = last + self.META_GAP + meta_w <= text_max
        if inline:
            content_w = max(widest, last + self.META_GAP + meta_w, sender_w)
        else:
            content_w = max(widest, meta_w, sender_w)

        top = BANNER_HEIGHT if row.banner else 0
        banner_rect = QRect(0, 0, width, BANNER_HEIGHT) if row.banner else None
        y = top + self.OUTER_Y + self.PAD_TOP
        sender_rect = None
        if sender_text:
            sender_rect = QRect(0, y, sender_w + 2, fonts.sender_fm.height())
            y += fonts.sender_fm.height() + 1
        text_top = y
        text_bottom = text_top + math.ceil(block.height)
        # An inline time sits just below the last line's baseline; otherwise on its own row.
        meta_bottom = text_bottom + 3 if inline else text_bottom + 2 + meta_h
        bubble_bottom = max(text_bottom, meta_bottom) + self.PAD_BOTTOM
        bubble_w = content_w + 2 * self.PAD_X
        left = width - self.SIDE_MARGIN - bubble_w if row.outgoing else self.SIDE_MARGIN
        bubble = QRect(left, top + self.OUTER_Y, bubble_w, bubble_bottom - top - self.OUTER_Y)
        if sender_rect is not None:
            sender_rect.moveLeft(left + self.PAD_X)

        right = bubble.right() + 1 - self.PAD_X
        meta_top = meta_bottom - meta_h
        tick_rect = None
        if tick_w:
            tick_rect = QRect(
                right - tick_w,
                meta_top + (meta_h - TickArt.SIZE.height()) // 2,
                tick_w,
                TickArt.SIZE.height(),
            )
            right -= tick_w + 3
        time_rect = QRect(right - fonts.time_width, meta_top, fonts.time_width, meta_h)
        right = time_rect.left()
        ring_rect = read_label_rect = read_rect = None
        if label:
            read_label_rect = QRect(right - 10 - label_w, meta_top, label_w, meta_h)
            ring_rect = QRect(
                read_label_rect.left() - 4 - self.RING,
                meta_top + (meta_h - self.RING) // 2,
                self.RING,
                self.RING,
            )
            read_rect = ring_rect.united(read_label_rect).adjusted(-3, -2, 3, 2)

        path = QPainterPath()
        path.addRoundedRect(QRectF(bubble).adjusted(0.5, 0.5, -0.5, -0.5), self.RADIUS, self.RADIUS)
        return BubbleGeometry(
            height=bubble.bottom() + 1 + self.OUTER_Y,
            banner_rect=banner_rect,
            bubble=bubble,
            path=path,
            text=block,
            text_origin=QPointF(left + self.PAD_X, text_top),
            sender_rect=sender_rect,
            sender_text=sender_text,
            time_rect=time_rect,
            tick_rect=tick_rect,
            ring_rect=ring_rect,
            read_label_rect=read_label_rect,
            read_label=label,
            read_rect=read_rect,
        )

    def size_hint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        geometry = self.geometry(option, MessageRow.from_index(index))
        return QSize(max(1, self.available_width(option)), geometry.height)

    # -- painting

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        row = MessageRow.from_index(index)
        geo = self.geometry(option, row)
        fonts = self.fonts(option.font)
        colours = self.colours(option.palette)
        if row.outgoing:
            fill, border = colours.outgoing, colours.outgoing_border
            text_colour, meta_colour = colours.outgoing_text, colours.outgoing_meta
        else:
            fill, border = colours.incoming, colours.incoming_border
            text_colour, meta_colour = colours.incoming_text, colours.incoming_meta

        painter.save()
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
            if option.state & QStyle.StateFlag.State_Selected:
                painter.fillRect(option.rect, colours.selection)
            painter.translate(option.rect.topLeft())
            if geo.banner_rect is not None:
                self._paint_banner(painter, geo.banner_rect, row.banner, fonts, colours)
            painter.setPen(QPen(border, 1.0))
            painter.setBrush(fill)
            painter.drawPath(geo.path)

            if geo.sender_rect is not None:
                painter.setFont(fonts.sender)
                painter.setPen(name_colour(row.sender, colours.dark))
                painter.drawText(geo.sender_rect, int(Qt.AlignmentFlag.AlignLeft), geo.sender_text)

            painter.setPen(text_colour)
            geo.text.layout.draw(painter, geo.text_origin)

            painter.setFont(fonts.small)
            painter.setPen(meta_colour)
            painter.drawText(
                geo.time_rect,
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                clock_text(row.time_ms),
            )
            if geo.tick_rect is not None and row.mark is not None:
                self.ticks.paint(painter, geo.tick_rect, row.mark, meta_colour, colours)
            if geo.read_rect is not None:
                self._paint_read_count(painter, geo, row, colours, meta_colour)
        finally:
            painter.restore()

    @staticmethod
    def _paint_banner(
        painter: QPainter, rect: QRect, text: str, fonts: Fonts, colours: BubbleColours
    ) -> None:
        """A centred label on a faint band, with rules either side: "3 unread messages"."""
        band = rect.adjusted(0, 4, 0, -4)
        tint = QColor(colours.accent)
        tint.setAlphaF(0.10)
        painter.fillRect(band, tint)
        painter.setFont(fonts.sender)
        painter.setPen(colours.accent)
        painter.drawText(band, int(Qt.AlignmentFlag.AlignCenter), text)

    def _paint_read_count(
        self,
        painter: QPainter,
        geo: BubbleGeometry,
        row: MessageRow,
        colours: BubbleColours,
        meta_colour: QColor,
    ) -> None:
        assert geo.ring_rect is not None and geo.read_label_rect is not None
        members = row.group_member_count or 0
        fraction = min(1.0, row.group_ack_count / members) if members else 0.0
        ring = QRectF(geo.ring_rect).adjusted(1.0, 1.0, -1.0, -1.0)
        track = QColor(meta_colour)
        track.setAlphaF(0.55)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(track, 1.8))
        painter.drawEllipse(ring)
        if fraction >= 1.0:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colours.accent)
            painter.drawEllipse(QRectF(geo.ring_rect))
            check = QPen(QColor(Qt.GlobalColor.white), 1.4, Qt.PenStyle.SolidLine)
            check.setCapStyle(Qt.PenCapStyle.RoundCap)
            check.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            painter.setPen(check)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(self.ticks.small_check.translated(ring.center()))
        elif fraction > 0:
            arc = QPen(colours.accent, 1.8, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
            painter.setPen(arc)
            painter.drawArc(ring, 90 * 16, -round(fraction * 360 * 16))
        # The accent colour says "this can be clicked" (it opens the read-by view).
        painter.setPen(colours.accent)
        painter.drawText(
            geo.read_label_rect,
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            geo.read_label,
        )

    # -- hit testing, in view coordinates

    def tick_rect(self, option: QStyleOptionViewItem, index: QModelIndex) -> QRect:
        geo = self.geometry(option, MessageRow.from_index(index))
        if geo.tick_rect is None:
            return QRect()
        return geo.tick_rect.translated(option.rect.topLeft())

    def read_count_rect(self, option: QStyleOptionViewItem, index: QModelIndex) -> QRect | None:
        geo = self.geometry(option, MessageRow.from_index(index))
        if geo.read_rect is None:
            return None
        return geo.read_rect.translated(option.rect.topLeft())

    def hit(self, option: QStyleOptionViewItem, index: QModelIndex, pos: QPoint) -> str | None:
        """ "read_count", "retry" or None for a point in view coordinates."""
        row = MessageRow.from_index(index)
        geo = self.geometry(option, row)
        local = pos - option.rect.topLeft()
        if geo.read_rect is not None and geo.read_rect.contains(local):
            return "read_count"
        if (
            row.mark is Mark.FAILED
            and geo.tick_rect is not None
            and geo.tick_rect.adjusted(-3, -3, 3, 3).contains(local)
        ):
            return "retry"
        return None

    def tooltip_text(
        self, option: QStyleOptionViewItem, index: QModelIndex, pos: QPoint
    ) -> str | None:
        row = MessageRow.from_index(index)
        geo = self.geometry(option, row)
        local = pos - option.rect.topLeft()
        if geo.read_rect is not None and geo.read_rect.contains(local):
            return read_count_tooltip(row.group_ack_count, row.group_member_count)
        if row.has_tick and geo.status_rect.adjusted(-2, -2, 2, 2).contains(local):
            return receipt_tooltip(row.mark, row.time_ms, row.delivered_at, row.read_at) or None
        return None


class MessageDelegate(QStyledItemDelegate):
    """Chat bubbles. Emits the message id when its "Read n/m" or its red "!" is clicked."""

    read_count_clicked = Signal(str)
    retry_clicked = Signal(str)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.row_painter = MessagePainter()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        self.row_painter.paint(painter, option, index)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return self.row_painter.size_hint(option, index)

    def tick_rect(self, option: QStyleOptionViewItem, index: QModelIndex) -> QRect:
        """The tick's box in view coordinates (an empty rect for incoming messages)."""
        return self.row_painter.tick_rect(option, index)

    def read_count_rect(self, option: QStyleOptionViewItem, index: QModelIndex) -> QRect | None:
        """The clickable "Read n/m" ring and label in view coordinates, if the row has one."""
        return self.row_painter.read_count_rect(option, index)

    def tooltip_text(
        self, option: QStyleOptionViewItem, index: QModelIndex, pos: QPoint
    ) -> str | None:
        """The tooltip for a point in view coordinates, or None where the row has none."""
        return self.row_painter.tooltip_text(option, index, pos)

    def editorEvent(
        self,
        event: QEvent,
        model: QAbstractItemModel,
        option: QStyleOptionViewItem,
        index: QModelIndex,
    ) -> bool:
        kind = event.type()
        if (
            kind
            in (
                QEvent.Type.MouseButtonPress,
                QEvent.Type.MouseButtonRelease,
                QEvent.Type.MouseButtonDblClick,
            )
            and event.button() == Qt.MouseButton.LeftButton
        ):
            target = self.row_painter.hit(option, index, event.position().toPoint())
            if target is not None:
                if kind == QEvent.Type.MouseButtonRelease:
                    msg_id = str(index.data(int(MessageRole.MSG_ID)) or "")
                    if target == "read_count":
                        self.read_count_clicked.emit(msg_id)
                    else:
                        self.retry_clicked.emit(msg_id)
                return True
        return super().editorEvent(event, model, option, index)

    def helpEvent(
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: QModelIndex,
    ) -> bool:
        if event is not None and event.type() == QEvent.Type.ToolTip and index.isValid():
            text = self.row_painter.tooltip_text(option, index, event.pos())
            if text:
                QToolTip.showText(event.globalPos(), text, view)
                return True
        return super().helpEvent(event, view, option, index)
