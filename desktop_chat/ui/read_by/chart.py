"""The "Read by" view's chart: how many read (and confirmed) an announcement over time.

Owns: `CHART_EDGES` (the times since sending, in seconds, the server is asked to
count at: one `fetch_group_ack_stats` call, never a page walk), `Progress` (the
counts as the chart reads them: cumulative reads and confirmations at each edge
up to now, the member count, the reminders' times since sending; `count_at`,
`figures` for the labelled 5 min, 1 h and 1 day) and `ProgressChart`, a widget
painted with QPainter: cumulative reads against time since sending on a
logarithmic time axis (so the first minutes and the first week both have
room), a second line for confirmations, a dot with its figure after 5 min, 1 h
and 1 day, and a dashed upright line at each reminder ("Remind the rest"), so an
owner sees whether a reminder worked. Live acks move the last point at once
(`set_live_counts`); the controller refetches the counts at most once a second.

Never: talk to the client, or read the clock except when no `now_ms` is given.
Colours come from the palette (light and dark themes), with fixed hues for the
two lines and the reminders chosen for each.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import time

from PySide6.QtCore import QCoreApplication, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop_chat.client import GroupAckStats
from desktop_chat.ui.painting.common import BubbleColours, fill

MINUTE, HOUR, DAY = 60, 3600, 86400
CHART_EDGES = (
    *(0, 30, MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 20 * MINUTE, 30 * MINUTE),
    *(HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, 12 * HOUR, DAY, 2 * DAY, 4 * DAY, 7 * DAY),
)
FIGURES = (5 * MINUTE, HOUR, DAY)  # the labelled points
_SCALE = 30.0  # seconds: where the log axis stops being roughly linear


def span_label(seconds: int) -> str:
    if seconds >= DAY:
        days = seconds // DAY
        if days == 1:
            return QCoreApplication.translate("ProgressChart", "%n day", "", days)
        return QCoreApplication.translate("ProgressChart", "%n days", "", days)
    if seconds >= HOUR:
        return QCoreApplication.translate("ProgressChart", "%n h", "", seconds // HOUR)
    return QCoreApplication.translate("ProgressChart", "%n min", "", max(1, seconds // MINUTE))


@dataclasses.dataclass(frozen=True)
class Progress:
    """Cumulative counts at times since sending (seconds), up to `now` (seconds)."""

    member_count: int
    now: int
    edges: tuple[int, ...]
    reads: tuple[int, ...]
    confirms: tuple[int, ...]
    reminders: tuple[int, ...]  # seconds since sending

    @classmethod
    def from_stats(cls, stats: GroupAckStats, now_ms: int | None = None) -> Progress:
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        now = max(0, (now_ms - stats.sent_at) // 1000)
        points = [
            (edge, read, confirmed)
            for edge, read, confirmed in zip(stats.edges, stats.reads, stats.confirms, strict=False)
            if edge <= now
        ]
        points.append((now, stats.read_count, stats.confirm_count))
        return cls(
            member_count=stats.member_count,
            now=now,
            edges=tuple(p[0] for p in points),
            reads=tuple(p[1] for p in points),
            confirms=tuple(p[2] for p in points),
            reminders=tuple(
                max(0, (r - stats.sent_at) // 1000) for r in stats.reminders if r >= stats.sent_at
            ),
        )

    def with_live(self, read: int, confirmed: int) -> Progress:
        """The last point (now) raised to counts seen live since the fetch."""
        reads = (*self.reads[:-1], max(self.reads[-1], read))
        confirms = (*self.confirms[:-1], max(self.confirms[-1], confirmed))
        return dataclasses.replace(self, reads=reads, confirms=confirms)

    def count_at(self, seconds: int, confirmed: bool = False) -> int:
        """The cumulative count at the last edge at or before `seconds`."""
        values = self.confirms if confirmed else self.reads
        position = bisect.bisect_right(self.edges, seconds) - 1
        return values[position] if position >= 0 else 0

    def figures(self) -> list[tuple[int, int, int]]:
        """(seconds, read, confirmed) after 5 min, 1 h and 1 day, as far as reached."""
        return [
            (at, self.count_at(at), self.count_at(at, True)) for at in FIGURES if at <= self.now
        ]

    @property
    def span(self) -> int:
        """The time axis's end: 1 h at least, else the next of 1 day and 1 week past now."""
        for end in (HOUR, DAY, 7 * DAY):
            if self.now <= end:
                return end
        return self.now


class ProgressChart(QWidget):
    """Reads (and confirmations) over time since sending, painted with QPainter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("progressChart")
        self.setAccessibleName(self.tr("Reads over time"))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(150)
        self.progress: Progress | None = None
        self._fetched: Progress | None = None

    def sizeHint(self) -> QSize:
        return QSize(400, 150)

    def set_progress(self, progress: Progress | None) -> None:
        self._fetched = self.progress = progress
        self._describe()
        self.update()

    def set_live_counts(self, read: int, confirmed: int) -> None:
        """Counts seen since the last fetch (live acks): the last point moves now."""
        if self._fetched is not None:
            self.progress = self._fetched.with_live(read, confirmed)
            self._describe()
            self.update()

    def summary(self) -> str:
        """ "After 5 min: 12 read · After 1 h: 30 read, 8 confirmed" (screen readers too)."""
        if self.progress is None:
            return ""
        parts = []
        for at, read, confirmed in self.progress.figures():
            template = (
                QCoreApplication.translate("ProgressChart", "After %1: %2 read, %3 confirmed")
                if confirmed
                else QCoreApplication.translate("ProgressChart", "After %1: %2 read")
            )
            parts.append(fill(template, span_label(at), read, confirmed))
        return " · ".join(parts)

    def _describe(self) -> None:
        self.setAccessibleDescription(self.summary())
        self.setToolTip(self.summary())

    # ------------------------------------------------------------------ geometry

    def plot_rect(self) -> QRectF:
        metrics = QFontMetrics(self._small_font())
        left = metrics.horizontalAdvance("0000") + 8
        return QRectF(
            left,
            metrics.height() + 8,
            self.width() - left - 12,
            self.height() - 2 * metrics.height() - 16,
        )

    def point_for(self, seconds: float, count: float) -> QPointF:
        """Where `count` members at `seconds` since sending is drawn."""
        assert self.progress is not None
        plot = self.plot_rect()
        span = math.log1p(self.progress.span / _SCALE)
        x = plot.left() + plot.width() * math.log1p(max(0.0, seconds) / _SCALE) / span
        top = max(1, self.progress.member_count)
        return QPointF(x, plot.bottom() - plot.height() * min(count, top) / top)

    def _small_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.85)
        return font

    def colours(self) -> tuple[QColor, QColor, QColor]:
        """The reads line, the confirmations line and the reminders."""
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        accent = BubbleColours.from_palette(self.palette()).accent
        return (
            accent,
            QColor("#81c995") if dark else QColor("#1e8e3e"),
            QColor("#fdd663") if dark else QColor("#e8710a"),
        )

    # ------------------------------------------------------------------ painting

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        progress = self.progress
        if progress is None or self.plot_rect().width() < 40:
            painter.end()
            return
        read_colour, confirm_colour, remind_colour = self.colours()
        self._paint_axes(painter, progress)
        self._paint_reminders(painter, progress, remind_colour)
        self._paint_line(painter, progress, progress.confirms, confirm_colour, 1.6)
        self._paint_line(painter, progress, progress.reads, read_colour, 2.2)
        self._paint_figures(painter, progress, read_colour)
        self._paint_legend(painter, read_colour, confirm_colour)
        painter.end()

    def _paint_legend(self, painter: QPainter, read_colour: QColor, confirm_colour: QColor) -> None:
        """ "— Read  — Confirmed" at the top right."""
        font = self._small_font()
        painter.setFont(font)
        metrics = QFontMetrics(font)
        right = self.plot_rect().right()
        y = metrics.height() / 2 + 2
        for text, colour in (
            (QCoreApplication.translate("ProgressChart", "Confirmed"), confirm_colour),
            (QCoreApplication.translate("ProgressChart", "Read"), read_colour),
        ):
            width = metrics.horizontalAdvance(text)
            painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
            painter.drawText(
                QRectF(right - width, 2, width + 2, metrics.height()),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                text,
            )
            painter.setPen(QPen(colour, 2.4))
            painter.drawLine(QPointF(right - width - 20, y), QPointF(right - width - 6, y))
            right -= width + 34

    def _paint_axes(self, painter: QPainter, progress: Progress) -> None:
        plot = self.plot_rect()
        ink = self.palette().color(QPalette.ColorRole.PlaceholderText)
        grid = QColor(ink)
        grid.setAlphaF(0.25)
        painter.setFont(self._small_font())
        metrics = QFontMetrics(self._small_font())
        members = max(1, progress.member_count)
        for count in sorted({0, members // 2, members}):
            y = self.point_for(0, count).y()
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(ink)
            painter.drawText(
                QRectF(0, y - metrics.height() / 2, plot.left() - 6, metrics.height()),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                str(count),
            )
        ticks = [at for at in (MINUTE, *FIGURES, 7 * DAY) if at <= progress.span]
        for at in ticks:
            x = self.point_for(at, 0).x()
            painter.setPen(QPen(grid, 1, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            painter.setPen(ink)
            label = span_label(at)
            width = metrics.horizontalAdvance(label)
            painter.drawText(
                QRectF(x - width / 2 - 2, plot.bottom() + 4, width + 4, metrics.height()),
                int(Qt.AlignmentFlag.AlignCenter),
                label,
            )

    def _paint_line(
        self,
        painter: QPainter,
        progress: Progress,
        values: tuple[int, ...],
        colour: QColor,
        width: float,
    ) -> None:
        """A cumulative count as steps: it holds until the next edge, then rises."""
        path = QPainterPath(self.point_for(0, 0))
        previous = 0
        for edge, value in zip(progress.edges, values, strict=True):
            path.lineTo(self.point_for(edge, previous))
            path.lineTo(self.point_for(edge, value))
            previous = value
        pen = QPen(colour, width)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)

    def _paint_reminders(self, painter: QPainter, progress: Progress, colour: QColor) -> None:
        plot = self.plot_rect()
        pen = QPen(colour, 1.4, Qt.PenStyle.DashLine)
        painter.setFont(self._small_font())
        for index, at in enumerate(progress.reminders):
            x = self.point_for(at, 0).x()
            painter.setPen(pen)
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            if index == 0:
                painter.setPen(colour)
                painter.drawText(
                    QRectF(x + 3, 0, 200, plot.top()),
                    int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                    QCoreApplication.translate("ProgressChart", "Reminded"),
                )

    def _paint_figures(self, painter: QPainter, progress: Progress, colour: QColor) -> None:
        """A dot and its count on the reads line after 5 min, 1 h and 1 day."""
        font = self._small_font()
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        for at, read, _confirmed in progress.figures():
            point = self.point_for(at, read)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawEllipse(point, 3.5, 3.5)
            label = str(read)
            width = metrics.horizontalAdvance(label)
            painter.setPen(colour)
            painter.drawText(
                QRectF(
                    point.x() - width - 6,
                    point.y() - metrics.height() - 2,
                    width + 4,
                    metrics.height(),
                ),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom),
                label,
            )
