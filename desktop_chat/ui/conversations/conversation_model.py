"""The conversation list as a Qt list model: one row per chat, newest first.

Owns: `ConversationListModel` and its rows (`ConversationRow`): title, last
message, time, unread badge, the tick of our own last message and the draft; the total
unread count (`total_unread_changed`) that the window title and the tray show;
what a screen reader says of a row (`AccessibleTextRole`, from `ui.spoken`).
Rows are found through a dict (`coalesced_model.CoalescedListModel`); a change
moves only its row, and repaints it once per flush, naming the roles that changed.
Receipts (`show_receipts`) change only the tick of a chat whose last message they
name: no store read, one repaint per row however many receipts come.

Never: count anything as read (that is the read-ack controller's job), or talk
to the client.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, fields, replace

from PySide6.QtCore import QByteArray, QModelIndex, QPersistentModelIndex, Qt, Signal

from desktop_chat.client.models import ChatMessage, MessageDirection
from desktop_chat.protocol import Mark
from desktop_chat.ui.coalesced_model import CoalescedListModel
from desktop_chat.ui.painting.roles import ConversationRole
from desktop_chat.ui.spoken import conversation_text


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
    last_msg_id: str = ""  # the message last_text shows (receipts for it move the tick)


_ROLE_VALUES: dict[int, Callable[[ConversationRow], object]] = {
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
    int(Qt.ItemDataRole.AccessibleTextRole): lambda r: conversation_text(
        r.title, r.last_text, r.unread, r.draft, r.muted
    ),
}
_SPOKEN = int(Qt.ItemDataRole.AccessibleTextRole)  # the row as a screen reader says it
# The roles each field of a row answers (last_msg_id is not shown).
_FIELD_ROLES: dict[str, tuple[int, ...]] = {
    "conversation_id": (int(ConversationRole.CONVERSATION_ID),),
    "title": (int(ConversationRole.TITLE), int(Qt.ItemDataRole.DisplayRole), _SPOKEN),
    "is_group": (int(ConversationRole.IS_GROUP),),
    "last_text": (int(ConversationRole.LAST_TEXT), _SPOKEN),
    "last_time": (int(ConversationRole.LAST_TIME),),
    "unread": (int(ConversationRole.UNREAD), _SPOKEN),
    "last_outgoing_mark": (int(ConversationRole.LAST_OUTGOING_MARK),),
    "draft": (int(ConversationRole.DRAFT), _SPOKEN),
    "muted": (int(ConversationRole.MUTED), _SPOKEN),
    "last_msg_id": (),
}
assert set(_FIELD_ROLES) == {f.name for f in fields(ConversationRow)}


def _changed_roles(old: ConversationRow, new: ConversationRow) -> set[int]:
    return {
        role
        for name, roles in _FIELD_ROLES.items()
        if getattr(old, name) != getattr(new, name)
        for role in roles
    }


class ConversationListModel(CoalescedListModel):
    total_unread_changed = Signal(int)
    _rows: list[ConversationRow]

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._total = 0

    def _key(self, row: ConversationRow) -> str:
        return row.conversation_id

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        value = _ROLE_VALUES.get(role)
        return None if value is None else value(self._rows[index.row()])

    def roleNames(self) -> dict[int, QByteArray]:
        return {int(role): QByteArray(role.name.lower().encode()) for role in ConversationRole}

    # ------------------------------------------------------------------ feeding it

    def reset(self, rows: list[ConversationRow]) -> None:
        self.beginResetModel()
        self._rows = sorted(rows, key=lambda r: r.last_time, reverse=True)
        self._reindex()
        self._dirty.clear()
        self.endResetModel()
        self._total_changed()

    def row(self, conversation_id: str) -> ConversationRow | None:
        index = self._row_of.get(conversation_id)
        return None if index is None else self._rows[index]

    def rows(self) -> list[ConversationRow]:
        return list(self._rows)

    def upsert(self, row: ConversationRow) -> None:
        """Add or replace a conversation's row, keeping newest-first order."""
        current = self._row_of.get(row.conversation_id)
        # The first row at or below its time, counted without the row itself.
        target = bisect.bisect_left(self._rows, -row.last_time, key=lambda r: -r.last_time)
        if current is None:
            self.beginInsertRows(QModelIndex(), target, target)
            self._rows.insert(target, row)
            self._reindex(target)
            self.endInsertRows()
            self._total_changed()
            return
        if target > current:
            target -= 1
        old = self._rows[current]
        if target != current:
            # Qt counts the destination before the move takes the row out.
            destination = target if target < current else target + 1
            self.beginMoveRows(QModelIndex(), current, current, QModelIndex(), destination)
            self._rows.pop(current)
            self._rows.insert(target, row)
            self._reindex(min(current, target))
            self.endMoveRows()
        else:
            self._rows[current] = row
        self._mark_dirty(row.conversation_id, _changed_roles(old, row))
        self._total_changed()

    def show_receipts(self, messages: list[ChatMessage]) -> None:
        """New receipt marks: a chat whose last message is one of ours among them shows
        its tick (grouped by conversation; nothing is read from the store)."""
        for message in messages:
            index = self._row_of.get(message.conversation_id)
            if index is None or message.direction is not MessageDirection.SEND:
                continue
            row = self._rows[index]
            if row.last_msg_id == message.msg_id and row.last_outgoing_mark is not message.mark:
                self._set(index, replace(row, last_outgoing_mark=message.mark))

    def set_unread(self, conversation_id: str, unread: int) -> None:
        index = self._row_of.get(conversation_id)
        if index is None or self._rows[index].unread == unread:
            return
        self._set(index, replace(self._rows[index], unread=unread))
        self._total_changed()

    def set_draft(self, conversation_id: str, draft: str) -> None:
        index = self._row_of.get(conversation_id)
        if index is not None and self._rows[index].draft != draft:
            self._set(index, replace(self._rows[index], draft=draft))

    def set_muted(self, conversation_id: str, muted: bool) -> None:
        index = self._row_of.get(conversation_id)
        if index is not None and self._rows[index].muted != muted:
            self._set(index, replace(self._rows[index], muted=muted))

    def total_unread(self) -> int:
        return self._total

    def _set(self, index: int, row: ConversationRow) -> None:
        """Replace a row in place (its time is unchanged), repainted at the next flush."""
        old, self._rows[index] = self._rows[index], row
        self._mark_dirty(row.conversation_id, _changed_roles(old, row))

    def _total_changed(self) -> None:
        total = sum(row.unread for row in self._rows)
        if total != self._total:
            self._total = total
            self.total_unread_changed.emit(total)
