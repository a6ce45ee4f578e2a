"""The conversation list as a Qt list model: one row per chat, newest first.

Owns: `ConversationListModel` and its rows (`ConversationRow`): title, last
message, time, unread badge, the tick of our own last message and the draft; the total
unread count (`total_unread_changed`) that the window title and the tray show.
A change repaints or moves only its row.

Never: count anything as read (that is the read-ack controller's job), or talk
to the client.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from desktop_chat.protocol import Mark
from desktop_chat.ui.roles import ConversationRole


@dataclass(frozen=True)
class ConversationRow:
    conversation_id: str
    title: str
    is_group: bool
    last_text: str = ""
    last_time: int = 0
    unread: int = 0
    last_outgoing_mark: Mark | None = None
    draft: str = ""
    muted: bool = False


_ROLE_VALUES = {
    int(ConversationRole.CONVERSATION_ID): lambda r: r.conversation_id,
    int(ConversationRole.TITLE): lambda r: r.title,
    int(Qt.ItemDataRole.DisplayRole): lambda r: r.title,
    int(ConversationRole.IS_GROUP): lambda r: r.is_group,
    int(ConversationRole.LAST_TEXT): lambda r: r.last_text,
    int(ConversationRole.LAST_TIME): lambda r: r.last_time,
    int(ConversationRole.UNREAD): lambda r: r.unread,
    int(ConversationRole.LAST_OUTGOING_MARK): lambda r: r.last_outgoing_mark,
    int(ConversationRole.DRAFT): lambda r: r.draft,
    int(ConversationRole.MUTED): lambda r: r.muted,
}


class ConversationListModel(QAbstractListModel):
    total_unread_changed = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[ConversationRow] = []
        self._total = 0

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        value = _ROLE_VALUES.get(role)
        return None if value is None else value(self._rows[index.row()])

    def roleNames(self) -> dict[int, bytes]:
        return {int(role): role.name.lower().encode() for role in ConversationRole}

    # ------------------------------------------------------------------ feeding it

    def reset(self, rows: list[ConversationRow]) -> None:
        self.beginResetModel()
        self._rows = sorted(rows, key=lambda r: r.last_time, reverse=True)
        self.endResetModel()
        self._total_changed()

    def row(self, conversation_id: str) -> ConversationRow | None:
        index = self._find(conversation_id)
        return None if index is None else self._rows[index]

    def rows(self) -> list[ConversationRow]:
        return list(self._rows)

    def upsert(self, row: ConversationRow) -> None:
        """Add or replace a conversation's row, keeping newest-first order."""
        current = self._find(row.conversation_id)
        others = [r for r in self._rows if r.conversation_id != row.conversation_id]
        target = next(
            (i for i, other in enumerate(others) if other.last_time <= row.last_time), len(others)
        )
        if current is None:
            self.beginInsertRows(QModelIndex(), target, target)
            self._rows.insert(target, row)
            self.endInsertRows()
        elif target == current:
            self._rows[current] = row
            index = self.index(current)
            self.dataChanged.emit(index, index)
        else:
            # Qt counts the destination before the move takes the row out.
            destination = target if target < current else target + 1
            self.beginMoveRows(QModelIndex(), current, current, QModelIndex(), destination)
            self._rows.pop(current)
            self._rows.insert(target, row)
            self.endMoveRows()
            index = self.index(target)
            self.dataChanged.emit(index, index)
        self._total_changed()

    def set_unread(self, conversation_id: str, unread: int) -> None:
        index = self._find(conversation_id)
        if index is None or self._rows[index].unread == unread:
            return
        self._rows[index] = replace(self._rows[index], unread=unread)
        model_index = self.index(index)
        self.dataChanged.emit(model_index, model_index, [int(ConversationRole.UNREAD)])
        self._total_changed()

    def set_draft(self, conversation_id: str, draft: str) -> None:
        index = self._find(conversation_id)
        if index is None or self._rows[index].draft == draft:
            return
        self._rows[index] = replace(self._rows[index], draft=draft)
        model_index = self.index(index)
        self.dataChanged.emit(model_index, model_index, [int(ConversationRole.DRAFT)])

    def set_muted(self, conversation_id: str, muted: bool) -> None:
        index = self._find(conversation_id)
        if index is None or self._rows[index].muted == muted:
            return
        self._rows[index] = replace(self._rows[index], muted=muted)
        model_index = self.index(index)
        self.dataChanged.emit(model_index, model_index, [int(ConversationRole.MUTED)])

    def total_unread(self) -> int:
        return self._total

    def _find(self, conversation_id: str) -> int | None:
        for i, row in enumerate(self._rows):
            if row.conversation_id == conversation_id:
                return i
        return None

    def _total_changed(self) -> None:
        total = sum(row.unread for row in self._rows)
        if total != self._total:
            self._total = total
            self.total_unread_changed.emit(total)
