"""The "Read by" view of one group message that asked for read receipts (RECEIPTS.md §9).

Owns: `ReadByDialog`: the message it is about (quoted, cut after three lines,
whole in its tooltip), the header "Read by n of m" with its percentage, the
number who confirmed, and bar, the chart of reads over time (`chart`), "Search
members", the "Read (n)" and "Not read yet (n)" tabs (each a
`member_list.MemberList`), live merging of new acks (a reader who confirms later
gains the confirmation in place), "Remind the rest", the status line, and
"Export CSV…" (the file is written by `export.write_csv`).

The controller pages every ack and the unread names in with `set_acks`,
`add_acks` and `set_unread`, answers `remind_requested` with `show_reminded` or
`show_error`, and `stats_wanted` with `set_stats` (one request for the chart's
counts; while acks arrive the dialog asks at most once a second, and moves the
chart's last point at once).

Never: import or call the client, or count anyone twice. A member who acked
twice is one reader at the time of the first ack, and a reader is never also
listed as not read. The dialog is non-modal; open it with `show()` or `open()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.ui.accessible import name_clear_button
from desktop_chat.ui.painting.common import fill
from desktop_chat.ui.read_by.chart import Progress, ProgressChart
from desktop_chat.ui.read_by.export import write_csv
from desktop_chat.ui.read_by.member_list import MemberList
from desktop_chat.ui.read_by.model import MemberListModel, MemberRow

if TYPE_CHECKING:
    from desktop_chat.client.models import GroupAckStats, GroupMessageAck


class _ElidedLabel(QLabel):
    """The message, wrapped on up to three lines and cut with "…" after; the whole
    text is the tooltip."""

    MAX_CHARS = 280

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = " ".join(text.split())
        self.setToolTip(text)
        self.setMinimumWidth(40)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        shown = self._full
        if len(shown) > self.MAX_CHARS:
            shown = shown[: self.MAX_CHARS].rstrip() + "…"
        self.setText(shown)
        self.setMaximumHeight(self.fontMetrics().lineSpacing() * 3 + 4)

    def full_text(self) -> str:
        return self._full


class ReadByDialog(QDialog):
    """Who read one group message, who has not, and "Remind the rest".

    Signals: `remind_requested(msg_id, group_id)`. The controller answers it
    with `show_reminded(names)` or `show_error(text)`; until then the button
    stays disabled, so one click reminds once.
    """

    remind_requested = Signal(str, str)
    stats_wanted = Signal(str, str)  # msg_id, group_id: fetch the chart's counts again
    STATS_EVERY_MS = 1000  # while acks arrive, the counts are fetched at most this often

    def __init__(
        self,
        msg_id: str,
        group_id: str,
        text: str,
        member_count: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._msg_id = msg_id
        self._group_id = group_id
        self._member_count = member_count
        self._unread_known = False
        self._remind_pending = False
        self._file_dialog: QFileDialog | None = None
        self._reminders: list[int] = []  # when reminders went out (ms), for the file
        self._stats_timer = QTimer(self)
        self._stats_timer.setSingleShot(True)
        self._stats_timer.setInterval(self.STATS_EVERY_MS)
        self._stats_timer.timeout.connect(lambda: self.stats_wanted.emit(msg_id, group_id))
        self.setModal(False)
        self.setWindowTitle(self.tr("Read by"))
        self.setMinimumSize(440, 560)
        self.resize(480, 700)

        self._readers = MemberListModel(newest_first=True, parent=self)
        self._unread = MemberListModel(newest_first=False, parent=self)
        quote = self._build_quote(text)
        header_row = self._build_header()
        self._build_lists()
        self._status = QLabel()
        self._status.setObjectName("status")
        self._status.setWordWrap(True)
        self._status.hide()
        self.chart = ProgressChart()
        self._lay_out(quote, header_row, self._build_buttons())
        self._refresh()

    # --- building the dialog, top to bottom ----------------------------------------

    def _build_quote(self, text: str) -> QFrame:
        quote = QFrame()
        quote.setObjectName("quote")
        quote.setStyleSheet(
            "#quote { border-left: 3px solid palette(highlight);"
            " background: palette(alternate-base); border-radius: 4px; }"
        )
        self._text = _ElidedLabel(text)
        self._text.setObjectName("message_text")
        quote_layout = QHBoxLayout(quote)
        quote_layout.setContentsMargins(12, 8, 12, 8)
        quote_layout.addWidget(self._text)
        return quote

    def _build_header(self) -> QHBoxLayout:
        """The header "Read by n of m" with its percentage, and the bar under them."""
        self._header = QLabel()
        self._header.setObjectName("header")
        font = self._header.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setWeight(QFont.Weight.DemiBold)
        self._header.setFont(font)
        self._percent = QLabel()
        self._percent.setObjectName("percent")
        self._percent.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._confirmed = QLabel()
        self._confirmed.setObjectName("confirmed")
        header_row = QHBoxLayout()
        header_row.addWidget(self._header, 1)
        header_row.addWidget(self._confirmed)
        header_row.addWidget(self._percent)
        self._progress = QProgressBar()
        self._progress.setTextVisible(False)
        self._progress.setFixedHeight(6)
        self._progress.setStyleSheet(
            "QProgressBar { border: none; border-radius: 3px; background: palette(midlight); }"
            " QProgressBar::chunk { border-radius: 3px; background: palette(highlight); }"
        )
        return header_row

    def _build_lists(self) -> None:
        """The search field and the two tabs it filters."""
        self._search = QLineEdit()
        self._search.setObjectName("search")
        self._search.setPlaceholderText(self.tr("Search members"))
        self._search.setClearButtonEnabled(True)
        self._search.setAccessibleName(self.tr("Search members"))
        name_clear_button(self._search, self.tr("Clear the search"))
        self._search.textChanged.connect(self._filter)

        self._read_list = MemberList(self._readers, True, self.tr("Nobody has read this yet."))
        self._unread_list = MemberList(self._unread, False, self.tr("Loading who hasn't read it…"))
        self._read_list.view.setAccessibleName(self.tr("Members who read it"))
        self._unread_list.view.setAccessibleName(self.tr("Members who haven't read it"))
        self._tabs = QTabWidget()
        self._tabs.setObjectName("tabs")
        self._tabs.setAccessibleName(self.tr("Who read it"))
        self._tabs.setDocumentMode(True)
        self._tabs.addTab(self._read_list, "")
        self._tabs.addTab(self._unread_list, "")

    def _build_buttons(self) -> QHBoxLayout:
        self._export = QPushButton(self.tr("Export CSV…"))
        self._export.setObjectName("export")
        self._export.setAutoDefault(False)
        self._export.setToolTip(self.tr("Save who read it and who hasn't as a spreadsheet file"))
        self._export.clicked.connect(self._choose_export_file)
        self._remind = QPushButton(self.tr("Remind the rest"))
        self._remind.setObjectName("remind")
        self._remind.setAutoDefault(False)
        self._remind.clicked.connect(self._on_remind)
        close = QPushButton(self.tr("Close"))
        close.setAutoDefault(False)
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addWidget(self._export)
        buttons.addStretch(1)
        buttons.addWidget(self._remind)
        buttons.addWidget(close)
        return buttons

    def _lay_out(self, quote: QWidget, header_row: QLayout, buttons: QLayout) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 18, 18, 14)
        layout.setSpacing(10)
        layout.addWidget(quote)
        layout.addSpacing(4)
        layout.addLayout(header_row)
        layout.addWidget(self._progress)
        layout.addWidget(self.chart)
        layout.addSpacing(4)
        layout.addWidget(self._search)
        layout.addWidget(self._tabs, 1)
        layout.addWidget(self._status)
        layout.addLayout(buttons)

    # --- what the controller and tests read and set --------------------------------

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # A focused search box would hide its "Search members" hint; start on the list.
        self._tabs.currentWidget().setFocus()

    @property
    def msg_id(self) -> str:
        return self._msg_id

    @property
    def group_id(self) -> str:
        return self._group_id

    def read_names(self) -> list[str]:
        """Readers, newest first."""
        return self._readers.names()

    def unread_names(self) -> list[str]:
        return self._unread.names()

    def header_text(self) -> str:
        return self._header.text()

    def tab_titles(self) -> tuple[str, str]:
        return self._tabs.tabText(0), self._tabs.tabText(1)

    def status_text(self) -> str:
        return "" if self._status.isHidden() else self._status.text()

    def set_acks(self, acks: Iterable[GroupMessageAck]) -> None:
        """Show exactly these readers (the earliest ack of each member counts)."""
        rows = sorted(self._rows_from(acks), key=lambda row: row.read_at or 0)
        self._readers.replace(rows)
        self._unread.remove(self._readers.names())
        self._refresh()

    def add_acks(self, acks: Iterable[GroupMessageAck]) -> None:
        """Merge live acks: new readers move from "Not read yet" to "Read"; a
        reader already shown keeps their place and read time, and gains a
        confirmation (and its note) that came later."""
        rows = sorted(self._rows_from(acks), key=lambda row: row.read_at or 0)
        added = self._readers.insert(rows)
        confirmed = self._readers.update(row for row in rows if row not in added)
        if added:
            self._unread.remove(row.name for row in added)
        if added or confirmed:
            self._refresh()
            if not self._stats_timer.isActive():
                self._stats_timer.start()  # coalesced: at most one fetch a second

    def set_stats(self, stats: GroupAckStats, now_ms: int | None = None) -> None:
        """The chart's counts, as the server counted them (one request)."""
        self._reminders = sorted(stats.reminders)
        self.chart.set_progress(Progress.from_stats(stats, now_ms))
        self._refresh()

    def confirmed_count(self) -> int:
        return self._readers.confirmed_count()

    def set_unread(self, names: Iterable[str]) -> None:
        """Show exactly these members as not read yet (readers are left out)."""
        self._unread_known = True
        self._unread.replace(
            MemberRow(name) for name in names if name and name not in self._readers
        )
        self._unread_list.set_empty_text(self.tr("Everyone has read it."))
        self._refresh()

    def show_reminded(self, names: list[str]) -> None:
        count = len(names)
        self._remind_pending = False
        self.stats_wanted.emit(self._msg_id, self._group_id)  # the chart marks the reminder
        if count == 1:
            self._show_status(self.tr("Reminded %n member.", "", count))
        else:
            self._show_status(self.tr("Reminded %n members.", "", count))
        self._refresh()

    def show_error(self, text: str) -> None:
        self._remind_pending = False
        self._show_status(text, error=True)
        self._refresh()

    def export_csv(self, path: Path) -> None:
        """Write member,status,read_at_iso,note,confirmed_at_iso: readers newest
        first, then the members not read yet, then the reminders' times. UTF-8
        with a BOM so Excel reads any script; a note that a spreadsheet would run
        as a formula is prefixed with "'".
        Raises OSError if the file cannot be written."""
        write_csv(path, self._readers.rows(), self._unread.rows(), self._reminders)

    def _rows_from(self, acks: Iterable[GroupMessageAck]) -> list[MemberRow]:
        earliest: dict[str, MemberRow] = {}
        for ack in acks:
            if ack.message_id and ack.message_id != self._msg_id:
                continue
            seen = earliest.get(ack.from_)
            confirmed_at = ack.confirmed_at
            if seen is None or (seen.read_at or 0) > ack.timestamp:
                confirmed_at = confirmed_at if seen is None else seen.confirmed_at or confirmed_at
                note = ack.content or (seen.note if seen is not None else "")
                earliest[ack.from_] = MemberRow(ack.from_, ack.timestamp, note, confirmed_at)
            elif confirmed_at is not None:  # a later ack of the same reader: the confirmation
                earliest[ack.from_] = MemberRow(
                    seen.name, seen.read_at, ack.content or seen.note, confirmed_at
                )
        return list(earliest.values())

    def _refresh(self) -> None:
        read = self._readers.rowCount()
        unread = self._unread.rowCount()
        total = self._member_count
        if total > 0:
            self._header.setText(fill(self.tr("Read by %1 of %2"), read, total))
        else:
            self._header.setText(fill(self.tr("Read by %1"), read))
        if total > 0:
            self._percent.setText(f"{min(100, round(100 * read / total))}%")
            self._progress.setRange(0, total)
            self._progress.setValue(min(read, total))
        else:
            self._percent.clear()
            self._progress.setRange(0, 1)
            self._progress.setValue(0)
        confirmed = self._readers.confirmed_count()
        self._confirmed.setText(fill(self.tr("%1 confirmed"), confirmed) if confirmed else "")
        self.chart.set_live_counts(read, confirmed)
        self._tabs.setTabText(0, fill(self.tr("Read (%1)"), read))
        self._tabs.setTabText(
            1,
            fill(self.tr("Not read yet (%1)"), unread)
            if self._unread_known
            else self.tr("Not read yet"),
        )
        self._remind.setEnabled(unread > 0 and not self._remind_pending)
        self._remind.setText(
            self.tr("Reminding…") if self._remind_pending else self.tr("Remind the rest")
        )
        if unread == 1:
            self._remind.setToolTip(self.tr("Notify the %n member who hasn't read it", "", unread))
        elif unread:
            self._remind.setToolTip(
                self.tr("Notify the %n members who haven't read it", "", unread)
            )
        else:
            self._remind.setToolTip(self.tr("Everyone has read it") if self._unread_known else "")

    # --- keeping what shows in step, and the buttons' work ---------------------------

    def _show_status(self, text: str, error: bool = False) -> None:
        if error:
            dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
            self._status.setStyleSheet(f"color: {'#f28b82' if dark else '#c5221f'};")
        else:
            self._status.setStyleSheet("")
        self._status.setText(text)
        self._status.show()

    def _filter(self, text: str) -> None:
        self._read_list.set_filter(text.strip())
        self._unread_list.set_filter(text.strip())

    def _on_remind(self) -> None:
        if self._remind_pending or not self._unread.rowCount():
            return
        self._remind_pending = True
        self._status.hide()
        self._refresh()
        self.remind_requested.emit(self._msg_id, self._group_id)

    def _choose_export_file(self) -> None:
        if self._file_dialog is not None:
            self._file_dialog.raise_()
            return
        dialog = QFileDialog(self, self.tr("Export read receipts"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setNameFilter(self.tr("CSV files (*.csv)"))
        dialog.setDefaultSuffix("csv")
        dialog.selectFile(f"read-by-{self._msg_id[:12]}.csv")
        dialog.fileSelected.connect(self._export_to)
        dialog.finished.connect(self._forget_file_dialog)
        self._file_dialog = dialog
        dialog.open()

    def _forget_file_dialog(self) -> None:
        if self._file_dialog is not None:
            self._file_dialog.deleteLater()
            self._file_dialog = None

    def _export_to(self, file_name: str) -> None:
        path = Path(file_name)
        try:
            self.export_csv(path)
        except OSError as error:
            reason = error.strerror or str(error)
            template = self.tr("Couldn't save %1: %2. Choose another folder and try again.")
            self.show_error(fill(template, path.name, reason))
            return
        rows = self._readers.rowCount() + self._unread.rowCount()
        if rows == 1:
            self._show_status(fill(self.tr("Saved %n member to %1.", "", rows), path.name))
        else:
            self._show_status(fill(self.tr("Saved %n members to %1.", "", rows), path.name))
