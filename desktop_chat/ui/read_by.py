"""The "Read by" view of one group message that asked for read receipts (RECEIPTS.md §9).

Owns: `ReadByDialog` (header "Read by n of m", the "Read" and "Not read yet"
lists, live merging of new acks, "Remind the rest", CSV export),
`MemberListModel` and its `MemberRole`s, the row painter, and how a read time
reads to a person (`format_read_time`).

The controller pages every ack and the unread names in with `set_acks`,
`add_acks` and `set_unread`, and answers `remind_requested` with
`show_reminded` or `show_error`.

Never: import or call the client, or count anyone twice. A member who acked
twice is one reader at the time of the first ack, and a reader is never also
listed as not read. The dialog is non-modal; open it with `show()` or `open()`.
"""

from __future__ import annotations

import bisect
import csv
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.ui.paint import paint_avatar

if TYPE_CHECKING:
    from desktop_chat.client.models import GroupMessageAck

CSV_COLUMNS = ("member", "status", "read_at_iso", "note")
# Spreadsheets run a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


_ModelIndex = QModelIndex | QPersistentModelIndex


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


def _full_time(timestamp_ms: int) -> str:
    when = datetime.fromtimestamp(timestamp_ms / 1000)
    return f"{when.strftime('%A')}, {when.day} {when.strftime('%B %Y at %H:%M:%S')}"


def _iso_time(timestamp_ms: int) -> str:
    when = datetime.fromtimestamp(timestamp_ms / 1000).astimezone()
    return when.isoformat(timespec="seconds")


def _spreadsheet_safe(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


class MemberRole(enum.IntEnum):
    NAME = int(Qt.ItemDataRole.UserRole) + 1  # str
    READ_AT = int(Qt.ItemDataRole.UserRole) + 2  # int ms | None: None while not read
    NOTE = int(Qt.ItemDataRole.UserRole) + 3  # str: the ack note, "" if none


@dataclass(frozen=True)
class MemberRow:
    name: str
    read_at: int | None = None
    note: str = ""


class MemberListModel(QAbstractListModel):
    """Members, one per name. Readers are kept newest first; names not read yet
    keep the order they were given in."""

    def __init__(self, newest_first: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._newest_first = newest_first
        self._rows: list[MemberRow] = []
        self._keys: list[tuple[int, str]] = []
        self._row_of: dict[str, int] = {}
        self._row_of_stale = False

    @staticmethod
    def _key(row: MemberRow) -> tuple[int, str]:
        return (-(row.read_at or 0), row.name)

    def rowCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, MemberRole.NAME):
            return row.name
        if role == MemberRole.READ_AT:
            return row.read_at
        if role == MemberRole.NOTE:
            return row.note
        if role == Qt.ItemDataRole.ToolTipRole and row.read_at is not None:
            tip = f"Read {_full_time(row.read_at)}"
            return f"{tip}\n“{row.note}”" if row.note else tip
        return None

    def rows(self) -> list[MemberRow]:
        return list(self._rows)

    def names(self) -> list[str]:
        return [row.name for row in self._rows]

    def __contains__(self, name: object) -> bool:
        return name in self._index()

    def replace(self, rows: Iterable[MemberRow]) -> None:
        """Show exactly `rows` (the first of each name wins)."""
        unique = list({row.name: row for row in reversed(list(rows))}.values())
        unique.reverse()
        if self._newest_first:
            unique.sort(key=self._key)
        self.beginResetModel()
        self._rows = unique
        self._keys = [self._key(row) for row in unique]
        self._row_of_stale = True
        self.endResetModel()

    def insert(self, rows: Iterable[MemberRow]) -> list[MemberRow]:
        """Add rows whose name is new, each in its place; returns those added."""
        added: list[MemberRow] = []
        index = self._index()
        for row in rows:
            if row.name in index:
                continue
            key = self._key(row)
            position = (
                bisect.bisect_left(self._keys, key) if self._newest_first else len(self._rows)
            )
            self.beginInsertRows(QModelIndex(), position, position)
            self._rows.insert(position, row)
            self._keys.insert(position, key)
            self.endInsertRows()
            index[row.name] = -1  # a placeholder until the index is rebuilt
            self._row_of_stale = True
            added.append(row)
        return added

    def remove(self, names: Iterable[str]) -> int:
        """Drop the rows of `names`; returns how many went."""
        index = self._index()
        positions = sorted({index[name] for name in names if name in index}, reverse=True)
        for position in positions:
            self.beginRemoveRows(QModelIndex(), position, position)
            del self._rows[position]
            del self._keys[position]
            self.endRemoveRows()
        if positions:
            self._row_of_stale = True
        return len(positions)

    def _index(self) -> dict[str, int]:
        if self._row_of_stale:
            self._row_of = {row.name: i for i, row in enumerate(self._rows)}
            self._row_of_stale = False
        return self._row_of


class MemberPainter:
    """Paints one member row: avatar, name, read time on the right, note below."""

    AVATAR = 32
    MARGIN = 12

    def __init__(self) -> None:
        self._base_font: QFont | None = None
        self._name_font = QFont()
        self._small_font = QFont()
        self._avatar_font = QFont()

    def _fonts_for(self, base: QFont) -> None:
        if self._base_font == base:
            return
        self._base_font = QFont(base)
        self._name_font = QFont(base)
        self._name_font.setWeight(QFont.Weight.DemiBold)
        self._small_font = QFont(base)
        self._small_font.setPointSizeF(base.pointSizeF() * 0.88)
        self._avatar_font = QFont(base)
        self._avatar_font.setWeight(QFont.Weight.Bold)

    def size_hint(self, option: QStyleOptionViewItem, two_lines: bool) -> QSize:
        self._fonts_for(option.font)
        line = QFontMetrics(self._name_font).height()
        small = QFontMetrics(self._small_font).height()
        content = line + small + 2 if two_lines else line
        return QSize(200, max(self.AVATAR, content) + 14)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _ModelIndex) -> None:
        self._fonts_for(option.font)
        name = index.data(MemberRole.NAME) or ""
        read_at = index.data(MemberRole.READ_AT)
        note = index.data(MemberRole.NOTE) or ""
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        text_colour = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        dim_colour = QColor(text_colour)
        dim_colour.setAlphaF(0.6)
        rect = option.rect.adjusted(self.MARGIN, 0, -self.MARGIN, 0)

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        avatar = QRect(
            rect.left(), rect.center().y() - self.AVATAR // 2 + 1, self.AVATAR, self.AVATAR
        )
        unread_fade = palette.color(QPalette.ColorRole.Base) if read_at is None else None
        paint_avatar(painter, avatar, name, self._avatar_font, unread_fade)

        text_left = avatar.right() + 12
        text_rect = QRect(text_left, rect.top(), rect.right() - text_left, rect.height())
        if read_at is not None:
            when = format_read_time(read_at)
            painter.setFont(self._small_font)
            painter.setPen(dim_colour)
            painter.drawText(
                text_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, when
            )
            text_rect.setRight(
                text_rect.right() - QFontMetrics(self._small_font).horizontalAdvance(when) - 12
            )

        name_font = self._name_font if read_at is not None else self._base_font
        assert name_font is not None
        name_metrics = QFontMetrics(name_font)
        painter.setFont(name_font)
        painter.setPen(text_colour)
        elided_name = name_metrics.elidedText(name, Qt.TextElideMode.ElideRight, text_rect.width())
        if note:
            small_metrics = QFontMetrics(self._small_font)
            block = name_metrics.height() + 2 + small_metrics.height()
            top = text_rect.top() + (text_rect.height() - block) // 2
            name_rect = QRect(text_rect.left(), top, text_rect.width(), name_metrics.height())
            painter.drawText(name_rect, Qt.AlignmentFlag.AlignLeft, elided_name)
            note_rect = QRect(
                text_rect.left(),
                name_rect.bottom() + 3,
                text_rect.width(),
                small_metrics.height(),
            )
            painter.setFont(self._small_font)
            painter.setPen(dim_colour)
            one_line = " ".join(note.split())
            painter.drawText(
                note_rect,
                Qt.AlignmentFlag.AlignLeft,
                small_metrics.elidedText(
                    f"“{one_line}”", Qt.TextElideMode.ElideRight, note_rect.width()
                ),
            )
        else:
            painter.drawText(
                text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, elided_name
            )
        painter.restore()


class MemberDelegate(QStyledItemDelegate):
    """Draws the item panel (hover, selection) and hands the row to `MemberPainter`."""

    def __init__(self, two_lines: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._two_lines = two_lines
        self._painter = MemberPainter()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _ModelIndex) -> None:
        panel = QStyleOptionViewItem(option)
        self.initStyleOption(panel, index)
        panel.text = ""
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, panel, painter, widget)
        self._painter.paint(painter, option, index)

    def sizeHint(self, option: QStyleOptionViewItem, index: _ModelIndex) -> QSize:
        return self._painter.size_hint(option, self._two_lines)


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


class _MemberList(QStackedWidget):
    """A filterable list of members, or a quiet line when there is nobody to show."""

    def __init__(self, model: MemberListModel, two_lines: bool, empty_text: str) -> None:
        super().__init__()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterRole(MemberRole.NAME)
        self.view = QListView()
        self.view.setModel(self.proxy)
        self.view.setItemDelegate(MemberDelegate(two_lines, self.view))
        self.view.setUniformItemSizes(True)
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        self.view.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.view.setMouseTracking(True)
        self.empty = QLabel(empty_text)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        palette = self.empty.palette()
        palette.setColor(
            QPalette.ColorRole.WindowText, palette.color(QPalette.ColorRole.PlaceholderText)
        )
        self.empty.setPalette(palette)
        self.addWidget(self.view)
        self.addWidget(self.empty)
        self._empty_text = empty_text
        for signal in (
            self.proxy.rowsInserted,
            self.proxy.rowsRemoved,
            self.proxy.modelReset,
            self.proxy.layoutChanged,
        ):
            signal.connect(self._update_page)
        self._update_page()

    def set_filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)
        self._update_page()

    def set_empty_text(self, text: str) -> None:
        self._empty_text = text
        self._update_page()

    def _update_page(self) -> None:
        if self.proxy.rowCount():
            self.setCurrentWidget(self.view)
            return
        filtering = bool(self.proxy.filterRegularExpression().pattern())
        self.empty.setText("No member matches your search." if filtering else self._empty_text)
        self.setCurrentWidget(self.empty)


class ReadByDialog(QDialog):
    """Who read one group message, who has not, and "Remind the rest".

    Signals: `remind_requested(msg_id, group_id)`. The controller answers it
    with `show_reminded(names)` or `show_error(text)`; until then the button
    stays disabled, so one click reminds once.
    """

    remind_requested = Signal(str, str)

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
        self.setModal(False)
        self.setWindowTitle("Read by")
        self.setMinimumSize(420, 480)
        self.resize(460, 600)

        self._readers = MemberListModel(newest_first=True, parent=self)
        self._unread = MemberListModel(newest_first=False, parent=self)

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

        self._header = QLabel()
        self._header.setObjectName("header")
        font = self._header.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setWeight(QFont.Weight.DemiBold)
        self._header.setFont(font)
        self._percent = QLabel()
        self._percent.setObjectName("percent")
        self._percent.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        header_row = QHBoxLayout()
        header_row.addWidget(self._header, 1)
        header_row.addWidget(self._percent)
        self._progress = QProgressBar()
        self._progress.setTextVisible(False)
        self._progress.setFixedHeight(6)
        self._progress.setStyleSheet(
            "QProgressBar { border: none; border-radius: 3px; background: palette(midlight); }"
            " QProgressBar::chunk { border-radius: 3px; background: palette(highlight); }"
        )

        self._search = QLineEdit()
        self._search.setObjectName("search")
        self._search.setPlaceholderText("Search members")
        self._search.setClearButtonEnabled(True)
        self._search.textChanged.connect(self._filter)

        self._read_list = _MemberList(self._readers, True, "Nobody has read this yet.")
        self._unread_list = _MemberList(self._unread, False, "Loading who hasn't read it…")
        self._tabs = QTabWidget()
        self._tabs.setObjectName("tabs")
        self._tabs.setDocumentMode(True)
        self._tabs.addTab(self._read_list, "")
        self._tabs.addTab(self._unread_list, "")

        self._status = QLabel()
        self._status.setObjectName("status")
        self._status.setWordWrap(True)
        self._status.hide()

        self._export = QPushButton("Export CSV…")
        self._export.setObjectName("export")
        self._export.setAutoDefault(False)
        self._export.setToolTip("Save who read it and who hasn't as a spreadsheet file")
        self._export.clicked.connect(self._choose_export_file)
        self._remind = QPushButton("Remind the rest")
        self._remind.setObjectName("remind")
        self._remind.setAutoDefault(False)
        self._remind.clicked.connect(self._on_remind)
        close = QPushButton("Close")
        close.setAutoDefault(False)
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addWidget(self._export)
        buttons.addStretch(1)
        buttons.addWidget(self._remind)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 18, 18, 14)
        layout.setSpacing(10)
        layout.addWidget(quote)
        layout.addSpacing(4)
        layout.addLayout(header_row)
        layout.addWidget(self._progress)
        layout.addSpacing(4)
        layout.addWidget(self._search)
        layout.addWidget(self._tabs, 1)
        layout.addWidget(self._status)
        layout.addLayout(buttons)
        self._refresh()

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
        """Merge live acks: new readers move from "Not read yet" to "Read";
        a member already shown as a reader is left as is."""
        rows = sorted(self._rows_from(acks), key=lambda row: row.read_at or 0)
        added = self._readers.insert(rows)
        if added:
            self._unread.remove(row.name for row in added)
            self._refresh()

    def set_unread(self, names: Iterable[str]) -> None:
        """Show exactly these members as not read yet (readers are left out)."""
        self._unread_known = True
        self._unread.replace(
            MemberRow(name) for name in names if name and name not in self._readers
        )
        self._unread_list.set_empty_text("Everyone has read it.")
        self._refresh()

    def show_reminded(self, names: list[str]) -> None:
        count = len(names)
        self._remind_pending = False
        self._show_status(f"Reminded {count} {'member' if count == 1 else 'members'}.")
        self._refresh()

    def show_error(self, text: str) -> None:
        self._remind_pending = False
        self._show_status(text, error=True)
        self._refresh()

    def export_csv(self, path: Path) -> None:
        """Write member,status,read_at_iso,note: readers newest first, then the
        members not read yet. UTF-8 with a BOM so Excel reads any script; a note
        that a spreadsheet would run as a formula is prefixed with "'".
        Raises OSError if the file cannot be written."""
        with Path(path).open("w", encoding="utf-8-sig", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(CSV_COLUMNS)
            for row in self._readers.rows():
                assert row.read_at is not None
                writer.writerow(
                    (row.name, "read", _iso_time(row.read_at), _spreadsheet_safe(row.note))
                )
            for row in self._unread.rows():
                writer.writerow((row.name, "unread", "", ""))

    def _rows_from(self, acks: Iterable[GroupMessageAck]) -> list[MemberRow]:
        earliest: dict[str, MemberRow] = {}
        for ack in acks:
            if ack.message_id and ack.message_id != self._msg_id:
                continue
            seen = earliest.get(ack.from_)
            if seen is None or (seen.read_at or 0) > ack.timestamp:
                earliest[ack.from_] = MemberRow(ack.from_, ack.timestamp, ack.content or "")
        return list(earliest.values())

    def _refresh(self) -> None:
        read = self._readers.rowCount()
        unread = self._unread.rowCount()
        total = self._member_count
        self._header.setText(f"Read by {read} of {total}" if total > 0 else f"Read by {read}")
        if total > 0:
            self._percent.setText(f"{min(100, round(100 * read / total))}%")
            self._progress.setRange(0, total)
            self._progress.setValue(min(read, total))
        else:
            self._percent.clear()
            self._progress.setRange(0, 1)
            self._progress.setValue(0)
        self._tabs.setTabText(0, f"Read ({read})")
        self._tabs.setTabText(
            1, f"Not read yet ({unread})" if self._unread_known else "Not read yet"
        )
        self._remind.setEnabled(unread > 0 and not self._remind_pending)
        self._remind.setText("Reminding…" if self._remind_pending else "Remind the rest")
        if unread:
            noun = "member" if unread == 1 else "members"
            self._remind.setToolTip(f"Notify the {unread} {noun} who haven't read it")
        else:
            self._remind.setToolTip("Everyone has read it" if self._unread_known else "")

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
        dialog = QFileDialog(self, "Export read receipts")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setNameFilter("CSV files (*.csv)")
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
            self.show_error(
                f"Couldn't save {path.name}: {reason}. Choose another folder and try again."
            )
            return
        rows = self._readers.rowCount() + self._unread.rowCount()
        self._show_status(f"Saved {rows} members to {path.name}.")
