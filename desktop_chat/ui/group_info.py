"""The group info dialog: who is in a group, their roles, and managing them.

Owns: `GroupInfoDialog` (name, "N members", who may ask for read receipts, the
searchable member list, and the actions the viewer's role allows),
`GroupMemberModel` with its `GroupMemberRole`s and `GroupMemberRow`, the member
ordering (owner, admins, members, each alphabetically) and the row painter.

What the viewer may do comes from `group.role_of(me)`:
- owner: add members, remove anyone but the owner, make or remove admins,
  change the ack policy;
- admin: add members, remove plain members, leave;
- member: leave.
Actions the role does not allow are hidden, not merely disabled.

Each request emits a signal and puts the dialog in its busy state; the
controller does the network call and answers with `set_group(group)` (also
used for a group_changed event) or `show_error(text)`. Removing a member and
leaving ask first, with a message box opened by `open()`.

Never: import or call the client, block in a nested event loop (`exec()`), or
emit a request that failed the local checks.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractListModel,
    QItemSelection,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.client.models import Group, GroupRole
from desktop_chat.ui.dialogs import (
    USERNAME_RULE,
    ErrorLabel,
    hint_label,
    parse_members,
    title_label,
    username_problem,
)
from desktop_chat.ui.paint import paint_avatar

_ModelIndex = QModelIndex | QPersistentModelIndex

ACK_POLICIES = (("admins", "Owner and admins"), ("all", "Everyone"))
_RANK = {GroupRole.OWNER: 0, GroupRole.ADMIN: 1, GroupRole.MEMBER: 2}
_BADGES = {GroupRole.OWNER: "Owner", GroupRole.ADMIN: "Admin"}


def _policy_text(policy: str) -> str:
    return dict(ACK_POLICIES).get(policy, "Owner and admins")


def _quoted(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(f"“{name}”" for name in names[:limit])
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown


class GroupMemberRole(enum.IntEnum):
    NAME = int(Qt.ItemDataRole.UserRole) + 1  # str
    ROLE = int(Qt.ItemDataRole.UserRole) + 2  # GroupRole
    IS_ME = int(Qt.ItemDataRole.UserRole) + 3  # bool: the viewer's own row


@dataclass(frozen=True)
class GroupMemberRow:
    name: str
    role: GroupRole
    is_me: bool = False


class GroupMemberModel(QAbstractListModel):
    """The members in arrival order; `GroupMemberOrder` sorts and filters them.

    `set_members` applies the difference (rows removed, roles changed, rows
    added), so a view keeps its selection and scroll position across updates.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[GroupMemberRow] = []
        self._row_of: dict[str, int] = {}

    def rowCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, GroupMemberRole.NAME):
            return row.name
        if role == GroupMemberRole.ROLE:
            return row.role
        if role == GroupMemberRole.IS_ME:
            return row.is_me
        if role == Qt.ItemDataRole.ToolTipRole:
            badge = _BADGES.get(row.role, "Member")
            return f"{row.name} (you) · {badge}" if row.is_me else f"{row.name} · {badge}"
        return None

    def rows(self) -> list[GroupMemberRow]:
        return list(self._rows)

    def role_of(self, name: str) -> GroupRole | None:
        position = self._row_of.get(name)
        return None if position is None else self._rows[position].role

    def set_members(self, members: Mapping[str, GroupRole], me: str) -> None:
        """Show exactly `members` (name → role); `me` is marked as the viewer."""
        gone = sorted((i for name, i in self._row_of.items() if name not in members), reverse=True)
        for position in gone:
            self.beginRemoveRows(QModelIndex(), position, position)
            del self._rows[position]
            # Views ask about names as soon as the removal ends: the index must be right.
            self._row_of = {row.name: i for i, row in enumerate(self._rows)}
            self.endRemoveRows()

        changed_roles = [GroupMemberRole.ROLE, GroupMemberRole.IS_ME, Qt.ItemDataRole.ToolTipRole]
        for position, row in enumerate(self._rows):
            wanted = GroupMemberRow(row.name, GroupRole(members[row.name]), row.name == me)
            if wanted != row:
                self._rows[position] = wanted
                index = self.index(position)
                self.dataChanged.emit(index, index, changed_roles)

        added = [
            GroupMemberRow(name, GroupRole(role), name == me)
            for name, role in members.items()
            if name not in self._row_of
        ]
        if added:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(added) - 1)
            self._rows.extend(added)
            self._row_of.update((row.name, first + i) for i, row in enumerate(added))
            self.endInsertRows()


class GroupMemberOrder(QSortFilterProxyModel):
    """Owner first, then admins, then members, each alphabetically; filtered by
    the search text (case-insensitive, anywhere in the name)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFilterRole(GroupMemberRole.NAME)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def lessThan(self, left: _ModelIndex, right: _ModelIndex) -> bool:
        return self._key(left) < self._key(right)

    @staticmethod
    def _key(index: _ModelIndex) -> tuple[int, str, str]:
        name = index.data(GroupMemberRole.NAME) or ""
        return (_RANK.get(index.data(GroupMemberRole.ROLE), 3), name.casefold(), name)


class GroupMemberPainter:
    """Paints one member row: avatar, name (with "you"), and an Owner/Admin badge."""

    AVATAR = 32
    MARGIN = 12

    def __init__(self) -> None:
        self._base_font: QFont | None = None
        self._name_font = QFont()
        self._badge_font = QFont()
        self._avatar_font = QFont()

    def _fonts_for(self, base: QFont) -> None:
        if self._base_font == base:
            return
        self._base_font = QFont(base)
        self._name_font = QFont(base)
        self._name_font.setWeight(QFont.Weight.Medium)
        self._badge_font = QFont(base)
        self._badge_font.setPointSizeF(base.pointSizeF() * 0.85)
        self._badge_font.setWeight(QFont.Weight.DemiBold)
        self._avatar_font = QFont(base)
        self._avatar_font.setPixelSize(round(self.AVATAR * 0.38))
        self._avatar_font.setWeight(QFont.Weight.DemiBold)

    def size_hint(self, option: QStyleOptionViewItem) -> QSize:
        self._fonts_for(option.font)
        return QSize(200, max(self.AVATAR, QFontMetrics(self._name_font).height()) + 14)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _ModelIndex) -> None:
        self._fonts_for(option.font)
        name = index.data(GroupMemberRole.NAME) or ""
        # PySide hands an enum back as its plain value.
        role = GroupRole(index.data(GroupMemberRole.ROLE) or GroupRole.MEMBER)
        is_me = bool(index.data(GroupMemberRole.IS_ME))
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        text_colour = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        dim_colour = QColor(text_colour)
        dim_colour.setAlphaF(0.6)
        rect = option.rect.adjusted(self.MARGIN, 0, -self.MARGIN, 0)

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        avatar = QRect(
            rect.left(), rect.center().y() - self.AVATAR // 2 + 1, self.AVATAR, self.AVATAR
        )
        paint_avatar(painter, avatar, name, self._avatar_font)

        text_left = avatar.right() + 12
        text_rect = QRect(text_left, rect.top(), rect.right() - text_left, rect.height())
        badge = _BADGES.get(role)
        if badge:
            text_rect.setRight(self._paint_badge(painter, option, badge, role, text_rect) - 10)

        name_metrics = QFontMetrics(self._name_font)
        suffix = "  (you)" if is_me else ""
        suffix_width = QFontMetrics(self._base_font or self._name_font).horizontalAdvance(suffix)
        elided = name_metrics.elidedText(
            name, Qt.TextElideMode.ElideRight, max(0, text_rect.width() - suffix_width)
        )
        painter.setFont(self._name_font)
        painter.setPen(text_colour)
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(text_rect, align, elided)
        if suffix:
            after = text_rect.adjusted(name_metrics.horizontalAdvance(elided), 0, 0, 0)
            painter.setFont(self._base_font or self._name_font)
            painter.setPen(dim_colour)
            painter.drawText(after, align, suffix)
        painter.restore()

    def _paint_badge(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        text: str,
        role: GroupRole,
        row: QRect,
    ) -> int:
        """Draws the pill at the right of `row`; returns its left edge."""
        metrics = QFontMetrics(self._badge_font)
        width = metrics.horizontalAdvance(text) + 16
        height = metrics.height() + 6
        pill = QRectF(row.right() - width, row.center().y() - height / 2 + 1, width, height)
        accent = option.palette.color(QPalette.ColorRole.Highlight)
        if option.state & QStyle.StateFlag.State_Selected:
            accent = option.palette.color(QPalette.ColorRole.HighlightedText)
        if role is GroupRole.OWNER:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(accent)
            ink = option.palette.color(QPalette.ColorRole.HighlightedText)
            if option.state & QStyle.StateFlag.State_Selected:
                ink = option.palette.color(QPalette.ColorRole.Highlight)
        else:
            fill = QColor(accent)
            fill.setAlphaF(0.14)
            painter.setPen(accent)
            painter.setBrush(fill)
            pill.adjust(0.5, 0.5, -0.5, -0.5)
            ink = accent
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setFont(self._badge_font)
        painter.setPen(ink)
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
        return int(pill.left())


class GroupMemberDelegate(QStyledItemDelegate):
    """Draws the item panel (hover, selection) and hands the row to the painter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._painter = GroupMemberPainter()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _ModelIndex) -> None:
        panel = QStyleOptionViewItem(option)
        self.initStyleOption(panel, index)
        panel.text = ""
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, panel, painter, widget)
        self._painter.paint(painter, option, index)

    def sizeHint(self, option: QStyleOptionViewItem, index: _ModelIndex) -> QSize:
        return self._painter.size_hint(option)


@dataclass(frozen=True)
class _Allowed:
    """What a role may do in a group."""

    add: bool = False
    remove_admins: bool = False
    remove_members: bool = False
    set_admins: bool = False
    set_policy: bool = False
    leave: bool = False

    @classmethod
    def for_role(cls, role: GroupRole | None) -> _Allowed:
        if role is GroupRole.OWNER:
            return cls(True, True, True, True, True, False)
        if role is GroupRole.ADMIN:
            return cls(add=True, remove_members=True, leave=True)
        if role is GroupRole.MEMBER:
            return cls(leave=True)
        return cls()


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
        self._allowed = _Allowed()
        self._busy = False
        self._pending_add: list[str] = []
        self._confirm: QMessageBox | None = None
        self._confirm_yes: QAbstractButton | None = None
        self._on_yes: Callable[[], None] | None = None
        self.setModal(False)
        self.setMinimumSize(420, 520)
        self.resize(460, 640)

        self._name = title_label("")
        self._name.setObjectName("group_name")
        self._name.setWordWrap(True)
        self._name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._count = hint_label("")
        self._count.setObjectName("member_count")

        self._policy_combo = QComboBox()
        self._policy_combo.setObjectName("ack_policy")
        for policy, text in ACK_POLICIES:
            self._policy_combo.addItem(text, policy)
        self._policy_combo.activated.connect(self._on_policy_chosen)
        self._policy_label = QLabel()
        self._policy_label.setObjectName("ack_policy_text")
        policy_row = QHBoxLayout()
        policy_row.setSpacing(8)
        policy_row.addWidget(QLabel("Who may ask for read receipts:"))
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
            hint_label("Everyone can send read receipts; this decides who may ask for them.")
        )

        self._add_field = QLineEdit()
        self._add_field.setObjectName("add_members")
        self._add_field.setPlaceholderText("Add people: alice, bob")
        self._add_field.setClearButtonEnabled(True)
        self._add_field.textEdited.connect(self._clear_error)
        self._add_field.returnPressed.connect(self._on_add)
        self._add_button = QPushButton("Add")
        self._add_button.setObjectName("add")
        self._add_button.setAutoDefault(False)
        self._add_button.clicked.connect(self._on_add)
        self._add_row = QWidget()
        add_layout = QHBoxLayout(self._add_row)
        add_layout.setContentsMargins(0, 0, 0, 0)
        add_layout.setSpacing(8)
        add_layout.addWidget(self._add_field, 1)
        add_layout.addWidget(self._add_button)

        self._search = QLineEdit()
        self._search.setObjectName("search")
        self._search.setPlaceholderText("Search members")
        self._search.setClearButtonEnabled(True)
        self._search.textChanged.connect(self._filter)

        self._members = GroupMemberModel(self)
        self._order = GroupMemberOrder(self)
        self._order.setSourceModel(self._members)
        self._order.sort(0)
        self._view = QListView()
        self._view.setObjectName("members")
        self._view.setModel(self._order)
        self._view.setItemDelegate(GroupMemberDelegate(self._view))
        self._view.setUniformItemSizes(True)
        self._view.setFrameShape(QFrame.Shape.NoFrame)
        self._view.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self._view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self._view.setMouseTracking(True)
        self._view.selectionModel().selectionChanged.connect(self._on_selection)
        self._empty = hint_label("")
        self._empty.setObjectName("empty")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._list = QStackedWidget()
        self._list.addWidget(self._view)
        self._list.addWidget(self._empty)
        list_frame = QFrame()
        list_frame.setObjectName("list_frame")
        list_frame.setStyleSheet(
            "#list_frame { border: 1px solid palette(mid); border-radius: 6px;"
            " background: palette(base); }"
        )
        list_layout = QVBoxLayout(list_frame)
        list_layout.setContentsMargins(1, 4, 1, 4)
        list_layout.addWidget(self._list)
        for signal in (
            self._order.rowsInserted,
            self._order.rowsRemoved,
            self._order.modelReset,
            self._order.layoutChanged,
        ):
            signal.connect(self._update_list_page)

        self._admin_button = QPushButton("Make admin")
        self._admin_button.setObjectName("toggle_admin")
        self._admin_button.setAutoDefault(False)
        self._admin_button.clicked.connect(self._on_toggle_admin)
        self._remove_button = QPushButton("Remove from group")
        self._remove_button.setObjectName("remove")
        self._remove_button.setAutoDefault(False)
        self._remove_button.clicked.connect(self._on_remove)
        self._member_actions = QWidget()
        actions_layout = QHBoxLayout(self._member_actions)
        actions_layout.setContentsMargins(0, 0, 0, 0)
        actions_layout.setSpacing(8)
        actions_layout.addWidget(self._admin_button)
        actions_layout.addWidget(self._remove_button)
        actions_layout.addStretch(1)

        self._error = ErrorLabel(self)
        self._status = hint_label("", self)
        self._status.setObjectName("status")
        self._status.hide()

        self._leave_button = QPushButton("Leave group")
        self._leave_button.setObjectName("leave")
        self._leave_button.setAutoDefault(False)
        self._leave_button.clicked.connect(self._on_leave)
        close = QPushButton("Close")
        close.setObjectName("close")
        close.setAutoDefault(False)
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self._leave_button)
        buttons.addStretch(1)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.setSpacing(10)
        layout.addWidget(self._name)
        layout.addWidget(self._count)
        layout.addSpacing(2)
        layout.addWidget(settings)
        layout.addSpacing(4)
        layout.addWidget(self._add_row)
        layout.addWidget(self._search)
        layout.addWidget(list_frame, 1)
        layout.addWidget(self._member_actions)
        layout.addWidget(self._error)
        layout.addWidget(self._status)
        layout.addSpacing(2)
        layout.addLayout(buttons)
        self.set_group(group)

    @property
    def group(self) -> Group:
        return self._group

    def member_names(self) -> list[str]:
        """The names as listed now: in order, after the search filter."""
        return [
            self._order.index(row, 0).data(GroupMemberRole.NAME)
            for row in range(self._order.rowCount())
        ]

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
        self.setWindowTitle(f"{group.name} · Group info")
        self._name.setText(group.name)
        noun = "member" if group.member_count == 1 else "members"
        self._count.setText(f"{group.member_count} {noun}")
        self._show_policy(group.ack_policy)

        if group.members is not None:
            members = dict(group.members)
            members[group.owner] = GroupRole.OWNER
            self._members.set_members(members, self._me)
            if self._pending_add and all(name in members for name in self._pending_add):
                self._add_field.clear()
            self._pending_add = []

        role = group.role_of(self._me)
        self._allowed = _Allowed.for_role(role)
        self._policy_combo.setVisible(self._allowed.set_policy)
        self._policy_label.setVisible(not self._allowed.set_policy)
        self._add_row.setVisible(self._allowed.add)
        self._member_actions.setVisible(self._allowed.set_admins or self._allowed.remove_members)
        self._admin_button.setVisible(self._allowed.set_admins)
        self._remove_button.setVisible(self._allowed.remove_members)
        self._leave_button.setVisible(self._allowed.leave)
        self.set_busy(False)
        if group.members is not None and role is None:
            self._status.setText("You're no longer a member of this group.")
            self._status.show()
        self._update_list_page()

    def set_busy(self, busy: bool, text: str | None = None) -> None:
        """Disable the actions while a request runs, and say what is happening."""
        self._busy = busy
        for widget in (self._add_field, self._add_button, self._policy_combo, self._leave_button):
            widget.setEnabled(not busy)
        if busy:
            self._error.clear_text()
        self._status.setText(text or "Saving…")
        self._status.setVisible(busy)
        self._update_member_actions()

    def show_error(self, text: str) -> None:
        """Show what went wrong (and what to do next); the actions work again."""
        self.set_busy(False)
        self._show_policy(self._group.ack_policy)
        self._error.show_text(text)

    def closeEvent(self, event) -> None:
        if self._confirm is not None:
            self._confirm.reject()
        super().closeEvent(event)

    def _show_policy(self, policy: str) -> None:
        index = self._policy_combo.findData(policy)
        self._policy_combo.setCurrentIndex(max(index, 0))
        self._policy_label.setText(_policy_text(policy))

    def _selected_name(self) -> str | None:
        indexes = self._view.selectionModel().selectedIndexes()
        return indexes[0].data(GroupMemberRole.NAME) if indexes else None

    def _update_member_actions(self) -> None:
        name = self._selected_name()
        role = self._members.role_of(name) if name else None
        allowed = self._allowed
        idle = not self._busy

        self._admin_button.setText("Remove admin" if role is GroupRole.ADMIN else "Make admin")
        can_toggle = allowed.set_admins and role in (GroupRole.ADMIN, GroupRole.MEMBER)
        self._admin_button.setEnabled(idle and can_toggle)
        if role is None:
            self._admin_button.setToolTip("Select a member first.")
        elif role is GroupRole.OWNER:
            self._admin_button.setToolTip("The owner already manages the group.")
        elif role is GroupRole.ADMIN:
            self._admin_button.setToolTip(f"{name} will become a plain member.")
        else:
            self._admin_button.setToolTip(
                f"{name} will be able to add and remove members and ask for read receipts."
            )

        can_remove = name != self._me and (
            (role is GroupRole.MEMBER and allowed.remove_members)
            or (role is GroupRole.ADMIN and allowed.remove_admins)
        )
        self._remove_button.setEnabled(idle and can_remove)
        if role is None:
            self._remove_button.setToolTip("Select a member first.")
        elif role is GroupRole.OWNER:
            self._remove_button.setToolTip("The owner can't be removed.")
        elif not can_remove:
            self._remove_button.setToolTip("Only the owner can remove admins.")
        else:
            self._remove_button.setToolTip(f"Remove {name} from {self._group.name}.")

    def _update_list_page(self) -> None:
        if self._order.rowCount():
            self._list.setCurrentWidget(self._view)
            self._update_member_actions()
            return
        if self._group.members is None:
            self._empty.setText("Loading members…")
        elif self._search.text().strip():
            self._empty.setText("No member matches your search.")
        else:
            self._empty.setText("Nobody is in this group.")
        self._list.setCurrentWidget(self._empty)
        self._update_member_actions()

    def _filter(self, text: str) -> None:
        self._order.setFilterFixedString(text.strip())
        self._update_list_page()

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update_member_actions()

    def _clear_error(self) -> None:
        self._error.clear_text()

    def _refuse(self, text: str) -> None:
        self._error.show_text(text)
        self._add_field.setFocus()
        self._add_field.selectAll()

    def _on_add(self) -> None:
        if self._busy or not self._allowed.add:
            return
        names = parse_members(self._add_field.text())
        if not names:
            self._refuse("Enter the usernames to add, separated by commas or spaces.")
            return
        invalid = [name for name in names if username_problem(name)]
        if len(invalid) == 1 and len(names) == 1:
            self._refuse(f"“{invalid[0]}” isn't a valid username. {username_problem(invalid[0])}")
            return
        if invalid:
            self._refuse(f"Not a valid username: {_quoted(invalid)}. {USERNAME_RULE}")
            return
        new = [name for name in names if self._members.role_of(name) is None]
        if not new:
            already = "is already a member" if len(names) == 1 else "are already members"
            self._refuse(f"{_quoted(names)} {already}. Enter someone who isn't in the group yet.")
            return
        self._pending_add = new
        noun = "member" if len(new) == 1 else "members"
        self.set_busy(True, f"Adding {len(new)} {noun}…")
        self.add_members_requested.emit(self._group.group_id, new)

    def _on_toggle_admin(self) -> None:
        name = self._selected_name()
        role = self._members.role_of(name) if name else None
        if (
            self._busy
            or not self._allowed.set_admins
            or role
            not in (
                GroupRole.ADMIN,
                GroupRole.MEMBER,
            )
        ):
            return
        assert name is not None
        make_admin = role is GroupRole.MEMBER
        self.set_busy(
            True, f"Making {name} an admin…" if make_admin else f"Removing {name} as admin…"
        )
        self.set_admin_requested.emit(self._group.group_id, name, make_admin)

    def _on_policy_chosen(self, index: int) -> None:
        policy = self._policy_combo.itemData(index)
        if self._busy or not self._allowed.set_policy or policy == self._group.ack_policy:
            return
        self.set_busy(True, "Changing who may ask for read receipts…")
        self.ack_policy_requested.emit(self._group.group_id, policy)

    def _on_remove(self) -> None:
        name = self._selected_name()
        if name is None or not self._remove_button.isEnabled():
            return
        self._ask(
            f"Remove {name} from {self._group.name}?",
            "They will stop getting the group's messages. You can add them again later.",
            "Remove",
            lambda: self._remove_confirmed(name),
        )

    def _remove_confirmed(self, name: str) -> None:
        if self._busy or self._members.role_of(name) is None:
            return  # someone else removed them while the question was open
        self.set_busy(True, f"Removing {name}…")
        self.remove_member_requested.emit(self._group.group_id, name)

    def _on_leave(self) -> None:
        if self._busy or not self._allowed.leave:
            return
        self._ask(
            f"Leave {self._group.name}?",
            "You will stop getting its messages. "
            "To come back, the owner or an admin has to add you again.",
            "Leave group",
            self._leave_confirmed,
        )

    def _leave_confirmed(self) -> None:
        if self._busy:
            return
        self.set_busy(True, "Leaving the group…")
        self.leave_requested.emit(self._group.group_id)

    def _ask(self, question: str, detail: str, action: str, on_yes: Callable[[], None]) -> None:
        """Ask without blocking: `on_yes()` runs only if the person presses `action`."""
        if self._confirm is not None:
            self._confirm.raise_()
            return
        box = QMessageBox(self)
        box.setObjectName("confirm")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(action)
        box.setText(question)
        box.setInformativeText(detail)
        yes = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
        yes.setObjectName("confirm_yes")
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        cancel.setObjectName("confirm_cancel")
        box.setDefaultButton(cancel)
        box.finished.connect(self._on_confirm_finished)
        self._confirm = box
        self._confirm_yes = yes
        self._on_yes = on_yes
        box.open()

    def _on_confirm_finished(self, _result: int) -> None:
        box, on_yes = self._confirm, self._on_yes
        confirmed = box is not None and box.clickedButton() is self._confirm_yes
        self._confirm = self._confirm_yes = self._on_yes = None
        if box is not None:
            box.deleteLater()
        if confirmed and on_yes is not None:
            on_yes()
