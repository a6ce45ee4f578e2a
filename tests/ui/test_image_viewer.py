"""The image viewer, driven as a person would: keys on the picture, the wheel, a
double-click, a drag, the ‹ › buttons; with real PNG and JPEG files written by
QImage, decoded on the viewer's pool. What is shown is checked on the grabbed
screen pixels; every wait is `qtbot.waitUntil` on a state, never a sleep."""

from __future__ import annotations

import struct
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QEvent, QIODevice, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QGraphicsPixmapItem, QGraphicsView, QLabel, QToolButton

from desktop_chat.ui.chat import image_viewer
from desktop_chat.ui.chat.image_viewer import ImageViewer, ViewerImage

RED, GREEN, BLUE = QColor(220, 40, 40), QColor(40, 170, 70), QColor(40, 70, 220)
SIZE = (800, 600)


def picture(tmp_path: Path, name: str, colour: QColor, width: int, height: int) -> str:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(colour)
    path = tmp_path / name
    assert image.save(str(path), quality=95), path
    return str(path)


def thumbnail(colour: QColor, width: int = 48, height: int = 30) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(colour)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, "PNG")
    return bytes(buffer.data().data())


def opened(qtbot, images: list[ViewerImage], current: int = 0) -> ImageViewer:
    viewer = ImageViewer(images, current)
    qtbot.addWidget(viewer)
    viewer.resize(*SIZE)
    viewer.show()
    qtbot.waitExposed(viewer)
    return viewer


def view(viewer: ImageViewer) -> QGraphicsView:
    found = viewer.findChild(QGraphicsView, "imageViewerPicture")
    assert found is not None
    return found


def shown_pixmap_size(viewer: ImageViewer) -> tuple[int, int]:
    (item,) = [i for i in view(viewer).items() if isinstance(i, QGraphicsPixmapItem)]
    size = item.pixmap().size()
    return size.width(), size.height()


def note(viewer: ImageViewer) -> str:
    label = viewer.findChild(QLabel, "imageViewerNote")
    assert label is not None
    return label.text() if label.isVisibleTo(viewer) else ""


def nav(viewer: ImageViewer, name: str) -> QToolButton:
    for button in viewer.findChildren(QToolButton):
        if button.accessibleName() == name:
            return button
    raise AssertionError(f"no button {name!r}")


def colour_at(viewer: ImageViewer, x: int, y: int) -> QColor:
    return view(viewer).viewport().grab().toImage().pixelColor(x, y)


def centre(viewer: ImageViewer) -> QColor:
    area = view(viewer).viewport().rect()
    return colour_at(viewer, area.center().x(), area.center().y())


def near(got: QColor, want: QColor, slack: int = 14) -> bool:
    pairs = ((got.red(), want.red()), (got.green(), want.green()), (got.blue(), want.blue()))
    return all(abs(a - b) <= slack for a, b in pairs)


def wait_colour(qtbot, viewer: ImageViewer, want: QColor) -> None:
    qtbot.waitUntil(lambda: near(centre(viewer), want), timeout=5000)


def key(qtbot, viewer: ImageViewer, which: Qt.Key, mods=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(view(viewer), which, mods)


def fit_of(viewer: ImageViewer, width: int, height: int) -> float:
    area = view(viewer).viewport().size()
    return min(area.width() / width, area.height() / height, 1.0)


class Gate:
    """A `read_image` that holds one path until released, and says where it ran."""

    def __init__(self, held: str) -> None:
        self.held = held
        self.entered, self.release = threading.Event(), threading.Event()
        self.on_gui_thread: list[bool] = []
        self.real = image_viewer.read_image

    def __call__(self, path: str) -> QImage:
        self.on_gui_thread.append(threading.current_thread() is threading.main_thread())
        if path == self.held:
            self.entered.set()
            assert self.release.wait(10)
        return self.real(path)


def test_it_opens_fitted_showing_the_thumbnail_then_the_full_picture(qtbot, tmp_path, monkeypatch):
    path = picture(tmp_path, "beach.jpg", RED, 1600, 1000)
    gate = Gate(path)
    monkeypatch.setattr(image_viewer, "read_image", gate)
    try:
        viewer = opened(qtbot, [ViewerImage("m1", "Beach", thumbnail(GREEN), path)])
        assert note(viewer) == "Loading…"
        wait_colour(qtbot, viewer, GREEN)  # the thumbnail, scaled up to the window
        assert near(colour_at(viewer, 3, view(viewer).viewport().height() // 2), GREEN)
        assert viewer.fitted
    finally:
        gate.release.set()
    wait_colour(qtbot, viewer, RED)
    assert note(viewer) == ""
    assert viewer.fitted
    assert viewer.zoom == pytest.approx(fit_of(viewer, 1600, 1000))
    assert viewer.zoom < 1.0
    area = view(viewer).viewport().size()
    drawn_height = round(1000 * viewer.zoom)
    assert near(colour_at(viewer, 3, area.height() // 2), RED), "it fills the width"
    gap = (area.height() - drawn_height) // 2
    assert gap > 4
    assert not near(colour_at(viewer, area.width() // 2, gap // 2), RED), "backdrop above"
    assert view(viewer).accessibleName() == "Beach"
    assert viewer.windowTitle() == "Beach"


def test_a_small_picture_is_never_blown_up_past_100_percent(qtbot, tmp_path):
    path = picture(tmp_path, "icon.png", BLUE, 200, 100)
    viewer = opened(qtbot, [ViewerImage("m1", "icon.png", b"", path)])
    wait_colour(qtbot, viewer, BLUE)
    assert viewer.fitted
    assert viewer.zoom == 1.0
    area = view(viewer).viewport().rect()
    assert not near(colour_at(viewer, area.center().x() - 110, area.center().y()), BLUE)
    assert near(colour_at(viewer, area.center().x() - 95, area.center().y()), BLUE)


def test_escape_closes_and_the_pixmaps_go(qtbot, tmp_path):
    path = picture(tmp_path, "a.png", RED, 400, 300)
    viewer = opened(qtbot, [ViewerImage("m1", "a", thumbnail(GREEN), path)])
    wait_colour(qtbot, viewer, RED)
    assert shown_pixmap_size(viewer) == (400, 300)
    key(qtbot, viewer, Qt.Key.Key_Escape)
    assert not viewer.isVisible()
    assert shown_pixmap_size(viewer) == (0, 0)


def test_left_and_right_move_and_a_missing_picture_is_wanted_once(qtbot, tmp_path):
    first = picture(tmp_path, "a.png", RED, 400, 300)
    later = picture(tmp_path, "b.png", BLUE, 300, 400)
    images = [
        ViewerImage("a", "a.png", thumbnail(RED), first),
        ViewerImage("b", "The harbour at dusk", thumbnail(GREEN), ""),
        ViewerImage("c", "c.png", b"", first),
    ]
    viewer = ImageViewer(images, 0)
    wanted: list[str] = []
    viewer.wanted.connect(wanted.append)
    qtbot.addWidget(viewer)
    viewer.resize(*SIZE)
    viewer.show()
    wait_colour(qtbot, viewer, RED)
    previous, following = nav(viewer, "Previous image"), nav(viewer, "Next image")
    assert (previous.isVisible(), following.isVisible()) == (False, True)
    assert following.toolTip() == "Next image (→)"
    assert viewer.windowTitle() == "a.png — 1 of 3"
    key(qtbot, viewer, Qt.Key.Key_Right)
    assert (viewer.current_msg_id, wanted) == ("b", ["b"])
    assert note(viewer) == "Loading…"
    wait_colour(qtbot, viewer, GREEN)
    assert viewer.windowTitle() == "The harbour at dusk — 2 of 3"
    assert view(viewer).accessibleName() == "The harbour at dusk"
    key(qtbot, viewer, Qt.Key.Key_Left)
    wait_colour(qtbot, viewer, RED)
    key(qtbot, viewer, Qt.Key.Key_Right)
    assert wanted == ["b"], "asked for once"
    viewer.set_path("a", later)  # not the one shown: nothing moves
    assert viewer.current_msg_id == "b"
    viewer.set_path("b", later)
    wait_colour(qtbot, viewer, BLUE)
    assert note(viewer) == ""
    assert shown_pixmap_size(viewer) == (300, 400)
    qtbot.mouseClick(following, Qt.MouseButton.LeftButton)
    assert viewer.current_msg_id == "c"
    key(qtbot, viewer, Qt.Key.Key_Tab)
    assert viewer.focusWidget() is view(viewer), "the buttons never take the arrow keys away"
    assert (previous.isVisible(), following.isVisible()) == (True, False)
    key(qtbot, viewer, Qt.Key.Key_Right)
    assert viewer.current_msg_id == "c", "the end of the list"
    qtbot.mouseClick(previous, Qt.MouseButton.LeftButton)
    assert viewer.current_msg_id == "b"


def test_zoom_keys_step_clamp_and_fit_again(qtbot, tmp_path):
    path = picture(tmp_path, "big.png", BLUE, 1600, 1000)
    viewer = opened(qtbot, [ViewerImage("m1", "big", b"", path)])
    wait_colour(qtbot, viewer, BLUE)
    fit = viewer.zoom
    assert viewer.fitted
    assert fit == pytest.approx(fit_of(viewer, 1600, 1000))
    key(qtbot, viewer, Qt.Key.Key_Plus)
    assert (viewer.zoom, viewer.fitted) == (pytest.approx(fit * 1.25), False)
    key(qtbot, viewer, Qt.Key.Key_Equal)
    assert viewer.zoom == pytest.approx(fit * 1.25**2)
    key(qtbot, viewer, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    key(qtbot, viewer, Qt.Key.Key_Minus)
    assert viewer.zoom == pytest.approx(fit)
    key(qtbot, viewer, Qt.Key.Key_0)
    assert viewer.fitted
    key(qtbot, viewer, Qt.Key.Key_1)
    assert (viewer.zoom, viewer.fitted) == (1.0, False)
    assert view(viewer).horizontalScrollBar().isVisible(), "larger than the window"
    assert view(viewer).dragMode() == QGraphicsView.DragMode.ScrollHandDrag
    key(qtbot, viewer, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert (viewer.zoom, viewer.fitted) == (pytest.approx(fit), True)
    assert not view(viewer).horizontalScrollBar().isVisible()
    for _ in range(30):
        key(qtbot, viewer, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert viewer.zoom == 8.0
    for _ in range(40):
        key(qtbot, viewer, Qt.Key.Key_Minus)
    assert viewer.zoom == 0.05


def wheel(viewer: ImageViewer, at: QPoint, notches: int) -> None:
    viewport = view(viewer).viewport()
    event = QWheelEvent(
        QPointF(at),
        QPointF(viewport.mapToGlobal(at)),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, event)


def mouse(viewer: ImageViewer, kind: QEvent.Type, at: QPoint) -> None:
    viewport = view(viewer).viewport()
    held = (
        Qt.MouseButton.NoButton
        if kind == QEvent.Type.MouseButtonRelease
        else Qt.MouseButton.LeftButton
    )
    event = QMouseEvent(
        kind,
        QPointF(at),
        QPointF(viewport.mapToGlobal(at)),
        Qt.MouseButton.LeftButton,
        held,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(viewport, event)


def test_the_wheel_zooms_around_the_cursor_a_drag_pans_a_double_click_toggles(qtbot, tmp_path):
    path = picture(tmp_path, "big.png", BLUE, 1600, 1000)
    viewer = opened(qtbot, [ViewerImage("m1", "big", b"", path)])
    wait_colour(qtbot, viewer, BLUE)
    fit = viewer.zoom
    graphics = view(viewer)
    cursor = QPoint(200, 150)
    under = graphics.mapToScene(cursor)
    wheel(viewer, cursor, 2)
    assert viewer.zoom == pytest.approx(fit * 1.25**2)
    after = graphics.mapFromScene(under)
    assert abs(after.x() - cursor.x()) <= 2 and abs(after.y() - cursor.y()) <= 2
    wheel(viewer, cursor, -2)
    assert viewer.zoom == pytest.approx(fit)
    qtbot.mouseDClick(graphics.viewport(), Qt.MouseButton.LeftButton, pos=cursor)
    assert (viewer.zoom, viewer.fitted) == (1.0, False)
    after = graphics.mapFromScene(under)
    assert abs(after.x() - cursor.x()) <= 2 and abs(after.y() - cursor.y()) <= 2
    bars = graphics.horizontalScrollBar(), graphics.verticalScrollBar()
    before = bars[0].value(), bars[1].value()
    mouse(viewer, QEvent.Type.MouseButtonPress, QPoint(400, 300))
    mouse(viewer, QEvent.Type.MouseMove, QPoint(300, 260))
    mouse(viewer, QEvent.Type.MouseButtonRelease, QPoint(300, 260))
    assert (bars[0].value(), bars[1].value()) == (before[0] + 100, before[1] + 40)
    qtbot.mouseDClick(graphics.viewport(), Qt.MouseButton.LeftButton, pos=cursor)
    assert (viewer.zoom, viewer.fitted) == (pytest.approx(fit), True)


def test_an_unreadable_file_says_so_and_keeps_the_thumbnail(qtbot, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG" * 20)
    images = [
        ViewerImage("a", "broken.jpg", thumbnail(RED), str(broken)),
        ViewerImage("b", "b.jpg", thumbnail(GREEN), ""),
    ]
    viewer = opened(qtbot, images)
    qtbot.waitUntil(lambda: note(viewer) == "This image cannot be opened", timeout=5000)
    wait_colour(qtbot, viewer, RED)
    key(qtbot, viewer, Qt.Key.Key_Plus)
    assert (viewer.zoom, viewer.fitted) == (1.0, True), "nothing to zoom"
    key(qtbot, viewer, Qt.Key.Key_Right)
    assert note(viewer) == "Loading…"
    viewer.show_failed("b", "The download failed")
    assert note(viewer) == "The download failed"
    wait_colour(qtbot, viewer, GREEN)
    key(qtbot, viewer, Qt.Key.Key_Left)
    assert note(viewer) == "This image cannot be opened", "remembered, not decoded again"


def rotated_jpeg(tmp_path: Path, width: int, height: int) -> str:
    """A JPEG whose Exif says "turn 90° clockwise to show" (Orientation 6), as phones write."""
    plain = Path(picture(tmp_path, "plain.jpg", RED, width, height)).read_bytes()
    tiff = b"II" + struct.pack("<HIH", 42, 8, 1) + struct.pack("<HHIHHI", 0x0112, 3, 1, 6, 0, 0)
    payload = b"Exif\x00\x00" + tiff
    path = tmp_path / "portrait.jpg"
    path.write_bytes(
        plain[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + plain[2:]
    )
    return str(path)


def test_the_exif_orientation_is_honoured(qtbot, tmp_path):
    path = rotated_jpeg(tmp_path, 300, 200)
    viewer = opened(qtbot, [ViewerImage("m1", "portrait", b"", path)])
    qtbot.waitUntil(lambda: shown_pixmap_size(viewer) == (200, 300), timeout=5000)


@pytest.fixture
def answers():
    """The decoder's answers (sizes), each recorded after the viewers have had it."""
    got: list[tuple[int, int]] = []

    def record(_token: int, image: QImage) -> None:
        got.append((image.width(), image.height()))

    yield got, record
    image_viewer.shared_decoder().decoded.disconnect(record)


def test_a_late_picture_for_an_image_left_behind_is_ignored(qtbot, tmp_path, monkeypatch, answers):
    slow = picture(tmp_path, "slow.png", RED, 500, 300)
    fast = picture(tmp_path, "fast.png", BLUE, 240, 160)
    gate = Gate(slow)
    monkeypatch.setattr(image_viewer, "read_image", gate)
    got, record = answers
    images = [ViewerImage("slow", "slow", b"", slow), ViewerImage("fast", "fast", b"", fast)]
    viewer = opened(qtbot, images)
    # Queued after the viewer's own connection: when it runs, the viewer has had it.
    image_viewer.shared_decoder().decoded.connect(record, Qt.ConnectionType.QueuedConnection)
    try:
        qtbot.waitUntil(gate.entered.is_set)
        key(qtbot, viewer, Qt.Key.Key_Right)
        wait_colour(qtbot, viewer, BLUE)
        assert got == [(240, 160)]
    finally:
        gate.release.set()
    qtbot.waitUntil(lambda: len(got) == 2, timeout=5000)
    assert got[1] == (500, 300), "the slow picture did come back"
    assert viewer.current_msg_id == "fast"
    assert shown_pixmap_size(viewer) == (240, 160)
    assert near(centre(viewer), BLUE)
    assert gate.on_gui_thread == [False, False], "decoded off the GUI thread"


def test_a_picture_that_comes_after_the_viewer_closed_is_dropped(
    qtbot, tmp_path, monkeypatch, answers
):
    slow = picture(tmp_path, "slow.png", RED, 500, 300)
    gate = Gate(slow)
    monkeypatch.setattr(image_viewer, "read_image", gate)
    got, record = answers
    viewer = opened(qtbot, [ViewerImage("slow", "slow", thumbnail(GREEN), slow)])
    image_viewer.shared_decoder().decoded.connect(record, Qt.ConnectionType.QueuedConnection)
    try:
        qtbot.waitUntil(gate.entered.is_set)
        viewer.close()
    finally:
        gate.release.set()
    qtbot.waitUntil(lambda: len(got) == 1, timeout=5000)
    assert shown_pixmap_size(viewer) == (0, 0)
    assert not viewer.isVisible()
