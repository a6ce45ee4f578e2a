"""How a file or an image looks in its bubble, and the pictures it is painted from.

Owns: `Thumbnails` (each message's inline thumbnail decoded once, by sha256),
`Pictures` (the full picture of a message on this computer, decoded and scaled
to the size it is shown at on a thread of Qt's pool, never on the GUI thread;
`loaded` says when one is ready, so the view repaints), and `AttachmentArt`,
which paints an `AttachmentBox`: a picture (the full one once loaded, else its
thumbnail, else a quiet placeholder), or a file card (a type badge, the name,
"2.4 MB · PDF"); while a transfer runs, a progress bar and a × to cancel it; a
↓ on a file that is not on this computer yet; a failed transfer's words.

Never: read a model, talk to the client, or decode a picture on the GUI thread
(a thumbnail is at most 16 KiB: that one is decoded where it is painted).
"""

from __future__ import annotations

import os

from PySide6.QtCore import (
    QObject,
    QPointF,
    QRect,
    QRectF,
    QRunnable,
    QSize,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QColor, QImage, QImageReader, QPainter, QPainterPath, QPen, QPixmap

from desktop_chat.ui.chat.attachment_layout import AttachmentBox
from desktop_chat.ui.chat.attachment_view import (
    DOWN,
    AttachmentView,
    Transfer,
    size_text,
    type_text,
)
from desktop_chat.ui.painting.common import BubbleColours, Fonts, Lru

PICTURES_KEPT = 64  # scaled pictures kept decoded (about a screenful or three)


class Thumbnails:
    """Thumbnails decoded from their bytes, once each (an LRU by sha256)."""

    def __init__(self, limit: int = 512) -> None:
        self._cache = Lru(limit)

    def get(self, view: AttachmentView) -> QPixmap | None:
        if not view.thumbnail:
            return None
        cached = self._cache.lookup(view.sha256)
        if cached is None:
            pixmap = QPixmap()
            pixmap.loadFromData(view.thumbnail)
            cached = self._cache.store(view.sha256, pixmap)
        return cached if not cached.isNull() else None


class _Decoded(QObject):
    done = Signal(str, QSize, QImage)  # path, the size asked for, the picture (null: unreadable)


class _Decode(QRunnable):
    """Read one picture (turned upright by its Exif orientation), scaled to `size`."""

    def __init__(self, path: str, size: QSize, answer: _Decoded) -> None:
        super().__init__()
        self.path, self.size, self.answer = path, size, answer

    def run(self) -> None:
        reader = QImageReader(self.path)
        reader.setAutoTransform(True)
        image = reader.read()
        if not image.isNull():
            image = image.scaled(
                self.size,
                Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                Qt.TransformationMode.SmoothTransformation,
            )
        self.answer.done.emit(self.path, self.size, image)


class Pictures(QObject):
    """Full pictures scaled to where they are shown, decoded off the GUI thread."""

    loaded = Signal(str)  # the path now ready (or found unreadable)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cache = Lru(PICTURES_KEPT)
        self._running: set[tuple[str, int, int]] = set()
        self._unreadable: set[str] = set()
        self._answer = _Decoded(self)
        self._answer.done.connect(self._done)
        self.pool = QThreadPool.globalInstance()

    def get(self, path: str, size: QSize) -> QPixmap | None:
        """The picture at `path` scaled to `size`, if decoded; else it starts decoding."""
        if not path or path in self._unreadable:
            return None
        key = (path, size.width(), size.height())
        cached = self._cache.lookup(key)
        if cached is not None:
            return cached
        if key not in self._running and os.path.isfile(path):
            self._running.add(key)
            self.pool.start(_Decode(path, size, self._answer))
        return None

    def _done(self, path: str, size: QSize, image: QImage) -> None:
        self._running.discard((path, size.width(), size.height()))
        if image.isNull():
            self._unreadable.add(path)
        else:
            self._cache.store((path, size.width(), size.height()), QPixmap.fromImage(image))
        self.loaded.emit(path)


class AttachmentArt:
    """Paints a message's picture or file card (see the module's docstring)."""

    def __init__(self, pictures: Pictures | None = None) -> None:
        self.thumbnails = Thumbnails()
        self.pictures = pictures

    def paint(
        self,
        painter: QPainter,
        box: AttachmentBox,
        view: AttachmentView,
        transfer: Transfer | None,
        fonts: Fonts,
        colours: BubbleColours,
        ink: tuple[QColor, QColor],  # the bubble's text and quiet (meta) colours
    ) -> None:
        if view.is_image:
            self._paint_picture(painter, box, view, transfer, fonts, colours)
        else:
            self._paint_card(painter, box, view, transfer, fonts, colours, ink)

    # -- pictures

    def _paint_picture(
        self,
        painter: QPainter,
        box: AttachmentBox,
        view: AttachmentView,
        transfer: Transfer | None,
        fonts: Fonts,
        colours: BubbleColours,
    ) -> None:
        rect = box.rect
        clip = QPainterPath()
        clip.addRoundedRect(QRectF(rect), 8, 8)
        painter.save()
        painter.setClipPath(clip)
        picture = self._picture(view, rect.size() * painter.device().devicePixelRatioF())
        if picture is not None:
            _draw_covering(painter, rect, picture)
        else:
            thumbnail = self.thumbnails.get(view)
            if thumbnail is not None:
                _draw_covering(painter, rect, thumbnail)
            else:
                placeholder = QColor(colours.accent)
                placeholder.setAlphaF(0.15)
                painter.fillRect(rect, placeholder)
        running = transfer is not None and not transfer.failed
        if running or (transfer is not None and transfer.failed):
            painter.fillRect(rect, QColor(0, 0, 0, 90))
        painter.restore()
        if running:
            assert transfer is not None
            self._paint_cancel(painter, box.cancel_rect, QColor(0, 0, 0, 150), QColor("white"))
            self._paint_bar(painter, box.bar_rect, transfer.fraction, QColor(255, 255, 255, 90))
        elif transfer is not None:
            painter.setFont(fonts.small)
            painter.setPen(QColor("white"))
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), transfer.failed)

    def _picture(self, view: AttachmentView, size: QSize) -> QPixmap | None:
        if self.pictures is None or not view.local_path:
            return None
        return self.pictures.get(view.local_path, size)

    # -- file cards

    def _paint_card(
        self,
        painter: QPainter,
        box: AttachmentBox,
        view: AttachmentView,
        transfer: Transfer | None,
        fonts: Fonts,
        colours: BubbleColours,
        ink: tuple[QColor, QColor],
    ) -> None:
        text_colour, meta_colour = ink
        assert box.icon_rect is not None and box.name_rect is not None
        assert box.detail_rect is not None
        self._paint_badge(painter, box.icon_rect, type_text(view.name, view.mime), fonts, colours)
        painter.setFont(fonts.sender)
        painter.setPen(text_colour)
        painter.drawText(
            box.name_rect,
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            box.name_text,
        )
        running = transfer is not None and not transfer.failed
        painter.setFont(fonts.small)
        painter.setPen(colours.failed if transfer is not None and transfer.failed else meta_colour)
        painter.drawText(
            box.detail_rect,
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            detail_text(view, transfer),
        )
        if running:
            assert transfer is not None
            track = QColor(meta_colour)
            track.setAlphaF(0.3)
            self._paint_bar(painter, box.bar_rect, transfer.fraction, track, colours.accent)
            self._paint_cancel(painter, box.cancel_rect, track, text_colour)
        elif not view.on_disk:
            self._paint_arrow(painter, box.cancel_rect, colours.accent)

    @staticmethod
    def _paint_badge(
        painter: QPainter, rect: QRect, word: str, fonts: Fonts, colours: BubbleColours
    ) -> None:
        """A document with a folded corner and the file's type on it."""
        fold = 10
        path = QPainterPath()
        path.moveTo(rect.left() + 4, rect.top())
        path.lineTo(rect.right() + 1 - 4 - fold, rect.top())
        path.lineTo(rect.right() + 1 - 4, rect.top() + fold)
        path.lineTo(rect.right() + 1 - 4, rect.bottom() + 1)
        path.lineTo(rect.left() + 4, rect.bottom() + 1)
        path.closeSubpath()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colours.accent)
        painter.drawPath(path)
        painter.setFont(fonts.badge)
        painter.setPen(QColor("white"))
        painter.drawText(
            rect.adjusted(4, fold // 2, -4, 0), int(Qt.AlignmentFlag.AlignCenter), word[:4]
        )

    @staticmethod
    def _paint_bar(
        painter: QPainter,
        rect: QRect,
        fraction: float,
        track: QColor,
        fill: QColor | None = None,
    ) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(track)
        radius = rect.height() / 2
        painter.drawRoundedRect(QRectF(rect), radius, radius)
        done = QRectF(rect)
        done.setWidth(max(rect.height(), rect.width() * fraction))
        painter.setBrush(fill if fill is not None else QColor("white"))
        painter.drawRoundedRect(done, radius, radius)

    @staticmethod
    def _paint_cancel(painter: QPainter, rect: QRect, disc: QColor, ink: QColor) -> None:
        """A round × (a click cancels the transfer)."""
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(disc)
        painter.drawEllipse(QRectF(rect))
        pen = QPen(ink, 2.0)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        inner = QRectF(rect).adjusted(rect.width() * 0.34, rect.height() * 0.34, 0, 0)
        inner.setSize(QRectF(rect).size() * 0.32)
        painter.drawLine(inner.topLeft(), inner.bottomRight())
        painter.drawLine(inner.topRight(), inner.bottomLeft())

    @staticmethod
    def _paint_arrow(painter: QPainter, rect: QRect, ink: QColor) -> None:
        """A ↓ in a ring: a click saves the file to the download folder."""
        pen = QPen(ink, 1.6)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        ring = QRectF(rect).adjusted(1.5, 1.5, -1.5, -1.5)
        painter.drawEllipse(ring)
        centre = ring.center()
        half = ring.height() * 0.26
        tip = QPointF(centre.x(), centre.y() + half)
        painter.drawLine(QPointF(centre.x(), centre.y() - half), tip)
        painter.drawLine(QPointF(centre.x() - half * 0.8, centre.y()), tip)
        painter.drawLine(QPointF(centre.x() + half * 0.8, centre.y()), tip)


def detail_text(view: AttachmentView, transfer: Transfer | None) -> str:
    """A file card's second line: "2.4 MB · PDF", "1.2 MB of 2.4 MB", or what failed."""
    if transfer is not None and transfer.failed:
        return transfer.failed
    if transfer is not None:
        arrow = "↓" if transfer.direction == DOWN else "↑"
        return f"{arrow} {size_text(transfer.done)} / {size_text(transfer.total)}"
    return f"{size_text(view.size)} · {type_text(view.name, view.mime)}"


def _draw_covering(painter: QPainter, rect: QRect, pixmap: QPixmap) -> None:
    """Draw `pixmap` over `rect`, cropped to keep its proportions (no stretching)."""
    source = QRectF(pixmap.rect())
    target = QRectF(rect)
    scale = max(target.width() / source.width(), target.height() / source.height())
    crop_w, crop_h = target.width() / scale, target.height() / scale
    source = QRectF(
        source.left() + (source.width() - crop_w) / 2,
        source.top() + (source.height() - crop_h) / 2,
        crop_w,
        crop_h,
    )
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    painter.drawPixmap(target, pixmap, source)
