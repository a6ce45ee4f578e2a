"""The open conversation's messages as a Qt list model.

Owns: `MessageListModel`: rows in conversation order (`ChatMessage.order_key`: the
server time, or local time while pending, then the conversation seq, exactly as the
local store pages them, so a receipt never moves a row and a busy millisecond is
never cut at a page's edge), which rows open a day (the `DATE` role: "Today", "Yesterday",
"3 March") and which carries the "N unread messages" line (`BANNER`), history
paged in with `canFetchMore`/`fetchMore` behind a "fetch running" guard,
receipt updates that repaint only their rows, and each file's transfer
(`set_transfer`: its progress, or why it failed, on the `TRANSFER` role).
Screen readers get each row as one sentence (`AccessibleTextRole`: sender, time,
text, receipt state; see `ui.spoken`). The dict from msg_id to row and the
coalescing (changes flushed once per event-loop iteration as one `dataChanged`
per run of adjacent rows, naming the roles that change: `PAINT_ONLY_ROLES` when
the row keeps its size) are `coalesced_model.CoalescedListModel`'s.

Never: reset the model for one receipt, or talk to the client (rows come in
through `load`, `upsert` and `update`).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtCore import QByteArray, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt

from desktop_chat.client.models import Before, ChatMessage, MessageDirection, OrderKey
from desktop_chat.ui.chat.attachment_view import Transfer, attachment_of
from desktop_chat.ui.coalesced_model import CoalescedListModel
from desktop_chat.ui.painting.common import day_label, fill
from desktop_chat.ui.painting.roles import MessageRole
from desktop_chat.ui.spoken import message_text

Loader = Callable[[Before, int], list[ChatMessage]]  # (before, count): a page, oldest first
PAGE = 50
MAX_OPEN_ROWS = 1000  # a chat opens with at most this many rows, unread ones included

# Roles a receipt changes without changing the row's size (a tick, a time, a flag)...
PAINT_ONLY_ROLES = frozenset(
    {
        int(MessageRole.MARK),
        int(MessageRole.DELIVERED_AT),
        int(MessageRole.READ_AT),
        int(MessageRole.GROUP_DELIVERED_COUNT),
        int(MessageRole.RECIPIENT_READ),
        int(MessageRole.HIGHLIGHTED),
        int(MessageRole.TRANSFER),
        int(MessageRole.ATTACHMENT),  # its file came down (the picture's size stays)
        int(Qt.ItemDataRole.AccessibleTextRole),  # says the receipt state
    }
)
# ...and those that may (the "Read n/m" label, the time while pending).
_RESIZING_ROLES = frozenset(
    {
        *PAINT_ONLY_ROLES,
        int(MessageRole.TIME),
        int(MessageRole.GROUP_ACK_COUNT),
        int(MessageRole.GROUP_MEMBER_COUNT),
        int(MessageRole.BANNER),
        int(MessageRole.DATE),
        int(MessageRole.TEXT),
        int(MessageRole.NOTICE),
        int(MessageRole.EDITED),
        int(MessageRole.REPLY_SENDER),
        int(MessageRole.REPLY_TEXT),
        int(MessageRole.CONFIRMED_AT),
        int(MessageRole.CONFIRM_NOTE),
    }
)


def _day(ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000).date()


def _same_size(old: ChatMessage, new: ChatMessage) -> bool:
    return (
        old.sort_time == new.sort_time
        and old.group_ack_count == new.group_ack_count
        and old.group_member_count == new.group_member_count
        and old.body.content == new.body.content
        and old.recalled == new.recalled
        and old.edited == new.edited
        and old.reply_preview == new.reply_preview
        and old.confirmed_at == new.confirmed_at
        and old.confirm_note == new.confirm_note
        and _shape(old) == _shape(new)
    )


def _shape(message: ChatMessage) -> tuple[str, str, int, int] | None:
    """What of an attachment its row's size depends on."""
    view = attachment_of(message)
    return None if view is None else (view.kind, view.name, view.width, view.height)


def notice_of(message: ChatMessage) -> str:
    """The quiet line a recalled message leaves: "You/alice recalled a message"."""
    if not message.recalled:
        return ""
    if message.direction is MessageDirection.SEND:
        return QCoreApplication.translate("MessageListModel", "You recalled a message")
    return fill(
        QCoreApplication.translate("MessageListModel", "%1 recalled a message"), message.from_
    )


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def _reply_text(message: ChatMessage) -> str:
    preview = message.reply_preview
    if preview is None:
        return ""
    if preview.recalled or preview.text is None:
        return QCoreApplication.translate("MessageListModel", "Recalled message")
    return _first_line(preview.text)


_ROLE_VALUES: dict[int, Callable[[ChatMessage], object]] = {
    int(MessageRole.MSG_ID): lambda m: m.msg_id,
    int(MessageRole.TEXT): lambda m: m.body.content,
    int(Qt.ItemDataRole.DisplayRole): lambda m: m.body.content,
    int(MessageRole.SENDER): lambda m: m.from_,
    int(MessageRole.OUTGOING): lambda m: m.direction is MessageDirection.SEND,
    int(MessageRole.TIME): lambda m: m.sort_time,
    int(MessageRole.MARK): lambda m: m.mark,
    int(MessageRole.DELIVERED_AT): lambda m: m.delivered_at,
    int(MessageRole.READ_AT): lambda m: m.read_at,
    int(MessageRole.IS_GROUP): lambda m: m.is_group,
    int(MessageRole.NEED_GROUP_ACK): lambda m: m.need_group_ack,
    int(MessageRole.GROUP_ACK_COUNT): lambda m: m.group_ack_count,
    int(MessageRole.GROUP_MEMBER_COUNT): lambda m: m.group_member_count,
    int(MessageRole.GROUP_DELIVERED_COUNT): lambda m: m.group_delivered_count,
    int(MessageRole.RECIPIENT_READ): lambda m: m.recipient_read,
    int(MessageRole.NOTICE): notice_of,
    int(MessageRole.EDITED): lambda m: m.edited and not m.recalled,
    int(MessageRole.REPLY_TO): lambda m: (m.reply_to or "") if not m.recalled else "",
    int(MessageRole.REPLY_SENDER): lambda m: (
        m.reply_preview.from_ if m.reply_preview and not m.recalled else ""
    ),
    int(MessageRole.REPLY_TEXT): lambda m: _reply_text(m) if not m.recalled else "",
    int(MessageRole.ATTACHMENT): attachment_of,
    int(MessageRole.CONFIRMED_AT): lambda m: m.confirmed_at,
    int(MessageRole.CONFIRM_NOTE): lambda m: m.confirm_note or "",
    int(Qt.ItemDataRole.AccessibleTextRole): message_text,
}


class MessageListModel(CoalescedListModel):
    _rows: list[ChatMessage]

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.conversation_id: str | None = None
        self._keys: list[OrderKey] = []  # each row's `order_key`, parallel to _rows
        self._loader: Loader | None = None
        self._has_more = False
        self._fetching = False
        # Older pages load only when the view asks (scrolled to the top). Qt also asks
        # on its own whenever the scrollbar reaches the bottom, which is where a chat
        # lives: honouring that would load all history, page after page.
        self.older_wanted = False
        self._unread_marker: tuple[str, int] | None = None  # (msg_id, count)
        self._highlighted: str | None = None
        self._transfers: dict[str, Transfer] = {}  # files going up or down, by msg_id

    def _key(self, row: ChatMessage) -> str:
        return row.msg_id

    # ------------------------------------------------------------------ Qt API

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        value = _ROLE_VALUES.get(role)
        if value is None:
            if role == MessageRole.SHOW_SENDER:
                return self._show_sender(index.row())
            if role == MessageRole.BANNER:
                return self._banner(index.row())
            if role == MessageRole.DATE:
                return self._date_line(index.row())
            if role == MessageRole.HIGHLIGHTED:
                return self._rows[index.row()].msg_id == self._highlighted
            if role == MessageRole.TRANSFER:
                return self._transfers.get(self._rows[index.row()].msg_id)
            return None
        return value(self._rows[index.row()])

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        # "Editable" only so the view opens the delegate's read-only, selectable text.
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsEditable

    def setData(self, index, value, role: int = 0) -> bool:
        return False  # messages are never edited here

    def roleNames(self) -> dict[int, QByteArray]:
        return {int(role): QByteArray(role.name.lower().encode()) for role in MessageRole}

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self.older_wanted and self._has_more and not self._fetching

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent) or self._loader is None:
            return
        self.older_wanted = False
        self._fetching = True
        try:
            before = self._rows[0].order_key if self._rows else None
            older = [m for m in self._loader(before, PAGE) if m.msg_id not in self._row_of]
            self._has_more = len(older) >= PAGE
            if older:
                self.beginInsertRows(QModelIndex(), 0, len(older) - 1)
                self._rows[:0] = older
                self._keys[:0] = [m.order_key for m in older]
                self._reindex()
                self.endInsertRows()
                if len(self._rows) > len(older):
                    self._changed(self._rows[len(older)].msg_id)  # its date line may go
        finally:
            self._fetching = False

    # ------------------------------------------------------------------ feeding it

    def load(self, conversation_id: str, loader: Loader, at_least: int = 0) -> None:
        """Show a conversation: its newest page now (or, with `at_least` unread
        messages, enough to hold them all, up to MAX_OPEN_ROWS), older pages on demand."""
        self.beginResetModel()
        self.conversation_id = conversation_id
        self._loader = loader
        count = max(PAGE, min(at_least + PAGE // 5, MAX_OPEN_ROWS))
        newest = loader(None, count)
        self._rows = list(newest)
        self._keys = [m.order_key for m in self._rows]
        self._reindex()
        self._has_more = len(newest) >= count
        self._unread_marker = None
        self._dirty.clear()
        self.repainted_rows = 0
        self.endResetModel()

    def set_unread_marker(self, msg_id: str, count: int) -> None:
        """Show "N unread messages" above `msg_id` (the first unread one at open) until
        the chat is loaded again."""
        old = self._unread_marker
        self._unread_marker = (msg_id, count)
        for marked in {msg_id, old[0] if old else msg_id}:
            if marked in self._row_of:
                self._changed(marked)

    def set_highlighted(self, msg_id: str | None) -> None:
        """Mark one row (a jump's target) until `set_highlighted(None)`."""
        old, self._highlighted = self._highlighted, msg_id
        for marked in {old, msg_id} - {None}:
            if marked in self._row_of:
                self._changed(marked, resized=False)

    def set_transfer(self, msg_id: str, transfer: Transfer | None) -> None:
        """Show a file's progress on its row (None: it is done), repainted at the flush.
        Kept across chats: a transfer goes on while another chat is open."""
        if transfer is None:
            if self._transfers.pop(msg_id, None) is None:
                return
        else:
            self._transfers[msg_id] = transfer
        if msg_id in self._row_of:
            self._changed(msg_id, resized=False)

    def transfer(self, msg_id: str) -> Transfer | None:
        return self._transfers.get(msg_id)

    def fetch_older(self) -> bool:
        """Load one older page now (a jump to a message not loaded yet); False at the start."""
        if not self._has_more:
            return False
        self.older_wanted = True
        self.fetchMore()
        return True

    def remove(self, msg_id: str) -> None:
        """Drop a message's row (deleted on this device)."""
        row = self._row_of.get(msg_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row], self._keys[row]
        self._reindex()
        self.endRemoveRows()
        if row < len(self._rows):
            self._changed(self._rows[row].msg_id)  # its date line and sender may change

    @property
    def has_older(self) -> bool:
        return self._has_more

    def clear(self) -> None:
        self.beginResetModel()
        self.conversation_id = None
        self._rows, self._keys, self._row_of = [], [], {}
        self._unread_marker = None
        self._loader, self._has_more = None, False
        self.endResetModel()

    def upsert(self, message: ChatMessage) -> None:
        """Add a message of this conversation, or refresh the row that shows it."""
        if message.conversation_id != self.conversation_id:
            return
        row = self._row_of.get(message.msg_id)
        key = message.order_key
        if row is not None and self._fits(row, key):
            resized = not _same_size(self._rows[row], message)
            self._rows[row], self._keys[row] = message, key
            self._changed(message.msg_id, resized)
            return
        if row is not None:  # its place moved (a pending message got its server time)
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row], self._keys[row]
            self._reindex()
            self.endRemoveRows()
            if row < len(self._rows):
                self._changed(self._rows[row].msg_id)  # its date line may change
        row = bisect.bisect(self._keys, key)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.insert(row, message)
        self._keys.insert(row, key)
        self._reindex(row)
        self.endInsertRows()
        if row + 1 < len(self._rows):
            # Its "show sender" and its date line may change.
            self._changed(self._rows[row + 1].msg_id)

    def update(self, messages: list[ChatMessage]) -> None:
        """New receipt state for rows already shown; repainted once this loop iteration."""
        for message in messages:
            if message.msg_id in self._row_of:
                self.upsert(message)

    # ------------------------------------------------------------------ lookups

    def message_at(self, row: int) -> ChatMessage:
        return self._rows[row]

    def messages(self) -> list[ChatMessage]:
        return list(self._rows)

    # ------------------------------------------------------------------ internals

    def _fits(self, row: int, key: OrderKey) -> bool:
        """Whether `key` may stay at `row` without breaking the order."""
        before_ok = row == 0 or self._keys[row - 1] <= key
        after_ok = row + 1 == len(self._keys) or key <= self._keys[row + 1]
        return before_ok and after_ok

    def _banner(self, row: int) -> str:
        marker = self._unread_marker
        if marker is None or self._rows[row].msg_id != marker[0]:
            return ""
        count = marker[1]
        if count == 1:
            return QCoreApplication.translate("MessageListModel", "%n unread message", "", count)
        return QCoreApplication.translate("MessageListModel", "%n unread messages", "", count)

    def _date_line(self, row: int) -> str:
        """The day above the first loaded message of each day, else ""."""
        when = self._rows[row].sort_time
        if row > 0 and _day(self._rows[row - 1].sort_time) == _day(when):
            return ""
        return day_label(when)

    def _show_sender(self, row: int) -> bool:
        message = self._rows[row]
        if not message.is_group or message.direction is MessageDirection.SEND:
            return False
        return row == 0 or self._rows[row - 1].from_ != message.from_

    def _changed(self, msg_id: str, resized: bool = True) -> None:
        """Repaint a row at the next flush; `resized`: its size may have changed."""
        self._mark_dirty(msg_id, _RESIZING_ROLES if resized else PAINT_ONLY_ROLES)
