"""The controller's part for files and pictures: sending them, their progress, and
getting them onto this computer.

Owns: `AttachmentActions` (a part of `controller.ChatController`): sending the
files the chat view's attacher chose (a picture with its size and thumbnail, read
off the GUI thread; the caption on the first), each file's progress on its row
(`Transfer`), a click on one (a picture opens in the viewer; a file on this
computer opens, one not yet here is saved to the download folder), the × that
cancels a transfer (an upload through `cancel_send`: the message keeps its red !
and a click on it retries; a download is dropped, its `.part` kept to resume),
"Open", "Show in folder" and "Save to Downloads", and pictures fetched into the
account's media folder when they come into view (a few at a time). Downloading is
never reading: no receipt comes of it.

Never: decide what was read, paint, or write a file itself (the client downloads).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QStandardPaths, QUrl
from PySide6.QtGui import QDesktopServices

from desktop_chat.client import ChatError, ChatMessage, ChatType
from desktop_chat.client.models import FileMessageBody, ImageMessageBody
from desktop_chat.protocol import Mark
from desktop_chat.ui.chat.attach import describe_picture
from desktop_chat.ui.chat.attachment_view import DOWN, UP, Transfer, attachment_of
from desktop_chat.ui.controller_host import ControllerHost

if TYPE_CHECKING:
    from desktop_chat.ui.chat.image_viewer import ImageViewer

PICTURES_AT_ONCE = 3  # pictures fetched at the same time as they come into view
QUEUED_SECONDS = 120.0  # how long a file may take to be read before the next is queued


def download_folder() -> Path:
    """The person's download folder: $XDG_DOWNLOAD_DIR when set (an absolute path),
    else the desktop's own (on Linux user-dirs.dirs' XDG_DOWNLOAD_DIR), else ~/Downloads."""
    from_env = os.environ.get("XDG_DOWNLOAD_DIR", "").replace("$HOME", str(Path.home()))
    if os.path.isabs(from_env):
        return Path(from_env)
    where = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DownloadLocation)
    return Path(where) if where else Path.home() / "Downloads"


class AttachmentActions(ControllerHost):
    def _wire_attachments(self) -> None:
        view = self.chat_view
        account = self.client.data_dir / self.me
        self.media_folder = account / "media"  # pictures fetched to be shown
        view.attacher.paste_folder = account / "pasted"  # pasted pictures, until sent
        self.download_folder = download_folder()
        self.open_url = QDesktopServices.openUrl  # opens a file or folder on the desktop
        self._downloads: dict[str, asyncio.Task] = {}
        self._picture_failed: set[str] = set()
        self.viewer: ImageViewer | None = None
        view.attach_requested.connect(self.send_files)
        view.attacher.failed.connect(self.show_error)
        view.visibility_changed.connect(self._fetch_pictures_in_view)
        self.signals.message_progress.connect(self._on_progress)
        self.signals.message_status_changed.connect(self._on_transfer_status)
        delegate: Any = view.list.itemDelegate()
        if hasattr(delegate, "attachment_clicked"):
            delegate.attachment_clicked.connect(self.open_attachment)
            delegate.cancel_clicked.connect(self.cancel_transfer)

    # ------------------------------------------------------------------ sending

    def send_files(self, paths: list[str], caption: str, need_group_ack: bool) -> None:
        conversation_id = self.messages.conversation_id
        if conversation_id is None or not paths:
            return
        self._clear_draft(conversation_id)
        self.spawn(
            self._send_files(conversation_id, paths, caption, need_group_ack),
            QCoreApplication.translate("ChatController", "Could not send the file."),
        )

    async def _send_files(
        self, conversation_id: str, paths: list[str], caption: str, need_group_ack: bool
    ) -> None:
        """One message a file, in the order chosen; each is queued before the next."""
        is_group = conversation_id.isdigit()
        chat_type = ChatType.GROUP_CHAT if is_group else ChatType.CHAT
        store = self.client.require_store()
        for n, path in enumerate(paths):
            picture = await asyncio.to_thread(describe_picture, path)
            words = caption if n == 0 else ""
            if picture is not None:
                message = ChatMessage.image(
                    conversation_id,
                    path,
                    picture.width,
                    picture.height,
                    picture.thumbnail,
                    chat_type,
                    caption=words,
                )
            else:
                message = ChatMessage.file(conversation_id, path, chat_type, caption=words)
            message.need_group_ack = need_group_ack and is_group
            sending = self.spawn(
                self.client.chat_manager.send_message(message),
                QCoreApplication.translate("ChatController", "Could not send the file."),
            )
            # The next file queues once this one is in the outbox (its hash is read).
            loop = asyncio.get_running_loop()
            deadline = loop.time() + QUEUED_SECONDS
            while store.message(message.msg_id) is None and not sending.done():
                if loop.time() > deadline:
                    break
                await asyncio.sleep(0.02)

    def _on_progress(self, msg_id: str, done: int, total: int) -> None:
        self.messages.set_transfer(msg_id, Transfer(UP, done, total))

    def _on_transfer_status(self, message: ChatMessage) -> None:
        """Sent or failed: its upload is over."""
        over = message.mark is Mark.FAILED or message.mark >= Mark.SENT
        if over and _is_upload(self.messages.transfer(message.msg_id)):
            self.messages.set_transfer(message.msg_id, None)

    def cancel_transfer(self, msg_id: str) -> None:
        transfer = self.messages.transfer(msg_id)
        if transfer is None:
            return
        if transfer.direction == UP:
            self.client.chat_manager.cancel_send(msg_id)
            self.messages.set_transfer(msg_id, None)
            return
        task = self._downloads.pop(msg_id, None)
        if task is not None:
            task.cancel()
        self.messages.set_transfer(msg_id, None)

    # ------------------------------------------------------------------ receiving

    def download(self, msg_id: str, folder: Path, then_open: bool = False) -> asyncio.Task | None:
        """Fetch a message's file into `folder`, its progress on its row; None if it is
        already coming."""
        message = self.client.chat_manager.get_message(msg_id)
        if message is None or msg_id in self._downloads:
            return None
        if not isinstance(message.body, FileMessageBody):
            return None
        body = message.body
        self.messages.set_transfer(msg_id, Transfer(DOWN, 0, body.file_size))
        task = asyncio.ensure_future(self._download(message, folder, then_open))
        self._downloads[msg_id] = task
        return task

    async def _download(self, message: ChatMessage, folder: Path, then_open: bool) -> None:
        msg_id = message.msg_id

        def progress(done: int, total: int) -> None:
            self.messages.set_transfer(msg_id, Transfer(DOWN, done, total))

        try:
            path = await self.client.chat_manager.download_attachment(message, folder, progress)
        except ChatError as error:
            self._failed(msg_id, self.explain(error))
            return
        except OSError as error:
            self._failed(
                msg_id,
                QCoreApplication.translate(
                    "ChatController",
                    "Could not save the file in {folder} ({error}). Free some space, then"
                    " click it again.",
                ).format(folder=str(folder), error=error.strerror or str(error)),
            )
            return
        finally:
            self._downloads.pop(msg_id, None)
        self.messages.set_transfer(msg_id, None)
        kept = self.client.chat_manager.get_message(msg_id)
        if kept is not None:
            self.messages.upsert(kept)
        if self.viewer is not None:
            self.viewer.set_path(msg_id, str(path))
        if then_open:
            self.window.statusBar().showMessage(
                QCoreApplication.translate("ChatController", "Saved “{name}” in {folder}").format(
                    name=path.name, folder=str(folder)
                ),
                8000,
            )
        self._fetch_pictures_in_view()

    def _failed(self, msg_id: str, explanation: str) -> None:
        """A download that failed: its row says so (a click retries), the status line why."""
        self._picture_failed.add(msg_id)
        words = QCoreApplication.translate("ChatController", "Could not load: click to try again")
        self.messages.set_transfer(msg_id, Transfer(DOWN, 0, 0, words))
        self.show_error(explanation)
        if self.viewer is not None:
            self.viewer.show_failed(msg_id, explanation)

    def _fetch_pictures_in_view(self) -> None:
        """Pictures in view that are not on this computer yet: fetch a few at a time."""
        running = len(self._downloads)
        if running >= PICTURES_AT_ONCE:
            return
        for msg_id in self.chat_view.visible_fractions():
            row = self.messages.row_of(msg_id)
            if row is None or msg_id in self._downloads or msg_id in self._picture_failed:
                continue
            view = attachment_of(self.messages.message_at(row))
            if view is None or not view.is_image or view.on_disk or not view.sha256:
                continue
            self.download(msg_id, self.media_folder)
            running += 1
            if running >= PICTURES_AT_ONCE:
                return

    # ------------------------------------------------------------------ a click on one

    def open_attachment(self, msg_id: str) -> None:
        """A click on a picture (the viewer) or a file (open it, or save it first)."""
        message = self.client.chat_manager.get_message(msg_id)
        view = attachment_of(message) if message is not None else None
        if view is None:
            return
        transfer = self.messages.transfer(msg_id)
        if transfer is not None and transfer.failed:  # a click retries
            self._picture_failed.discard(msg_id)
            self.messages.set_transfer(msg_id, None)
        if view.is_image:
            self.open_viewer(msg_id)
        elif view.on_disk:
            self._open_on_desktop(view.local_path, folder=False)
        else:
            self.download(msg_id, self.download_folder, then_open=True)

    def show_in_folder(self, msg_id: str) -> None:
        message = self.client.chat_manager.get_message(msg_id)
        view = attachment_of(message) if message is not None else None
        if view is not None and view.on_disk:
            self._open_on_desktop(view.local_path, folder=True)

    def _open_on_desktop(self, path: str, folder: bool) -> None:
        """The file (or its folder) in the desktop's own application; if none takes it,
        the status line says so and where the file is, so the person can go there."""
        if self.open_url(QUrl.fromLocalFile(os.path.dirname(path) if folder else path)):
            return
        if folder:
            words = QCoreApplication.translate(
                "ChatController",
                "No file manager opened the folder. The file is at {path}.",
            )
        else:
            words = QCoreApplication.translate(
                "ChatController",
                "No application on this computer opened “{name}”. It is saved at {path}:"
                " open it from there, or install an application for this kind of file.",
            )
        self.show_error(words.format(name=os.path.basename(path), path=path))

    def open_viewer(self, msg_id: str) -> ImageViewer | None:
        """The chat's pictures in a viewer, at this one; the full picture is fetched."""
        from desktop_chat.ui.chat.image_viewer import ImageViewer, ViewerImage

        images: list[ViewerImage] = []
        current = 0
        for message in self.messages.messages():
            body = message.body
            if message.recalled or not isinstance(body, ImageMessageBody):
                continue
            if message.msg_id == msg_id:
                current = len(images)
            on_disk = bool(body.local_path) and os.path.isfile(body.local_path)
            title = body.caption or body.display_name
            path = body.local_path if on_disk else ""
            images.append(ViewerImage(message.msg_id, title, body.thumbnail, path))
        if not images:
            return None
        if self.viewer is not None:
            self.viewer.close()
        viewer = ImageViewer(images, current, self.window)
        viewer.wanted.connect(lambda wanted: self.download(wanted, self.media_folder))
        viewer.finished.connect(lambda _result: self._viewer_closed(viewer))
        self.viewer = viewer
        viewer.show()
        return viewer

    def _viewer_closed(self, viewer: ImageViewer) -> None:
        if self.viewer is viewer:
            self.viewer = None
        viewer.deleteLater()


def _is_upload(transfer: Transfer | None) -> bool:
    return transfer is not None and transfer.direction == UP
