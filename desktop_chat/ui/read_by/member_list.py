"""One tab of the "Read by" view: a member list, or a quiet line when it is empty.

Owns: `MemberList`, the list of one `model.MemberListModel` behind a
case-insensitive name filter (the dialog's "Search members"), painted by
`painting.MemberDelegate`, and the quiet line that replaces it when nobody
shows: "No member matches your search." while filtering, else the tab's own
words ("Nobody has read this yet.", "Everyone has read it.").

Never: change the model, or talk to the client.
"""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QLabel, QListView, QStackedWidget

from desktop_chat.ui.read_by.model import MemberListModel, MemberRole
from desktop_chat.ui.read_by.painting import MemberDelegate


class MemberList(QStackedWidget):
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
        self.empty.setText(
            self.tr("No member matches your search.") if filtering else self._empty_text
        )
        self.setCurrentWidget(self.empty)
