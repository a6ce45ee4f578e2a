"""Item delegates for the chat view and the conversation list.

Owns: how a message row looks (bubble, sender line, time, the receipt tick, the
group "Read n/m" ring) and how a conversation row looks (avatar, title, last
line, time, unread badge); where the clickable areas of a message row are, and
what their tooltips say; the caches that keep painting and sizing cheap.

A delegate only dispatches: `MessagePainter` and `ConversationPainter` own
`paint` and `size_hint`. Colours come from the palette the view paints with, so
light and dark themes both work.

Never: change a model, talk to the client, or decide a message's state. The
tick is chosen at paint time from the MARK role alone, and a click only emits a
signal carrying the message id. Never allocate fonts, metrics, paths or pixmaps
per paint: the painters cache them.

Views using `MessageDelegate` need variable row heights
(`setUniformItemSizes(False)`) and `setResizeMode(QListView.ResizeMode.Adjust)`,
because a bubble's height depends on the viewport width.
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from collections import OrderedDict
from datetime import datetime
from functools import lru_cache
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
    QFontMetrics,
    QHelpEvent,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
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
from desktop_chat.ui.roles import ConversationRole, MessageRole

# ---------------------------------------------------------------- text helpers


@lru_cache(maxsize=4096)
def _clock_minutes(minute: int) -> str:
    return datetime.fromtimestamp(minute * 60).strftime("%H:%M")


def clock_text(ms: int | None) -> str:
    """Local "HH:MM" for a time in ms since the epoch ("" for none)."""
    if not ms:
        return ""
    return _clock_minutes(int(ms) // 60_000)


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


def read_count_label(read: int, members: int | None) -> str:
    return f"Read {read}/{members}" if members else f"Read {read}"


def read_count_tooltip(read: int, members: int | None) -> str:
    if members:
        return f"Read by {read} of {members} members — click for details"
    return f"Read by {read} members — click for details"


def badge_text(unread: int) -> str:
    """The unread badge's text: "" for none, the count, or "99+" above 99."""
    if unread <= 0:
        return ""
    return "99+" if unread > 99 else str(unread)


def initials(title: str) -> str:
    """One or two letters for an avatar: the first letters of the first two words."""
    words = [w for w in title.replace("_", " ").replace("-", " ").replace(".", " ").split()]
    letters = [next((ch for ch in w if ch.isalnum()), "") for w in words]
    letters = [ch for ch in letters if ch]
    if not letters:
        return "?"
    return "".join(letters[:2]).upper()


def conversation_time_text(ms: int | None, now: datetime | None = None) -> str:
    """ "HH:MM" for today, "3 Mar" for this year, "03.03.2024" before that."""
    if not ms:
        return ""
    when = datetime.fromtimestamp(ms / 1000)
    now = now or datetime.now()
    if when.date() == now.date():
        return when.strftime("%H:%M")
    if when.year == now.year:
        return f"{when.day} {when:%b}"
    return when.strftime("%d.%m.%Y")


def _mark_of(value: Any) -> Mark | None:
    if value is None:
        return None
    try:
        return Mark(int(value))
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- colours


def _blend(a: QColor, b: QColor, t: float) -> QColor:
    """`a` moved a fraction `t` of the way toward `b`."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
        1.0,
    )


def luminance(colour: QColor) -> float:
    """WCAG relative luminance."""

    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio, 1..21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _readable(preferred: QColor, background: QColor, minimum: float = 4.5) -> QColor:
    if contrast(preferred, background) >= minimum:
        return preferred
    black, white = QColor(Qt.GlobalColor.black), QColor(Qt.GlobalColor.white)
    return black if contrast(black, background) >= contrast(white, background) else white


# Telegram-like hues; names and avatars pick one by a stable hash of the name.
_HUES = ("#E17076", "#7BC862", "#65AADD", "#A695E7", "#EE7AAE", "#6EC9CB", "#FAA774", "#5B8DEF")


@lru_cache(maxsize=1024)
def _hue_for(name: str) -> str:
    return _HUES[zlib.crc32(name.encode("utf-8")) % len(_HUES)]


def avatar_colour(name: str) -> QColor:
    """The avatar colour of a person or group: the same in every view of the app."""
    return QColor(_hue_for(name))


def paint_avatar(
    painter: QPainter, rect: QRect, name: str, font: QFont, fade_into: QColor | None = None
) -> None:
    """A round avatar with the person's initials; `fade_into` dims it toward a
    background colour (an alpha would look muddy on dark palettes)."""
    colour = avatar_colour(name)
    if fade_into is not None:
        colour = QColor.fromRgbF(
            colour.redF() * 0.55 + fade_into.redF() * 0.45,
            colour.greenF() * 0.55 + fade_into.greenF() * 0.45,
            colour.blueF() * 0.55 + fade_into.blueF() * 0.45,
        )
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawEllipse(rect)
    painter.setPen(QColor(Qt.GlobalColor.white))
    painter.setFont(font)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, initials(name))


@lru_cache(maxsize=1024)
def name_colour(name: str, dark: bool) -> QColor:
    """The sender-name colour for `name`, readable on a light or dark bubble."""
    hue = QColor(_hue_for(name))
    return hue.lighter(115) if dark else hue.darker(140)


@dataclasses.dataclass(frozen=True)
class BubbleColours:
    dark: bool
    outgoing: QColor
    outgoing_border: QColor
    outgoing_text: QColor
    outgoing_meta: QColor
    incoming: QColor
    incoming_border: QColor
    incoming_text: QColor
    incoming_meta: QColor
    read_tick: QColor
    failed: QColor
    accent: QColor
    selection: QColor

    @classmethod
    def from_palette(cls, palette: QPalette) -> BubbleColours:
        role = QPalette.ColorRole
        base, text = palette.color(role.Base), palette.color(role.Text)
        highlight = palette.color(role.Highlight)
        dark = luminance(base) < 0.3
        outgoing = _blend(highlight, base, 0.55 if dark else 0.8)
        incoming = _blend(palette.color(role.AlternateBase), palette.color(role.Button), 0.5)
        if abs(luminance(incoming) - luminance(base)) < 0.05:
            # Too close to the view's background to read as a bubble.
            incoming = _blend(incoming, text, 0.07)
        out_text = _readable(text, outgoing)
        in_text = _readable(text, incoming)
        read_tick = QColor("#34B7F1") if dark else QColor("#1391D9")
        return cls(
            dark=dark,
            outgoing=outgoing,
            outgoing_border=_blend(outgoing, highlight, 0.25),
            outgoing_text=out_text,
            outgoing_meta=_blend(out_text, outgoing, 0.45),
            incoming=incoming,
            incoming_border=_blend(incoming, text, 0.08),
            incoming_text=in_text,
            incoming_meta=_blend(in_text, incoming, 0.45),
            read_tick=read_tick,
            failed=QColor("#FF6B6B") if dark else QColor("#E0383E"),
            accent=read_tick,
            selection=QColor(highlight.red(), highlight.green(), highlight.blue(), 40),
        )


class _PaletteCache:
    """BubbleColours per palette, keyed by QPalette.cacheKey()."""

    def __init__(self) -> None:
        self._key: int | None = None
        self._colours: BubbleColours | None = None

    def get(self, palette: QPalette) -> BubbleColours:
        key = palette.cacheKey()
        if key != self._key or self._colours is None:
            self._key, self._colours = key, BubbleColours.from_palette(palette)
        return self._colours


class _Lru(OrderedDict):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def lookup(self, key: Any) -> Any:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def store(self, key: Any, value: Any) -> Any:
        self[key] = value
        if len(self) > self.limit:
            self.popitem(last=False)
        return value


# ---------------------------------------------------------------- ticks


class TickArt:
    """The receipt marks as stroked paths in an 18x12 box, built once, drawn anywhere."""

    SIZE = QSize(18, 12)

    def __init__(self) -> None:
        self.single = QPainterPath()
        self._check(self.single, 4.0)
        self.double = QPainterPath()
        self._check(self.double, 0.8)
        # The second check's short leg starts behind the first one's long leg.
        self.double.moveTo(7.9, 7.3)
        self.double.lineTo(9.4, 8.8)
        self.double.lineTo(15.8, 2.2)
        self.small_check = QPainterPath()
        self.small_check.moveTo(-2.6, 0.1)
        self.small_check.lineTo(-0.8, 1.9)
        self.small_check.lineTo(2.6, -1.6)
        self.clock_face = QPainterPath()
        self.clock_face.addEllipse(QPointF(9.0, 6.0), 4.8, 4.8)
        self.clock_hands = QPainterPath()
        self.clock_hands.moveTo(9.0, 3.2)
        self.clock_hands.lineTo(9.0, 6.0)
        self.clock_hands.lineTo(11.2, 7.3)
        self.failed_disc = QPainterPath()
        self.failed_disc.addEllipse(QPointF(9.0, 6.0), 6.0, 6.0)
        self.bang = QPainterPath()
        self.bang.moveTo(9.0, 2.7)
        self.bang.lineTo(9.0, 6.9)
        self.bang_dot = QPointF(9.0, 9.2)

    @staticmethod
    def _check(path: QPainterPath, x: float) -> None:
        path.moveTo(x, 5.4)
        path.lineTo(x + 3.4, 8.8)
        path.lineTo(x + 9.8, 2.2)

    def paint(
        self, painter: QPainter, box: QRect, mark: Mark, colour: QColor, colours: BubbleColours
    ) -> None:
        """Draw `mark` into `box` (SIZE): grey ticks in `colour`, blue for read, red if failed."""
        painter.save()
        painter.translate(box.topLeft())
        painter.setBrush(Qt.BrushStyle.NoBrush)
        pen = QPen(colour, 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        if mark is Mark.PENDING:
            pen.setWidthF(1.2)
            painter.setPen(pen)
            painter.drawPath(self.clock_face)
            painter.drawPath(self.clock_hands)
        elif mark is Mark.SENT:
            painter.setPen(pen)
            painter.drawPath(self.single)
        elif mark is Mark.DELIVERED:
            painter.setPen(pen)
            painter.drawPath(self.double)
        elif mark is Mark.READ:
            pen.setColor(colours.read_tick)
            painter.setPen(pen)
            painter.drawPath(self.double)
        elif mark is Mark.FAILED:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colours.failed)
            painter.drawPath(self.failed_disc)
            white = QPen(QColor(Qt.GlobalColor.white), 1.8, Qt.PenStyle.SolidLine)
            white.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(white)
            painter.drawPath(self.bang)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(Qt.GlobalColor.white))
            painter.drawEllipse(self.bang_dot, 1.0, 1.0)
        painter.restore()


_TICKS: TickArt | None = None


def _ticks() -> TickArt:
    global _TICKS
    if _TICKS is None:
        _TICKS = TickArt()
    return _TICKS


# ---------------------------------------------------------------- fonts


def _scaled(font: QFont, factor: float, *, bold: bool = False) -> QFont:
    scaled = QFont(font)
    if font.pointSizeF() > 0:
        scaled.setPointSizeF(font.pointSizeF() * factor)
    else:
        scaled.setPixelSize(max(1, round(font.pixelSize() * factor)))
    if bold:
        scaled.setWeight(QFont.Weight.DemiBold)
    return scaled


class _Fonts:
    """The fonts a painter derives from the view's font, rebuilt only when it changes."""

    def __init__(self, base: QFont) -> None:
        self.source = QFont(base)
        self.text = _scaled(base, 1.1)
        self.text_fm = QFontMetrics(self.text)
        self.bold = _scaled(base, 1.1, bold=True)
        self.bold_fm = QFontMetrics(self.bold)
        self.sender = _scaled(base, 0.95, bold=True)
        self.sender_fm = QFontMetrics(self.sender)
        self.small = _scaled(base, 0.85)
        self.small_fm = QFontMetrics(self.small)
        self.badge = _scaled(base, 0.85, bold=True)
        self.badge_fm = QFontMetrics(self.badge)
        self.time_width = self.small_fm.horizontalAdvance("00:00")


# ---------------------------------------------------------------- messages


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
            mark=_mark_of(get(MessageRole.MARK)),
            delivered_at=get(MessageRole.DELIVERED_AT),
            read_at=get(MessageRole.READ_AT),
            is_group=bool(get(MessageRole.IS_GROUP)),
            need_group_ack=bool(get(MessageRole.NEED_GROUP_ACK)),
            group_ack_count=int(get(MessageRole.GROUP_ACK_COUNT) or 0),
            group_member_count=get(MessageRole.GROUP_MEMBER_COUNT),
            show_sender=bool(get(MessageRole.SHOW_SENDER)),
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
        self._fonts: _Fonts | None = None
        self._palettes = _PaletteCache()
        self._geometry = _Lru(self.CACHE_LIMIT)
        self.ticks = _ticks()

    # -- caches

    def fonts(self, font: QFont) -> _Fonts:
        if self._fonts is None or self._fonts.source != font:
            self._fonts = _Fonts(font)
            self._geometry.clear()
        return self._fonts

    def colours(self, palette: QPalette) -> BubbleColours:
        return self._palettes.get(palette)

    def clear_caches(self) -> None:
        self._geometry.clear()

    # -- measuring

    def layout_text(self, text: str, width: int, font: QFont) -> TextBlock:
        """Wrap `text` to `width` px (at word boundaries, or anywhere for CJK runs)."""
        layout = QTextLayout(text, font)
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
        key = (row.msg_id, row.text, width, row.outgoing, row.sender_line, label, row.has_tick)
        cached = self._geometry.lookup(key)
        if cached is None:
            cached = self._geometry.store(key, self._build(fonts, width, row, label))
        return cached

    def _build(self, fonts: _Fonts, width: int, row: MessageRow, label: str) -> BubbleGeometry:
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

        y = self.OUTER_Y + self.PAD_TOP
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
        bubble = QRect(left, self.OUTER_Y, bubble_w, bubble_bottom - self.OUTER_Y)
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


# ---------------------------------------------------------------- conversations


@dataclasses.dataclass(frozen=True)
class ConversationRow:
    conversation_id: str
    title: str
    is_group: bool
    last_text: str
    last_time: int
    unread: int
    last_mark: Mark | None

    @classmethod
    def from_index(cls, index: QModelIndex) -> ConversationRow:
        def get(role: ConversationRole) -> Any:
            return index.data(int(role))

        return cls(
            conversation_id=str(get(ConversationRole.CONVERSATION_ID) or ""),
            title=str(get(ConversationRole.TITLE) or ""),
            is_group=bool(get(ConversationRole.IS_GROUP)),
            last_text=str(get(ConversationRole.LAST_TEXT) or ""),
            last_time=int(get(ConversationRole.LAST_TIME) or 0),
            unread=int(get(ConversationRole.UNREAD) or 0),
            last_mark=_mark_of(get(ConversationRole.LAST_OUTGOING_MARK)),
        )


class ConversationPainter:
    """Paints the fixed-height conversation rows; caches avatars and elided lines."""

    ROW_HEIGHT = 64
    AVATAR = 46
    LEFT = 10
    RIGHT = 12
    GAP = 12
    BADGE_H = 20

    def __init__(self) -> None:
        self._fonts: _Fonts | None = None
        self._palettes = _PaletteCache()
        self._avatars = _Lru(512)
        self._elided = _Lru(2048)
        self._selected_key: tuple[int, int] | None = None
        self._selected: BubbleColours | None = None
        self.ticks = _ticks()

    def fonts(self, font: QFont) -> _Fonts:
        if self._fonts is None or self._fonts.source != font:
            self._fonts = _Fonts(font)
            self._elided.clear()
        return self._fonts

    def size_hint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return QSize(200, self.ROW_HEIGHT)

    def _selected_colours(self, colours: BubbleColours, ink: QColor) -> BubbleColours:
        key = (id(colours), ink.rgba())
        if self._selected_key != key or self._selected is None:
            self._selected_key = key
            self._selected = dataclasses.replace(colours, read_tick=ink)
        return self._selected

    def avatar(self, title: str, is_group: bool, dpr: float) -> QPixmap:
        key = (title, is_group, dpr)
        cached = self._avatars.lookup(key)
        if cached is not None:
            return cached
        size = self.AVATAR
        pixmap = QPixmap(round(size * dpr), round(size * dpr))
        pixmap.setDevicePixelRatio(dpr)
        pixmap.fill(Qt.GlobalColor.transparent)
        p = QPainter(pixmap)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            hue = QColor(_hue_for(title))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(hue)
            box = QRectF(0, 0, size, size)
            if is_group:
                p.drawRoundedRect(box, size * 0.3, size * 0.3)
            else:
                p.drawEllipse(box)
            font = QFont()
            font.setPixelSize(round(size * 0.38))
            font.setWeight(QFont.Weight.DemiBold)
            p.setFont(font)
            p.setPen(QColor(Qt.GlobalColor.white))
            p.drawText(box, int(Qt.AlignmentFlag.AlignCenter), initials(title))
        finally:
            p.end()
        return self._avatars.store(key, pixmap)

    def _elide(self, fm: QFontMetrics, text: str, width: int) -> str:
        key = (text, width, fm.height())
        cached = self._elided.lookup(key)
        if cached is None:
            one_line = " ".join(text.split())
            cached = self._elided.store(
                key, fm.elidedText(one_line, Qt.TextElideMode.ElideRight, max(0, width))
            )
        return cached

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        row = ConversationRow.from_index(index)
        fonts = self.fonts(option.font)
        colours = self._palettes.get(option.palette)
        palette = option.palette
        role = QPalette.ColorRole
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        background = palette.color(role.Highlight if selected else role.Base)
        primary = palette.color(role.HighlightedText if selected else role.Text)
        secondary = _blend(primary, background, 0.4)

        painter.save()
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
            if selected:
                painter.fillRect(rect, background)
            elif option.state & QStyle.StateFlag.State_MouseOver:
                painter.fillRect(rect, _blend(background, primary, 0.05))

            top = rect.top() + (rect.height() - self.AVATAR) // 2
            dpr = painter.device().devicePixelRatioF() if painter.device() else 1.0
            painter.drawPixmap(
                QPoint(rect.left() + self.LEFT, top), self.avatar(row.title, row.is_group, dpr)
            )

            x = rect.left() + self.LEFT + self.AVATAR + self.GAP
            right = rect.right() + 1 - self.RIGHT
            line1 = QRect(x, rect.top() + 11, right - x, fonts.bold_fm.height())
            line2_h = max(fonts.text_fm.height(), self.BADGE_H)
            line2 = QRect(x, rect.bottom() + 1 - 10 - line2_h, right - x, line2_h)

            when = conversation_time_text(row.last_time)
            time_w = fonts.small_fm.horizontalAdvance(when) if when else 0
            painter.setFont(fonts.small)
            painter.setPen(secondary)
            painter.drawText(
                line1,
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                when,
            )
            painter.setFont(fonts.bold)
            painter.setPen(primary)
            title_w = line1.width() - (time_w + 8 if time_w else 0)
            painter.drawText(
                QRect(line1.left(), line1.top(), title_w, line1.height()),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                self._elide(fonts.bold_fm, row.title, title_w),
            )

            text_right = line2.right() + 1
            badge = badge_text(row.unread)
            if badge:
                badge_w = max(self.BADGE_H, fonts.badge_fm.horizontalAdvance(badge) + 12)
                badge_rect = QRectF(
                    text_right - badge_w,
                    line2.center().y() + 1 - self.BADGE_H / 2,
                    badge_w,
                    self.BADGE_H,
                )
                fill = palette.color(role.HighlightedText if selected else role.Highlight)
                ink = palette.color(role.Highlight if selected else role.HighlightedText)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(fill)
                painter.drawRoundedRect(badge_rect, self.BADGE_H / 2, self.BADGE_H / 2)
                painter.setFont(fonts.badge)
                painter.setPen(_readable(ink, fill))
                painter.drawText(badge_rect, int(Qt.AlignmentFlag.AlignCenter), badge)
                text_right = round(badge_rect.left()) - 8

            text_left = line2.left()
            if row.last_mark is not None:
                tick = QRect(
                    text_left - 2,
                    line2.center().y() + 1 - TickArt.SIZE.height() // 2,
                    TickArt.SIZE.width(),
                    TickArt.SIZE.height(),
                )
                # Blue on the selection colour would vanish: draw read ticks in the ink.
                tick_colours = self._selected_colours(colours, primary) if selected else colours
                self.ticks.paint(painter, tick, row.last_mark, secondary, tick_colours)
                text_left = tick.right() + 4
            painter.setFont(fonts.text)
            painter.setPen(secondary)
            width = text_right - text_left
            painter.drawText(
                QRect(text_left, line2.top(), width, line2.height()),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                self._elide(fonts.text_fm, row.last_text, width),
            )
        finally:
            painter.restore()


class ConversationDelegate(QStyledItemDelegate):
    """Conversation list rows: avatar, title, last line, time and unread badge (64 px)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.row_painter = ConversationPainter()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        self.row_painter.paint(painter, option, index)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return self.row_painter.size_hint(option, index)
