"""The "Read by" view's CSV export: who read a message, and who has not, as a file.

Owns: `CSV_COLUMNS` and `write_csv`: one line per member (member, status:
"read", "confirmed" or "unread", read_at_iso, note, confirmed_at_iso), readers
first in the order given, then the members not read yet; then, when reminders
went out, an empty line and a "reminded_at_iso" section, one reminder per line.
UTF-8 with a BOM so Excel reads any script; a note a spreadsheet would run as a
formula is prefixed with "'". The first four columns are as older versions
wrote them, so a sheet built on them keeps working.

Never: import Qt, ask where to save (the dialog does), or swallow an OSError.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_chat.ui.read_by.times import iso_time

if TYPE_CHECKING:
    from desktop_chat.ui.read_by.model import MemberRow

CSV_COLUMNS = ("member", "status", "read_at_iso", "note", "confirmed_at_iso")
REMINDERS_HEADER = ("reminded_at_iso",)
# Spreadsheets run a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def write_csv(
    path: Path,
    readers: Iterable[MemberRow],
    unread: Iterable[MemberRow],
    reminders: Iterable[int] = (),
) -> None:
    """Write the readers (each with a read time, and a confirmation time if they
    confirmed), then the members not read yet, then when reminders went out (ms).
    Raises OSError if the file cannot be written."""
    with Path(path).open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_COLUMNS)
        for row in readers:
            assert row.read_at is not None
            confirmed = row.confirmed_at is not None
            writer.writerow(
                (
                    row.name,
                    "confirmed" if confirmed else "read",
                    iso_time(row.read_at),
                    spreadsheet_safe(row.note),
                    iso_time(row.confirmed_at) if row.confirmed_at is not None else "",
                )
            )
        for row in unread:
            writer.writerow((row.name, "unread", "", "", ""))
        times = sorted(reminders)
        if times:
            writer.writerow(())
            writer.writerow(REMINDERS_HEADER)
            for at in times:
                writer.writerow((iso_time(at),))
