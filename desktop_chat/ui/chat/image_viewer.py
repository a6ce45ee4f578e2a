"""The window that shows a chat's images one at a time, large.

Owns: `ViewerImage` (one image as the viewer is given it) and `ImageViewer`, a
dialog over the chat's images in chat order. It opens on one fitted to the window
(never past 100 %), shows its thumbnail scaled up with "Loading…" until the full
picture is decoded, and asks once for one not on disk (`wanted(msg_id)`). Zoom:
the wheel around the cursor, `+`/`=`/`-` (Ctrl or not), `0` fits, `1` is 100 %,
a double-click toggles the two; a picture larger than the window pans by dragging.
Left/Right and ‹ › move through the list; Escape closes and drops the pixmaps.

A `QGraphicsView`, not a `QLabel` in a `QScrollArea`: a zoom is the view's transform
of one pixmap, with no scaled copy per step (800 % of a 4000 px photo would be a
32000 px pixmap); hand panning comes with it. 100 %: an image pixel per logical pixel.

Pictures are decoded (upright by their Exif orientation) on `Decoder`'s pool and
come back by a queued signal with a token: one for an image left behind, or after
closing, is dropped. The one `Decoder` lives as long as the application, so a
decode still running never signals a deleted object.

Never: download, read a model or talk to the client (the chat answers `wanted`),
or decode a full picture on the GUI thread (a thumbnail of a few KB is, here).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import os
import threading
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    QPoint,
    QPointF,
    QRectF,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import (
    QImage,
    QImageReader,
    QKeyEvent,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QPolygonF,
    QTransform,
)
from PySide6.QtWidgets import (
    QDialog,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.ui.painting.common import fill, one_line

ZOOM_MIN, ZOOM_MAX = 0.05, 8.0
ZOOM_STEP = 1.25  # one key press or one wheel notch
ZOOM_KEYS: dict[int, float] = {
    Qt.Key.Key_Plus: ZOOM_STEP,
    Qt.Key.Key_Equal: ZOOM_STEP,
    Qt.Key.Key_Minus: 1 / ZOOM_STEP,
}
MOVE_KEYS: dict[int, int] = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}
NAV_SIZE = 44
NAV_MARGIN = 12


@dataclasses.dataclass(frozen=True)
class ViewerImage:
    msg_id: str
    title: str  # caption, else the file name; also the accessible text
    thumbnail: bytes  # a small JPEG/PNG (may be b"")
    path: str  # the full image on disk, "" while not downloaded


def read_image(path: str) -> QImage:
    """The picture at `path`, upright by its Exif orientation (null: unreadable); off the GUI."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    return reader.read()


class Decoder(QObject):
    """Decodes pictures on its own pool; `decoded(token, image)` comes on the GUI thread."""

    decoded = Signal(int, QImage)  # the token `start` gave, the picture (null: unreadable)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._tokens = itertools.count(1)
        self._wanted: set[int] = set()
        self._lock = threading.Lock()

    def start(self, path: str) -> int:
        token = next(self._tokens)
        with self._lock:
            self._wanted.add(token)
        self._pool.start(functools.partial(self._run, token, path))
        return token

    def cancel(self, token: int) -> None:
        """Skip a decode that has not started yet (one under way still answers)."""
        with self._lock:
            self._wanted.discard(token)

    def _run(self, token: int, path: str) -> None:
        with self._lock:
            if token not in self._wanted:
                return  # the viewer moved on before this one began
            self._wanted.discard(token)
        try:
            image = read_image(path)
        except Exception:  # a broken file never kills the pool thread; it is unreadable
            image = QImage()
        self.decoded.emit(token, image)


_decoder: Decoder | None = None


def shared_decoder() -> Decoder:
    """The process's one `Decoder`, a child of the application (made on first use)."""
    global _decoder
    if _decoder is None or not shiboken6.isValid(_decoder):
        _decoder = Decoder(QCoreApplication.instance())
    return _decoder


class _ImageView(QGraphicsView):
    """The picture: the wheel and double-clicks ask to zoom; keys go to the viewer first."""

    zoom_by = Signal(float, QPoint)  # factor, around this viewport point
    toggled = Signal(QPoint)  # double-clicked here

    def __init__(self, on_key: Callable[[QKeyEvent], bool], parent: QWidget) -> None:
        super().__init__(parent)
        self._on_key = on_key

    def wheelEvent(self, event) -> None:
        angle = event.angleDelta().y() or event.angleDelta().x()
        if angle:
            self.zoom_by.emit(ZOOM_STEP ** (angle / 120), event.position().toPoint())
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.toggled.emit(event.position().toPoint())

    def keyPressEvent(self, event) -> None:
        if not self._on_key(event):
            super().keyPressEvent(event)


class _NavButton(QToolButton):
    """A round ‹ or › floating over the picture's side."""

    def __init__(self, step: int, name: str, key: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.step = step
        self.setAccessibleName(name)
        self.setToolTip(f"{name} ({key})")
        self.setAutoRaise(True)  # repaints on hover
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the picture keeps the keys: ← → do this
        self.setFixedSize(NAV_SIZE, NAV_SIZE)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            palette = self.palette()
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.Button))
            painter.setOpacity(1.0 if self.underMouse() else 0.8)
            painter.drawEllipse(QRectF(1.0, 1.0, NAV_SIZE - 2.0, NAV_SIZE - 2.0))
            centre = NAV_SIZE / 2.0
            tip, back = centre + 4.0 * self.step, centre - 4.0 * self.step
            chevron = [QPointF(back, centre - 9), QPointF(tip, centre), QPointF(back, centre + 9)]
            ink = palette.color(QPalette.ColorRole.ButtonText)
            round_ends = Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin
            painter.setPen(QPen(ink, 2.6, Qt.PenStyle.SolidLine, *round_ends))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPolyline(QPolygonF(chevron))
        finally:
            painter.end()


class ImageViewer(QDialog):
    """A chat's images, one at a time (see the module's docstring)."""

    wanted = Signal(str)  # msg_id whose full image is not on disk yet: please download it

    def __init__(
        self, images: list[ViewerImage], current: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        if not images:
            raise ValueError("an image viewer needs at least one image")
        self._images = list(images)
        self._index_of = {image.msg_id: i for i, image in enumerate(self._images)}
        self._index = min(max(current, 0), len(self._images) - 1)
        self._asked: set[str] = set()  # wanted once already
        self._failed: dict[str, str] = {}  # msg_id -> why it cannot be shown
        self._token = 0  # the decode whose answer is awaited (0: none)
        self._full = False  # the pixmap shown is the full picture, not the thumbnail
        self._zoom, self._fitted = 1.0, True
        self._started = False
        self._decoder = shared_decoder()
        self._decoder.decoded.connect(self._on_decoded)
        self.setObjectName("imageViewer")
        self.setAccessibleName(self.tr("Image viewer"))
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self._build_view()
        self._build_caption()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._view, 1)
        layout.addWidget(self._caption)
        available = self.screen().availableGeometry().size() * 0.8
        self.resize(parent.window().size() if parent is not None else available)

    @property
    def current_msg_id(self) -> str:
        return self._images[self._index].msg_id

    @property
    def zoom(self) -> float:
        """The full picture's scale (1.0 = 100 %); 1.0 while only its thumbnail shows."""
        return self._zoom

    @property
    def fitted(self) -> bool:
        return self._fitted

    def set_path(self, msg_id: str, path: str) -> None:
        """The full image of `msg_id` is on disk at `path`: shown now if it is the current one."""
        index = self._index_of.get(msg_id)
        if index is None:
            return
        self._images[index] = dataclasses.replace(self._images[index], path=path)
        self._failed.pop(msg_id, None)
        if index == self._index and self._started:
            self._show_current()

    def show_failed(self, msg_id: str, text: str) -> None:
        """`msg_id`'s full image cannot be had: say `text` over its thumbnail."""
        if msg_id in self._index_of:
            self._failed[msg_id] = text
        if msg_id == self.current_msg_id and not self._full:
            self._set_note(text)

    # -- building

    def _build_view(self) -> None:
        self._scene = QGraphicsScene(self)
        self._item = QGraphicsPixmapItem()
        self._item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._scene.addItem(self._item)
        self._view = _ImageView(self._key, self)
        self._view.setObjectName("imageViewerPicture")
        self._view.setScene(self._scene)
        self._view.setFrameShape(QGraphicsView.Shape.NoFrame)
        self._view.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self._view.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self._view.setResizeAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self._view.zoom_by.connect(self._step)
        self._view.toggled.connect(self._toggle)
        self._view.viewport().installEventFilter(self)
        self._previous = _NavButton(-1, self.tr("Previous image"), "←", self._view)
        self._next = _NavButton(1, self.tr("Next image"), "→", self._view)
        for button in (self._previous, self._next):
            button.clicked.connect(functools.partial(self._go, button.step))
        self._note = QLabel(self._view)
        self._note.setObjectName("imageViewerNote")
        self._note.setTextFormat(Qt.TextFormat.PlainText)
        self._note.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._note.setStyleSheet(
            "QLabel { background: palette(window); color: palette(window-text);"
            " border-radius: 8px; padding: 8px 14px; }"
        )
        self._note.hide()
        self._paint_backdrop()

    def _build_caption(self) -> None:
        self._caption = QWidget(self)
        self._caption.setAutoFillBackground(True)
        self._title = QLabel(self._caption)
        self._title.setTextFormat(Qt.TextFormat.PlainText)
        self._title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._count = QLabel(self._caption)
        row = QHBoxLayout(self._caption)
        row.setContentsMargins(12, 6, 8, 6)
        row.addWidget(self._title, 1)
        row.addWidget(self._count)

    def _paint_backdrop(self) -> None:
        # Shadow is black in dark palettes but mid-grey in some light ones: a photo wants dark.
        self._view.setBackgroundBrush(self.palette().color(QPalette.ColorRole.Shadow).darker(250))

    # -- showing an image

    def _show_current(self) -> None:
        image = self._images[self._index]
        self._decoder.cancel(self._token)
        self._token = 0
        self._full = False
        thumbnail = QPixmap()
        thumbnail.loadFromData(image.thumbnail)  # b"" leaves it null
        self._set_pixmap(thumbnail)
        failed = self._failed.get(image.msg_id)
        if failed:
            self._set_note(failed)
            return
        self._set_note(self.tr("Loading…"))
        if image.path and os.path.isfile(image.path):
            self._token = self._decoder.start(image.path)
        elif image.msg_id not in self._asked:
            self._asked.add(image.msg_id)
            self.wanted.emit(image.msg_id)

    def _on_decoded(self, token: int, picture: QImage) -> None:
        if token == 0 or token != self._token:
            return  # for an image the viewer has left, or after it closed
        self._token = 0
        if picture.isNull():
            text = self.tr("This image cannot be opened")
            self._failed[self.current_msg_id] = text
            self._set_note(text)
            return
        self._full = True
        self._set_pixmap(QPixmap.fromImage(picture))
        self._set_note("")

    def _set_pixmap(self, pixmap: QPixmap) -> None:
        self._item.setPixmap(pixmap)
        self._scene.setSceneRect(self._item.boundingRect())
        self._fit()

    def _set_note(self, text: str) -> None:
        self._note.setText(text)
        self._note.setVisible(bool(text))
        self._place_overlays()
        self._update_caption()

    def _update_caption(self) -> None:
        image = self._images[self._index]
        count = fill(self.tr("%1 of %2"), self._index + 1, len(self._images))
        several = len(self._images) > 1
        title = one_line(image.title)
        elide = Qt.TextElideMode.ElideRight
        self._title.setText(self._title.fontMetrics().elidedText(title, elide, self._title.width()))
        percent = f"{round(self._zoom * 100)} %" if self._full else ""
        self._count.setText(" · ".join(t for t in (count if several else "", percent) if t))
        self.setWindowTitle(f"{title} — {count}" if several else title)
        self._view.setAccessibleName(image.title)
        status = self._note.text() if self._note.isVisibleTo(self) else ""
        self._view.setAccessibleDescription(", ".join(t for t in (count, status) if t))
        self._previous.setVisible(self._index > 0)
        self._next.setVisible(self._index < len(self._images) - 1)

    # -- zooming

    def _fit_scale(self) -> float:
        pixmap, area = self._item.pixmap(), self._view.maximumViewportSize()  # without bars
        if pixmap.isNull() or area.isEmpty():
            return 1.0
        scale = min(area.width() / pixmap.width(), area.height() / pixmap.height())
        return min(scale, 1.0) if self._full else scale  # a thumbnail stands in: scaled up

    def _fit(self) -> None:
        self._set_scale(self._fit_scale(), None)
        self._fitted = True
        if not self._full:
            self._zoom = 1.0
        self._update_caption()

    def _zoom_to(self, zoom: float, anchor: QPoint | None) -> None:
        if not self._full:
            return
        self._fitted = False
        self._set_scale(min(max(zoom, ZOOM_MIN), ZOOM_MAX), anchor)
        self._update_caption()

    def _set_scale(self, scale: float, anchor: QPoint | None) -> None:
        """Scale the picture so the point under `anchor` (default: the middle) stays put."""
        view = self._view
        if self._full:
            self._zoom = scale
        anchor = anchor if anchor is not None else view.viewport().rect().center()
        under = view.mapToScene(anchor)
        bars = Qt.ScrollBarPolicy.ScrollBarAsNeeded
        if self._item.pixmap().isNull() or scale <= self._fit_scale() + 1e-9:
            bars = Qt.ScrollBarPolicy.ScrollBarAlwaysOff  # fitted: no bar takes room
        view.setHorizontalScrollBarPolicy(bars)
        view.setVerticalScrollBarPolicy(bars)
        view.setTransform(QTransform.fromScale(scale, scale))
        QCoreApplication.sendEvent(view, QEvent(QEvent.Type.LayoutRequest))  # bars now
        moved = view.mapFromScene(under) - anchor
        view.horizontalScrollBar().setValue(view.horizontalScrollBar().value() + moved.x())
        view.verticalScrollBar().setValue(view.verticalScrollBar().value() + moved.y())
        shown, room = self._item.pixmap().size() * scale, view.viewport().size()
        pans = shown.width() > room.width() + 1 or shown.height() > room.height() + 1
        mode = QGraphicsView.DragMode
        view.setDragMode(mode.ScrollHandDrag if pans else mode.NoDrag)

    def _step(self, factor: float, anchor: QPoint | None = None) -> None:
        self._zoom_to(self._zoom * factor, anchor)

    def _toggle(self, anchor: QPoint) -> None:
        if self._fitted or abs(self._zoom - self._fit_scale()) < 1e-6:
            self._zoom_to(1.0, anchor)
        else:
            self._fit()

    # -- keys, moving, closing

    def _key(self, event: QKeyEvent) -> bool:
        """Handle the viewer's keys (from the picture or the dialog); False: not ours."""
        mods = event.modifiers() & ~(
            Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier
        )
        ctrl = mods == Qt.KeyboardModifier.ControlModifier
        if not ctrl and mods != Qt.KeyboardModifier.NoModifier:
            return False
        key = event.key()
        if key in ZOOM_KEYS:
            self._step(ZOOM_KEYS[key])
        elif key == Qt.Key.Key_0:
            self._fit()
        elif key == Qt.Key.Key_1:
            self._zoom_to(1.0, None)
        elif key in MOVE_KEYS and not ctrl:
            self._go(MOVE_KEYS[key])
        else:
            return False
        return True

    def _go(self, step: int) -> None:
        index = self._index + step
        if 0 <= index < len(self._images):
            self._index = index
            self._show_current()

    def keyPressEvent(self, event) -> None:
        if not self._key(event):
            super().keyPressEvent(event)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._started:
            self._started = True
            self._show_current()
            self._view.setFocus()

    def done(self, result: int) -> None:
        """Closing drops the pixmaps; a decode still running is ignored when it answers."""
        self._decoder.cancel(self._token)
        self._token = 0
        self._full = self._started = False
        self._item.setPixmap(QPixmap())
        super().done(result)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._view.viewport() and event.type() == QEvent.Type.Resize:
            self._place_overlays()
            if self._fitted:
                self._fit()
            self._update_caption()  # the title elided anew
        return False

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._paint_backdrop()

    def _place_overlays(self) -> None:
        area = self._view.viewport().geometry()
        middle = area.center().y() - NAV_SIZE // 2
        self._previous.move(area.left() + NAV_MARGIN, middle)
        self._next.move(area.right() - NAV_MARGIN - NAV_SIZE + 1, middle)
        self._note.adjustSize()
        self._note.move(area.center() - self._note.rect().center())
