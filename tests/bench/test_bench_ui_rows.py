"""The ui bench's receipt storm aims at the rows on screen, the first row included.

It once dropped row 0 (the rows were filtered on their truth, not on None), so a
chat whose oldest loaded message was on screen stormed one row fewer than it showed.
"""

from __future__ import annotations

from desktop_chat.bench.ui import on_screen_rows


class _Model:
    def __init__(self, rows: dict[str, int], count: int) -> None:
        self._rows = rows
        self._count = count

    def row_of(self, msg_id: str) -> int | None:
        return self._rows.get(msg_id)

    def rowCount(self) -> int:
        return self._count


def test_row_zero_counts_as_on_screen() -> None:
    model = _Model({"a": 0, "b": 1, "c": 2}, 3)
    assert on_screen_rows(model, ["a", "b", "c"]) == [0, 1, 2]


def test_messages_not_loaded_are_left_out() -> None:
    model = _Model({"a": 0}, 5)
    assert on_screen_rows(model, ["gone", "a"]) == [0]


def test_nothing_on_screen_falls_back_to_the_last_row() -> None:
    model = _Model({}, 5)
    assert on_screen_rows(model, ["gone"]) == [4]
