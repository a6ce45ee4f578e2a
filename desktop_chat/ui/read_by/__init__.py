"""The "Read by" view of one group message that asked for read receipts (RECEIPTS.md §9).

What a person sees, and where it lives:
- `dialog`: `ReadByDialog`, the window itself (the quoted message, "Read by n
  of m" with its bar, "Search members", the "Read" and "Not read yet" tabs,
  "Remind the rest", the status line, "Export CSV…");
- `member_list`: one tab's list, or its quiet line when nobody shows;
- `model`: the members as a Qt model (`MemberListModel`, its `MemberRole`s
  and `MemberRow`): one row per name, readers newest first;
- `painting`: how one member row looks (`MemberPainter`, `MemberDelegate`);
- `times`: how a read time reads (`format_read_time`, and the tooltip's and
  the file's forms);
- `export`: the CSV file (`CSV_COLUMNS`, `write_csv`).

This package only re-exports those names, so `from desktop_chat.ui.read_by
import ReadByDialog` works.
"""

from desktop_chat.ui.read_by.dialog import ReadByDialog
from desktop_chat.ui.read_by.export import CSV_COLUMNS
from desktop_chat.ui.read_by.model import MemberListModel, MemberRole, MemberRow
from desktop_chat.ui.read_by.painting import MemberDelegate, MemberPainter
from desktop_chat.ui.read_by.times import format_read_time

__all__ = [
    "CSV_COLUMNS",
    "MemberDelegate",
    "MemberListModel",
    "MemberPainter",
    "MemberRole",
    "MemberRow",
    "ReadByDialog",
    "format_read_time",
]
