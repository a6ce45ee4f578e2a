"""The "Read by" view's two lists as a Qt model: one row per member.

Owns: `MemberListModel` with its `MemberRole`s and `MemberRow` (name, read
time, confirmation time, note; the tooltip "Read Tuesday, … at 10:32:05",
"Confirmed …" and the note). The "Read" list keeps its readers newest first,
each new one put in its place (a reader who confirms later keeps their place and
gains the confirmation: `update`); the "Not read yet" list keeps the order it
was given.

Never: hold a name twice (the first row of each name wins), paint, or talk to
the client.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QWidget

from desktop_chat.ui.read_by.times import full_time

ModelIndex = QModelIndex | QPersistentModelIndex


class MemberRole(enum.IntEnum):
    NAME = int(Qt.ItemDataRole.UserRole) + 1  # str
    READ_AT = int(Qt.ItemDataRole.UserRole) + 2  # int ms | None: None while not read
    NOTE = int(Qt.ItemDataRole.UserRole) + 3  # str: the ack note, "" if none
    CONFIRMED_AT = int(Qt.ItemDataRole.UserRole) + 4  # int ms | None: confirmed explicitly


@dataclass(frozen=True)
class MemberRow:
    name: str
    read_at: int | None = None
    note: str = ""
    confirmed_at: int | None = None


class MemberListModel(QAbstractListModel):
    """Members, one per name. Readers are kept newest first; names not read yet
    keep the order they were given in."""

    def __init__(self, newest_first: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._newest_first = newest_first
        self._rows: list[MemberRow] = []
        self._keys: list[tuple[int, str]] = []
        self._row_of: dict[str, int] = {}
        self._row_of_stale = False

    @staticmethod
    def _key(row: MemberRow) -> tuple[int, str]:
        return (-(row.read_at or 0), row.name)

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, MemberRole.NAME):
            return row.name
        if role == MemberRole.READ_AT:
            return row.read_at
        if role == MemberRole.NOTE:
            return row.note
        if role == MemberRole.CONFIRMED_AT:
            return row.confirmed_at
        if role == Qt.ItemDataRole.ToolTipRole and row.read_at is not None:
            tip = self.tr("Read %1").replace("%1", full_time(row.read_at))
            if row.confirmed_at is not None:
                confirmed = self.tr("Confirmed %1").replace("%1", full_time(row.confirmed_at))
                tip = f"{tip}\n{confirmed}"
            return f"{tip}\n“{row.note}”" if row.note else tip
        return None

    def rows(self) -> list[MemberRow]:
        return list(self._rows)

    def names(self) -> list[str]:
        return [row.name for row in self._rows]

    def __contains__(self, name: object) -> bool:
        return name in self._index()

    def replace(self, rows: Iterable[MemberRow]) -> None:
        """Show exactly `rows` (the first of each name wins)."""
        unique = list({row.name: row for row in reversed(list(rows))}.values())
        unique.reverse()
        if self._newest_first:
            unique.sort(key=self._key)
        self.beginResetModel()
        self._rows = unique
        self._keys = [self._key(row) for row in unique]
        self._row_of_stale = True
        self.endResetModel()

    def insert(self, rows: Iterable[MemberRow]) -> list[MemberRow]:
        """Add rows whose name is new, each in its place; returns those added."""
        added: list[MemberRow] = []
        index = self._index()
        for row in rows:
            if row.name in index:
                continue
            key = self._key(row)
            position = (
                bisect.bisect_left(self._keys, key) if self._newest_first else len(self._rows)
            )
            self.beginInsertRows(QModelIndex(), position, position)
            self._rows.insert(position, row)
            self._keys.insert(position, key)
            self.endInsertRows()
            index[row.name] = -1  # a placeholder until the index is rebuilt
            self._row_of_stale = True
            added.append(row)
        return added

    def update(self, rows: Iterable[MemberRow]) -> int:
        """Give rows already shown their confirmation and note (a reader who confirmed
        after reading); their place and read time stay. Returns how many changed."""
        index = self._index()
        changed = 0
        for row in rows:
            position = index.get(row.name)
            if position is None or position < 0:
                continue
            old = self._rows[position]
            new = MemberRow(
                old.name,
                old.read_at,
                row.note or old.note,
                row.confirmed_at if row.confirmed_at is not None else old.confirmed_at,
            )
            if new != old:
                self._rows[position] = new
                at = self.index(position)
                self.dataChanged.emit(at, at)
                changed += 1
        return changed

    def confirmed_count(self) -> int:
        return sum(1 for row in self._rows if row.confirmed_at is not None)

    def remove(self, names: Iterable[str]) -> int:
        """Drop the rows of `names`; returns how many went."""
        index = self._index()
        positions = sorted({index[name] for name in names if name in index}, reverse=True)
        for position in positions:
            self.beginRemoveRows(QModelIndex(), position, position)
            del self._rows[position]
            del self._keys[position]
            self.endRemoveRows()
        if positions:
            self._row_of_stale = True
        return len(positions)

    def _index(self) -> dict[str, int]:
        if self._row_of_stale:
            self._row_of = {row.name: i for i, row in enumerate(self._rows)}
            self._row_of_stale = False
        return self._row_of
