"""The group info dialog's member list: a search field over the framed list.

Owns: `GroupMemberList`, the "Search members" field, the list of members in
their order (`model.GroupMemberOrder`, painted by `painting.GroupMemberDelegate`,
one selectable at a time), and the quiet line that replaces the list when
nobody shows: "Loading members…", "No member matches your search." or "Nobody
is in this group.". It says when the rows shown or the selection change
(`changed`), so the dialog can keep the member actions in step.

Never: decide who may do what (`rules` does), or talk to the client.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLineEdit, QListView, QStackedWidget, QVBoxLayout, QWidget

from desktop_chat.client.models import GroupRole
from desktop_chat.ui.accessible import name_clear_button
from desktop_chat.ui.dialogs.forms import hint_label
from desktop_chat.ui.group_info.model import GroupMemberModel, GroupMemberOrder, GroupMemberRole
from desktop_chat.ui.group_info.painting import GroupMemberDelegate


class GroupMemberList(QWidget):
    """The search field and the list it filters, 10 px apart; the list takes the
    height left. `loading` (True until the members are known) picks the quiet line."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loading = True
        self._search = QLineEdit()
        self._search.setObjectName("search")
        self._search.setPlaceholderText(self.tr("Search members"))
        self._search.setClearButtonEnabled(True)
        self._search.setAccessibleName(self.tr("Search members"))
        name_clear_button(self._search, self.tr("Clear the search"))
        self._search.textChanged.connect(self._filter)

        self.members = GroupMemberModel(self)
        self._order = GroupMemberOrder(self)
        self._order.setSourceModel(self.members)
        self._order.sort(0)
        self._view = self._build_view()
        self._empty = hint_label("")
        self._empty.setObjectName("empty")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._pages = QStackedWidget()
        self._pages.addWidget(self._view)
        self._pages.addWidget(self._empty)
        for signal in (
            self._order.rowsInserted,
            self._order.rowsRemoved,
            self._order.modelReset,
            self._order.layoutChanged,
        ):
            signal.connect(self.update_page)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(self._search)
        layout.addWidget(self._framed(self._pages), 1)

    def _build_view(self) -> QListView:
        view = QListView()
        view.setObjectName("members")
        view.setAccessibleName(self.tr("Members"))
        view.setModel(self._order)
        view.setItemDelegate(GroupMemberDelegate(view))
        view.setUniformItemSizes(True)
        view.setFrameShape(QFrame.Shape.NoFrame)
        view.setSelectionMode(QListView.SelectionMode.SingleSelection)
        view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        view.setMouseTracking(True)
        view.selectionModel().selectionChanged.connect(self.changed)
        return view

    @staticmethod
    def _framed(pages: QWidget) -> QFrame:
        frame = QFrame()
        frame.setObjectName("list_frame")
        frame.setStyleSheet(
            "#list_frame { border: 1px solid palette(mid); border-radius: 6px;"
            " background: palette(base); }"
        )
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(1, 4, 1, 4)
        layout.addWidget(pages)
        return frame

    def names(self) -> list[str]:
        """The names as listed now: in order, after the search filter."""
        return [
            self._order.index(row, 0).data(GroupMemberRole.NAME)
            for row in range(self._order.rowCount())
        ]

    def selected_name(self) -> str | None:
        indexes = self._view.selectionModel().selectedIndexes()
        return indexes[0].data(GroupMemberRole.NAME) if indexes else None

    def set_members(self, members: Mapping[str, GroupRole], me: str) -> None:
        self.members.set_members(members, me)

    def update_page(self) -> None:
        """Show the list, or the quiet line saying why it is empty."""
        if self._order.rowCount():
            self._pages.setCurrentWidget(self._view)
            self.changed.emit()
            return
        if self.loading:
            self._empty.setText(self.tr("Loading members…"))
        elif self._search.text().strip():
            self._empty.setText(self.tr("No member matches your search."))
        else:
            self._empty.setText(self.tr("Nobody is in this group."))
        self._pages.setCurrentWidget(self._empty)
        self.changed.emit()

    def _filter(self, text: str) -> None:
        self._order.setFilterFixedString(text.strip())
        self.update_page()
