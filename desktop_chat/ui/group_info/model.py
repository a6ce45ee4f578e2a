"""The group info dialog's member list as Qt models: who is in, with which role.

Owns: `GroupMemberModel` with its `GroupMemberRole`s and `GroupMemberRow`
(one row per member, in arrival order, with the tooltip "bob · Admin"), the
member ordering `GroupMemberOrder` (owner, admins, members, each
alphabetically, filtered by the search text), and the badge each role wears
(`BADGES`: "Owner", "Admin"; plain members wear none).

Never: paint, talk to the client, or decide who may do what (`rules` does).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractListModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtWidgets import QWidget

from desktop_chat.client.models import GroupRole
from desktop_chat.ui.painting.common import fill

ModelIndex = QModelIndex | QPersistentModelIndex

RANK = {GroupRole.OWNER: 0, GroupRole.ADMIN: 1, GroupRole.MEMBER: 2}
# English source texts (context "GroupBadges"); `badge_text` gives them translated.
BADGES = {
    GroupRole.OWNER: str(QT_TRANSLATE_NOOP("GroupBadges", "Owner")),
    GroupRole.ADMIN: str(QT_TRANSLATE_NOOP("GroupBadges", "Admin")),
}
_MEMBER = str(QT_TRANSLATE_NOOP("GroupBadges", "Member"))


def badge_text(role: GroupRole, plain: str = "") -> str:
    """The role's word in the app's language: "Owner", "Admin", else `plain`'s."""
    text = BADGES.get(role, plain)
    return QCoreApplication.translate("GroupBadges", text) if text else ""


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

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
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
            badge = badge_text(row.role, _MEMBER)
            if row.is_me:
                return fill(self.tr("%1 (you) · %2"), row.name, badge)
            return fill(self.tr("%1 · %2"), row.name, badge)
        return None

    def rows(self) -> list[GroupMemberRow]:
        return list(self._rows)

    def role_of(self, name: str) -> GroupRole | None:
        position = self._row_of.get(name)
        return None if position is None else self._rows[position].role

    def set_members(self, members: Mapping[str, GroupRole], me: str) -> None:
        """Show exactly `members` (name → role); `me` is marked as the viewer."""
        self._remove_gone(members)
        self._update_roles(members, me)
        self._add_new(members, me)

    def _remove_gone(self, members: Mapping[str, GroupRole]) -> None:
        gone = sorted((i for name, i in self._row_of.items() if name not in members), reverse=True)
        for position in gone:
            self.beginRemoveRows(QModelIndex(), position, position)
            del self._rows[position]
            # Views ask about names as soon as the removal ends: the index must be right.
            self._row_of = {row.name: i for i, row in enumerate(self._rows)}
            self.endRemoveRows()

    def _update_roles(self, members: Mapping[str, GroupRole], me: str) -> None:
        changed_roles = [GroupMemberRole.ROLE, GroupMemberRole.IS_ME, Qt.ItemDataRole.ToolTipRole]
        for position, row in enumerate(self._rows):
            wanted = GroupMemberRow(row.name, GroupRole(members[row.name]), row.name == me)
            if wanted != row:
                self._rows[position] = wanted
                index = self.index(position)
                self.dataChanged.emit(index, index, changed_roles)

    def _add_new(self, members: Mapping[str, GroupRole], me: str) -> None:
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

    def lessThan(self, left: ModelIndex, right: ModelIndex) -> bool:
        return self._key(left) < self._key(right)

    @staticmethod
    def _key(index: ModelIndex) -> tuple[int, str, str]:
        name = index.data(GroupMemberRole.NAME) or ""
        return (RANK.get(index.data(GroupMemberRole.ROLE), 3), name.casefold(), name)
