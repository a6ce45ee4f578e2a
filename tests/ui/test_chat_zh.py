"""The chat view, the read-by view and group info in Chinese.

The committed `chat_zh_CN.ts` is compiled with the real `pyside6-lrelease`,
installed as a QTranslator, and the default locale is set to zh_CN, as the app
does under `LANG=zh_CN.UTF-8`; then the real widgets are built and what they
show is read back. Afterwards English and the default locale come back, and the
caches of translated painted texts are emptied, so later tests read English.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, Qt, QTranslator
from PySide6.QtWidgets import QAbstractButton, QLabel, QToolButton, QWidget

from desktop_chat.client import ChatMessage
from desktop_chat.client.models import (
    Group,
    GroupMessageAck,
    GroupRole,
    MessageDirection,
    TextMessageBody,
)
from desktop_chat.protocol import Mark
from desktop_chat.ui.chat.chat_view import ChatView
from desktop_chat.ui.chat.message_delegate import MessageDelegate, read_count_tooltip
from desktop_chat.ui.chat.message_layout import read_count_label
from desktop_chat.ui.chat.message_menu import MenuChoice, MessageMenu
from desktop_chat.ui.chat.message_model import MessageListModel
from desktop_chat.ui.group_info import GroupInfoDialog
from desktop_chat.ui.painting.common import day_label, fill, forget_translated_texts
from desktop_chat.ui.painting.roles import MessageRole
from desktop_chat.ui.read_by import ReadByDialog, format_read_time

TS = Path(__file__).parents[2] / "desktop_chat/resources/translations/chat_zh_CN.ts"
LRELEASE = Path(sys.executable).with_name("pyside6-lrelease")
HAN = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


@contextlib.contextmanager
def chinese(folder: Path) -> Iterator[None]:
    """The committed zh_CN translation installed and zh_CN the default locale, as
    the app sets them up under LANG=zh_CN.UTF-8; English and the locale after."""
    qm = folder / "chat_zh_CN.qm"
    subprocess.run([str(LRELEASE), str(TS), "-qm", str(qm)], check=True, capture_output=True)
    translator = QTranslator()
    assert translator.load(str(qm))
    before = QLocale()
    QCoreApplication.installTranslator(translator)
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    forget_translated_texts()
    try:
        yield
    finally:
        QCoreApplication.removeTranslator(translator)
        QLocale.setDefault(before)
        forget_translated_texts()


@pytest.fixture
def zh_cn(qapp, tmp_path):
    with chinese(tmp_path):
        yield


def shown(qtbot, widget: QWidget) -> QWidget:
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def shows_text(widget: QWidget) -> bool:
    """A label or button that paints its text (not an icon button such as a line
    edit's clear button, whose text only names it)."""
    if isinstance(widget, QToolButton) and not widget.icon().isNull():
        return False
    return isinstance(widget, QLabel | QAbstractButton) and bool(widget.text())


def visible_texts(root: QWidget) -> list[str]:
    """Every visible label's and button's text under `root`."""
    texts = []
    for widget in root.findChildren(QWidget):
        if widget.isVisibleTo(root) and shows_text(widget):
            texts.append(widget.text())
    return texts


def assert_nothing_cut(qtbot, root: QWidget) -> None:
    """No visible one-line label or button is narrower than its text needs, once the
    layouts have settled after the last text change."""
    qtbot.wait(20)
    for widget in root.findChildren(QLabel) + root.findChildren(QAbstractButton):
        if widget.isVisibleTo(root) and shows_text(widget) and not widget.property("wordWrap"):
            need = widget.minimumSizeHint().width()
            assert widget.width() >= need, f"{widget.text()!r} is cut: {widget.width()} < {need}"


def ack(name: str, at: int, note: str | None = None) -> GroupMessageAck:
    return GroupMessageAck("m1", f"a-{name}", name, note, 1, at)


def today_at(hour: int, minute: int, days_ago: int = 0) -> int:
    day = datetime.now().replace(hour=hour, minute=minute, second=0, microsecond=0)
    return int((day - timedelta(days=days_ago)).timestamp() * 1000)


def test_read_by_view_shows_chinese(zh_cn, qtbot) -> None:
    dialog = shown(qtbot, ReadByDialog("m1", "g1", "周五发布", 9))
    dialog.set_acks([ack("alice", today_at(10, 32)), ack("bob", today_at(9, 5), "收到")])
    dialog.set_unread(["carol", "dave"])
    assert dialog.windowTitle() == "已读详情"
    assert dialog.header_text() == "已读 2/9 人"
    assert dialog.tab_titles() == ("已读 (2)", "未读 (2)")
    texts = visible_texts(dialog)
    assert {"导出 CSV…", "提醒未读成员", "关闭"} <= set(texts)
    english = [text for text in texts if LATIN_WORD.search(text.replace("CSV", ""))]
    assert english == [], "English left in the read-by view"
    assert_nothing_cut(qtbot, dialog)
    dialog.show_reminded(["carol", "dave"])
    assert dialog.status_text() == "已提醒 2 位成员。"
    readers = dialog.findChild(QWidget, "tabs").widget(0).view.model()
    assert readers.index(0, 0).data(Qt.ItemDataRole.ToolTipRole).startswith("已读于 ")


def test_read_times_and_days_follow_the_locale(zh_cn) -> None:
    now = datetime(2024, 3, 12, 18, 0)  # a Tuesday

    def ms(*parts: int) -> int:
        return int(datetime(*parts).timestamp() * 1000)

    assert format_read_time(ms(2024, 3, 12, 10, 32), now) == "今天 10:32"
    assert format_read_time(ms(2024, 3, 11, 10, 32), now) == "昨天 10:32"
    assert format_read_time(ms(2024, 3, 10, 9, 7), now) == "周日 09:07"
    assert format_read_time(ms(2024, 1, 5, 9, 7), now) == "1月5日 09:07"
    assert format_read_time(ms(2023, 1, 5, 9, 7), now) == "2023年1月5日 09:07"
    assert day_label(ms(2024, 3, 12, 8), now) == "今天"
    assert day_label(ms(2024, 3, 3, 8), now) == "3月3日"
    assert day_label(ms(2023, 12, 31, 8), now) == "2023年12月31日"


def message(n: int, when: int, *, edited: bool = False, sent: bool = False) -> ChatMessage:
    return ChatMessage(
        msg_id=f"m{n:04d}",
        conversation_id="bob",
        from_="alice" if sent else "bob",
        to="bob" if sent else "alice",
        chat_type="chat",
        body=TextMessageBody(f"消息 {n}"),
        direction=MessageDirection.SEND if sent else MessageDirection.RECEIVE,
        server_time=when,
        mark=Mark.READ,
        edited_at=when + 60_000 if edited else None,
    )


def test_chat_view_shows_chinese(zh_cn, qtbot) -> None:
    model = MessageListModel()
    delegate = MessageDelegate()
    view = ChatView(model, delegate)
    view.resize(700, 500)
    shown(qtbot, view)
    history = [message(0, today_at(9, 0, days_ago=1)), message(1, today_at(8, 0), edited=True)]
    model.load("bob", lambda before, count: [m for m in history if before is None][-count:])
    model.set_unread_marker("m0001", 3)
    dates = [model.index(row).data(MessageRole.DATE) for row in range(model.rowCount())]
    assert dates == ["昨天", "今天"]
    assert model.index(1).data(MessageRole.BANNER) == "3 条未读消息"
    assert view.composer.placeholderText() == "输入消息…"
    assert view.send_button.text() == "发送"
    view.show_typing("bob")
    assert view.subtitle.text() == "bob 正在输入…"
    assert delegate.row_painter.EDITED == "已编辑"
    assert read_count_label(5, 9) == "已读 5/9"
    assert read_count_tooltip(5, 9) == "9 位成员中 5 人已读 — 点击查看详情"
    menu = MessageMenu("m0001", [MenuChoice.COPY, MenuChoice.REPLY, MenuChoice.RECALL])
    assert menu.labels() == ["复制", "引用", "撤回"]
    assert_nothing_cut(qtbot, view)


def test_group_info_shows_chinese(zh_cn, qtbot) -> None:
    members = {"olivia": GroupRole.OWNER, "adam": GroupRole.ADMIN, "mike": GroupRole.MEMBER}
    dialog = shown(
        qtbot, GroupInfoDialog(Group("g1", "发布组", "olivia", "admins", 3, members), "olivia")
    )
    texts = visible_texts(dialog)
    assert "3 位成员" in texts
    assert {"退出群聊", "关闭", "添加"} & set(texts)
    assert all(HAN.search(text) for text in texts if text not in ("发布组",)), texts
    assert_nothing_cut(qtbot, dialog)


def test_english_comes_back_after_chinese(qapp, tmp_path) -> None:
    """Texts painted on every row are cached once translated; leaving Chinese
    empties those caches, so nothing Chinese is left behind."""
    with chinese(tmp_path):
        assert read_count_label(5, 9) == "已读 5/9"
        assert format_read_time(today_at(10, 32)) == "今天 10:32"
        assert day_label(today_at(10, 32)) == "今天"
    assert read_count_label(5, 9) == "Read 5/9"
    assert format_read_time(today_at(10, 32)) == "Today 10:32"
    assert day_label(today_at(10, 32)) == "Today"


def test_fill_replaces_each_placeholder_once() -> None:
    assert fill("%1 回复 %2：", "bob %2", "carol") == "bob %2 回复 carol："
    assert fill("Read %1/%2", 5) == "Read 5/%2"
