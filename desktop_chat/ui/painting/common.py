"""Painting helpers shared by the item delegates and the dialogs that draw people.

Owns: the app's colours (the per-name hue of avatars and sender names, the
bubble colours derived from a palette, WCAG luminance and contrast), the avatar
painter and initials, the short time and day texts (in the words and date order
of the application's locale, `QLocale()`: "Today", "今天", "3 March", "3月3日";
the date patterns are translatable strings of the "Dates" context), `fill` (a
translated template's %1, %2 filled in one pass), the receipt tick art, the
fonts a painter derives from the view's font, the small caches (per palette,
LRU) the painters keep, `translated_cache` (a painted text translated once,
emptied by `forget_translated_texts` when the language changes), and what
every people-list row starts with (the style's item panel, `paint_item_panel`,
and the row's text inks, `row_inks`).

Never: know about a particular row, model or delegate, change a model, talk to
the client, or decide a message's state. Colours come from the palette the
view paints with, so light and dark themes both work; fonts, paths and colours
are built once and cached, never per paint.
"""

from __future__ import annotations

import dataclasses
import re
import zlib
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from typing import Any, TypeVar, cast

from PySide6.QtCore import QCoreApplication, QDate, QLocale, QPointF, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop_chat.protocol import Mark

# ---------------------------------------------------------------- text helpers


@lru_cache(maxsize=4096)
def _clock_minutes(minute: int) -> str:
    return datetime.fromtimestamp(minute * 60).strftime("%H:%M")


def clock_text(ms: int | None) -> str:
    """Local "HH:MM" for a time in ms since the epoch ("" for none)."""
    if not ms:
        return ""
    return _clock_minutes(int(ms) // 60_000)


_Cached = TypeVar("_Cached", bound=Callable[..., str])
_TRANSLATED_CACHES: list[Any] = []


def translated_cache(function: _Cached) -> _Cached:
    """An LRU cache for a text a painter asks for on every paint (so it is translated
    once); `forget_translated_texts` empties every such cache."""
    cached = lru_cache(maxsize=4096)(function)
    _TRANSLATED_CACHES.append(cached)
    return cast("_Cached", cached)


def forget_translated_texts() -> None:
    """Empty the caches of translated texts: call after the app's language changes."""
    for cached in _TRANSLATED_CACHES:
        cached.cache_clear()


_PLACEHOLDER = re.compile(r"%([1-9])")


def fill(template: str, *values: object) -> str:
    """A translated `template` with %1, %2, … replaced by `values` in one pass, as
    QString::arg does (a value that itself holds "%2" is left alone)."""

    def value(match: re.Match[str]) -> str:
        number = int(match.group(1))
        return str(values[number - 1]) if number <= len(values) else match.group(0)

    return _PLACEHOLDER.sub(value, template)


def one_line(text: str) -> str:
    """`text` as one line: line breaks and runs of spaces become one space."""
    return " ".join(text.split())


def short_preview(text: str, limit: int = 100) -> str:
    """One line of at most `limit` characters, with "…" where it was cut
    (a notification's text: never the whole of a long message)."""
    line = one_line(text)
    if len(line) <= limit:
        return line
    return line[:limit].rstrip() + "…"


def initials(title: str) -> str:
    """One or two letters for an avatar: the first letters of the first two words."""
    words = [w for w in title.replace("_", " ").replace("-", " ").replace(".", " ").split()]
    letters = [next((ch for ch in w if ch.isalnum()), "") for w in words]
    letters = [ch for ch in letters if ch]
    if not letters:
        return "?"
    return "".join(letters[:2]).upper()


def locale_date(when: date, pattern: str) -> str:
    """`when`'s day written with a QLocale `pattern` ("d MMMM") in the app's locale."""
    return QLocale().toString(QDate(when.year, when.month, when.day), pattern)


def conversation_time_text(ms: int | None, now: datetime | None = None) -> str:
    """ "HH:MM" for today, "3 Mar" (zh: "3月3日") this year, "03.03.2024" before that."""
    if not ms:
        return ""
    when = datetime.fromtimestamp(ms / 1000)
    today = (now or datetime.now()).date()
    if when.date() == today:
        return when.strftime("%H:%M")
    return _short_day(when.date(), today)


@translated_cache
def _short_day(when: date, today: date) -> str:
    if when.year == today.year:
        return locale_date(when, QCoreApplication.translate("Dates", "d MMM"))
    return locale_date(when, QCoreApplication.translate("Dates", "dd.MM.yyyy"))


def day_label(ms: int, now: datetime | None = None) -> str:
    """The day of a time in ms, as a chat's date line says it: "Today", "Yesterday",
    "3 March" this year, "31 December 2023" before (zh: "今天", "昨天", "3月3日",
    "2023年12月31日")."""
    when = datetime.fromtimestamp(ms / 1000).date()
    return _day_text(when, (now or datetime.now()).date())


@translated_cache
def _day_text(when: date, today: date) -> str:
    """`day_label` of a day, cached: the date line is asked for on every paint."""
    if when == today:
        return QCoreApplication.translate("Dates", "Today")
    if (today - when).days == 1:
        return QCoreApplication.translate("Dates", "Yesterday")
    if when.year == today.year:
        return locale_date(when, QCoreApplication.translate("Dates", "d MMMM"))
    return locale_date(when, QCoreApplication.translate("Dates", "d MMMM yyyy"))


def mark_of(value: Any) -> Mark | None:
    """The `Mark` a role holds, or None for no value or an unknown one."""
    if value is None:
        return None
    try:
        return Mark(int(value))
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- colours


def blend(a: QColor, b: QColor, t: float) -> QColor:
    """`a` moved a fraction `t` of the way toward `b`."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
        1.0,
    )


def luminance(colour: QColor) -> float:
    """WCAG relative luminance."""

    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio, 1..21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable(preferred: QColor, background: QColor, minimum: float = 4.5) -> QColor:
    """`preferred` if it reads on `background`, else black or white, whichever reads better."""
    if contrast(preferred, background) >= minimum:
        return preferred
    black, white = QColor(Qt.GlobalColor.black), QColor(Qt.GlobalColor.white)
    return black if contrast(black, background) >= contrast(white, background) else white


# Telegram-like hues; names and avatars pick one by a stable hash of the name.
_HUES = ("#E17076", "#7BC862", "#65AADD", "#A695E7", "#EE7AAE", "#6EC9CB", "#FAA774", "#5B8DEF")


@lru_cache(maxsize=1024)
def _hue_for(name: str) -> str:
    return _HUES[zlib.crc32(name.encode("utf-8")) % len(_HUES)]


def avatar_colour(name: str) -> QColor:
    """The avatar colour of a person or group: the same in every view of the app."""
    return QColor(_hue_for(name))


def paint_avatar(
    painter: QPainter, rect: QRect, name: str, font: QFont, fade_into: QColor | None = None
) -> None:
    """A round avatar with the person's initials; `fade_into` dims it toward a
    background colour (an alpha would look muddy on dark palettes)."""
    colour = avatar_colour(name)
    if fade_into is not None:
        colour = QColor.fromRgbF(
            colour.redF() * 0.55 + fade_into.redF() * 0.45,
            colour.greenF() * 0.55 + fade_into.greenF() * 0.45,
            colour.blueF() * 0.55 + fade_into.blueF() * 0.45,
        )
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawEllipse(rect)
    painter.setPen(QColor(Qt.GlobalColor.white))
    painter.setFont(font)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, initials(name))


def row_inks(option: QStyleOptionViewItem) -> tuple[QColor, QColor]:
    """An item row's text colour (the highlighted text's when selected) and the
    same at 60 % for its quieter parts."""
    selected = bool(option.state & QStyle.StateFlag.State_Selected)
    text = option.palette.color(
        QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
    )
    dim = QColor(text)
    dim.setAlphaF(0.6)
    return text, dim


def paint_item_panel(
    delegate: QStyledItemDelegate, painter: QPainter, option: QStyleOptionViewItem, index: Any
) -> None:
    """The style's panel of an item (hover, selection) without its text, for a
    delegate that paints the row itself on top."""
    panel = QStyleOptionViewItem(option)
    delegate.initStyleOption(panel, index)
    panel.text = ""
    widget = option.widget
    style = widget.style() if widget is not None else QApplication.style()
    style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, panel, painter, widget)


@lru_cache(maxsize=1024)
def name_colour(name: str, dark: bool) -> QColor:
    """The sender-name colour for `name`, readable on a light or dark bubble."""
    hue = QColor(_hue_for(name))
    return hue.lighter(115) if dark else hue.darker(140)


@dataclasses.dataclass(frozen=True)
class BubbleColours:
    dark: bool
    outgoing: QColor
    outgoing_border: QColor
    outgoing_text: QColor
    outgoing_meta: QColor
    incoming: QColor
    incoming_border: QColor
    incoming_text: QColor
    incoming_meta: QColor
    read_tick: QColor
    failed: QColor
    accent: QColor
    selection: QColor

    @classmethod
    def from_palette(cls, palette: QPalette) -> BubbleColours:
        role = QPalette.ColorRole
        base, text = palette.color(role.Base), palette.color(role.Text)
        highlight = palette.color(role.Highlight)
        dark = luminance(base) < 0.3
        outgoing = blend(highlight, base, 0.55 if dark else 0.8)
        incoming = blend(palette.color(role.AlternateBase), palette.color(role.Button), 0.5)
        if abs(luminance(incoming) - luminance(base)) < 0.05:
            # Too close to the view's background to read as a bubble.
            incoming = blend(incoming, text, 0.07)
        out_text = readable(text, outgoing)
        in_text = readable(text, incoming)
        read_tick = QColor("#34B7F1") if dark else QColor("#1391D9")
        return cls(
            dark=dark,
            outgoing=outgoing,
            outgoing_border=blend(outgoing, highlight, 0.25),
            outgoing_text=out_text,
            outgoing_meta=blend(out_text, outgoing, 0.45),
            incoming=incoming,
            incoming_border=blend(incoming, text, 0.08),
            incoming_text=in_text,
            incoming_meta=blend(in_text, incoming, 0.45),
            read_tick=read_tick,
            failed=QColor("#FF6B6B") if dark else QColor("#E0383E"),
            accent=read_tick,
            selection=QColor(highlight.red(), highlight.green(), highlight.blue(), 40),
        )


class PaletteCache:
    """BubbleColours per palette, keyed by QPalette.cacheKey()."""

    def __init__(self) -> None:
        self._key: int | None = None
        self._colours: BubbleColours | None = None

    def get(self, palette: QPalette) -> BubbleColours:
        key = palette.cacheKey()
        if key != self._key or self._colours is None:
            self._key, self._colours = key, BubbleColours.from_palette(palette)
        return self._colours


class Lru(OrderedDict):
    """A bounded cache: `lookup` refreshes a key, `store` drops the oldest past `limit`."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def lookup(self, key: Any) -> Any:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def store(self, key: Any, value: Any) -> Any:
        self[key] = value
        if len(self) > self.limit:
            self.popitem(last=False)
        return value


# ---------------------------------------------------------------- ticks


class TickArt:
    """The receipt marks as stroked paths in an 18x12 box, built once, drawn anywhere."""

    SIZE = QSize(18, 12)

    def __init__(self) -> None:
        self.single = QPainterPath()
        self._check(self.single, 4.0)
        self.double = QPainterPath()
        self._check(self.double, 0.8)
        # The second check's short leg starts behind the first one's long leg.
        self.double.moveTo(7.9, 7.3)
        self.double.lineTo(9.4, 8.8)
        self.double.lineTo(15.8, 2.2)
        self.small_check = QPainterPath()
        self.small_check.moveTo(-2.6, 0.1)
        self.small_check.lineTo(-0.8, 1.9)
        self.small_check.lineTo(2.6, -1.6)
        self.clock_face = QPainterPath()
        self.clock_face.addEllipse(QPointF(9.0, 6.0), 4.8, 4.8)
        self.clock_hands = QPainterPath()
        self.clock_hands.moveTo(9.0, 3.2)
        self.clock_hands.lineTo(9.0, 6.0)
        self.clock_hands.lineTo(11.2, 7.3)
        self.failed_disc = QPainterPath()
        self.failed_disc.addEllipse(QPointF(9.0, 6.0), 6.0, 6.0)
        self.bang = QPainterPath()
        self.bang.moveTo(9.0, 2.7)
        self.bang.lineTo(9.0, 6.9)
        self.bang_dot = QPointF(9.0, 9.2)

    @staticmethod
    def _check(path: QPainterPath, x: float) -> None:
        path.moveTo(x, 5.4)
        path.lineTo(x + 3.4, 8.8)
        path.lineTo(x + 9.8, 2.2)

    def paint(
        self, painter: QPainter, box: QRect, mark: Mark, colour: QColor, colours: BubbleColours
    ) -> None:
        """Draw `mark` into `box` (SIZE): grey ticks in `colour`, blue for read, red if failed."""
        painter.save()
        painter.translate(box.topLeft())
        painter.setBrush(Qt.BrushStyle.NoBrush)
        pen = QPen(colour, 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        if mark is Mark.PENDING:
            pen.setWidthF(1.2)
            painter.setPen(pen)
            painter.drawPath(self.clock_face)
            painter.drawPath(self.clock_hands)
        elif mark is Mark.SENT:
            painter.setPen(pen)
            painter.drawPath(self.single)
        elif mark is Mark.DELIVERED:
            painter.setPen(pen)
            painter.drawPath(self.double)
        elif mark is Mark.READ:
            pen.setColor(colours.read_tick)
            painter.setPen(pen)
            painter.drawPath(self.double)
        elif mark is Mark.FAILED:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colours.failed)
            painter.drawPath(self.failed_disc)
            white = QPen(QColor(Qt.GlobalColor.white), 1.8, Qt.PenStyle.SolidLine)
            white.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(white)
            painter.drawPath(self.bang)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(Qt.GlobalColor.white))
            painter.drawEllipse(self.bang_dot, 1.0, 1.0)
        painter.restore()


_TICKS: TickArt | None = None


def shared_ticks() -> TickArt:
    """The one `TickArt` every painter draws with, built on first use."""
    global _TICKS
    if _TICKS is None:
        _TICKS = TickArt()
    return _TICKS


# ---------------------------------------------------------------- fonts


def _scaled(font: QFont, factor: float, *, bold: bool = False) -> QFont:
    scaled = QFont(font)
    if font.pointSizeF() > 0:
        scaled.setPointSizeF(font.pointSizeF() * factor)
    else:
        scaled.setPixelSize(max(1, round(font.pixelSize() * factor)))
    if bold:
        scaled.setWeight(QFont.Weight.DemiBold)
    return scaled


class Fonts:
    """The fonts a painter derives from the view's font, rebuilt only when it changes."""

    def __init__(self, base: QFont) -> None:
        self.source = QFont(base)
        self.text = _scaled(base, 1.1)
        self.text_fm = QFontMetrics(self.text)
        self.bold = _scaled(base, 1.1, bold=True)
        self.bold_fm = QFontMetrics(self.bold)
        self.sender = _scaled(base, 0.95, bold=True)
        self.sender_fm = QFontMetrics(self.sender)
        self.small = _scaled(base, 0.85)
        self.small_fm = QFontMetrics(self.small)
        self.badge = _scaled(base, 0.85, bold=True)
        self.badge_fm = QFontMetrics(self.badge)
        self.time_width = self.small_fm.horizontalAdvance("00:00")
