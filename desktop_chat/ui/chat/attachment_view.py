"""A message's file or image as the chat shows it, and the words for it.

Owns: `AttachmentView` (what a row's `ATTACHMENT` role carries: the kind, name,
size, type, pixel size, thumbnail and where the file is on this computer),
`Transfer` (what a row's `TRANSFER` role carries while its file goes up or comes
down, or after that failed), `attachment_of(message)`, `summary_text(message)`
(what a list, a notification, a quote or a screen reader says of a message:
its text, or "Photo", "Photo: caption", "📎 report.pdf"), `size_text` ("2.4 MB")
and `type_text` ("PDF").

Never: paint, load a file, or talk to the client.
"""

from __future__ import annotations

import dataclasses
import os

from PySide6.QtCore import QCoreApplication

from desktop_chat.client.models import ChatMessage, FileMessageBody, ImageMessageBody

UP, DOWN = "up", "down"


@dataclasses.dataclass(frozen=True)
class AttachmentView:
    """A row's file or image, as the delegate reads it."""

    kind: str  # "image" or "file"
    name: str
    size: int
    mime: str
    sha256: str
    width: int = 0
    height: int = 0
    thumbnail: bytes = b""
    local_path: str = ""  # "" (or a path that is gone) until it is on this computer

    @property
    def is_image(self) -> bool:
        return self.kind == "image"

    @property
    def on_disk(self) -> bool:
        return bool(self.local_path) and os.path.isfile(self.local_path)

    @property
    def title(self) -> str:
        return self.name


@dataclasses.dataclass(frozen=True)
class Transfer:
    """A file going up (`UP`) or coming down (`DOWN`): bytes done of all; or why it failed."""

    direction: str
    done: int
    total: int
    failed: str = ""

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total > 0 else 0.0


def attachment_of(message: ChatMessage) -> AttachmentView | None:
    """The row's attachment (None for a text, or a recalled message)."""
    body = message.body
    if message.recalled or not isinstance(body, FileMessageBody):
        return None
    if isinstance(body, ImageMessageBody):
        return AttachmentView(
            "image",
            body.display_name,
            body.file_size,
            body.mime,
            body.sha256,
            body.width,
            body.height,
            body.thumbnail,
            body.local_path,
        )
    return AttachmentView(
        "file",
        body.display_name,
        body.file_size,
        body.mime,
        body.sha256,
        0,
        0,
        b"",
        body.local_path,
    )


def size_text(size: int) -> str:
    """ "512 B", "14 KB", "2.4 MB", "1.1 GB" (powers of 1024, as file managers show; the
    units read the same in every language the app speaks)."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"


def type_text(name: str, mime: str) -> str:
    """A short word for the file's type: its extension ("PDF"), else the mime's subtype."""
    _stem, dot, extension = name.rpartition(".")
    if dot and 0 < len(extension) <= 5:
        return extension.upper()
    subtype = mime.rpartition("/")[2]
    return subtype.upper()[:5] if subtype and subtype != "octet-stream" else "FILE"


def summary_text(message: ChatMessage) -> str:
    """What lists, notifications, quotes and screen readers say of a message's content."""
    body = message.body
    if message.recalled or not isinstance(body, FileMessageBody):
        return body.content
    if isinstance(body, ImageMessageBody):
        if body.caption:
            return QCoreApplication.translate("Attachment", "Photo: %1").replace("%1", body.caption)
        return QCoreApplication.translate("Attachment", "Photo")
    line = f"📎 {body.display_name}"
    return f"{line}: {body.caption}" if body.caption else line


def spoken_attachment(view: AttachmentView) -> str:
    """A screen reader's words for an attachment: "photo cat.jpg, 1200 by 800", or
    "file report.pdf, 2.4 MB"."""
    if view.is_image:
        return (
            QCoreApplication.translate("Attachment", "photo %1, %2 by %3")
            .replace("%1", view.name)
            .replace("%2", str(view.width))
            .replace("%3", str(view.height))
        )
    return (
        QCoreApplication.translate("Attachment", "file %1, %2")
        .replace("%1", view.name)
        .replace("%2", size_text(view.size))
    )
