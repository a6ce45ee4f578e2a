"""How much of each message a person can see: the read-ack controller's eyes.

Owns: `measure_fractions`, the share of each bubble's area (below its date and
unread lines) that is inside the list's viewport and on a screen; a bubble taller
than the viewport counts as wholly seen while it fills the viewport on screen.
`SeenMeter` measures a chat view with it, adds the pinned message as far as its
pin bar is on screen (the bar is a place where it can be read, as a bubble is),
and keeps the answer while nothing it depends on moved.

Never: decide what was read (the read tracker does, from these fractions), or
scroll.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QListView

from desktop_chat.ui.chat.message_layout import separator_height
from desktop_chat.ui.chat.message_model import MessageListModel
from desktop_chat.ui.painting.roles import MessageRole


def on_screen_area(rect: QRect, screens: list[QRect]) -> int:
    """The area of `rect` (global coordinates) that lies on one of the screens."""
    return sum(
        part.width() * part.height()
        for part in (rect.intersected(screen) for screen in screens)
        if not part.isEmpty()
    )


def measure_fractions(
    list_view: QListView,
    model: MessageListModel,
    area: QRect,
    origin: QPoint,
    screens: list[QRect],
) -> dict[str, float]:
    """msg_id -> the share of its bubble seen (only > 0), row by row from the top."""
    fractions: dict[str, float] = {}
    top = list_view.indexAt(area.topLeft())
    row = top.row() if top.isValid() else 0
    while row < model.rowCount():
        index = model.index(row)
        rect = list_view.visualRect(index)
        if rect.top() > area.bottom():
            break
        rect.setTop(rect.top() + separator_height(index))  # the bubble only
        if rect.height() > 0:
            shown = on_screen_area(rect.intersected(area).translated(origin), screens)
            if shown > 0:
                whole = rect.width() * rect.height()
                if rect.height() > area.height():
                    # Taller than the viewport: seen once it fills it, on screen.
                    whole = area.width() * area.height()
                fractions[index.data(MessageRole.MSG_ID)] = min(1.0, shown / whole)
        row += 1
    return fractions


class PinPlace(Protocol):
    """What `SeenMeter` asks of the pin bar (`pin_bar.PinBar`)."""

    @property
    def msg_id(self) -> str | None: ...

    def visible_share(self) -> float: ...

    def geometry_key(self) -> tuple: ...


class SeenMeter:
    """`measure_fractions` of a chat view plus its pin bar, cached: the read tracker
    asks five times a second, and while nothing moved the answer is the same."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._fractions: dict[str, float] = {}

    def measure(
        self, list_view: QListView, model: MessageListModel, revision: int, pin: PinPlace
    ) -> dict[str, float]:
        viewport = list_view.viewport()
        area = viewport.rect()
        origin = viewport.mapToGlobal(QPoint(0, 0))
        screens = [screen.geometry() for screen in QGuiApplication.screens()]
        bar = list_view.verticalScrollBar()
        key = (
            revision,
            bar.value(),
            bar.maximum(),  # moves when a delayed relayout changed the rows' heights
            area.width(),
            area.height(),
            origin.x(),
            origin.y(),
            tuple(geometry.getRect() for geometry in screens),
            pin.geometry_key(),
        )
        if key != self._key:
            fractions = measure_fractions(list_view, model, area, origin, screens)
            pinned, share = pin.msg_id, pin.visible_share()
            if pinned and share > 0:
                fractions[pinned] = max(fractions.get(pinned, 0.0), share)
            self._key, self._fractions = key, fractions
        return dict(self._fractions)

    def forget(self) -> None:
        self._key = None
