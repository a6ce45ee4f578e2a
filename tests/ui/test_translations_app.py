"""The real app in Chinese and in English: what is on screen, and that none of it
is cut off.

The app (`AppSession`, through app_driver) starts on a data dir whose settings
say `language`, signs in through the real sign-in dialog, opens a group with a
message that asks for read receipts, and opens New chat, New group, Settings and
the read-by view. Under zh_CN every text on screen (titles, labels, buttons,
group boxes, placeholders, menus) is Chinese except names and messages people
typed; in both languages every visible label and button is at least as large as
its text needs at the default window and dialog sizes.
"""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from app_driver import App, until
from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import (
    QAbstractButton,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QToolButton,
    QWidget,
)

from desktop_chat.client import ChatMessage, ChatType
from desktop_chat.ui.i18n import install_translations

CJK = re.compile(r"[\u4e00-\u9fff]")
# Not words to translate: key names, the app's name, addresses, a time.
NOT_WORDS = re.compile(r"desktop_chat|CSV|Ctrl|Shift|Enter|Alt|Esc|PgUp|PgDown|ws://\S+|wss://\S+")
GROUP = "发布小组"
NOTICE = "周五上线，请确认。"


def texts(top: QWidget) -> list[str]:
    """The UI's words on `top` as a person sees them now."""
    found = [top.windowTitle()]
    for widget in top.findChildren(QWidget):
        if not widget.isVisibleTo(top):
            continue
        if isinstance(widget, QToolButton) and (
            widget.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly
        ):
            found.append(widget.accessibleName() or widget.toolTip())
        elif isinstance(widget, QLabel | QAbstractButton):
            found.append(widget.text())
        elif isinstance(widget, QGroupBox):
            found.append(widget.title())
        elif isinstance(widget, QLineEdit | QPlainTextEdit):
            found.append(widget.placeholderText())
    menu_bar = getattr(top, "menuBar", None)
    if menu_bar is not None:
        for menu_action in menu_bar().actions():
            found.append(menu_action.text())
            found.extend(a.text() for a in menu_action.menu().actions())
    return [text for text in found if text]


def _without(text: str, content: list[str]) -> str:
    """`text` less markup and what people typed (names, the group, the message)."""
    text = re.sub(r"<[^>]+>", "", text)
    for typed in sorted(content, key=len, reverse=True):
        text = text.replace(typed, "")
    return text


def english_left(text: str, content: list[str]) -> bool:
    return bool(re.search(r"[A-Za-z]{2,}", NOT_WORDS.sub("", _without(text, content))))


def cut_off(top: QWidget) -> list[str]:
    """Visible labels and buttons smaller than their text needs."""
    bad = []
    for widget in top.findChildren(QWidget):
        if not isinstance(widget, QLabel | QAbstractButton) or not widget.isVisibleTo(top):
            continue
        text = widget.text()
        if not text or (
            isinstance(widget, QToolButton)
            and widget.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly
        ):
            continue  # an icon-only button: its text is its accessible name, not shown
        if isinstance(widget, QLabel):
            if widget.wordWrap():
                need_h = widget.heightForWidth(widget.contentsRect().width())
                if widget.contentsRect().height() < need_h:
                    bad.append(f"{text!r}: {widget.height()} px high, needs {need_h}")
                continue
            need = widget.minimumSizeHint()
            if not GuiQt.mightBeRichText(text):
                metrics = widget.fontMetrics()
                widest = max(metrics.horizontalAdvance(line) for line in text.split("\n"))
                if widget.contentsRect().width() < widest:
                    bad.append(f"{text!r}: {widget.contentsRect().width()} px, needs {widest}")
                    continue
        else:
            need = widget.sizeHint()
        if widget.width() < need.width() or widget.height() < need.height():
            bad.append(f"{text!r}: {widget.width()}x{widget.height()}, needs {need.toTuple()}")
    return bad


async def settle(*widgets: QWidget) -> None:
    for widget in widgets:
        await until(widget.isVisible, what=f"{type(widget).__name__} shown")
    # Layouts settle while the loop runs (never a nested processEvents() inside one of
    # qasync's timer callbacks: a task scheduled meanwhile was then never started).
    for _ in range(3):
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_the_app_speaks_the_chosen_language_and_nothing_is_cut_off(
    qt_loop, clients, tmp_path, language
):
    data_dir = tmp_path / "pc"
    data_dir.mkdir()
    (data_dir / "settings.json").write_text(json.dumps({"language": language}))
    content = ["alice", "bob", "carol", GROUP, NOTICE]
    screens: dict[str, QWidget] = {}

    async def scenario():
        await clients.harness.start()
        bob = await clients.login("bob")
        app = await App(data_dir, clients.harness.url).start()
        login = app.session.login_dialog
        await settle(login)
        screens["sign-in"] = login
        problems = {"sign-in": cut_off(login)}
        login_texts = texts(login)
        await app.sign_in("alice", register=True)
        controller = app.controller
        group = await controller.create_group(GROUP, ["bob"], "admins")
        notice = ChatMessage.text(group.group_id, NOTICE, ChatType.GROUP_CHAT)
        notice.need_group_ack = True
        notice = await controller.client.chat_manager.send_message(notice)
        await settle(app.window)
        shown = {"sign-in": login_texts, "main window": texts(app.window)}
        problems["main window"] = cut_off(app.window)
        for name, opener in (
            ("new chat", app.session.open_new_chat),
            ("new group", app.session.open_new_group),
            ("settings", app.session.open_settings),
        ):
            opener()
            dialog = app.session._dialogs[-1]
            await settle(dialog)
            shown[name], problems[name] = texts(dialog), cut_off(dialog)
            dialog.reject()
        controller.open_read_by(notice.msg_id)
        view = controller.read_by_views[notice.msg_id]
        await settle(view)
        await asyncio.sleep(0.3)  # who read it arrives from the server
        shown["read-by"], problems["read-by"] = texts(view), cut_off(view)
        view.reject()
        await app.close()
        await bob.close()
        await clients.aclose_for_test()
        return shown, problems

    try:
        shown, problems = qt_loop.run_until_complete(asyncio.wait_for(scenario(), 90))
    finally:
        install_translations("")
    assert not any(problems.values()), f"cut off in {language}: {problems}"
    for name, words in shown.items():
        assert words, f"nothing read from the {name}"
        if language == "zh_CN":
            english = [w for w in words if english_left(w, content)]
            assert not english, f"English left in the {name}: {english}"
            assert any(CJK.search(w) for w in words), f"no Chinese in the {name}: {words}"
        else:
            chinese = [w for w in words if CJK.search(_without(w, content))]
            assert not chinese, f"Chinese in the English {name}: {chinese}"
