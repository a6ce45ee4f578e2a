"""Choosing files and pictures to send: the attach button, drag and drop, paste, and
the preview with its caption.

Owns: `Attacher`, which gives a chat view its ways in (the paperclip button and
Ctrl+Shift+O open a file dialog; files dropped on the chat; a screenshot or a
copied file pasted into the composer) and, for each, the `AttachPreview` dialog:
what will be sent (a picture's preview, a file's name and size), an optional
caption, Send and Cancel; Send emits `chosen(paths, caption)`. A pasted picture
is saved as a PNG in `paste_folder` first (it must outlive the clipboard, and a
restart while it uploads). Also `local_files` (the files a drag or a paste
carries), `describe_picture` (a picture's size in pixels and a thumbnail of at
most `MAX_THUMBNAIL_BYTES`, read off the GUI thread by the caller) and
`paperclip_icon`.

Never: send anything or talk to the client (the controller does, from `chosen`),
or decode a big picture on the GUI thread (the preview reads a scaled one).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData, QObject, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QImageReader, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.protocol.structs import MAX_THUMBNAIL_BYTES
from desktop_chat.ui.chat.attachment_view import size_text, type_text

THUMBNAIL_SIDE = 160  # px: the longest side of a thumbnail sent inline
PREVIEW_SIDE = 240
PICTURE_FORMATS = {b"jpeg", b"jpg", b"png", b"gif", b"webp", b"bmp"}


@dataclasses.dataclass(frozen=True)
class Picture:
    width: int
    height: int
    thumbnail: bytes  # JPEG, at most MAX_THUMBNAIL_BYTES


def describe_picture(path: str) -> Picture | None:
    """A picture's upright size and a small JPEG thumbnail; None if it is no picture Qt
    reads (it is then sent as a file). Safe on any thread."""
    reader = QImageReader(path)
    if bytes(reader.format().data()).lower() not in PICTURE_FORMATS:
        return None
    reader.setAutoTransform(True)
    image = reader.read()
    if image.isNull():
        return None
    side = THUMBNAIL_SIDE
    for quality in (70, 55, 40, 30, 30, 30):
        small = image.scaled(
            QSize(side, side),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        if small.hasAlphaChannel():  # JPEG has none: flatten on white
            flat = QImage(small.size(), QImage.Format.Format_RGB32)
            flat.fill(QColor("white"))
            painter = QPainter(flat)
            painter.drawImage(0, 0, small)
            painter.end()
            small = flat
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        small.save(buffer, "JPEG", quality)  # type: ignore[call-overload]  # the stub says bytes; Qt takes str
        if data.size() <= MAX_THUMBNAIL_BYTES:
            return Picture(image.width(), image.height(), bytes(data.data()))
        side = round(side * 0.75)
    return Picture(image.width(), image.height(), b"")


def local_files(mime: QMimeData) -> list[str]:
    """The existing local files a drag or a paste carries, in its order."""
    if not mime.hasUrls():
        return []
    paths = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
    return [path for path in paths if os.path.isfile(path)]


def carries_attachment(mime: QMimeData) -> bool:
    return bool(local_files(mime)) or mime.hasImage()


def save_pasted_picture(image: QImage, folder: Path) -> str:
    """Save a pasted picture as "Pasted image 2026-12-03 101233.png" in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H%M%S")
    path = folder / f"Pasted image {stamp}.png"
    n = 2
    while path.exists():
        path = folder / f"Pasted image {stamp} ({n}).png"
        n += 1
    if not image.save(str(path), "PNG"):  # type: ignore[call-overload]  # as above
        raise OSError(f"could not write {path}")
    return str(path)


def paperclip_icon(colour: QColor, size: int = 20) -> QIcon:
    """A paperclip at 45°, drawn (no icon theme needed)."""
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(colour, 1.5)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    painter.scale(size / 20, size / 20)  # drawn on a 20 x 20 grid
    painter.translate(10, 10)
    painter.rotate(45)
    painter.translate(-10, -10)
    path = QPainterPath()
    path.moveTo(14, 6)
    path.lineTo(14, 14)
    path.arcTo(6, 10, 8, 8, 0, -180)  # round the bottom
    path.lineTo(6, 5)
    path.arcTo(6, 2.5, 5, 5, 180, -180)  # round the top
    path.lineTo(11, 13)
    painter.drawPath(path)
    painter.end()
    return QIcon(pixmap)


class AttachPreview(QDialog):
    """What will be sent, and a caption: Send emits `chosen(paths, caption)`."""

    chosen = Signal(list, str)

    def __init__(self, paths: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachPreview")
        self.paths = list(paths)
        self.setWindowTitle(self._title())
        layout = QVBoxLayout(self)
        for path in self.paths[:6]:
            layout.addWidget(self._item(path))
        if len(self.paths) > 6:
            layout.addWidget(QLabel(self.tr("and %n more", "", len(self.paths) - 6)))
        self.caption = QLineEdit()
        self.caption.setPlaceholderText(self.tr("Add a caption (optional)"))
        self.caption.setAccessibleName(self.tr("Caption"))
        layout.addWidget(self.caption)
        buttons = QDialogButtonBox()
        self.send_button = buttons.addButton(
            self.tr("Send"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.send_button.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.caption.setFocus()

    def _title(self) -> str:
        """ "Send a photo" / "Send 3 photos" when all are pictures, else "Send a file"."""
        count = len(self.paths)
        if all(
            bytes(QImageReader(p).format().data()).lower() in PICTURE_FORMATS for p in self.paths
        ):
            return self.tr("Send a photo") if count == 1 else self.tr("Send %n photos", "", count)
        return self.tr("Send a file") if count == 1 else self.tr("Send %n files", "", count)

    def _item(self, path: str) -> QWidget:
        """One file: a picture's preview above its name, or a file's type, name and size."""
        item = QWidget()
        row = QHBoxLayout(item)
        row.setContentsMargins(0, 0, 0, 0)
        preview = QLabel()
        preview.setObjectName("attachPicture")
        reader = QImageReader(path)
        reader.setAutoTransform(True)
        size = reader.size()
        picture = bytes(reader.format().data()).lower() in PICTURE_FORMATS and size.isValid()
        if picture:
            reader.setScaledSize(
                size.scaled(PREVIEW_SIDE, PREVIEW_SIDE, Qt.AspectRatioMode.KeepAspectRatio)
            )
            image = reader.read()
            picture = not image.isNull()
        name = os.path.basename(path)
        if picture:
            preview.setPixmap(QPixmap.fromImage(image))
            preview.setAccessibleName(name)
        else:
            preview.setText(type_text(name, ""))
            preview.setObjectName("attachBadge")
            preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
            preview.setFixedSize(44, 44)
            preview.setStyleSheet(
                "background: palette(highlight); color: palette(highlighted-text);"
            )
        row.addWidget(preview)
        try:
            size_words = size_text(os.path.getsize(path))
        except OSError:
            size_words = ""
        label = QLabel(f"{name}\n{size_words}")
        label.setTextFormat(Qt.TextFormat.PlainText)
        row.addWidget(label, 1)
        return item

    def accept(self) -> None:
        super().accept()
        self.chosen.emit(self.paths, self.caption.text().strip())


class Attacher(QObject):
    """A chat view's ways to attach files; `chosen(paths, caption)` once the person sends."""

    chosen = Signal(list, str)
    failed = Signal(str)  # what went wrong, for the window's status line

    def __init__(self, host: QWidget, button_colour: QColor) -> None:
        super().__init__(host)
        self.host = host
        self.paste_folder = Path(tempfile.gettempdir()) / "desktop_chat-pasted"
        self.preview: AttachPreview | None = None
        self.button = QToolButton(host)
        self.button.setObjectName("attachButton")
        self.button.setIcon(paperclip_icon(button_colour))
        self.button.setAutoRaise(True)
        self.button.setToolTip(self.tr("Attach a file or a photo (Ctrl+Shift+O)"))
        self.button.setAccessibleName(self.tr("Attach a file"))
        self.button.clicked.connect(self.choose_files)
        self.dialog: QFileDialog | None = None
        self.last_folder = Path.home()  # where the file dialog opens (not the app's cwd)

    def choose_files(self) -> QFileDialog:
        """The file dialog (non-blocking); the chosen files go to the preview."""
        if self.dialog is not None:
            self.dialog.deleteLater()  # the last one, closed by now
        dialog = QFileDialog(self.host, self.tr("Send files"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setDirectory(str(self.last_folder))
        dialog.filesSelected.connect(self._remember_folder)
        dialog.filesSelected.connect(self.offer)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _remember_folder(self, paths: list[str]) -> None:
        """The next file dialog opens where the person last chose from."""
        if paths:
            self.last_folder = Path(paths[0]).parent

    def _closed(self, preview: AttachPreview) -> None:
        """A preview was sent or cancelled: forget it (the next one is new)."""
        if self.preview is preview:
            self.preview = None
        preview.deleteLater()

    def take(self, mime: QMimeData) -> bool:
        """Files or a picture dropped or pasted: preview them; False if it carries none."""
        files = local_files(mime)
        if not files and mime.hasImage():
            image = QImage(mime.imageData())
            if image.isNull():
                return False
            try:
                files = [save_pasted_picture(image, self.paste_folder)]
            except OSError as exc:
                self.failed.emit(
                    self.tr(
                        "The pasted picture could not be saved ({error}). Save it as a file"
                        " and attach that."
                    ).format(error=exc)
                )
                return True
        if not files:
            return False
        self.offer(files)
        return True

    def offer(self, paths: list[str]) -> AttachPreview | None:
        if not paths:
            return None
        if self.preview is not None:
            self.preview.close()  # finished: forgotten and deleted below
        preview = AttachPreview(paths, self.host)
        preview.chosen.connect(self.chosen)
        preview.finished.connect(lambda _result: self._closed(preview))
        self.preview = preview
        preview.open()
        return preview
