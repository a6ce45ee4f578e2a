"""The item delegate for the chat view: how a message row looks and where it is clicked.

Owns: how a message row looks (bubble, sender line, a reply's quote, its picture
or file card (`attachment_art`'s), time and "edited", the receipt tick, the group
"Read n/m" ring, an announcement's "Confirm" line (`confirm_line`); a recalled
message's quiet line; a brief highlight after a jump); where the clickable areas
of a message row are, and which tooltip each shows (their words are
`message_tooltips`'); the caches that keep painting and sizing bubbles cheap.

`MessageDelegate` only dispatches: `MessagePainter` owns `paint` and
`size_hint`. Colours come from the palette the view paints with (see
`desktop_chat.ui.painting.common`), so light and dark themes both work.

Never: change a model, talk to the client, or decide a message's state. The
tick is chosen at paint time from the MARK role alone, and a click only emits a
signal carrying the message id. Never allocate fonts, metrics, paths or pixmaps
per paint: the painter caches them.

Views using `MessageDelegate` need variable row heights
(`setUniformItemSizes(False)`) and `setResizeMode(QListView.ResizeMode.Adjust)`,
because a bubble's height depends on the viewport width.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QHelpEvent, QMouseEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
    QWidget,
)

from desktop_chat.protocol import Mark
from desktop_chat.ui.chat.attachment_art import AttachmentArt, Pictures
from desktop_chat.ui.chat.confirm_line import paint_confirm
from desktop_chat.ui.chat.message_editor import MessageTextEditor
from desktop_chat.ui.chat.message_layout import (  # noqa: F401  (re-exported for callers)
    BANNER_HEIGHT,
    DATE_HEIGHT,
    BubbleGeometry,
    BubbleLayout,
    MessageRow,
    TextBlock,
    as_layout_text,
    read_count_label,
    separator_height,
)
from desktop_chat.ui.chat.message_tooltips import (
    confirm_tooltip,
    read_count_tooltip,
    receipt_tooltip,
)
from desktop_chat.ui.painting.common import (
    BubbleColours,
    Fonts,
    PaletteCache,
    clock_text,
    name_colour,
    shared_ticks,
)
from desktop_chat.ui.painting.roles import MessageRole


class MessagePainter(BubbleLayout):
    """Paints chat bubbles measured by `BubbleLayout`; owns the palette and tick caches."""

    def __init__(self, pictures: Pictures | None = None) -> None:
        super().__init__()
        self._palettes = PaletteCache()
        self.ticks = shared_ticks()
        self.art = AttachmentArt(pictures)

    def colours(self, palette: QPalette) -> BubbleColours:
        return self._palettes.get(palette)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        row = MessageRow.from_index(index)
        geo = self.geometry(option, row)
        fonts = self.fonts(option.font)
        colours = self.colours(option.palette)
        painter.save()
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
            if option.state & QStyle.StateFlag.State_Selected:
                painter.fillRect(option.rect, colours.selection)
            painter.translate(option.rect.topLeft())
            self._paint_above_bubble(painter, option, geo, row, fonts, colours)
            if geo.is_notice:
                self._paint_notice(painter, geo, option.palette)
                return
            self._paint_bubble(painter, option, geo, row, fonts, colours)
        finally:
            painter.restore()

    def _paint_above_bubble(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        geo: BubbleGeometry,
        row: MessageRow,
        fonts: Fonts,
        colours: BubbleColours,
    ) -> None:
        """The date line, the unread band, and the brief tint of a row just jumped to."""
        if geo.date_rect is not None:
            self._paint_date(painter, geo.date_rect, row.date, fonts, option.palette)
        if geo.banner_rect is not None:
            self._paint_banner(painter, geo.banner_rect, row.banner, fonts, colours)
        if row.highlighted:
            tint = QColor(colours.accent)
            tint.setAlphaF(0.18)
            painter.fillRect(
                QRect(0, geo.bubble.top() - 2, option.rect.width(), geo.bubble.height() + 4),
                tint,
            )

    def _paint_bubble(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        geo: BubbleGeometry,
        row: MessageRow,
        fonts: Fonts,
        colours: BubbleColours,
    ) -> None:
        """The bubble (its focus ring), sender line, quote, text, then the time line."""
        if row.outgoing:
            fill, border = colours.outgoing, colours.outgoing_border
            text_colour, meta_colour = colours.outgoing_text, colours.outgoing_meta
        else:
            fill, border = colours.incoming, colours.incoming_border
            text_colour, meta_colour = colours.incoming_text, colours.incoming_meta
        focused = bool(option.state & QStyle.StateFlag.State_HasFocus)
        painter.setPen(QPen(colours.accent, 2.0) if focused else QPen(border, 1.0))
        painter.setBrush(fill)
        painter.drawPath(geo.path)

        if geo.sender_rect is not None:
            painter.setFont(fonts.sender)
            painter.setPen(name_colour(row.sender, colours.dark))
            painter.drawText(geo.sender_rect, int(Qt.AlignmentFlag.AlignLeft), geo.sender_text)

        if geo.quote_rect is not None:
            self._paint_quote(painter, geo, fonts, colours, text_colour, meta_colour)
        if geo.attachment is not None and row.attachment is not None:
            self.art.paint(
                painter,
                geo.attachment,
                row.attachment,
                row.transfer,
                fonts,
                colours,
                (text_colour, meta_colour),
            )
        painter.setPen(text_colour)
        geo.text.layout.draw(painter, geo.text_origin)
        self._paint_time_line(painter, geo, row, fonts, colours, meta_colour)
        if geo.confirm is not None:
            paint_confirm(painter, geo.confirm, fonts, colours, focused)

    def _paint_time_line(
        self,
        painter: QPainter,
        geo: BubbleGeometry,
        row: MessageRow,
        fonts: Fonts,
        colours: BubbleColours,
        meta_colour: QColor,
    ) -> None:
        """The time, "edited", the tick and the "Read n/m" ring at the bubble's bottom."""
        painter.setFont(fonts.small)
        painter.setPen(meta_colour)
        painter.drawText(
            geo.time_rect,
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            clock_text(row.time_ms),
        )
        if geo.edited_rect is not None:
            painter.drawText(
                geo.edited_rect,
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                self.EDITED,
            )
        if geo.tick_rect is not None and row.mark is not None:
            self.ticks.paint(painter, geo.tick_rect, row.mark, meta_colour, colours)
        if geo.read_rect is not None:
            self._paint_read_count(painter, geo, row, colours, meta_colour)

    @staticmethod
    def _paint_notice(painter: QPainter, geo: BubbleGeometry, palette: QPalette) -> None:
        """A recalled message: its line, quiet and centred, on a faint pill."""
        fill = QColor(palette.color(QPalette.ColorRole.Text))
        fill.setAlphaF(0.06)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawPath(geo.path)
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        geo.text.layout.draw(painter, geo.text_origin)

    @staticmethod
    def _paint_quote(
        painter: QPainter,
        geo: BubbleGeometry,
        fonts: Fonts,
        colours: BubbleColours,
        text_colour: QColor,
        meta_colour: QColor,
    ) -> None:
        """The quoted message above a reply's text: an accent bar, its sender, its first line."""
        assert geo.quote_rect is not None
        rect = geo.quote_rect
        tint = QColor(colours.accent)
        tint.setAlphaF(0.10)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(tint)
        painter.drawRoundedRect(QRectF(rect), 4, 4)
        painter.fillRect(
            QRect(rect.left(), rect.top(), BubbleLayout.QUOTE_BAR, rect.height()), colours.accent
        )
        left = rect.left() + BubbleLayout.QUOTE_BAR + 6
        painter.setFont(fonts.sender)
        painter.setPen(colours.accent)
        sender_h = fonts.sender_fm.height()
        painter.drawText(
            QRect(left, rect.top() + 2, rect.width(), sender_h),
            int(Qt.AlignmentFlag.AlignLeft),
            geo.quote_sender,
        )
        painter.setFont(fonts.small)
        painter.setPen(text_colour)
        painter.drawText(
            QRect(left, rect.top() + 3 + sender_h, rect.width(), fonts.small_fm.height()),
            int(Qt.AlignmentFlag.AlignLeft),
            geo.quote_text,
        )

    @staticmethod
    def _paint_date(
        painter: QPainter, rect: QRect, text: str, fonts: Fonts, palette: QPalette
    ) -> None:
        """The day, centred on a small rounded pill: "Today", "Yesterday", "3 March"."""
        width = fonts.sender_fm.horizontalAdvance(text) + 24
        height = fonts.sender_fm.height() + 8
        pill = QRectF(
            rect.center().x() + 1 - width / 2, rect.center().y() + 1 - height / 2, width, height
        )
        fill = QColor(palette.color(QPalette.ColorRole.Text))
        fill.setAlphaF(0.08)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setFont(fonts.sender)
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter), text)

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

    def tick_rect(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QRect:
        geo = self.geometry(option, MessageRow.from_index(index))
        if geo.tick_rect is None:
            return QRect()
        return geo.tick_rect.translated(option.rect.topLeft())

    def read_count_rect(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QRect | None:
        geo = self.geometry(option, MessageRow.from_index(index))
        if geo.read_rect is None:
            return None
        return geo.read_rect.translated(option.rect.topLeft())

    def hit(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex, pos: QPoint
    ) -> str | None:
        """ "read_count", "retry", "quote", "cancel" (a transfer), "attachment" (open,
        view or save it), "confirm" or None for a point in view coordinates."""
        row = MessageRow.from_index(index)
        geo = self.geometry(option, row)
        local = pos - option.rect.topLeft()
        if geo.quote_rect is not None and geo.quote_rect.contains(local):
            return "quote"
        box = geo.attachment
        if box is not None:
            running = row.transfer is not None and not row.transfer.failed
            if running and box.cancel_rect.adjusted(-4, -4, 4, 4).contains(local):
                return "cancel"
            if box.rect.contains(local):
                return "attachment"
        if geo.read_rect is not None and geo.read_rect.contains(local):
            return "read_count"
        if geo.confirm is not None and not geo.confirm.done and geo.confirm.rect.contains(local):
            return "confirm"
        if (
            row.mark is Mark.FAILED
            and geo.tick_rect is not None
            and geo.tick_rect.adjusted(-3, -3, 3, 3).contains(local)
        ):
            return "retry"
        return None

    def tooltip_text(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex, pos: QPoint
    ) -> str | None:
        row = MessageRow.from_index(index)
        geo = self.geometry(option, row)
        local = pos - option.rect.topLeft()
        if geo.read_rect is not None and geo.read_rect.contains(local):
            return read_count_tooltip(row.group_ack_count, row.group_member_count)
        if geo.confirm is not None and geo.confirm.rect.contains(local):
            return confirm_tooltip(row.confirmed_at, row.confirm_note)
        if row.has_tick and geo.status_rect.adjusted(-2, -2, 2, 2).contains(local):
            return receipt_tooltip(row.mark, row.time_ms, row.delivered_at, row.read_at) or None
        return None


class MessageDelegate(QStyledItemDelegate):
    """Chat bubbles. Emits the message id when its "Read n/m" or its red "!" is clicked."""

    read_count_clicked = Signal(str)
    retry_clicked = Signal(str)
    quote_clicked = Signal(str)  # the quoted message's id
    attachment_clicked = Signal(str)  # msg_id: view the picture, or save or open the file
    cancel_clicked = Signal(str)  # msg_id: stop its file going up or coming down
    confirm_clicked = Signal(str)  # msg_id: the announcement's "Confirm" (opens its popup)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.pictures = Pictures(self)
        self.pictures_loaded = self.pictures.loaded  # a picture decoded: repaint the view
        self.row_painter = MessagePainter(self.pictures)

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

    # -- the selectable text: a read-only editor over the bubble (double-click, F2)

    def createEditor(
        self,
        parent: QWidget,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> QWidget:
        return MessageTextEditor(parent)

    def setEditorData(self, editor, index: QModelIndex | QPersistentModelIndex) -> None:
        editor.show_text(str(index.data(int(MessageRole.TEXT)) or ""))

    def setModelData(self, editor, model, index: QModelIndex | QPersistentModelIndex) -> None:
        """Read-only: nothing goes back into the model."""

    def updateEditorGeometry(self, editor, option: QStyleOptionViewItem, index) -> None:
        geo = self.row_painter.geometry(option, MessageRow.from_index(index))
        pad = MessagePainter.PAD_X
        inner = geo.bubble.adjusted(pad - 2, MessagePainter.PAD_TOP - 2, -pad + 2, -2)
        editor.setFont(self.row_painter.fonts(option.font).text)
        editor.setGeometry(inner.translated(option.rect.topLeft()))

    def tick_rect(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QRect:
        """The tick's box in view coordinates (an empty rect for incoming messages)."""
        return self.row_painter.tick_rect(option, index)

    def read_count_rect(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QRect | None:
        """The clickable "Read n/m" ring and label in view coordinates, if the row has one."""
        return self.row_painter.read_count_rect(option, index)

    def tooltip_text(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex, pos: QPoint
    ) -> str | None:
        """The tooltip for a point in view coordinates, or None where the row has none."""
        return self.row_painter.tooltip_text(option, index, pos)

    def editorEvent(
        self,
        event: QEvent,
        model: QAbstractItemModel,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        kind = event.type()
        if (
            isinstance(event, QMouseEvent)
            and kind
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
                    elif target == "attachment":
                        self.attachment_clicked.emit(msg_id)
                    elif target == "cancel":
                        self.cancel_clicked.emit(msg_id)
                    elif target == "confirm":
                        self.confirm_clicked.emit(msg_id)
                    elif target == "quote":
                        self.quote_clicked.emit(str(index.data(int(MessageRole.REPLY_TO)) or ""))
                    else:
                        self.retry_clicked.emit(msg_id)
                return True
        return super().editorEvent(event, model, option, index)

    def helpEvent(
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        if event is not None and event.type() == QEvent.Type.ToolTip and index.isValid():
            text = self.row_painter.tooltip_text(option, index, event.pos())
            if text:
                QToolTip.showText(event.globalPos(), text, view)
                return True
        return super().helpEvent(event, view, option, index)
