"""The group info dialog: a group's name, its members and roles, and managing them.

Owns: `GroupInfoDialog`: the header (name, "N members"), who may ask for read
receipts, the "Add people" row, the selected member's "Make admin" / "Remove
from group", "Leave group", the busy and error lines, and the requests they
make. It holds the searchable member list (`member_list.GroupMemberList`) and
asks before removing someone or leaving (`confirm.Confirmation`). Which
actions a person sees comes from their role (`rules.Allowed`): actions the
role does not allow are hidden, not merely disabled.

Each request emits a signal and puts the dialog in its busy state; the
controller does the network call and answers with `set_group(group)` (also
used for a group_changed event) or `show_error(text)`.

Never: import or call the client, block in a nested event loop (`exec()`), or
emit a request that failed the local checks.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.client.models import Group, GroupRole
from desktop_chat.ui.accessible import name_clear_button
from desktop_chat.ui.dialogs.forms import ErrorLabel, hint_label, parse_members, title_label
from desktop_chat.ui.group_info.confirm import Confirmation
from desktop_chat.ui.group_info.member_list import GroupMemberList
from desktop_chat.ui.group_info.rules import (
    ACK_POLICIES,
    Allowed,
    add_refusal,
    admin_tip,
    policy_text,
    remove_tip,
)
from desktop_chat.ui.painting.common import fill


def _button(text: str, name: str, on_click: Callable[[], object]) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setAutoDefault(False)
    button.clicked.connect(on_click)
    return button


def _row(*widgets: QWidget, stretch_first: bool = False) -> QWidget:
    """The widgets side by side, 8 px apart, with no margins."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(8)
    for position, widget in enumerate(widgets):
        layout.addWidget(widget, 1 if stretch_first and position == 0 else 0)
    if not stretch_first:
        layout.addStretch(1)
    return row


class GroupInfoDialog(QDialog):
    """A group's members and roles, and the management the viewer's role allows.

    Signals (each puts the dialog in its busy state; answer with `set_group`
    or `show_error`):
    - `add_members_requested(group_id, names)`: valid usernames, none already in;
    - `remove_member_requested(group_id, name)`: after the person confirmed;
    - `set_admin_requested(group_id, name, make_admin)`;
    - `ack_policy_requested(group_id, policy)`: "admins" or "all";
    - `leave_requested(group_id)`: after the person confirmed.
    Non-modal: open it with `show()`.
    """

    add_members_requested = Signal(str, list)
    remove_member_requested = Signal(str, str)
    set_admin_requested = Signal(str, str, bool)
    ack_policy_requested = Signal(str, str)
    leave_requested = Signal(str)

    def __init__(self, group: Group, me: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._group = group
        self._me = me
        self._allowed = Allowed()
        self._busy = False
        self._pending_add: list[str] = []
        self._confirm = Confirmation(self)
        self.setModal(False)
        self.setMinimumSize(420, 520)
        self.resize(460, 640)

        self._build_header()
        settings = self._build_policy_settings()
        self._build_add_row()
        self._list = GroupMemberList()
        self._members = self._list.members
        self._list.changed.connect(self._update_member_actions)
        self._build_member_actions()
        self._error = ErrorLabel(self)
        self._status = hint_label("", self)
        self._status.setObjectName("status")
        self._status.hide()
        self._lay_out(settings, self._build_buttons())
        self.set_group(group)

    # --- building the dialog, top to bottom ----------------------------------------

    def _build_header(self) -> None:
        self._name = title_label("")
        self._name.setObjectName("group_name")
        self._name.setWordWrap(True)
        self._name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._count = hint_label("")
        self._count.setObjectName("member_count")

    def _build_policy_settings(self) -> QFrame:
        """Who may ask for read receipts: a choice for the owner, a plain text for others."""
        self._policy_combo = QComboBox()
        self._policy_combo.setObjectName("ack_policy")
        self._policy_combo.setAccessibleName(self.tr("Who may ask for read receipts"))
        for policy, _text in ACK_POLICIES:
            self._policy_combo.addItem(policy_text(policy), policy)
        self._policy_combo.activated.connect(self._on_policy_chosen)
        self._policy_label = QLabel()
        self._policy_label.setObjectName("ack_policy_text")
        policy_row = QHBoxLayout()
        policy_row.setSpacing(8)
        policy_row.addWidget(QLabel(self.tr("Who may ask for read receipts:")))
        policy_row.addWidget(self._policy_combo)
        policy_row.addWidget(self._policy_label)
        policy_row.addStretch(1)
        settings = QFrame()
        settings.setObjectName("settings")
        settings.setStyleSheet(
            "#settings { background: palette(alternate-base); border-radius: 6px; }"
        )
        settings_layout = QVBoxLayout(settings)
        settings_layout.setContentsMargins(12, 10, 12, 10)
        settings_layout.setSpacing(4)
        settings_layout.addLayout(policy_row)
        settings_layout.addWidget(
            hint_label(
                self.tr("Everyone can send read receipts; this decides who may ask for them.")
            )
        )
        return settings

    def _build_add_row(self) -> None:
        self._add_field = QLineEdit()
        self._add_field.setObjectName("add_members")
        self._add_field.setPlaceholderText(self.tr("Add people: alice, bob"))
        self._add_field.setClearButtonEnabled(True)
        self._add_field.setAccessibleName(self.tr("People to add"))
        name_clear_button(self._add_field)
        self._add_field.textEdited.connect(self._clear_error)
        self._add_field.returnPressed.connect(self._on_add)
        self._add_button = _button(self.tr("Add"), "add", self._on_add)
        self._add_row = _row(self._add_field, self._add_button, stretch_first=True)

    def _build_member_actions(self) -> None:
        self._admin_button = _button(self.tr("Make admin"), "toggle_admin", self._on_toggle_admin)
        self._remove_button = _button(self.tr("Remove from group"), "remove", self._on_remove)
        self._member_actions = _row(self._admin_button, self._remove_button)

    def _build_buttons(self) -> QHBoxLayout:
        self._leave_button = _button(self.tr("Leave group"), "leave", self._on_leave)
        close = _button(self.tr("Close"), "close", self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self._leave_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        return buttons

    def _lay_out(self, settings: QWidget, buttons: QLayout) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.setSpacing(10)
        layout.addWidget(self._name)
        layout.addWidget(self._count)
        layout.addSpacing(2)
        layout.addWidget(settings)
        layout.addSpacing(4)
        layout.addWidget(self._add_row)
        layout.addWidget(self._list, 1)
        layout.addWidget(self._member_actions)
        layout.addWidget(self._error)
        layout.addWidget(self._status)
        layout.addSpacing(2)
        layout.addLayout(buttons)

    # --- what the controller and tests read and set --------------------------------

    @property
    def group(self) -> Group:
        return self._group

    def member_names(self) -> list[str]:
        """The names as listed now: in order, after the search filter."""
        return self._list.names()

    def error_text(self) -> str:
        """The error shown now, or "" when none is."""
        return "" if self._error.isHidden() else self._error.text()

    def status_text(self) -> str:
        return "" if self._status.isHidden() else self._status.text()

    def is_busy(self) -> bool:
        return self._busy

    def set_group(self, group: Group) -> None:
        """Show `group` as it is now: header, policy, members and allowed actions.
        Ends the busy state; the add field empties once its names have joined."""
        self._group = group
        self._list.loading = group.members is None
        self.setWindowTitle(fill(self.tr("%1 · Group info"), group.name))
        self._name.setText(group.name)
        count = group.member_count
        if count == 1:
            self._count.setText(self.tr("%n member", "", count))
        else:
            self._count.setText(self.tr("%n members", "", count))
        self._show_policy(group.ack_policy)

        if group.members is not None:
            members = dict(group.members)
            members[group.owner] = GroupRole.OWNER
            self._list.set_members(members, self._me)
            if self._pending_add and all(name in members for name in self._pending_add):
                self._add_field.clear()
            self._pending_add = []

        role = group.role_of(self._me)
        self._show_allowed(Allowed.for_role(role))
        self.set_busy(False)
        if group.members is not None and role is None:
            self._status.setText(self.tr("You're no longer a member of this group."))
            self._status.show()
        self._list.update_page()

    def set_busy(self, busy: bool, text: str | None = None) -> None:
        """Disable the actions while a request runs, and say what is happening."""
        self._busy = busy
        for widget in (self._add_field, self._add_button, self._policy_combo, self._leave_button):
            widget.setEnabled(not busy)
        if busy:
            self._error.clear_text()
        self._status.setText(text or self.tr("Saving…"))
        self._status.setVisible(busy)
        self._update_member_actions()

    def show_error(self, text: str) -> None:
        """Show what went wrong (and what to do next); the actions work again."""
        self.set_busy(False)
        self._show_policy(self._group.ack_policy)
        self._error.show_text(text)

    def closeEvent(self, event) -> None:
        self._confirm.cancel()
        super().closeEvent(event)

    # --- keeping what shows in step -------------------------------------------------

    def _show_allowed(self, allowed: Allowed) -> None:
        """Show the actions `allowed` lets the viewer take; hide the others."""
        self._allowed = allowed
        self._policy_combo.setVisible(allowed.set_policy)
        self._policy_label.setVisible(not allowed.set_policy)
        self._add_row.setVisible(allowed.add)
        self._member_actions.setVisible(allowed.set_admins or allowed.remove_members)
        self._admin_button.setVisible(allowed.set_admins)
        self._remove_button.setVisible(allowed.remove_members)
        self._leave_button.setVisible(allowed.leave)

    def _show_policy(self, policy: str) -> None:
        index = self._policy_combo.findData(policy)
        self._policy_combo.setCurrentIndex(max(index, 0))
        self._policy_label.setText(policy_text(policy))

    def _update_member_actions(self) -> None:
        name = self._list.selected_name()
        role = self._members.role_of(name) if name else None
        idle = not self._busy
        self._admin_button.setText(
            self.tr("Remove admin") if role is GroupRole.ADMIN else self.tr("Make admin")
        )
        self._admin_button.setEnabled(idle and self._allowed.may_toggle_admin(role))
        self._admin_button.setToolTip(admin_tip(name, role))
        removable = self._allowed.may_remove(name, role, self._me)
        self._remove_button.setEnabled(idle and removable)
        self._remove_button.setToolTip(remove_tip(name, role, removable, self._group.name))

    def _clear_error(self) -> None:
        self._error.clear_text()

    # --- the requests ---------------------------------------------------------------

    def _refuse(self, text: str) -> None:
        self._error.show_text(text)
        self._add_field.setFocus()
        self._add_field.selectAll()

    def _on_add(self) -> None:
        if self._busy or not self._allowed.add:
            return
        names = parse_members(self._add_field.text())
        refusal = add_refusal(names, lambda name: self._members.role_of(name) is not None)
        if refusal:
            self._refuse(refusal)
            return
        new = [name for name in names if self._members.role_of(name) is None]
        self._pending_add = new
        if len(new) == 1:
            self.set_busy(True, self.tr("Adding %n member…", "", len(new)))
        else:
            self.set_busy(True, self.tr("Adding %n members…", "", len(new)))
        self.add_members_requested.emit(self._group.group_id, new)

    def _on_toggle_admin(self) -> None:
        name = self._list.selected_name()
        role = self._members.role_of(name) if name else None
        if self._busy or not self._allowed.may_toggle_admin(role):
            return
        assert name is not None
        make_admin = role is GroupRole.MEMBER
        if make_admin:
            self.set_busy(True, fill(self.tr("Making %1 an admin…"), name))
        else:
            self.set_busy(True, fill(self.tr("Removing %1 as admin…"), name))
        self.set_admin_requested.emit(self._group.group_id, name, make_admin)

    def _on_policy_chosen(self, index: int) -> None:
        policy = self._policy_combo.itemData(index)
        if self._busy or not self._allowed.set_policy or policy == self._group.ack_policy:
            return
        self.set_busy(True, self.tr("Changing who may ask for read receipts…"))
        self.ack_policy_requested.emit(self._group.group_id, policy)

    def _on_remove(self) -> None:
        name = self._list.selected_name()
        if name is None or not self._remove_button.isEnabled():
            return
        self._confirm.ask(
            fill(self.tr("Remove %1 from %2?"), name, self._group.name),
            self.tr("They will stop getting the group's messages. You can add them again later."),
            self.tr("Remove"),
            lambda: self._remove_confirmed(name),
        )

    def _remove_confirmed(self, name: str) -> None:
        if self._busy or self._members.role_of(name) is None:
            return  # someone else removed them while the question was open
        self.set_busy(True, fill(self.tr("Removing %1…"), name))
        self.remove_member_requested.emit(self._group.group_id, name)

    def _on_leave(self) -> None:
        if self._busy or not self._allowed.leave:
            return
        self._confirm.ask(
            fill(self.tr("Leave %1?"), self._group.name),
            self.tr(
                "You will stop getting its messages. "
                "To come back, the owner or an admin has to add you again."
            ),
            self.tr("Leave group"),
            self._leave_confirmed,
        )

    def _leave_confirmed(self) -> None:
        if self._busy:
            return
        self.set_busy(True, self.tr("Leaving the group…"))
        self.leave_requested.emit(self._group.group_id)
