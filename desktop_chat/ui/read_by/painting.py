"""How one member row of the "Read by" view looks.

Owns: `MemberPainter` (the avatar, faded while not read; the name, bold once
read; "Read <time>" on the right; below the name, "Confirmed <time> · “note”"
in the accent colour for a reader who confirmed, else the ack note, quoted on
one line) and `MemberDelegate`, which draws the style's item panel (hover,
selection) and hands the row to it. The "Read" list's rows have room for a
note (`two_lines`), the "Not read yet" list's do not.

Never: change a model or talk to the client. Colours come from the palette the
view paints with, so light and dark themes both work; the fonts are derived
from the view's font once, not per paint.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QWidget

from desktop_chat.ui.painting.common import (
    PaletteCache,
    fill,
    paint_avatar,
    paint_item_panel,
    row_inks,
)
from desktop_chat.ui.read_by.model import MemberRole, ModelIndex
from desktop_chat.ui.read_by.times import format_read_time

_LEFT = Qt.AlignmentFlag.AlignLeft
_LEFT_MIDDLE = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT_MIDDLE = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class MemberPainter:
    """Paints one member row: avatar, name, read time on the right, note below."""

    AVATAR = 32
    MARGIN = 12

    def __init__(self) -> None:
        self._base_font: QFont | None = None
        self._name_font = QFont()
        self._small_font = QFont()
        self._avatar_font = QFont()
        self._palettes = PaletteCache()

    def _fonts_for(self, base: QFont) -> None:
        if self._base_font == base:
            return
        self._base_font = QFont(base)
        self._name_font = QFont(base)
        self._name_font.setWeight(QFont.Weight.DemiBold)
        self._small_font = QFont(base)
        self._small_font.setPointSizeF(base.pointSizeF() * 0.88)
        self._avatar_font = QFont(base)
        self._avatar_font.setWeight(QFont.Weight.Bold)

    def size_hint(self, option: QStyleOptionViewItem, two_lines: bool) -> QSize:
        self._fonts_for(option.font)
        line = QFontMetrics(self._name_font).height()
        small = QFontMetrics(self._small_font).height()
        content = line + small + 2 if two_lines else line
        return QSize(200, max(self.AVATAR, content) + 14)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        self._fonts_for(option.font)
        name = index.data(MemberRole.NAME) or ""
        read_at = index.data(MemberRole.READ_AT)
        note = index.data(MemberRole.NOTE) or ""
        confirmed_at = index.data(MemberRole.CONFIRMED_AT)
        text_colour, dim_colour = row_inks(option)
        rect = option.rect.adjusted(self.MARGIN, 0, -self.MARGIN, 0)

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        avatar = QRect(
            rect.left(), rect.center().y() - self.AVATAR // 2 + 1, self.AVATAR, self.AVATAR
        )
        unread_fade = option.palette.color(QPalette.ColorRole.Base) if read_at is None else None
        paint_avatar(painter, avatar, name, self._avatar_font, unread_fade)

        text_left = avatar.right() + 12
        text_rect = QRect(text_left, rect.top(), rect.right() - text_left, rect.height())
        if read_at is not None:
            when = fill(
                QCoreApplication.translate("MemberPainter", "Read %1"), format_read_time(read_at)
            )
            self._paint_read_time(painter, text_rect, when, dim_colour)
        name_font = self._name_font if read_at is not None else self._base_font
        assert name_font is not None
        painter.setFont(name_font)
        painter.setPen(text_colour)
        if confirmed_at is not None:
            line = fill(
                QCoreApplication.translate("MemberPainter", "Confirmed %1"),
                format_read_time(confirmed_at),
            )
            if note:
                line = f"{line} · “{' '.join(note.split())}”"
            accent = self._palettes.get(option.palette).accent
            self._paint_name_and_note(painter, text_rect, name_font, name, line, accent, False)
        elif note:
            self._paint_name_and_note(painter, text_rect, name_font, name, note, dim_colour)
        else:
            elided = QFontMetrics(name_font).elidedText(
                name, Qt.TextElideMode.ElideRight, text_rect.width()
            )
            painter.drawText(text_rect, _LEFT_MIDDLE, elided)
        painter.restore()

    def _paint_read_time(
        self, painter: QPainter, text_rect: QRect, when: str, dim_colour: QColor
    ) -> None:
        """The read time at the right of `text_rect`, which then ends before it."""
        painter.setFont(self._small_font)
        painter.setPen(dim_colour)
        painter.drawText(text_rect, _RIGHT_MIDDLE, when)
        text_rect.setRight(
            text_rect.right() - QFontMetrics(self._small_font).horizontalAdvance(when) - 12
        )

    def _paint_name_and_note(
        self,
        painter: QPainter,
        text_rect: QRect,
        name_font: QFont,
        name: str,
        note: str,
        dim_colour: QColor,
        quote: bool = True,
    ) -> None:
        """The name over the note (on one line, quoted unless `quote` is False), the
        two centred as a block. The painter holds the name's font and colour."""
        name_metrics = QFontMetrics(name_font)
        small_metrics = QFontMetrics(self._small_font)
        elided_name = name_metrics.elidedText(name, Qt.TextElideMode.ElideRight, text_rect.width())
        block = name_metrics.height() + 2 + small_metrics.height()
        top = text_rect.top() + (text_rect.height() - block) // 2
        name_rect = QRect(text_rect.left(), top, text_rect.width(), name_metrics.height())
        painter.drawText(name_rect, _LEFT, elided_name)
        note_rect = QRect(
            text_rect.left(), name_rect.bottom() + 3, text_rect.width(), small_metrics.height()
        )
        painter.setFont(self._small_font)
        painter.setPen(dim_colour)
        one_line = " ".join(note.split())
        quoted = small_metrics.elidedText(
            f"“{one_line}”" if quote else one_line, Qt.TextElideMode.ElideRight, note_rect.width()
        )
        painter.drawText(note_rect, _LEFT, quoted)


class MemberDelegate(QStyledItemDelegate):
    """Draws the item panel (hover, selection) and hands the row to `MemberPainter`."""

    def __init__(self, two_lines: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._two_lines = two_lines
        self._painter = MemberPainter()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        paint_item_panel(self, painter, option, index)
        self._painter.paint(painter, option, index)

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        return self._painter.size_hint(option, self._two_lines)
