"""The store's queries for what happens to a message after it was sent, and for a
viewer's settings of a conversation: recall, edit, replies, who must hear of a change,
private reads, mutes, and rewriting logged events that held a recalled text.

Owns: `EditStore`, a part of `store.SqliteStore` (it uses its connection and
helpers; it is never used alone). Like the rest of the store, every method is
synchronous and runs inside the request's savepoint.

Never: build frames, decide permissions, or talk to sockets.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from desktop_chat.server.rows import MESSAGE_COLUMNS, EventRow, MessageRow, message_row


class EditStore:
    _db: sqlite3.Connection

    if TYPE_CHECKING:  # provided by SqliteStore

        def _one(self, sql: str, params: Sequence[object] = ()) -> tuple[Any, ...] | None: ...

        def _all(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]: ...

        def _flush_events(self) -> None: ...

    # ------------------------------------------------------------------ recall and edit

    def recall_message(self, message_id: int, now: int) -> None:
        """The message keeps its row and marks; its body is emptied for good."""
        self._db.execute(
            "UPDATE messages SET body = x'', recalled_at = ? WHERE id = ?", (now, message_id)
        )

    def edit_message(self, message_id: int, body: bytes, now: int) -> None:
        self._db.execute(
            "UPDATE messages SET body = ?, edited_at = ? WHERE id = ?", (body, now, message_id)
        )

    def replies_to(self, msg_id: str) -> list[MessageRow]:
        rows = self._all(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE reply_to = ? ORDER BY id", (msg_id,)
        )
        return [message_row(row) for row in rows]

    # ------------------------------------------------------------------ who hears of it

    def members_since(self, group_id: int, conv_seq: int) -> list[int]:
        """Current members whose membership began before `conv_seq`: those who can see
        that message now."""
        return [
            row[0]
            for row in self._all(
                "SELECT DISTINCT user_id FROM group_membership WHERE group_id = ?"
                " AND joined_seq < ? AND left_seq IS NULL",
                (group_id, conv_seq),
            )
        ]

    def members_at(self, group_id: int, conv_seq: int) -> list[int]:
        """Everyone who was a member when the message `conv_seq` was sent, since left or
        not: whose event logs may hold it."""
        return [
            row[0]
            for row in self._all(
                "SELECT DISTINCT user_id FROM group_membership WHERE group_id = ?"
                " AND joined_seq < ? AND (left_seq IS NULL OR left_seq >= ?)",
                (group_id, conv_seq, conv_seq),
            )
        ]

    def group_unread_members(self, message: MessageRow) -> list[int]:
        """Current members for whom a group message counts as unread now: after their
        read position, neither acked nor read privately (the sender never)."""
        return [
            row[0]
            for row in self._all(
                "SELECT cm.user_id FROM conversation_members cm WHERE cm.conv_id = ?"
                " AND cm.user_id != ? AND cm.read_upto < ?"
                " AND NOT EXISTS (SELECT 1 FROM group_acks a WHERE a.message_id = ?"
                " AND a.user_id = cm.user_id)"
                " AND NOT EXISTS (SELECT 1 FROM private_reads p WHERE p.message_id = ?"
                " AND p.user_id = cm.user_id)",
                (message.conv_id, message.sender_id, message.conv_seq, message.id, message.id),
            )
        ]

    def decrement_unread_of(self, conv_id: int, user_ids: Sequence[int]) -> dict[int, int]:
        """One message fewer unread for each user; their counts after it."""
        counts: dict[int, int] = {}
        for user_id in user_ids:
            row = self._one(
                "UPDATE conversation_members SET unread_count = MAX(0, unread_count - 1)"
                " WHERE conv_id = ? AND user_id = ? RETURNING unread_count",
                (conv_id, user_id),
            )
            if row is not None:
                counts[user_id] = int(row[0])
        return counts

    # ------------------------------------------------------------------ private reads

    def add_private_read(self, message_id: int, user_id: int) -> bool:
        """Record a group message read without a receipt; False if already recorded."""
        cur = self._db.execute(
            "INSERT OR IGNORE INTO private_reads(message_id, user_id) VALUES (?, ?)",
            (message_id, user_id),
        )
        return cur.rowcount > 0

    def has_private_read(self, message_id: int, user_id: int) -> bool:
        return (
            self._one(
                "SELECT 1 FROM private_reads WHERE message_id = ? AND user_id = ?",
                (message_id, user_id),
            )
            is not None
        )

    # ------------------------------------------------------------------ mutes

    def set_mute(self, conv_id: int, user_id: int, muted: bool, until: int | None) -> None:
        self._db.execute(
            "UPDATE conversation_members SET muted = ?, muted_until = ?"
            " WHERE conv_id = ? AND user_id = ?",
            (int(muted), until if muted else None, conv_id, user_id),
        )

    # ------------------------------------------------------------------ logged events

    def events_since(self, user_id: int, since: int) -> Iterator[EventRow]:
        """A user's events written at `since` (ms) or later, newest first.

        The log is keyed by seq, not time, so this walks back from the newest event and
        stops at the first one older than `since`: it reads only the recent ones."""
        self._flush_events()
        cursor = self._db.execute(
            "SELECT seq, created_at, body FROM events WHERE user_id = ? ORDER BY seq DESC",
            (user_id,),
        )
        try:
            while batch := cursor.fetchmany(64):
                for seq, created_at, body in batch:
                    if created_at < since:
                        return
                    yield EventRow(seq, body)
        finally:
            cursor.close()

    def replace_event(self, user_id: int, seq: int, body: bytes) -> None:
        self._flush_events()
        self._db.execute(
            "UPDATE events SET body = ? WHERE user_id = ? AND seq = ?", (body, user_id, seq)
        )

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the database and empty it, so pages that held
        overwritten data (a recalled text) leave the log file too. Call after a commit."""
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
