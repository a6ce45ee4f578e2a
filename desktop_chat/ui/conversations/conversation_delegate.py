"""The item delegate for the conversation list: how a conversation row looks.

Owns: how a conversation row looks (avatar, title, last line or "Draft: …",
the last outgoing message's tick, time, unread badge, a focus frame on the
keyboard's row while the list has the focus) and the caches that keep painting
it cheap (avatar pixmaps, elided lines).

`ConversationDelegate` only dispatches: `ConversationPainter` owns `paint` and
`size_hint`. Colours come from the palette the view paints with (see
`desktop_chat.ui.painting.common`), so light and dark themes both work.

Never: change a model, talk to the client, or decide a message's state. The
tick is chosen at paint time from the LAST_OUTGOING_MARK role alone. Never
allocate fonts, metrics, paths or pixmaps per paint: the painter caches them.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop_chat.protocol import Mark
from desktop_chat.ui.painting.common import (
    BubbleColours,
    Fonts,
    Lru,
    PaletteCache,
    TickArt,
    avatar_colour,
    blend,
    conversation_time_text,
    initials,
    mark_of,
    one_line,
    readable,
    shared_ticks,
)
from desktop_chat.ui.painting.roles import ConversationRole

# ---------------------------------------------------------------- text helpers


def badge_text(unread: int) -> str:
    """The unread badge's text: "" for none, the count, or "99+" above 99."""
    if unread <= 0:
        return ""
    return "99+" if unread > 99 else str(unread)


DRAFT_PREFIX = QT_TRANSLATE_NOOP("ConversationDelegate", "Draft: ")  # shown translated


def preview_text(text: str) -> str:
    """A message as one line for the list: line breaks and runs of spaces become one space."""
    return one_line(text)


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
    draft: str = ""
    muted: bool = False  # the badge is grey

    @classmethod
    def from_index(cls, index: QModelIndex | QPersistentModelIndex) -> ConversationRow:
        def get(role: ConversationRole) -> Any:
            return index.data(int(role))

        return cls(
            conversation_id=str(get(ConversationRole.CONVERSATION_ID) or ""),
            title=str(get(ConversationRole.TITLE) or ""),
            is_group=bool(get(ConversationRole.IS_GROUP)),
            last_text=str(get(ConversationRole.LAST_TEXT) or ""),
            last_time=int(get(ConversationRole.LAST_TIME) or 0),
            unread=int(get(ConversationRole.UNREAD) or 0),
            last_mark=mark_of(get(ConversationRole.LAST_OUTGOING_MARK)),
            draft=str(get(ConversationRole.DRAFT) or ""),
            muted=bool(get(ConversationRole.MUTED)),
        )


class _Ink(NamedTuple):
    """A row's text colours: the title's, the quieter one of the time and last line."""

    selected: bool
    primary: QColor
    secondary: QColor


class ConversationPainter:
    """Paints the fixed-height conversation rows; caches avatars and elided lines."""

    ROW_HEIGHT = 64
    AVATAR = 46
    LEFT = 10
    RIGHT = 12
    GAP = 12
    BADGE_H = 20

    def __init__(self) -> None:
        self._fonts: Fonts | None = None
        self._palettes = PaletteCache()
        self._avatars = Lru(512)
        self._elided = Lru(2048)
        self._selected_key: tuple[int, int] | None = None
        self._selected: BubbleColours | None = None
        self.ticks = shared_ticks()

    def fonts(self, font: QFont) -> Fonts:
        if self._fonts is None or self._fonts.source != font:
            self._fonts = Fonts(font)
            self._elided.clear()
        return self._fonts

    def size_hint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(200, self.ROW_HEIGHT)

    @staticmethod
    def second_line(index: QModelIndex | QPersistentModelIndex) -> tuple[str, str]:
        """(prefix, text) of a row's second line: ("Draft: ", the draft) while the
        person left one, else ("", the last message), each as one line."""
        row = ConversationRow.from_index(index)
        if row.draft.strip():
            return (
                QCoreApplication.translate("ConversationDelegate", str(DRAFT_PREFIX)),
                preview_text(row.draft),
            )
        return "", preview_text(row.last_text)

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
            hue = avatar_colour(title)
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
            one_line = preview_text(text)
            cached = self._elided.store(
                key, fm.elidedText(one_line, Qt.TextElideMode.ElideRight, max(0, width))
            )
        return cached

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        row = ConversationRow.from_index(index)
        fonts = self.fonts(option.font)
        palette = option.palette
        role = QPalette.ColorRole
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        background = palette.color(role.Highlight if selected else role.Base)
        primary = palette.color(role.HighlightedText if selected else role.Text)
        ink = _Ink(selected, primary, blend(primary, background, 0.4))

        painter.save()
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
            if selected:
                painter.fillRect(rect, background)
            elif option.state & QStyle.StateFlag.State_MouseOver:
                painter.fillRect(rect, blend(background, primary, 0.05))
            if option.state & QStyle.StateFlag.State_HasFocus:  # the keyboard's row
                self._paint_focus(painter, rect, palette, selected)
            self._paint_avatar(painter, rect, row)

            x = rect.left() + self.LEFT + self.AVATAR + self.GAP
            right = rect.right() + 1 - self.RIGHT
            line1 = QRect(x, rect.top() + 11, right - x, fonts.bold_fm.height())
            line2_h = max(fonts.text_fm.height(), self.BADGE_H)
            line2 = QRect(x, rect.bottom() + 1 - 10 - line2_h, right - x, line2_h)
            self._paint_title_line(painter, line1, row, fonts, ink)
            text_right = self._paint_badge(painter, line2, row, fonts, palette, selected)
            self._paint_last_line(painter, line2, text_right, index, row, fonts, palette, ink)
        finally:
            painter.restore()

    @staticmethod
    def _paint_focus(painter: QPainter, rect: QRect, palette: QPalette, selected: bool) -> None:
        """A 2 px frame round the row the keyboard is on, in a colour that reads on it."""
        role = QPalette.ColorRole
        ink = palette.color(role.HighlightedText if selected else role.Highlight)
        painter.setPen(QPen(ink, 2.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(QRectF(rect).adjusted(2, 2, -2, -2), 4.0, 4.0)

    def _paint_avatar(self, painter: QPainter, rect: QRect, row: ConversationRow) -> None:
        """The avatar, vertically centred at the row's left."""
        top = rect.top() + (rect.height() - self.AVATAR) // 2
        dpr = painter.device().devicePixelRatioF() if painter.device() else 1.0
        painter.drawPixmap(
            QPoint(rect.left() + self.LEFT, top), self.avatar(row.title, row.is_group, dpr)
        )

    def _paint_title_line(
        self, painter: QPainter, line1: QRect, row: ConversationRow, fonts: Fonts, ink: _Ink
    ) -> None:
        """The first line: the time at the right, the title elided before it."""
        when = conversation_time_text(row.last_time)
        time_w = fonts.small_fm.horizontalAdvance(when) if when else 0
        painter.setFont(fonts.small)
        painter.setPen(ink.secondary)
        painter.drawText(
            line1,
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            when,
        )
        painter.setFont(fonts.bold)
        painter.setPen(ink.primary)
        title_w = line1.width() - (time_w + 8 if time_w else 0)
        painter.drawText(
            QRect(line1.left(), line1.top(), title_w, line1.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            self._elide(fonts.bold_fm, row.title, title_w),
        )

    def _paint_badge(
        self,
        painter: QPainter,
        line2: QRect,
        row: ConversationRow,
        fonts: Fonts,
        palette: QPalette,
        selected: bool,
    ) -> int:
        """The unread badge at the second line's right (grey when muted); returns where
        the second line's text must end."""
        text_right = line2.right() + 1
        badge = badge_text(row.unread)
        if not badge:
            return text_right
        role = QPalette.ColorRole
        badge_w = max(self.BADGE_H, fonts.badge_fm.horizontalAdvance(badge) + 12)
        badge_rect = QRectF(
            text_right - badge_w,
            line2.center().y() + 1 - self.BADGE_H / 2,
            badge_w,
            self.BADGE_H,
        )
        fill = palette.color(role.HighlightedText if selected else role.Highlight)
        ink = palette.color(role.Highlight if selected else role.HighlightedText)
        if row.muted:  # counts, but quietly: grey like every messenger
            fill = palette.color(role.PlaceholderText)
            ink = palette.color(role.Base)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(badge_rect, self.BADGE_H / 2, self.BADGE_H / 2)
        painter.setFont(fonts.badge)
        painter.setPen(readable(ink, fill))
        painter.drawText(badge_rect, int(Qt.AlignmentFlag.AlignCenter), badge)
        return round(badge_rect.left()) - 8

    def _paint_last_line(
        self,
        painter: QPainter,
        line2: QRect,
        text_right: int,
        index: QModelIndex | QPersistentModelIndex,
        row: ConversationRow,
        fonts: Fonts,
        palette: QPalette,
        ink: _Ink,
    ) -> None:
        """The second line: "Draft: " or the last outgoing message's tick, then the text."""
        colours = self._palettes.get(palette)
        text_left = line2.left()
        prefix, text = self.second_line(index)
        if prefix:
            # Like every messenger: a draft replaces the last line, in the alert colour.
            painter.setFont(fonts.text)
            painter.setPen(colours.failed if not ink.selected else ink.primary)
            prefix_w = fonts.text_fm.horizontalAdvance(prefix)
            painter.drawText(
                QRect(text_left, line2.top(), prefix_w, line2.height()),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                prefix,
            )
            text_left += prefix_w
        elif row.last_mark is not None:
            tick = QRect(
                text_left - 2,
                line2.center().y() + 1 - TickArt.SIZE.height() // 2,
                TickArt.SIZE.width(),
                TickArt.SIZE.height(),
            )
            # Blue on the selection colour would vanish: draw read ticks in the ink.
            tick_colours = self._selected_colours(colours, ink.primary) if ink.selected else colours
            self.ticks.paint(painter, tick, row.last_mark, ink.secondary, tick_colours)
            text_left = tick.right() + 4
        painter.setFont(fonts.text)
        painter.setPen(ink.secondary)
        width = text_right - text_left
        painter.drawText(
            QRect(text_left, line2.top(), width, line2.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            self._elide(fonts.text_fm, text, width),
        )


class ConversationDelegate(QStyledItemDelegate):
    """Conversation list rows: avatar, title, last line, time and unread badge (64 px)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.row_painter = ConversationPainter()

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        self.row_painter.paint(painter, option, index)

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return self.row_painter.size_hint(option, index)
