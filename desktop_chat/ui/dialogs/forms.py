"""The app's small dialogs: sign-in, new chat and new group.

Owns: `LoginDialog`, `NewChatDialog`, `NewGroupDialog`, and the form parts
(`ErrorLabel`, `hint_label`, `title_label`). The local checks they run before
asking for anything (`username_problem`, `parse_members`, ...) live in
`dialogs/form_checks.py` and are re-exported here. Every string is translatable.

Each dialog takes plain values and emits a signal with plain values; a
controller wires it to the client. Use them without blocking: `open()` and the
signals, never `exec()` (a nested loop inside a qasync coroutine stalls it).

Never: import or call the client, touch the network or the disk, or emit a
request that failed the local checks. The settings dialog lives in
`dialogs/settings.py`, the read-by view in `ui/read_by/`, group info in `ui/group_info/`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.ui.dialogs.form_checks import (  # re-exported: the forms' checks
    MAX_GROUP_NAME,
    MAX_PASSWORD,
    MIN_PASSWORD,
    USERNAME_RULE,
    parse_members,
    server_url_problem,
    username_problem,
    username_rule,
)

__all__ = [  # the checks' old home: other modules import them from here
    "MAX_GROUP_NAME",
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "USERNAME_RULE",
    "parse_members",
    "server_url_problem",
    "username_problem",
    "username_rule",
]


class ErrorLabel(QLabel):
    """A red line under a form: hidden while empty, selectable so it can be copied."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("error")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        self.setStyleSheet(f"color: {'#f28b82' if dark else '#c5221f'};")
        self.hide()

    def show_text(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))

    def clear_text(self) -> None:
        self.show_text("")


def hint_label(text: str, parent: QWidget | None = None) -> QLabel:
    """A small, dimmer line that explains the control above it."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 0.9)
    label.setFont(font)
    palette = label.palette()
    palette.setColor(
        QPalette.ColorRole.WindowText, palette.color(QPalette.ColorRole.PlaceholderText)
    )
    label.setPalette(palette)
    return label


def title_label(text: str, parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.35)
    font.setWeight(QFont.Weight.DemiBold)
    label.setFont(font)
    return label


class _RequestDialog(QDialog):
    """A form that asks the controller for something and waits for the answer.

    While busy its inputs are disabled; `show_error` ends the busy state and shows
    a red line that goes away as soon as the person edits anything.
    """

    def __init__(self, parent: QWidget | None, busy_text: str) -> None:
        super().__init__(parent)
        self._busy = False
        self._busy_text = busy_text
        self._inputs: list[QWidget] = []
        self._error = ErrorLabel(self)
        self._status = hint_label("", self)
        self._status.setObjectName("status")
        self._status.hide()

    def set_busy(self, busy: bool, text: str | None = None) -> None:
        """Disable the form while a request runs, and say what is happening."""
        self._busy = busy
        for widget in self._inputs:
            widget.setEnabled(not busy)
        if busy:
            self._error.clear_text()
        self._status.setText(text or self._busy_text)
        self._status.setVisible(busy)

    def is_busy(self) -> bool:
        return self._busy

    def show_error(self, text: str) -> None:
        """Show what went wrong (and what to do next); the form becomes usable again."""
        self.set_busy(False)
        self._error.show_text(text)

    def error_text(self) -> str:
        """The error shown now, or "" when none is."""
        return self._error.text() if not self._error.isHidden() else ""

    def _watch(self, *widgets: QWidget) -> None:
        """Register inputs: disabled while busy, and editing one clears the error."""
        for widget in widgets:
            self._inputs.append(widget)
            if isinstance(widget, QLineEdit):
                widget.textEdited.connect(self._error.clear_text)
            elif isinstance(widget, QPlainTextEdit):
                widget.textChanged.connect(self._error.clear_text)

    def _refuse(self, text: str, field: QWidget | None = None) -> None:
        self._error.show_text(text)
        if field is not None:
            field.setFocus()
            if isinstance(field, QLineEdit):
                field.selectAll()


class NewChatDialog(_RequestDialog):
    """Start a one-to-one chat: emits `chat_requested(username)`.

    Pass `own_username` so the dialog can refuse a chat with yourself. The dialog
    stays open: the controller checks that the account exists, then calls
    `accept()` or `show_error(text)`.
    """

    chat_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, own_username: str = "") -> None:
        super().__init__(parent, self.tr("Opening the chat…"))
        self._own_username = own_username
        self.setWindowTitle(self.tr("New chat"))
        self.setMinimumWidth(380)

        self._username = QLineEdit()
        self._username.setObjectName("username")
        self._username.setPlaceholderText(self.tr("Username, for example alice"))
        self._username.setMaxLength(32)
        self._username.setAccessibleName(self.tr("Username to message"))
        self._start = QPushButton(self.tr("Start chat"))
        self._start.setObjectName("start")
        self._start.setDefault(True)
        self._start.clicked.connect(self._on_start)
        cancel = QPushButton(self.tr("Cancel"))
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        self._watch(self._username, self._start)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self._start)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 16)
        layout.setSpacing(10)
        layout.addWidget(QLabel(self.tr("Who do you want to message?")))
        layout.addWidget(self._username)
        layout.addWidget(self._error)
        layout.addWidget(self._status)
        layout.addSpacing(6)
        layout.addLayout(buttons)

    def _on_start(self) -> None:
        name = self._username.text().strip().removeprefix("@")
        if problem := username_problem(name):
            self._refuse(problem, self._username)
            return
        if name == self._own_username:
            self._refuse(self.tr("That's your own username. Enter someone else's."), self._username)
            return
        self.chat_requested.emit(name)


class NewGroupDialog(_RequestDialog):
    """Create a group: emits `group_requested(name, members, ack_policy)`.

    `ack_policy` is "admins" (only the owner and admins may ask for read
    receipts) or "all". The dialog stays open: the controller calls
    `set_busy(True)`, then `accept()` or `show_error(text)`.
    """

    group_requested = Signal(str, list, str)

    def __init__(self, parent: QWidget | None = None, *, own_username: str = "") -> None:
        super().__init__(parent, self.tr("Creating the group…"))
        self._own_username = own_username
        self.setWindowTitle(self.tr("New group"))
        self.setMinimumWidth(440)
        self._build_fields()
        policy_row = self._build_policy()
        cancel = self._build_actions()
        self._lay_out(policy_row, cancel)

    def _build_fields(self) -> None:
        """The group name and the members, with their count below."""
        self._name = QLineEdit()
        self._name.setObjectName("group_name")
        self._name.setPlaceholderText(self.tr("For example Release team"))
        self._name.setMaxLength(MAX_GROUP_NAME)
        self._members = QPlainTextEdit()
        self._members.setObjectName("members")
        self._members.setPlaceholderText(
            self.tr("alice, bob, carol\n(commas, spaces or new lines)")
        )
        self._members.setTabChangesFocus(True)
        self._members.setMinimumHeight(90)
        self._members.textChanged.connect(self._count_members)
        self._member_count = hint_label(self.tr("You are added automatically."))

    def _build_policy(self) -> QHBoxLayout:
        """Who may ask for read receipts: owner and admins, or everyone."""
        self._admins_only = QRadioButton(self.tr("Owner and admins"))
        self._admins_only.setObjectName("policy_admins")
        self._admins_only.setChecked(True)
        self._everyone = QRadioButton(self.tr("Everyone"))
        self._everyone.setObjectName("policy_all")
        policy = QButtonGroup(self)
        policy.addButton(self._admins_only)
        policy.addButton(self._everyone)
        policy_row = QHBoxLayout()
        policy_row.addWidget(self._admins_only)
        policy_row.addWidget(self._everyone)
        policy_row.addStretch(1)
        return policy_row

    def _build_actions(self) -> QPushButton:
        """Create group and Cancel (returned)."""
        self._create = QPushButton(self.tr("Create group"))
        self._create.setObjectName("create")
        self._create.setDefault(True)
        self._create.clicked.connect(self._on_create)
        cancel = QPushButton(self.tr("Cancel"))
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        self._watch(self._name, self._members, self._admins_only, self._everyone, self._create)
        return cancel

    def _lay_out(self, policy_row: QHBoxLayout, cancel: QPushButton) -> None:
        """The form, the error and status lines, then Cancel and Create group."""
        form = QFormLayout()
        form.setSpacing(10)
        form.addRow(self.tr("Group name:"), self._name)
        form.addRow(self.tr("Members:"), self._members)
        form.addRow("", self._member_count)
        form.addRow(self.tr("Who may ask for\nread receipts:"), policy_row)
        form.addRow(
            "",
            hint_label(
                self.tr("Members can always send read receipts; this decides who may ask for them.")
            ),
        )

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self._create)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 16)
        layout.setSpacing(10)
        layout.addLayout(form)
        layout.addWidget(self._error)
        layout.addWidget(self._status)
        layout.addSpacing(6)
        layout.addLayout(buttons)

    def _members_given(self) -> list[str]:
        members = parse_members(self._members.toPlainText())
        return [name for name in members if name != self._own_username]

    def _count_members(self) -> None:
        count = len(self._members_given())
        if count == 1:
            text = self.tr("1 member, plus you.")
        elif count:
            text = self.tr("%n members, plus you.", "", count)
        else:
            text = self.tr("You are added automatically.")
        self._member_count.setText(text)

    def _on_create(self) -> None:
        name = self._name.text().strip()
        if not name:
            self._refuse(self.tr("Give the group a name."), self._name)
            return
        members = self._members_given()
        invalid = [member for member in members if username_problem(member)]
        if invalid:
            shown = self.tr(", ", "between names in a list").join(
                self.tr("“{name}”").format(name=member) for member in invalid[:5]
            )
            if len(invalid) > 5:
                text = self.tr(
                    "Not a valid username: {names} and %n more. {rule}", "", len(invalid) - 5
                )
            else:
                text = self.tr("Not a valid username: {names}. {rule}")
            self._refuse(text.format(names=shown, rule=username_rule()), self._members)
            return
        policy = "all" if self._everyone.isChecked() else "admins"
        self.group_requested.emit(name, members, policy)
