"""The list models' shared base: rows found through a dict, repainted once per flush.

Owns: `CoalescedListModel`, a `QAbstractListModel` over a list of rows, each with
a string key (`_key`), and:
- `row_of(key)`: a dict from key to row index, never a linear search; a subclass
  calls `_reindex(start)` after it inserts, moves or removes rows;
- the dirty/flush mechanism: `_mark_dirty(key, roles)` notes that a row's data
  changed in these roles. The first mark of an event-loop iteration schedules
  `_flush` (a zero timer), which emits one `dataChanged` per run of adjacent rows
  changed in the same roles, naming them. A row marked many times in one iteration
  (a burst of receipts) repaints once; `repainted_rows` counts the rows named.

Structural changes (insert, move, remove, reset) are not coalesced: a subclass
makes them at once with Qt's begin/end calls.

Never: reset the model for a data change, or emit a `dataChanged` that names no
roles.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QTimer


class CoalescedListModel(QAbstractListModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []
        self._row_of: dict[str, int] = {}
        self._dirty: dict[str, frozenset[int]] = {}  # key -> the roles that changed
        self.repainted_rows = 0  # rows named in dataChanged (for tests and benchmarks)

    def _key(self, row: Any) -> str:
        raise NotImplementedError

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def row_of(self, key: str) -> int | None:
        return self._row_of.get(key)

    def _reindex(self, start: int = 0) -> None:
        """Rebuild the key -> row dict from row `start` on (after a structural change)."""
        if start == 0:
            self._row_of = {self._key(r): i for i, r in enumerate(self._rows)}
            return
        for i in range(start, len(self._rows)):
            self._row_of[self._key(self._rows[i])] = i

    def _mark_dirty(self, key: str, roles: Iterable[int]) -> None:
        """Repaint the row of `key` for these roles at the next flush (none: nothing)."""
        changed = frozenset(roles)
        if not changed:
            return
        if not self._dirty:
            QTimer.singleShot(0, self._flush)
        self._dirty[key] = self._dirty.get(key, frozenset()) | changed

    def _flush(self) -> None:
        dirty, self._dirty = self._dirty, {}
        rows_by_roles: dict[frozenset[int], list[int]] = {}
        for key, roles in dirty.items():
            row = self._row_of.get(key)
            if row is not None:
                rows_by_roles.setdefault(roles, []).append(row)
        for roles in sorted(rows_by_roles, key=len):  # the narrowest change first
            self._emit_runs(sorted(rows_by_roles[roles]), sorted(roles))

    def _emit_runs(self, rows: list[int], roles: list[int]) -> None:
        """One dataChanged per run of adjacent rows."""
        start = previous = None
        for row in [*rows, None]:
            if row is not None and previous is not None and row == previous + 1:
                previous = row
                continue
            if start is not None and previous is not None:
                self.dataChanged.emit(self.index(start), self.index(previous), roles)
                self.repainted_rows += previous - start + 1
            start = previous = row
