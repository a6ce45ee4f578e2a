"""The screenshots of files and pictures, for `scripts/screenshots.py`.

`shoot_files` drives alice's real window in her chat with dave: dave sends a
photo (a real upload through the server), alice's app fetches it as it comes
into view; alice sends one back through the real attach path (`send_files`, as
the preview's Send does) and dave reads it (blue ✓✓): "chat-image". Then alice
sends a 12 MB file while the server lets each person upload 1 MiB/s (the
world's `server_options`), and the picture is taken with its bar part way:
"chat-file-upload" (then its × cancels it, so the next shots' messages do not
wait behind it in the outbox). Last, a click's path opens dave's photo in the viewer:
"image-viewer".
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter, QPainterPath
from PySide6.QtTest import QTest

from desktop_chat.client import ChatClient, ChatMessage
from desktop_chat.protocol import Mark
from desktop_chat.ui.chat.attach import describe_picture
from desktop_chat.ui.controller import ChatController
from desktop_chat.ui.painting.roles import ConversationRole, MessageRole

UPLOAD_RATE = {"upload_bytes_per_second": 1024 * 1024, "upload_burst_bytes": 256 * 1024}
Until = Callable[..., Awaitable[None]]


def landscape(path: Path, sky: str, ground: str, size=(1600, 1067)) -> Path:
    """A photo-like picture: a sky, a sun, two hills (JPEG)."""
    image = QImage(size[0], size[1], QImage.Format.Format_RGB32)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    gradient = QLinearGradient(0, 0, 0, size[1])
    gradient.setColorAt(0.0, QColor(sky))
    gradient.setColorAt(1.0, QColor("#fce7c8"))
    painter.fillRect(image.rect(), gradient)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#ffd166"))
    painter.drawEllipse(QRectF(size[0] * 0.68, size[1] * 0.16, size[1] * 0.2, size[1] * 0.2))
    for shade, height, phase in ((ground, 0.62, 0.0), (QColor(ground).darker(130), 0.74, 0.5)):
        hill = QPainterPath(QPointF(0, size[1]))
        hill.lineTo(0, size[1] * height)
        hill.cubicTo(
            size[0] * (0.3 + phase * 0.2),
            size[1] * (height - 0.22),
            size[0] * (0.6 - phase * 0.1),
            size[1] * (height + 0.1),
            size[0],
            size[1] * (height - 0.08),
        )
        hill.lineTo(size[0], size[1])
        painter.setBrush(QColor(shade))
        painter.drawPath(hill)
    painter.end()
    image.save(str(path), "JPEG", 88)
    return path


def row_data(controller: ChatController, msg_id: str, role: MessageRole):
    row = controller.messages.row_of(msg_id)
    return None if row is None else controller.messages.index(row).data(int(role))


def newest_outgoing(controller: ChatController) -> str | None:
    for message in reversed(controller.messages.messages()):
        if message.from_ == controller.me:
            return message.msg_id
    return None


async def shoot_files(
    controller: ChatController, dave: ChatClient, shots, until: Until, folder: Path
) -> None:
    window = controller.window
    window.activateWindow()  # the reply's menu took the focus: back to the window
    await until("alice's window to be active", window.isActiveWindow)
    QTest.mouseMove(controller.chat_view.list.viewport())  # she is there
    stage = landscape(folder / "stage.jpg", "#7fb3e6", "#5c9e5a")
    picture = describe_picture(str(stage))
    assert picture is not None
    photo = ChatMessage.image(
        "alice",
        str(stage),
        picture.width,
        picture.height,
        picture.thumbnail,
        caption="The stage, set up for Friday",
    )
    await dave.chat_manager.send_message(photo)
    await until("dave's photo", lambda: controller.client.chat_manager.get_message(photo.msg_id))
    controller.open_conversation("dave")
    await until("dave's chat to be read", lambda: _unread(controller, "dave") == 0, 15)
    await until(
        "dave's photo fetched as it came into view",
        lambda: (
            (row_data(controller, photo.msg_id, MessageRole.ATTACHMENT) or None)
            and row_data(controller, photo.msg_id, MessageRole.ATTACHMENT).on_disk
        ),
    )
    banner = landscape(folder / "banner proof.jpg", "#f4a261", "#9c6644", (1200, 1500))
    before = newest_outgoing(controller)
    controller.send_files([str(banner)], "Banner proof: OK to print?", False)
    await until("alice's photo to appear", lambda: newest_outgoing(controller) != before)
    sent = newest_outgoing(controller)
    assert sent is not None
    await until("alice's photo to reach dave", lambda: dave.chat_manager.get_message(sent))
    await dave.chat_manager.send_conversation_read_ack("alice")
    await until(
        "dave to read it (blue ✓✓)",
        lambda: row_data(controller, sent, MessageRole.MARK) is Mark.READ,
        30,
    )
    await asyncio.sleep(0.3)  # the pictures decoded off the GUI thread are painted
    window.statusBar().clearMessage()
    await shots.save("chat-image", window)

    plan = folder / "Launch plan v4.pdf"
    plan.write_bytes(os.urandom(12 * 1024 * 1024))
    controller.send_files([str(plan)], "", False)
    await until("the file's upload a third of the way", lambda: _part_way(controller), 30)
    window.statusBar().clearMessage()
    await shots.save("chat-file-upload", window)
    uploading = newest_outgoing(controller)
    assert uploading is not None
    controller.cancel_transfer(uploading)  # the × : later messages must not wait behind it
    await until(
        "the upload cancelled (a red !)",
        lambda: row_data(controller, uploading, MessageRole.MARK) is Mark.FAILED,
    )

    viewer = controller.open_viewer(photo.msg_id)
    if viewer is None:
        raise RuntimeError("the viewer did not open")
    viewer.resize(900, 640)
    await until("the viewer to show the photo", lambda: viewer.isVisible())
    await asyncio.sleep(0.6)  # decoded off the GUI thread
    await shots.save("image-viewer", viewer)
    viewer.close()
    window.activateWindow()
    await until("alice's window to be active again", window.isActiveWindow)
    # alice moves the mouse over her chat: she is still there (the app counts a person
    # away after 30 s without input, and these pictures took a while).
    QTest.mouseMove(controller.chat_view.list.viewport())


def _unread(controller: ChatController, conversation_id: str) -> int | None:
    model = controller.conversations
    for row in range(model.rowCount()):
        index = model.index(row)
        if index.data(int(ConversationRole.CONVERSATION_ID)) == conversation_id:
            return int(index.data(int(ConversationRole.UNREAD)) or 0)
    return None


def _part_way(controller: ChatController) -> bool:
    msg_id = newest_outgoing(controller)
    transfer = controller.messages.transfer(msg_id) if msg_id else None
    return transfer is not None and 0.3 <= transfer.fraction <= 0.7


__all__ = ["UPLOAD_RATE", "shoot_files"]
