"""How a read time reads in the "Read by" view: in a row, a tooltip and a file.

Owns: `format_read_time` (a row's "Today 10:32", "Yesterday 10:32", "Mon
10:32", "12 Mar 10:32"; zh_CN "今天 10:32", "周一 10:32", "3月12日 10:32"),
`full_time` (the tooltip's "Tuesday, 12 March 2024 at 10:32:05") and `iso_time`
(the CSV's ISO 8601 with the local offset). All in local time; the words and
the date order follow the application's locale (`QLocale()`) and the
translatable patterns of the "ReadTimes" context.

Never: read the clock except when no `now` is given, or put a translated word
in the CSV (`iso_time` is for machines).
"""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QCoreApplication, QDate, QDateTime, QLocale, QTime

from desktop_chat.ui.painting.common import translated_cache


def _local(when: datetime, pattern: str) -> str:
    moment = QDateTime(
        QDate(when.year, when.month, when.day), QTime(when.hour, when.minute, when.second)
    )
    return QLocale().toString(moment, pattern)


def format_read_time(timestamp_ms: int, now: datetime | None = None) -> str:
    """A read time as a person says it, in local time: "Today 10:32",
    "Yesterday 10:32", "Mon 10:32" within the week, else "12 Mar 10:32"."""
    return _read_time_text(timestamp_ms // 60_000, (now or datetime.now()).date())


@translated_cache
def _read_time_text(minute: int, today: date) -> str:
    """`format_read_time` of a minute, cached: each reader row asks on every paint."""
    when = datetime.fromtimestamp(minute * 60)
    clock = when.strftime("%H:%M")
    days = (today - when.date()).days
    if days == 0:
        return QCoreApplication.translate("ReadTimes", "Today %1").replace("%1", clock)
    if days == 1:
        return QCoreApplication.translate("ReadTimes", "Yesterday %1").replace("%1", clock)
    if 1 < days < 7:
        return _local(when, QCoreApplication.translate("ReadTimes", "ddd HH:mm"))
    if when.year == today.year:
        return _local(when, QCoreApplication.translate("ReadTimes", "d MMM HH:mm"))
    return _local(when, QCoreApplication.translate("ReadTimes", "d MMM yyyy HH:mm"))


def full_time(timestamp_ms: int) -> str:
    """The tooltip's whole time: "Tuesday, 12 March 2024 at 10:32:05"."""
    when = datetime.fromtimestamp(timestamp_ms / 1000)
    return _local(when, QCoreApplication.translate("ReadTimes", "dddd, d MMMM yyyy 'at' HH:mm:ss"))


def iso_time(timestamp_ms: int) -> str:
    when = datetime.fromtimestamp(timestamp_ms / 1000).astimezone()
    return when.isoformat(timespec="seconds")
