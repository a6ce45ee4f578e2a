"""Make the README screenshots from the real app, in a light and a dark palette.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Each pass builds its own `DemoWorld` (a real local server, real accounts, the
"Launch team" group and its simulated members) in a temporary directory, opens
alice's real `ChatController` window, and drives it the way a person would:
typing into the composer, opening chats, opening "Read by" the way a click on
"Read n/m" does. Group members and frank ack by hand (real acks from their
clients), so the pictures match from run to run. Every tick in the
pictures comes from a real receipt through the client core and the server:

- blue ✓✓: frank read the chat (a real read ack from his client);
- ✓✓: frank's client acked delivery but he has not read it;
- ✓: frank's client is closed, so the server stored the message and no more;
- clock: the server is stopped, so the message waits in alice's outbox;
- red !: a message to "frank.lee", a name the server does not know.

The frame around each picture (title line and icon) is drawn here, as a stand-in
for the window manager's decoration; its text and icon are the window's own
`windowTitle()` and `windowIcon()` (the unread total and the badge).

After the English passes, a Chinese pass per palette (`install_translations("zh_CN")`
before its window is made, "en" again after, each time emptying the painters'
caches of translated texts) shoots the conversation list, the
announcement, its read-by view, the li.wei chat and the announcement shots of
`shots_announce` (confirm, read progress, pinned notice) as `zh-*.png`.

It fails (exit status 1) with a clear message when a state it should show did
not happen in time, e.g. when "Read n/m" is not part way when it is shot.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Shoot this checkout's app, whatever the venv's editable install points at.
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync  # noqa: E402
from PySide6.QtCore import (  # noqa: E402
    QCoreApplication,
    QPoint,
    QRect,
    Qt,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtGui import (  # noqa: E402
    QColor,
    QFont,
    QFontDatabase,
    QImage,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import QApplication, QStyleFactory, QTabWidget, QWidget  # noqa: E402
from shots_announce import CLOCK, shoot_announcements  # noqa: E402
from shots_files import UPLOAD_RATE, shoot_files  # noqa: E402

from desktop_chat.client import (  # noqa: E402
    ChatClient,
    ChatError,
    ChatErrorCode,
    ChatMessage,
    ChatType,
)
from desktop_chat.client.pinning import security_code  # noqa: E402
from desktop_chat.demo import CHINESE_CONTACT, DemoWorld  # noqa: E402
from desktop_chat.protocol import Mark  # noqa: E402
from desktop_chat.ui.chat.message_menu import MenuChoice  # noqa: E402
from desktop_chat.ui.controller import ChatController  # noqa: E402
from desktop_chat.ui.dialogs.login import LoginDialog  # noqa: E402
from desktop_chat.ui.i18n import install_translations  # noqa: E402
from desktop_chat.ui.painting.common import fill, forget_translated_texts  # noqa: E402
from desktop_chat.ui.painting.roles import ConversationRole, MessageRole  # noqa: E402
from desktop_chat.ui.session import make_controller  # noqa: E402
from desktop_chat.ui.settings import AppSettings  # noqa: E402

WINDOW_SIZE = (1000, 680)
TITLE_BAR = 30
TIME_LIMIT = 180.0  # seconds for the whole run
STEP_LIMIT = 10.0  # seconds for any one state to appear
SEED = 7
DELAYS = (0.3, 0.8)  # simulated members read after this many seconds
# Who reads the announcement, in this order, and the note each one adds. The
# others (bob, frank, ivan, judy) leave it unread, so "Read n/m" is part way.
READERS = (
    ("carol", "On it"),
    ("dave", None),
    ("erin", "Got it, thanks!"),
    ("grace", "收到"),
    ("heidi", None),
)
TICKS_CONTACT = "frank"
UNKNOWN_CONTACT = "frank.lee"  # no such account: the server refuses the message


SKIP: set[str] = set()  # groups of pictures left out this run (--skip)


class ShotError(RuntimeError):
    """A state the screenshots must show did not happen."""


def dark_palette() -> QPalette:
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    palette = QPalette()
    colours = {
        role.Window: "#1f2226",
        role.WindowText: "#e6e6e6",
        role.Base: "#17191c",
        role.AlternateBase: "#262a2f",
        role.ToolTipBase: "#2b2f35",
        role.ToolTipText: "#e6e6e6",
        role.PlaceholderText: "#8a9099",
        role.Text: "#e6e6e6",
        role.Button: "#2b2f35",
        role.ButtonText: "#e6e6e6",
        role.BrightText: "#ff6b6b",
        role.Light: "#3a3f46",
        role.Midlight: "#32363c",
        role.Mid: "#24272b",
        role.Dark: "#141619",
        role.Shadow: "#000000",
        role.Highlight: "#2f7fd1",
        role.HighlightedText: "#ffffff",
        role.Link: "#5aaeff",
        role.LinkVisited: "#b48ef0",
    }
    for colour_role, colour in colours.items():
        palette.setColor(colour_role, QColor(colour))
    for colour_role in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(group.Disabled, colour_role, QColor("#7b8089"))
    palette.setColor(group.Disabled, role.Highlight, QColor("#3a3f46"))
    return palette


def apply_theme(app: QApplication, theme: str) -> None:
    app.setStyle(QStyleFactory.create("Fusion"))
    app.setPalette(dark_palette() if theme == "dark" else app.style().standardPalette())


def check_fonts() -> None:
    chinese = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    if not chinese:
        raise ShotError(
            "no font for Chinese is installed, so Chinese text would be boxes; "
            "install fonts-wqy-microhei (or fonts-noto-cjk)"
        )


async def until(what: str, condition: Callable[[], bool], limit: float = STEP_LIMIT) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise ShotError(f"timed out after {limit:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)


def framed(widget: QWidget) -> QImage:
    """The widget as shown, under a plain title line with its own title and icon."""
    content = widget.grab()
    palette = widget.palette()
    window = palette.color(QPalette.ColorRole.Window)
    dark = window.lightness() < 128
    bar = window.lighter(135) if dark else window.darker(112)
    edge = window.lighter(170) if dark else window.darker(135)
    image = QImage(
        content.width() + 2, content.height() + TITLE_BAR + 1, QImage.Format.Format_RGB32
    )
    image.fill(edge)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    painter.fillRect(QRect(1, 1, content.width(), TITLE_BAR - 1), bar)
    icon = widget.windowIcon()
    if not icon.isNull():
        painter.drawPixmap(QRect(10, 5, 20, 20), icon.pixmap(40, 40))
    font = QFont(widget.font())
    font.setWeight(QFont.Weight.DemiBold)
    painter.setFont(font)
    painter.setPen(palette.color(QPalette.ColorRole.WindowText))
    painter.drawText(
        QRect(0, 0, image.width(), TITLE_BAR), Qt.AlignmentFlag.AlignCenter, widget.windowTitle()
    )
    painter.drawPixmap(QPoint(1, TITLE_BAR), content)
    painter.end()
    return image


class Shooter:
    def __init__(self, out: Path, theme: str, prefix: str = "") -> None:
        self.out = out
        self.theme = theme
        self.prefix = prefix
        self.saved: list[Path] = []

    async def save(
        self, name: str, widget: QWidget, decorate: Callable[[QImage], QImage] | None = None
    ) -> None:
        """`decorate`: draws more on the framed picture (a popup over the window)."""
        # Let queued updates (model flushes, layouts) run; never processEvents() in a
        # coroutine under qasync: it re-enters the loop.
        await asyncio.sleep(0.1)
        path = self.out / f"{self.prefix}{name}-{self.theme}.png"
        image = framed(widget)
        if decorate is not None:
            image = decorate(image)
        if not image.save(str(path), "PNG", 0):
            raise ShotError(f"could not write {path}")
        self.saved.append(path)


def outgoing_marks(controller: ChatController) -> list[Mark | None]:
    model = controller.messages
    return [
        model.index(row).data(int(MessageRole.MARK))
        for row in range(model.rowCount())
        if model.index(row).data(int(MessageRole.OUTGOING))
    ]


def mark_of(controller: ChatController, msg_id: str) -> Mark | None:
    row = controller.messages.row_of(msg_id)
    if row is None:
        return None
    return controller.messages.index(row).data(int(MessageRole.MARK))


def last_outgoing_id(controller: ChatController, text: str) -> str:
    for message in reversed(controller.messages.messages()):
        if message.body.content == text and message.from_ == controller.me:
            return message.msg_id
    raise ShotError(f"the message {text!r} did not appear in the chat")


async def type_and_send(controller: ChatController, text: str, ask_receipts: bool = False) -> str:
    """Type into the real composer and press Send; returns the new message's id."""
    view = controller.chat_view
    if ask_receipts:
        if not view.ask_receipts.isVisible():
            raise ShotError("the 'Ask for read receipts' switch is not shown to the group owner")
        view.ask_receipts.setChecked(True)
    view.composer.setPlainText(text)
    view.send_button.click()
    await until(
        f"{text!r} to appear",
        lambda: any(
            m.body.content == text and m.from_ == controller.me
            for m in controller.messages.messages()
        ),
    )
    return last_outgoing_id(controller, text)


async def send_as(client: ChatClient, to: str, text: str, group: bool = False) -> None:
    kind = ChatType.GROUP_CHAT if group else ChatType.CHAT
    await client.chat_manager.send_message(ChatMessage.text(to, text, kind))


def member(world: DemoWorld, name: str) -> ChatClient:
    return next(m.client for m in world.members if m.client.username == name)


def unread_rows(controller: ChatController) -> dict[str, int]:
    model = controller.conversations
    rows = {}
    for row in range(model.rowCount()):
        index = model.index(row)
        rows[index.data(int(ConversationRole.CONVERSATION_ID))] = int(
            index.data(int(ConversationRole.UNREAD)) or 0
        )
    return rows


def use_language(language: str) -> None:
    """Install `language` for the windows made from now on, and drop the painters'
    cached texts ("Today", "Today 14:39") of the language before."""
    install_translations(language)
    forget_translated_texts()


def translated(context: str, text: str, count: int = -1, comment: str | None = None) -> str:
    """`text` as the UI shows it in the language installed now (English: itself)."""
    return QCoreApplication.translate(context, text, comment, count)


async def run_pass(
    app: QApplication, theme: str, out: Path, root: Path, language: str = "en"
) -> list[Path]:
    """One palette's pictures. In "zh_CN" only the first four are shot, as zh-*.png."""
    apply_theme(app, theme)
    chinese = language == "zh_CN"
    shots = Shooter(out, theme, "zh-" if chinese else "")
    world = DemoWorld(
        root / f"{language}-{theme}",
        seed=SEED,
        delays=DELAYS,
        server_options={**UPLOAD_RATE, "clock": CLOCK},
    )
    controller: ChatController | None = None
    try:
        await world.start()
        # The group members read only when this script says so, for pictures that
        # are the same every run; li.wei keeps the simulation and answers by herself.
        for simulated in world.members:
            if simulated.client.username != CHINESE_CONTACT:
                simulated.client.chat_manager.remove_event_handler("simulation")
        frank = member(world, TICKS_CONTACT)
        carol, dave, erin, grace = (member(world, n) for n in ("carol", "dave", "erin", "grace"))

        controller = make_controller(world.people["alice"], AppSettings())
        window = controller.window
        window.resize(*WINDOW_SIZE)
        window.show()
        window.activateWindow()
        await until("alice's window to be active", window.isActiveWindow)

        # -- the conversation list: real messages alice has not read yet
        await send_as(carol, "alice", "The venue confirmed the projector.")
        await send_as(carol, "alice", "Do we need a second microphone?")
        await send_as(dave, "alice", "Slides v3 are in the shared folder.")
        group = world.group_id
        await send_as(grace, group, "Morning all! Catering is booked for 30.", group=True)
        await send_as(dave, group, "I'll bring the banners.", group=True)
        await send_as(carol, group, "Rehearsal on Thursday at 16:00?", group=True)
        await send_as(erin, "alice", "Could you send me the final agenda?")
        await until(
            "six chats with unread messages",
            lambda: sum(1 for n in unread_rows(controller).values() if n) >= 6,
        )
        controller.open_conversation("erin")
        reply = await type_and_send(
            controller, "Sure! It's attached to the invite; I'll resend it."
        )
        await until(
            "erin to get the reply", lambda: erin.chat_manager.get_message(reply) is not None
        )
        await erin.chat_manager.send_conversation_read_ack("alice")
        await until("erin to read alice's reply", lambda: outgoing_marks(controller) == [Mark.READ])
        await until(
            "the erin chat to be read and 4 others unread",
            lambda: (
                unread_rows(controller).get("erin") == 0
                and sum(1 for n in unread_rows(controller).values() if n) >= 4
            ),
        )
        total = controller.conversations.total_unread()
        title = translated(
            "MainWindow", "desktop_chat — {name} (%n)", total, "window title: unread count"
        ).format(name="alice")
        if window.windowTitle() != title:
            raise ShotError(f"the window title {window.windowTitle()!r} lacks the total {total}")
        window.statusBar().clearMessage()
        await shots.save("conversations", window)

        # -- the announcement, part way read
        controller.open_conversation(group)
        await until("the group's messages to be read", lambda: unread_rows(controller)[group] == 0)
        notice_id = await type_and_send(
            controller, "Launch moved to Friday 10:00. Please confirm you have read this.", True
        )
        for name, note in READERS:
            reader = member(world, name)
            await until(
                f"{name} to get the announcement",
                lambda r=reader: r.chat_manager.get_message(notice_id) is not None,
            )
            await reader.chat_manager.send_group_message_read_ack(notice_id, group, note)
            await asyncio.sleep(0.1)
        await until(
            f"{len(READERS)} read acks to reach alice",
            lambda: (
                controller.client.chat_manager.get_message(notice_id).group_ack_count
                >= len(READERS)
            ),
        )
        await asyncio.sleep(0.2)  # the model shows the last ack
        row = controller.messages.index(controller.messages.row_of(notice_id))
        read = row.data(int(MessageRole.GROUP_ACK_COUNT))
        members = row.data(int(MessageRole.GROUP_MEMBER_COUNT)) or 0
        if not (members > 1 and 1 <= read <= members - 1):
            raise ShotError(f"'Read n/m' should be part way when shot, but it is {read}/{members}")
        window.statusBar().clearMessage()
        await shots.save("group-read-count", window)

        # -- who read it, opened as a person would: the Read n/m click path
        controller.open_read_by(notice_id)
        view = controller.read_by_views.get(notice_id)
        if view is None:
            raise ShotError("the read-by view did not open")
        await until(
            "the read-by view to fill",
            lambda: len(view.read_names()) == read and len(view.unread_names()) == members - read,
        )
        header = fill(translated("ReadByDialog", "Read by %1 of %2"), read, members)
        if view.header_text() != header:
            raise ShotError(f"the read-by header says {view.header_text()!r}")
        await shots.save("read-by", view)
        if chinese:
            view.close()
            window.activateWindow()
            await until("alice's window to be active again", window.isActiveWindow)
            await shoot_chinese_chat(controller, shots)
            await shoot_announcements(controller, world, shots, until, type_and_send)
            await shoot_sign_in_shared(shots)
            return shots.saved
        tabs = view.findChild(QTabWidget, "tabs")
        if tabs is None:
            raise ShotError("the read-by view has no 'Not read yet' tab")
        tabs.setCurrentIndex(1)
        await shots.save("read-by-unread", view)
        await shoot_sign_in_shared(shots)
        view.close()
        window.activateWindow()  # back to the main window, as after closing a dialog
        await until("alice's window to be active again", window.isActiveWindow)

        await shoot_chinese_chat(controller, shots)
        await shoot_announcements(controller, world, shots, until, type_and_send)

        # -- the "N unread messages" line: carol wrote more while another chat was open
        controller.open_conversation("carol")
        await until("carol's chat to be read", lambda: unread_rows(controller)["carol"] == 0)
        controller.open_conversation("li.wei")
        for text in (
            "Found one: the venue lends a handheld.",
            "It needs AA batteries, though.",
            "I can pick some up on the way.",
        ):
            await send_as(carol, "alice", text)
        await until("3 unread from carol", lambda: unread_rows(controller)["carol"] == 3)
        controller.open_conversation("carol")
        banner = [
            controller.messages.index(r).data(int(MessageRole.BANNER))
            for r in range(controller.messages.rowCount())
        ]
        line = translated("MessageListModel", "%n unread messages", 3)
        if line not in banner:
            raise ShotError(f"no {line!r} line in carol's chat: {banner}")
        window.statusBar().clearMessage()
        await shots.save("chat-unread-line", window)

        # -- a reply, chosen from the message's menu as a right click does
        await until("carol's chat to be read", lambda: unread_rows(controller)["carol"] == 0)
        question = next(
            m for m in controller.messages.messages() if "second microphone" in m.body.content
        )
        menu = controller.open_message_menu(question.msg_id, window.mapToGlobal(QPoint(400, 300)))
        if menu is None or translated("MessageMenu", "Reply") not in menu.labels():
            raise ShotError("the message menu offers no Reply")
        menu.choose(MenuChoice.REPLY)
        reply_id = await type_and_send(controller, "Yes, a second microphone for the Q&A, please.")
        row = controller.messages.index(controller.messages.row_of(reply_id))
        if row.data(int(MessageRole.REPLY_SENDER)) != "carol":
            raise ShotError("the reply does not quote carol")
        await until("carol to get the reply", lambda: carol.chat_manager.get_message(reply_id))
        window.statusBar().clearMessage()
        await shots.save("chat-reply", window)

        # -- pictures and files, with dave
        if "files" not in SKIP:
            await shoot_files(controller, member(world, "dave"), shots, until, root)

        # -- message search, as Ctrl+Shift+F opens it
        search = controller.open_message_search()
        search.resize(560, 420)
        search.search_now("microphone")
        if len(search.found()) < 2:
            raise ShotError(f"search found {len(search.found())} messages, not 2")
        await shots.save("message-search", search)
        search.close()
        window.activateWindow()
        await until("alice's window to be active again", window.isActiveWindow)

        # -- every tick, with frank
        await send_as(frank, "alice", "Hi Alice, are we still on for Friday?")
        await until("frank's message", lambda: "frank" in unread_rows(controller))
        controller.open_conversation(TICKS_CONTACT)
        first = await type_and_send(controller, "Yes! 10:00 in the big meeting room.")
        await until("✓✓ on the first message", lambda: mark_of(controller, first) is Mark.DELIVERED)
        await frank.chat_manager.send_conversation_read_ack("alice")
        await until("frank to read it (blue ✓✓)", lambda: mark_of(controller, first) is Mark.READ)
        await send_as(frank, "alice", "Perfect, see you there.")
        await until("frank's answer", lambda: unread_rows(controller).get("frank") == 0)
        delivered = await type_and_send(controller, "I'll bring the demo laptop.")
        await until("✓✓ (delivered)", lambda: mark_of(controller, delivered) is Mark.DELIVERED)
        await frank.close()  # frank goes offline
        sent = await type_and_send(controller, "Can you print the handouts?")
        await until("✓ (sent)", lambda: mark_of(controller, sent) is Mark.SENT)

        controller.start_chat(UNKNOWN_CONTACT)
        failed = await type_and_send(controller, "Hi Frank, is this your new account?")
        await until("the red ! (failed)", lambda: mark_of(controller, failed) is Mark.FAILED)
        await asyncio.sleep(0.1)
        await shots.save("chat-failed", window)

        controller.open_conversation(TICKS_CONTACT)
        assert world.server is not None
        await asyncio.to_thread(world.server.stop)  # the network goes away
        await until("alice to notice she is offline", lambda: not controller.client.is_connected)
        pending = await type_and_send(controller, "Thanks!")
        await asyncio.sleep(0.3)
        if mark_of(controller, pending) is not Mark.PENDING:
            raise ShotError("the message sent while offline is not pending")
        marks = {mark_of(controller, i) for i in (first, delivered, sent, pending)}
        if marks != {Mark.READ, Mark.DELIVERED, Mark.SENT, Mark.PENDING}:
            raise ShotError(f"the ticks chat should show every state, but shows {marks}")
        window.statusBar().clearMessage()
        await shots.save("chat-ticks", window)
    finally:
        if controller is not None:
            await controller.shutdown()
        await world.stop()
    return shots.saved


async def shoot_sign_in_shared(shots: Shooter) -> None:
    """The sign-in window with this computer's server shared: what others type."""
    dialog = LoginDialog()
    dialog.set_values("", "alice", shared=True)
    code = security_code(hashlib.sha256(b"desktop_chat screenshots").hexdigest())
    dialog.show_sharing(["wss://192.168.1.5:40123"], code)
    dialog.show()
    await until("the sign-in window", dialog.isVisible)
    if "wss://192.168.1.5:40123" not in dialog.sharing_text():
        raise ShotError("the sign-in window does not show the address for others")
    await shots.save("sign-in-shared", dialog)
    dialog.close()


async def shoot_chinese_chat(controller: ChatController, shots: Shooter) -> None:
    """A chat in Chinese with li.wei, who reads and answers ("chat-chinese", zh: "chat")."""
    window = controller.window
    controller.open_conversation("li.wei")
    for text in ("收到，谢谢！资料我下午看一下。", "明天上午十点开会，可以吗？"):
        sent_id = await type_and_send(controller, text)
        await until("li.wei to read it", lambda i=sent_id: mark_of(controller, i) is Mark.READ)
        count = controller.messages.rowCount()
        await until("li.wei's answer", lambda c=count: controller.messages.rowCount() > c)
    await until("li.wei's chat to be read", lambda: unread_rows(controller)["li.wei"] == 0)
    window.statusBar().clearMessage()
    await shots.save("chat" if shots.prefix else "chat-chinese", window)


def quiet_qt_messages() -> None:
    def handler(kind: QtMsgType, _context: object, message: str) -> None:
        if "propagateSizeHints" in message or "support raise()" in message:
            return
        if kind != QtMsgType.QtDebugMsg:
            print(f"qt: {message}", file=sys.stderr)

    qInstallMessageHandler(handler)


def quiet_closed_clients(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """Leave out the "never retrieved" CLIENT_CLOSED of a send still waiting at shutdown."""
    error = context.get("exception")
    if isinstance(error, ChatError) and error.code is ChatErrorCode.CLIENT_CLOSED:
        return
    loop.default_exception_handler(context)


async def main(out: Path) -> list[Path]:
    asyncio.get_running_loop().set_exception_handler(quiet_closed_clients)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    check_fonts()
    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="desktop-chat-shots-") as tmp:
        use_language("en")
        for theme in ("light", "dark"):
            saved += await run_pass(app, theme, out, Path(tmp))
        for theme in ("light", "dark"):
            use_language("zh_CN")  # before the window is made: it keeps its text
            try:
                saved += await run_pass(app, theme, out, Path(tmp), "zh_CN")
            finally:
                use_language("en")
    return saved


def cli() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument(
        "--skip",
        action="append",
        choices=["files"],
        default=[],
        help="leave out a group of pictures (files: chat-image, chat-file-upload, image-viewer)",
    )
    args = parser.parse_args()
    SKIP.update(args.skip)
    quiet_qt_messages()
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    QPixmap.defaultDepth()  # the platform is up before any widget exists
    started = time.monotonic()

    def give_up() -> None:  # the last resort if shutting down itself hangs
        print(f"screenshots: FAILED: still running after {TIME_LIMIT + 5:.0f} s", file=sys.stderr)
        os._exit(1)

    watchdog = threading.Timer(TIME_LIMIT + 5, give_up)
    watchdog.daemon = True
    watchdog.start()
    try:
        saved = qasync.run(asyncio.wait_for(main(args.out), TIME_LIMIT))
    except ShotError as error:
        print(f"screenshots: FAILED: {error}", file=sys.stderr)
        return 1
    except TimeoutError:
        print(f"screenshots: FAILED: not done within {TIME_LIMIT:.0f} s", file=sys.stderr)
        return 1
    watchdog.cancel()
    for path in saved:
        print(f"{path}  {path.stat().st_size // 1024} KB")
    print(f"screenshots: {len(saved)} pictures in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(cli())
