"""Where a file or an image goes inside its bubble.

Owns: `AttachmentBox` (the picture's rect, or a file card's icon, name and detail
lines; the progress bar and the × that cancels a transfer; all relative to the
row's top-left corner) and `place_attachment`, which sizes it for the bubble's
text width: a picture keeps its proportions within `MAX_IMAGE` px and is never
blown up past its own size (but never smaller than `MIN_IMAGE`); a file card is
`CARD_WIDTH` px wide at most, one icon and two lines tall.

Never: paint, or read a model.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QRect, QSize, Qt

from desktop_chat.ui.chat.attachment_view import AttachmentView
from desktop_chat.ui.painting.common import Fonts

MAX_IMAGE = 300  # px: the longest side of a picture in a bubble
MIN_IMAGE = 48
UNKNOWN_SIZE = QSize(240, 160)  # a picture whose sender gave no size
CARD_WIDTH = 260
ICON = 40
BAR_HEIGHT = 4
CANCEL = 28  # the × over a picture being sent or fetched


@dataclasses.dataclass(frozen=True)
class AttachmentBox:
    """An attachment's parts, relative to the row's top-left corner."""

    rect: QRect  # the picture, or the whole file card
    icon_rect: QRect | None  # a file's type badge
    name_rect: QRect | None
    name_text: str  # the file's name, elided to fit
    detail_rect: QRect | None  # "2.4 MB · PDF", or the progress while it moves
    bar_rect: QRect  # the progress bar (drawn only while a transfer runs)
    cancel_rect: QRect  # the × that cancels a running transfer

    def translated(self, dx: int, dy: int) -> AttachmentBox:
        def moved(rect: QRect | None) -> QRect | None:
            return rect.translated(dx, dy) if rect is not None else None

        return AttachmentBox(
            self.rect.translated(dx, dy),
            moved(self.icon_rect),
            moved(self.name_rect),
            self.name_text,
            moved(self.detail_rect),
            self.bar_rect.translated(dx, dy),
            self.cancel_rect.translated(dx, dy),
        )


def image_size(view: AttachmentView, text_max: int) -> QSize:
    """A picture's size in its bubble: its proportions, within MAX_IMAGE and the bubble."""
    width, height = view.width, view.height
    if width <= 0 or height <= 0:
        width, height = UNKNOWN_SIZE.width(), UNKNOWN_SIZE.height()
    limit = min(MAX_IMAGE, text_max)
    scale = min(1.0, limit / width, MAX_IMAGE / height)
    return QSize(max(MIN_IMAGE, round(width * scale)), max(MIN_IMAGE, round(height * scale)))


def place_attachment(
    view: AttachmentView, fonts: Fonts, text_max: int, left: int, top: int
) -> AttachmentBox:
    """The attachment's box with its top-left corner at (left, top)."""
    if view.is_image:
        size = image_size(view, text_max)
        rect = QRect(left, top, size.width(), size.height())
        bar = QRect(rect.left() + 8, rect.bottom() - 8 - BAR_HEIGHT, rect.width() - 16, BAR_HEIGHT)
        cancel = QRect(0, 0, CANCEL, CANCEL)
        cancel.moveCenter(rect.center())
        return AttachmentBox(rect, None, None, "", None, bar, cancel)
    width = min(CARD_WIDTH, text_max)
    line_h = fonts.sender_fm.height()
    small_h = fonts.small_fm.height()
    height = max(ICON, line_h + small_h + BAR_HEIGHT + 6)
    rect = QRect(left, top, width, height)
    icon = QRect(left, top + (height - ICON) // 2, ICON, ICON)
    text_left = icon.right() + 1 + 10
    cancel = QRect(rect.right() + 1 - 22, top + (height - 22) // 2, 22, 22)
    text_w = max(20, cancel.left() - 4 - text_left)
    name = QRect(text_left, top + 1, text_w, line_h)
    name_text = fonts.sender_fm.elidedText(view.name, Qt.TextElideMode.ElideMiddle, text_w)
    detail = QRect(text_left, name.bottom() + 2, text_w, small_h)
    bar = QRect(text_left, detail.bottom() + 3, text_w, BAR_HEIGHT)
    return AttachmentBox(rect, icon, name, name_text, detail, bar, cancel)
