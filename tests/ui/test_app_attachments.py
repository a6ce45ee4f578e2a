"""Files and pictures in the real app: paste, drop, progress, the thumbnail, the viewer.

Two real apps (controllers on real clients) talk through a real server on
loopback; a screenshot is pasted with Ctrl+V through the real clipboard, a file
is dropped on the chat with real drag-and-drop events, and clicks land where the
delegate drew the picture or the file card.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

from app_driver import until
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem

from desktop_chat.client import ChatType
from desktop_chat.client.models import FileMessageBody, ImageMessageBody
from desktop_chat.protocol import Mark
from desktop_chat.ui.chat.attach import AttachPreview
from desktop_chat.ui.chat.message_delegate import MessageDelegate, MessageRow
from desktop_chat.ui.controller import ChatController
from desktop_chat.ui.conversations.conversation_delegate import ConversationDelegate
from desktop_chat.ui.painting.roles import ConversationRole, MessageRole

RED = QColor(210, 40, 40)


def app_of(client, tmp_path: Path) -> ChatController:
    controller = ChatController(
        client, message_delegate=MessageDelegate(), conversation_delegate=ConversationDelegate()
    )
    controller.download_folder = tmp_path / f"{client.username}-downloads"
    controller.opened = []
    controller.open_url = lambda url: controller.opened.append(url.toLocalFile()) or True
    controller.window.resize(900, 700)
    controller.window.show()
    return controller


def geometry_of(controller: ChatController, msg_id: str):
    view = controller.chat_view.list
    index = controller.messages.index(controller.messages.row_of(msg_id))
    option = QStyleOptionViewItem()
    option.rect = view.visualRect(index)
    option.widget = view
    option.font = view.font()
    option.palette = view.palette()
    geo = view.itemDelegate().row_painter.geometry(option, MessageRow.from_index(index))
    return geo, option.rect.topLeft()


def click_attachment(controller: ChatController, msg_id: str, part: str = "rect") -> None:
    """A left click on a row's picture or file card (or its `part`), where it is drawn."""
    view = controller.chat_view.list
    view.scrollTo(controller.messages.index(controller.messages.row_of(msg_id)))
    geo, top_left = geometry_of(controller, msg_id)
    assert geo.attachment is not None, "the row has no attachment"
    where = getattr(geo.attachment, part).center() + top_left
    assert view.viewport().rect().contains(where), "the click lands in view"
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=where)


async def preview_of(controller: ChatController) -> AttachPreview:
    attacher = controller.chat_view.attacher
    await until(
        lambda: attacher.preview is not None and attacher.preview.isVisible(), 10, "preview"
    )
    assert attacher.preview is not None
    return attacher.preview


def picture_file(path: Path, colour: QColor = RED, size=(800, 600)) -> Path:
    image = QImage(size[0], size[1], QImage.Format.Format_RGB32)
    image.fill(colour)
    assert image.save(str(path))
    return path


def close_to(a: QColor, b: QColor, within: int = 30) -> bool:
    return all(abs(x - y) <= within for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))


def test_a_pasted_screenshot_goes_with_its_caption_and_paints_its_thumbnail_at_once(
    qt_loop, clients, tmp_path
):
    async def scenario():
        await clients.harness.start()
        alice, bob = await clients.login("alice"), await clients.login("bob")
        sender, reader = app_of(alice, tmp_path), app_of(bob, tmp_path)
        sender.start_chat("bob")
        screenshot = QImage(640, 400, QImage.Format.Format_RGB32)
        screenshot.fill(RED)
        clipboard = QMimeData()
        clipboard.setImageData(screenshot)
        QApplication.clipboard().setMimeData(clipboard)
        try:
            sender.chat_view.composer.setFocus()
            QTest.keyClick(
                sender.chat_view.composer, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier
            )
            preview = await preview_of(sender)
        finally:
            QApplication.clipboard().clear()
        assert sender.chat_view.composer.toPlainText() == "", "a picture is not pasted as text"
        assert preview.findChild(object, "attachPicture").pixmap() is not None
        QTest.keyClicks(preview.caption, "the bug")
        QTest.mouseClick(preview.send_button, Qt.MouseButton.LeftButton)

        def latest():
            return bob.chat_manager.get_conversation("alice", ChatType.CHAT).latest_message

        await until(lambda: latest() is not None, 20, "the picture")
        received = latest()
        assert isinstance(received.body, ImageMessageBody)
        assert (received.body.width, received.body.height) == (640, 400)
        assert received.body.caption == "the bug"
        assert received.body.thumbnail and received.body.local_path == ""

        reader.open_conversation("alice")
        await asyncio.sleep(0.3)  # laid out, scrolled to the bottom
        geo, top_left = geometry_of(reader, received.msg_id)
        # The thumbnail paints before (and without) the picture being downloaded.
        frame = reader.chat_view.list.viewport().grab().toImage()
        centre = geo.attachment.rect.center() + top_left
        dpr = frame.devicePixelRatio()
        assert close_to(frame.pixelColor(round(centre.x() * dpr), round(centre.y() * dpr)), RED)
        row = reader.conversations.index(0)
        assert row.data(ConversationRole.LAST_TEXT) == "Photo: the bug"
        spoken = reader.messages.index(0).data(Qt.ItemDataRole.AccessibleTextRole)
        assert "the bug" in spoken and "photo" in spoken
        # In view, the full picture is fetched (into the account's media folder).
        await until(
            lambda: reader.messages.index(0).data(MessageRole.ATTACHMENT).on_disk,
            20,
            "the full picture in view",
        )
        await sender.shutdown()
        await reader.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 90))


def drop_on(widget, paths: list[Path]) -> None:
    """A real drag of files from a file manager, let go over `widget`."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    where = QPointF(widget.rect().center())
    enter = QDragEnterEvent(
        where.toPoint(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted(), "the chat takes files"
    drop = QDropEvent(
        where,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, drop)


def test_a_dropped_file_uploads_with_progress_and_saves_on_a_click_then_opens(
    qt_loop, clients, tmp_path
):
    async def scenario():
        # Slow enough to see the bar move: 4 MB at 2 MB/s.
        await clients.harness.start(
            upload_bytes_per_second=2 * 1024 * 1024, upload_burst_bytes=512 * 1024
        )
        alice, bob = await clients.login("alice"), await clients.login("bob")
        sender, reader = app_of(alice, tmp_path), app_of(bob, tmp_path)
        report = tmp_path / "Quarterly report.pdf"
        report.write_bytes(os.urandom(4 * 1024 * 1024))
        sender.start_chat("bob")
        drop_on(sender.chat_view, [report])
        preview = await preview_of(sender)
        QTest.mouseClick(preview.send_button, Qt.MouseButton.LeftButton)

        seen: list[float] = []

        def watch() -> bool:
            for row in range(sender.messages.rowCount()):
                transfer = sender.messages.index(row).data(MessageRole.TRANSFER)
                if transfer is not None:
                    seen.append(transfer.fraction)
            return any(0.1 < f < 0.9 for f in seen)

        await until(watch, 20, "the upload half way")
        sent = sender.messages.message_at(sender.messages.rowCount() - 1)
        assert isinstance(sent.body, FileMessageBody)
        geo, _top_left = geometry_of(sender, sent.msg_id)
        assert geo.attachment.name_text == "Quarterly report.pdf"
        await until(
            lambda: (
                sent.msg_id
                in {m.msg_id for m in bob.chat_manager.get_conversation("alice").messages}
            ),
            30,
            "the file's message",
        )
        await until(lambda: sender.messages.transfer(sent.msg_id) is None, 10, "the bar gone")

        reader.open_conversation("alice")
        row = reader.messages.row_of(sent.msg_id)
        assert reader.messages.index(row).data(MessageRole.ATTACHMENT).on_disk is False
        click_attachment(reader, sent.msg_id)  # saves it in the download folder
        await until(
            lambda: reader.messages.index(row).data(MessageRole.ATTACHMENT).on_disk, 20, "saved"
        )
        saved = Path(reader.messages.index(row).data(MessageRole.ATTACHMENT).local_path)
        assert saved.parent == reader.download_folder and saved.name == "Quarterly report.pdf"
        assert (
            hashlib.sha256(saved.read_bytes()).digest()
            == hashlib.sha256(report.read_bytes()).digest()
        )
        assert reader.opened == [], "saving does not open it"
        click_attachment(reader, sent.msg_id)  # now it opens
        assert reader.opened == [str(saved)]
        # A desktop with nothing to open it: the person is told, and where the file is.
        reader.open_url = lambda url: False
        click_attachment(reader, sent.msg_id)
        assert "No application" in reader.errors[-1] and str(saved) in reader.errors[-1]
        reader.show_in_folder(sent.msg_id)
        assert "No file manager" in reader.errors[-1] and str(saved) in reader.errors[-1]
        await sender.shutdown()
        await reader.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 120))


def test_a_cancelled_upload_keeps_the_red_mark_and_a_click_on_it_finishes_the_send(
    qt_loop, clients, tmp_path
):
    async def scenario():
        await clients.harness.start(
            upload_bytes_per_second=1024 * 1024, upload_burst_bytes=256 * 1024
        )
        alice, bob = await clients.login("alice"), await clients.login("bob")
        sender = app_of(alice, tmp_path)
        big = tmp_path / "video.bin"
        big.write_bytes(os.urandom(3 * 1024 * 1024))
        sender.start_chat("bob")
        sender.send_files([str(big)], "", False)
        await until(lambda: sender.messages.rowCount() == 1, 10, "the row")
        msg_id = sender.messages.message_at(0).msg_id
        await until(
            lambda: (
                (sender.messages.transfer(msg_id) or 0)
                and sender.messages.transfer(msg_id).done > 0
            ),
            10,
            "some sent",
        )
        click_attachment(sender, msg_id, "cancel_rect")
        await until(lambda: sender.messages.message_at(0).mark is Mark.FAILED, 10, "failed")
        assert sender.messages.transfer(msg_id) is None
        geo, top_left = geometry_of(sender, msg_id)
        QTest.mouseClick(
            sender.chat_view.list.viewport(),
            Qt.MouseButton.LeftButton,
            pos=geo.tick_rect.center() + top_left,
        )  # the red ! retries, from where the server's copy ends
        await until(
            lambda: (
                sender.messages.message_at(0).mark >= Mark.SENT
                and sender.messages.message_at(0).mark is not Mark.FAILED
            ),
            30,
            "sent",
        )
        assert (
            bob.chat_manager.get_conversation("alice", ChatType.CHAT).latest_message.msg_id
            == msg_id
        )
        await sender.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 90))


def test_a_click_on_a_picture_opens_the_viewer_which_goes_through_the_chats_pictures(
    qt_loop, clients, tmp_path
):
    async def scenario():
        await clients.harness.start()
        alice, bob = await clients.login("alice"), await clients.login("bob")
        reader = app_of(bob, tmp_path)
        from desktop_chat.client import ChatMessage

        for n, colour in enumerate((RED, QColor(40, 160, 40))):
            path = picture_file(tmp_path / f"p{n}.png", colour)
            msg = ChatMessage.image("bob", str(path), 800, 600, b"", caption=f"picture {n}")
            await alice.chat_manager.send_message(msg)
        conversation = bob.chat_manager.get_conversation("alice", ChatType.CHAT)
        await until(lambda: len(conversation.messages) == 2, 20, "two pictures")
        reader.open_conversation("alice")
        await asyncio.sleep(0.3)  # laid out
        first = reader.messages.message_at(0).msg_id
        await until(lambda: reader.messages.row_of(first) is not None, 5, "rows")
        click_attachment(reader, first)
        await until(lambda: reader.viewer is not None and reader.viewer.isVisible(), 10, "viewer")
        viewer = reader.viewer
        assert viewer.current_msg_id == first
        await until(
            lambda: reader.messages.index(0).data(MessageRole.ATTACHMENT).on_disk, 20, "fetched"
        )
        QTest.keyClick(viewer, Qt.Key.Key_Right)
        assert viewer.current_msg_id == reader.messages.message_at(1).msg_id
        QTest.keyClick(viewer, Qt.Key.Key_Escape)
        await until(lambda: reader.viewer is None, 5, "closed")
        await reader.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 90))


def test_preview_lists_what_will_go_and_cancel_sends_nothing(qtbot, tmp_path):
    picture = picture_file(tmp_path / "cat.jpg")
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    preview = AttachPreview([str(picture), str(other)])
    qtbot.addWidget(preview)
    chosen: list = []
    preview.chosen.connect(lambda paths, caption: chosen.append((paths, caption)))
    preview.show()
    assert preview.findChild(object, "attachPicture").pixmap().width() > 0
    assert preview.findChild(object, "attachBadge").text() == "TXT"
    preview.reject()
    assert chosen == []
    preview2 = AttachPreview([str(other)])
    qtbot.addWidget(preview2)
    preview2.chosen.connect(lambda paths, caption: chosen.append((paths, caption)))
    preview2.caption.setText("  read this ")
    preview2.accept()
    assert chosen == [([str(other)], "read this")]
    # The title names what goes: a photo, photos, or files when any is not a picture.
    assert preview.windowTitle() == "Send 2 files"
    assert preview2.windowTitle() == "Send a file"
    two = picture_file(tmp_path / "dog.jpg")
    for paths, title in (([picture], "Send a photo"), ([picture, two], "Send 2 photos")):
        shown = AttachPreview([str(p) for p in paths])
        qtbot.addWidget(shown)
        assert shown.windowTitle() == title


def test_pictures_and_saved_files_are_still_there_after_a_restart_and_an_upload_resumes(
    qt_loop, clients, tmp_path
):
    """The real app quit with Ctrl+Q and started again on the same data dir."""
    from app_driver import App

    async def scenario():
        harness = clients.harness
        await harness.start(upload_bytes_per_second=1024 * 1024, upload_burst_bytes=256 * 1024)
        await harness.register("alice", "bob")
        bob = await clients.login("bob")
        from desktop_chat.client import ChatMessage

        photo = picture_file(tmp_path / "photo.png")
        await bob.chat_manager.send_message(
            ChatMessage.image("alice", str(photo), 800, 600, b"", caption="from bob")
        )
        app = await App(tmp_path / "alice-pc", harness.url).start()
        await app.sign_in("alice")
        controller = app.controller
        controller.open_conversation("bob")
        await until(lambda: controller.messages.rowCount() == 1, 10, "bob's photo")
        msg_id = controller.messages.message_at(0).msg_id
        await until(
            lambda: controller.messages.index(0).data(MessageRole.ATTACHMENT).on_disk,
            20,
            "the photo fetched in view",
        )
        fetched = controller.messages.index(0).data(MessageRole.ATTACHMENT).local_path
        big = tmp_path / "big.bin"
        big.write_bytes(os.urandom(4 * 1024 * 1024))
        controller.send_files([str(big)], "", False)
        await until(
            lambda: any(
                (t := controller.messages.transfer(m.msg_id)) is not None and t.done > 0
                for m in controller.messages.messages()
            ),
            20,
            "the upload begun",
        )
        await app.ctrl_q()  # mid-upload

        again = await App(tmp_path / "alice-pc", harness.url).start()
        controller = again.controller
        controller.open_conversation("bob")
        await until(lambda: controller.messages.rowCount() == 2, 10, "both rows again")
        view = controller.messages.index(controller.messages.row_of(msg_id)).data(
            MessageRole.ATTACHMENT
        )
        assert view.local_path == fetched and view.on_disk, "not fetched a second time"
        seen: list[int] = []
        upload_id = next(m.msg_id for m in controller.messages.messages() if m.msg_id != msg_id)

        def resumed() -> bool:
            transfer = controller.messages.transfer(upload_id)
            if transfer is not None:
                seen.append(transfer.done)
            return controller.messages.message_at(1).mark >= Mark.SENT

        await until(resumed, 30, "the upload finished after the restart")
        assert controller.messages.message_at(1).mark is not Mark.FAILED
        assert seen and min(seen) > 0, "it went on from the server's copy, not from 0"
        await until(lambda: bob.chat_manager.get_message(upload_id) is not None, 10, "bob has it")
        got = bob.chat_manager.get_message(upload_id)
        saved = await bob.chat_manager.download_attachment(got, tmp_path / "bob-downloads")
        assert saved.read_bytes() == big.read_bytes()
        await again.ctrl_q()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 120))


def test_a_second_and_third_attachment_each_open_their_preview(qtbot, tmp_path):
    """Found by a person under Xvfb: after one preview, the next failed ("already deleted")."""
    from PySide6.QtWidgets import QWidget

    from desktop_chat.ui.chat.attach import Attacher

    host = QWidget()
    qtbot.addWidget(host)
    attacher = Attacher(host, QColor("black"))
    chosen: list = []
    attacher.chosen.connect(lambda paths, caption: chosen.append(paths))
    note = tmp_path / "note.txt"
    note.write_text("x")
    for n in range(3):
        preview = attacher.offer([str(note)])
        assert preview is not None and preview.isVisible()
        preview.accept() if n % 2 == 0 else preview.reject()
        qtbot.waitUntil(lambda: attacher.preview is None)
    assert chosen == [[str(note)], [str(note)]]


def test_the_download_folder_follows_xdg_download_dir(monkeypatch, tmp_path):
    from desktop_chat.ui.attachment_actions import download_folder

    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(tmp_path / "Téléchargements"))
    assert download_folder() == tmp_path / "Téléchargements"
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", "$HOME/Incoming")
    assert download_folder() == Path.home() / "Incoming"
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", "relative/not/used")
    assert download_folder().is_absolute()


def test_the_file_dialog_opens_at_home_then_where_the_person_last_chose(qtbot, tmp_path):
    """Found under Xvfb: the dialog opened in the app's working directory."""
    from PySide6.QtWidgets import QWidget

    from desktop_chat.ui.chat.attach import Attacher

    host = QWidget()
    qtbot.addWidget(host)
    attacher = Attacher(host, QColor("black"))
    first = attacher.choose_files()
    assert Path(first.directory().absolutePath()) == Path.home()
    note = tmp_path / "papers" / "note.txt"
    note.parent.mkdir()
    note.write_text("x")
    first.filesSelected.emit([str(note)])
    first.close()
    assert attacher.preview is not None
    attacher.preview.reject()
    second = attacher.choose_files()
    assert Path(second.directory().absolutePath()) == note.parent
    second.close()
