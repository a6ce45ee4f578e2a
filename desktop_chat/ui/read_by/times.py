"""How a read time reads in the "Read by" view: in a row, a tooltip and a file.

Owns: `format_read_time` (a row's "Today 10:32", "Yesterday 10:32", "Mon
10:32", "12 Mar 10:32"), `full_time` (the tooltip's "Tuesday, 12 March 2024 at
10:32:05") and `iso_time` (the CSV's ISO 8601 with the local offset). All in
local time.

Never: import Qt, or read the clock except when no `now` is given.
"""

from __future__ import annotations

from datetime import datetime


def format_read_time(timestamp_ms: int, now: datetime | None = None) -> str:
    """A read time as a person says it, in local time: "Today 10:32",
    "Yesterday 10:32", "Mon 10:32" within the week, else "12 Mar 10:32"."""
    when = datetime.fromtimestamp(timestamp_ms / 1000)
    now = now or datetime.now()
    clock = when.strftime("%H:%M")
    days = (now.date() - when.date()).days
    if days == 0:
        return f"Today {clock}"
    if days == 1:
        return f"Yesterday {clock}"
    if 1 < days < 7:
        return f"{when.strftime('%a')} {clock}"
    if when.year == now.year:
        return f"{when.day} {when.strftime('%b')} {clock}"
    return f"{when.day} {when.strftime('%b %Y')} {clock}"


def full_time(timestamp_ms: int) -> str:
    when = datetime.fromtimestamp(timestamp_ms / 1000)
    return f"{when.strftime('%A')}, {when.day} {when.strftime('%B %Y at %H:%M:%S')}"


def iso_time(timestamp_ms: int) -> str:
    when = datetime.fromtimestamp(timestamp_ms / 1000).astimezone()
    return when.isoformat(timespec="seconds")
