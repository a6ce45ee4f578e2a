"""How one row of the group info dialog's member list looks.

Owns: `GroupMemberPainter` (the avatar, the name with a quiet "(you)" on the
viewer's own row, and the role's pill on the right: a filled "Owner", an
outlined "Admin", none for a plain member) and `GroupMemberDelegate`, which
draws the style's item panel (hover, selection) and hands the row to it.

Never: change a model or talk to the client. Colours come from the palette the
view paints with, so light and dark themes both work; the fonts are derived
from the view's font once, not per paint.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from desktop_chat.client.models import GroupRole
from desktop_chat.ui.group_info.model import GroupMemberRole, ModelIndex, badge_text
from desktop_chat.ui.painting.common import paint_avatar, paint_item_panel, row_inks

_LEFT_MIDDLE = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class GroupMemberPainter:
    """Paints one member row: avatar, name (with "you"), and an Owner/Admin badge."""

    AVATAR = 32
    MARGIN = 12

    def __init__(self) -> None:
        self._base_font: QFont | None = None
        self._name_font = QFont()
        self._badge_font = QFont()
        self._avatar_font = QFont()
        # Translated once, not per paint.
        self._badges = {role: badge_text(role) for role in GroupRole}
        self._you = QCoreApplication.translate("GroupMemberPainter", "  (you)")

    def _fonts_for(self, base: QFont) -> None:
        if self._base_font == base:
            return
        self._base_font = QFont(base)
        self._name_font = QFont(base)
        self._name_font.setWeight(QFont.Weight.Medium)
        self._badge_font = QFont(base)
        self._badge_font.setPointSizeF(base.pointSizeF() * 0.85)
        self._badge_font.setWeight(QFont.Weight.DemiBold)
        self._avatar_font = QFont(base)
        self._avatar_font.setPixelSize(round(self.AVATAR * 0.38))
        self._avatar_font.setWeight(QFont.Weight.DemiBold)

    def size_hint(self, option: QStyleOptionViewItem) -> QSize:
        self._fonts_for(option.font)
        return QSize(200, max(self.AVATAR, QFontMetrics(self._name_font).height()) + 14)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        self._fonts_for(option.font)
        name = index.data(GroupMemberRole.NAME) or ""
        # PySide hands an enum back as its plain value.
        role = GroupRole(index.data(GroupMemberRole.ROLE) or GroupRole.MEMBER)
        is_me = bool(index.data(GroupMemberRole.IS_ME))
        rect = option.rect.adjusted(self.MARGIN, 0, -self.MARGIN, 0)

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        avatar = QRect(
            rect.left(), rect.center().y() - self.AVATAR // 2 + 1, self.AVATAR, self.AVATAR
        )
        paint_avatar(painter, avatar, name, self._avatar_font)

        text_left = avatar.right() + 12
        text_rect = QRect(text_left, rect.top(), rect.right() - text_left, rect.height())
        badge = self._badges.get(role)
        if badge:
            text_rect.setRight(self._paint_badge(painter, option, badge, role, text_rect) - 10)
        self._paint_name(painter, option, text_rect, name, is_me)
        painter.restore()

    def _paint_name(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        text_rect: QRect,
        name: str,
        is_me: bool,
    ) -> None:
        """The name, cut with "…" to leave room for a dimmed "(you)" after it."""
        text_colour, dim_colour = row_inks(option)
        name_metrics = QFontMetrics(self._name_font)
        suffix = self._you if is_me else ""
        suffix_width = QFontMetrics(self._base_font or self._name_font).horizontalAdvance(suffix)
        elided = name_metrics.elidedText(
            name, Qt.TextElideMode.ElideRight, max(0, text_rect.width() - suffix_width)
        )
        painter.setFont(self._name_font)
        painter.setPen(text_colour)
        painter.drawText(text_rect, _LEFT_MIDDLE, elided)
        if suffix:
            after = text_rect.adjusted(name_metrics.horizontalAdvance(elided), 0, 0, 0)
            painter.setFont(self._base_font or self._name_font)
            painter.setPen(dim_colour)
            painter.drawText(after, _LEFT_MIDDLE, suffix)

    def _paint_badge(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        text: str,
        role: GroupRole,
        row: QRect,
    ) -> int:
        """Draws the pill at the right of `row`; returns its left edge."""
        metrics = QFontMetrics(self._badge_font)
        width = metrics.horizontalAdvance(text) + 16
        height = metrics.height() + 6
        pill = QRectF(row.right() - width, row.center().y() - height / 2 + 1, width, height)
        accent = option.palette.color(QPalette.ColorRole.Highlight)
        if option.state & QStyle.StateFlag.State_Selected:
            accent = option.palette.color(QPalette.ColorRole.HighlightedText)
        if role is GroupRole.OWNER:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(accent)
            ink = option.palette.color(QPalette.ColorRole.HighlightedText)
            if option.state & QStyle.StateFlag.State_Selected:
                ink = option.palette.color(QPalette.ColorRole.Highlight)
        else:
            fill = QColor(accent)
            fill.setAlphaF(0.14)
            painter.setPen(accent)
            painter.setBrush(fill)
            pill.adjust(0.5, 0.5, -0.5, -0.5)
            ink = accent
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setFont(self._badge_font)
        painter.setPen(ink)
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
        return int(pill.left())


class GroupMemberDelegate(QStyledItemDelegate):
    """Draws the item panel (hover, selection) and hands the row to the painter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._painter = GroupMemberPainter()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        paint_item_panel(self, painter, option, index)
        self._painter.paint(painter, option, index)

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        return self._painter.size_hint(option)
