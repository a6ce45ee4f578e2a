"""How much of each message a person can see: the read-ack controller's eyes.

Owns: `measure_fractions`, the share of each bubble's area (below its date and
unread lines) that is inside the list's viewport and on a screen; a bubble taller
than the viewport counts as wholly seen while it fills the viewport on screen.

Never: decide what was read (the read tracker does, from these fractions), or
scroll.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect
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
