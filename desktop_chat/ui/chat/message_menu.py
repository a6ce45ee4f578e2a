"""The context menu of one message: what a person may do to it.

Owns: `MenuChoice` (the entries), their words (`LABELS`, `TIPS`: English source
texts of the "MessageMenu" context, shown translated) and `MessageMenu`, a
`QMenu` listing the choices it is given, in a fixed order with their shortcuts' words, and emitting
`chosen(msg_id, choice)`. It opens with `popup()` (never a blocking `exec()`).

Never: decide which choices a message allows (the controller's `message_actions`
does, from the message and the server's limits), or talk to the client.
"""

from __future__ import annotations

import enum

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Signal
from PySide6.QtWidgets import QMenu, QWidget


class MenuChoice(enum.StrEnum):
    OPEN = "open"  # a file or picture on this computer
    SHOW_IN_FOLDER = "show_in_folder"
    SAVE = "save"  # a file not on this computer yet: to the download folder
    COPY = "copy"
    REPLY = "reply"
    EDIT = "edit"
    PIN = "pin"  # owners and admins: at the top of the group for everyone
    UNPIN = "unpin"
    RECALL = "recall"
    DELETE = "delete"
    INFO = "info"


# The English source texts (context "MessageMenu"); the menu shows them translated.
LABELS = {
    MenuChoice.OPEN: str(QT_TRANSLATE_NOOP("MessageMenu", "Open")),
    MenuChoice.SHOW_IN_FOLDER: str(QT_TRANSLATE_NOOP("MessageMenu", "Show in folder")),
    MenuChoice.SAVE: str(QT_TRANSLATE_NOOP("MessageMenu", "Save to Downloads")),
    MenuChoice.COPY: str(QT_TRANSLATE_NOOP("MessageMenu", "Copy")),
    MenuChoice.REPLY: str(QT_TRANSLATE_NOOP("MessageMenu", "Reply")),
    MenuChoice.EDIT: str(QT_TRANSLATE_NOOP("MessageMenu", "Edit")),
    MenuChoice.PIN: str(QT_TRANSLATE_NOOP("MessageMenu", "Pin")),
    MenuChoice.UNPIN: str(QT_TRANSLATE_NOOP("MessageMenu", "Unpin")),
    MenuChoice.RECALL: str(QT_TRANSLATE_NOOP("MessageMenu", "Recall")),
    MenuChoice.DELETE: str(QT_TRANSLATE_NOOP("MessageMenu", "Delete for me…")),
    MenuChoice.INFO: str(QT_TRANSLATE_NOOP("MessageMenu", "Info")),
}
TIPS = {
    MenuChoice.PIN: str(
        QT_TRANSLATE_NOOP("MessageMenu", "Show it at the top of the group for every member")
    ),
    MenuChoice.UNPIN: str(QT_TRANSLATE_NOOP("MessageMenu", "Take it off the top of the group")),
    MenuChoice.RECALL: str(
        QT_TRANSLATE_NOOP("MessageMenu", "Take it back for everyone (within 2 minutes of sending)")
    ),
    MenuChoice.DELETE: str(QT_TRANSLATE_NOOP("MessageMenu", "Remove it from this computer only")),
}


def _translated(text: str) -> str:
    return QCoreApplication.translate("MessageMenu", text) if text else ""


class MessageMenu(QMenu):
    chosen = Signal(str, str)  # msg_id, MenuChoice

    def __init__(self, msg_id: str, choices: list[MenuChoice], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("messageMenu")
        self.setToolTipsVisible(True)
        self.msg_id = msg_id
        for choice in MenuChoice:
            if choice not in choices:
                continue
            if choice is MenuChoice.COPY and self.actions():
                self.addSeparator()  # a file's own entries first
            if choice is MenuChoice.DELETE and self.actions():
                self.addSeparator()
            action = self.addAction(_translated(LABELS[choice]))
            action.setObjectName(choice.value)
            action.setToolTip(_translated(TIPS.get(choice, "")))
            action.triggered.connect(lambda _=False, c=choice: self.chosen.emit(self.msg_id, c))

    def labels(self) -> list[str]:
        return [a.text() for a in self.actions() if not a.isSeparator()]

    def choose(self, choice: MenuChoice) -> None:
        """What clicking the entry does (tests, and the keyboard)."""
        for action in self.actions():
            if action.objectName() == choice.value:
                action.trigger()
                self.close()
                return
        raise LookupError(f"{choice} is not offered")
