"""The store's queries for messages and their receipt marks, on SQLite.

Owns: `MessageStore`, a part of `store.SqliteStore` (it uses its connection and
helpers; it is never used alone): inserting a message (a taken msg_id is
`MsgIdTakenError`), reading messages and history, and the one-to-one receipt
marks and read watermarks (`set_delivered`, `unread_received`, `claim_unread`,
`read_by_recipient`, `read_conversation_upto`).

Never: build frames, decide permissions, or talk to sockets.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from desktop_chat.server.rows import MESSAGE_COLUMNS as _MESSAGE_COLUMNS
from desktop_chat.server.rows import MessageRow, ReadState
from desktop_chat.server.rows import message_row as _message_row
from desktop_chat.server.store_errors import MsgIdTakenError


class MessageStore:
    _db: sqlite3.Connection

    if TYPE_CHECKING:  # provided by SqliteStore

        def _one(self, sql: str, params: Sequence[object] = ()) -> tuple[Any, ...] | None: ...

        def _all(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]: ...

        def _insert(self, sql: str, params: Sequence[object]) -> int: ...

    # ------------------------------------------------------------------ messages

    def insert_message(
        self,
        *,
        msg_id: str,
        conv_id: int,
        conv_seq: int,
        chat_type: str,
        sender_id: int,
        recipient_id: int | None,
        group_id: int | None,
        body: bytes,
        server_time: int,
        local_time: int,
        need_delivery_ack: bool,
        need_read_ack: bool,
        need_group_ack: bool,
        mark: int,
        group_member_count: int | None,
        reply_to: str | None = None,
    ) -> int:
        try:
            return self._insert(
                "INSERT INTO messages(msg_id, conv_id, conv_seq, chat_type, sender_id,"
                " recipient_id, group_id, body, server_time, local_time, need_delivery_ack,"
                " need_read_ack, need_group_ack, mark, group_member_count, reply_to)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    msg_id,
                    conv_id,
                    conv_seq,
                    chat_type,
                    sender_id,
                    recipient_id,
                    group_id,
                    body,
                    server_time,
                    local_time,
                    int(need_delivery_ack),
                    int(need_read_ack),
                    int(need_group_ack),
                    mark,
                    group_member_count,
                    reply_to,
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise MsgIdTakenError(msg_id) from exc

    def message(self, msg_id: str) -> MessageRow | None:
        row = self._one(f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE msg_id = ?", (msg_id,))
        return None if row is None else _message_row(row)

    def messages(self, msg_ids: Sequence[str]) -> dict[str, MessageRow]:
        found: dict[str, MessageRow] = {}
        for start in range(0, len(msg_ids), 500):
            chunk = msg_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._all(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE msg_id IN ({marks})", chunk
            ):
                message = _message_row(row)
                found[message.msg_id] = message
        return found

    def last_message(self, conv_id: int) -> MessageRow | None:
        row = self._one(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conv_id = ?"
            " ORDER BY conv_seq DESC LIMIT 1",
            (conv_id,),
        )
        return None if row is None else _message_row(row)

    def history(
        self, conv_id: int, before_seq: int | None, after_seq: int, limit: int
    ) -> list[MessageRow]:
        """Up to `limit` messages with after_seq < conv_seq < before_seq, oldest first."""
        rows = self._all(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conv_id = ? AND conv_seq < ?"
            " AND conv_seq > ? ORDER BY conv_seq DESC LIMIT ?",
            (conv_id, before_seq if before_seq is not None else 2**62, after_seq, limit),
        )
        return [_message_row(row) for row in reversed(rows)]

    def set_delivered(self, message_id: int, mark: int, now: int) -> None:
        self._db.execute(
            "UPDATE messages SET mark = ?, delivered_at = COALESCE(delivered_at, ?) WHERE id = ?",
            (mark, now, message_id),
        )

    def unread_received(self, conv_id: int, recipient_id: int, upto: int) -> list[MessageRow]:
        """The peer's messages to `recipient_id` up to `upto` that it has not read yet
        (a recalled message is never read, nor receipted)."""
        rows = self._all(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conv_id = ? AND recipient_id = ?"
            " AND recipient_read = 0 AND recalled_at IS NULL AND conv_seq <= ?"
            " ORDER BY conv_seq",
            (conv_id, recipient_id, upto),
        )
        return [_message_row(row) for row in rows]

    def claim_unread(self, message_ids: Sequence[int]) -> set[int]:
        marks = ",".join("?" * len(message_ids))
        rows = self._all(
            f"SELECT id FROM messages WHERE id IN ({marks}) AND recipient_read = 0",
            list(message_ids),
        )
        return {int(row[0]) for row in rows}

    def read_by_recipient(
        self, receipted: Sequence[tuple[int, int]], private: Sequence[int], now: int
    ) -> None:
        """First reads: `receipted` (message id, new mark) pairs also move their mark;
        `private` message ids are only read (no receipt, their mark stays)."""
        if receipted:
            self._db.executemany(
                "UPDATE messages SET recipient_read = 1, mark = ?,"
                " delivered_at = COALESCE(delivered_at, ?), read_at = COALESCE(read_at, ?)"
                " WHERE id = ?",
                [(mark, now, now, message_id) for message_id, mark in receipted],
            )
        if private:
            self._db.executemany(
                "UPDATE messages SET recipient_read = 1 WHERE id = ?",
                [(message_id,) for message_id in private],
            )

    def read_conversation_upto(
        self, conv_id: int, user_id: int, upto: int, is_group: bool
    ) -> ReadState:
        """Move `user_id`'s read watermark in a conversation forward to `upto`.

        Returns the state after it: the watermark, and as unread the messages from
        others after it that were not read one by one (message or group acks, or a
        private read); a recalled message never counts."""
        row = self._one(
            "UPDATE conversation_members SET read_upto = MAX(read_upto, ?)"
            " WHERE conv_id = ? AND user_id = ? RETURNING read_upto",
            (upto, conv_id, user_id),
        )
        if row is None:
            return ReadState(upto, 0)
        read_upto = int(row[0])
        if is_group:
            count = self._one(
                "SELECT COUNT(*) FROM messages m WHERE m.conv_id = ? AND m.conv_seq > ?"
                " AND m.sender_id != ? AND m.recalled_at IS NULL AND NOT EXISTS (SELECT 1"
                " FROM group_acks a WHERE a.message_id = m.id AND a.user_id = ?)"
                " AND NOT EXISTS (SELECT 1 FROM private_reads p WHERE p.message_id = m.id"
                " AND p.user_id = ?)",
                (conv_id, read_upto, user_id, user_id, user_id),
            )
        else:
            count = self._one(
                "SELECT COUNT(*) FROM messages WHERE conv_id = ? AND recipient_id = ?"
                " AND recipient_read = 0 AND recalled_at IS NULL",
                (conv_id, user_id),
            )
        unread = int(count[0]) if count else 0
        self._db.execute(
            "UPDATE conversation_members SET unread_count = ? WHERE conv_id = ? AND user_id = ?",
            (unread, conv_id, user_id),
        )
        return ReadState(read_upto, unread)
