"""PostgresStore's queries for what happens to a message after it was sent, and for
a viewer's settings of a conversation: recall, edit, replies, who must hear of a
change, private reads, mutes, and rewriting logged events that held a recalled text.

Owns: the SQL `store_edits.EditStore` holds on SQLite, with the same results
(lists of user ids come back in user_id order here).

Concurrency, where SQLite's single writer made it moot:
- `decrement_unread_of` locks the members' rows in user_id order before lowering
  their counts, so two recalls in one conversation queue instead of deadlocking;
- `add_private_read` is `INSERT … ON CONFLICT DO NOTHING`: when another node records
  the same read first, this one waits for its commit and answers False;
- `events_since` reads the log in keyset pages (seq below the last one seen), each
  its own statement, so nothing is left open between the pages.

What a recall can erase: the row's body is overwritten, but PostgreSQL keeps the old
row version until (auto)vacuum reclaims it, and its write-ahead log (and any WAL
archive or standby) keeps the text for as long as the operator's retention says.
`checkpoint` can shorten none of that from one session, so it does nothing here;
SQLite's (which empties its WAL file) has no counterpart an ordinary session may run.

Never: decide who may recall or edit (the handlers do), or cache anything.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from desktop_chat.server.storage.interface import EventRow, MessageRow
from desktop_chat.server.storage.postgres_messages import MESSAGE_COLUMNS
from desktop_chat.server.storage.postgres_session import PgSession

_NO_BOUND = 2**62
_EVENT_PAGE = 64

_DECREMENT_UNREAD = """
WITH locked AS MATERIALIZED (
    SELECT user_id FROM conversation_members
    WHERE conv_id = %s AND user_id = ANY(%s::bigint[])
    ORDER BY user_id FOR UPDATE
)
UPDATE conversation_members m SET unread_count = GREATEST(0, m.unread_count - 1)
FROM locked WHERE m.conv_id = %s AND m.user_id = locked.user_id
RETURNING m.user_id, m.unread_count
"""


class PgEdits(PgSession):
    # ------------------------------------------------------------------ recall and edit

    def recall_message(self, message_id: int, now: int) -> None:
        """The message keeps its row and marks; its body is emptied for good."""
        self._write(
            "UPDATE messages SET body = ''::bytea, recalled_at = %s WHERE id = %s",
            (now, message_id),
        )

    def edit_message(self, message_id: int, body: bytes, now: int) -> None:
        self._write(
            "UPDATE messages SET body = %s, edited_at = %s WHERE id = %s", (body, now, message_id)
        )

    def replies_to(self, msg_id: str) -> list[MessageRow]:
        return [
            MessageRow(*row)
            for row in self._all(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE reply_to = %s ORDER BY id",
                (msg_id,),
            )
        ]

    # ------------------------------------------------------------------ who hears of it

    def members_since(self, group_id: int, conv_seq: int) -> list[int]:
        """Current members whose membership began before `conv_seq`: those who can see
        that message now."""
        return [
            row[0]
            for row in self._all(
                "SELECT DISTINCT user_id FROM group_membership WHERE group_id = %s"
                " AND joined_seq < %s AND left_seq IS NULL ORDER BY user_id",
                (group_id, conv_seq),
            )
        ]

    def members_at(self, group_id: int, conv_seq: int) -> list[int]:
        """Everyone who was a member when the message `conv_seq` was sent, since left or
        not: whose event logs may hold it."""
        return [
            row[0]
            for row in self._all(
                "SELECT DISTINCT user_id FROM group_membership WHERE group_id = %s"
                " AND joined_seq < %s AND (left_seq IS NULL OR left_seq >= %s) ORDER BY user_id",
                (group_id, conv_seq, conv_seq),
            )
        ]

    def group_unread_members(self, message: MessageRow) -> list[int]:
        """Current members for whom a group message counts as unread now: after their
        read position, neither acked nor read privately (the sender never)."""
        return [
            row[0]
            for row in self._all(
                "SELECT cm.user_id FROM conversation_members cm WHERE cm.conv_id = %s"
                " AND cm.user_id <> %s AND cm.read_upto < %s"
                " AND NOT EXISTS (SELECT 1 FROM group_acks a WHERE a.message_id = %s"
                " AND a.user_id = cm.user_id)"
                " AND NOT EXISTS (SELECT 1 FROM private_reads p WHERE p.message_id = %s"
                " AND p.user_id = cm.user_id) ORDER BY cm.user_id",
                (message.conv_id, message.sender_id, message.conv_seq, message.id, message.id),
            )
        ]

    def decrement_unread_of(self, conv_id: int, user_ids: Sequence[int]) -> dict[int, int]:
        """One message fewer unread for each user; their counts after it."""
        if not user_ids:
            return {}
        rows = self._write(_DECREMENT_UNREAD, (conv_id, list(user_ids), conv_id)).fetchall()
        return {int(user_id): int(count) for user_id, count in rows}

    # ------------------------------------------------------------------ private reads

    def add_private_read(self, message_id: int, user_id: int) -> bool:
        """Record a group message read without a receipt; False if already recorded."""
        cur = self._write(
            "INSERT INTO private_reads(message_id, user_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (message_id, user_id),
        )
        return cur.rowcount > 0

    def has_private_read(self, message_id: int, user_id: int) -> bool:
        row = self._one(
            "SELECT 1 FROM private_reads WHERE message_id = %s AND user_id = %s",
            (message_id, user_id),
        )
        return row is not None

    # ------------------------------------------------------------------ mutes

    def set_mute(self, conv_id: int, user_id: int, muted: bool, until: int | None) -> None:
        self._write(
            "UPDATE conversation_members SET muted = %s, muted_until = %s"
            " WHERE conv_id = %s AND user_id = %s",
            (bool(muted), until if muted else None, conv_id, user_id),
        )

    # ------------------------------------------------------------------ logged events

    def events_since(self, user_id: int, since: int) -> Iterator[EventRow]:
        """A user's events written at `since` (ms) or later, newest first.

        The log is keyed by seq, not time, so this walks back from the newest event and
        stops at the first one older than `since`: it reads only the recent ones."""
        before = _NO_BOUND
        while True:
            rows = self._all(
                "SELECT seq, created_at, body FROM events WHERE user_id = %s AND seq < %s"
                " ORDER BY seq DESC LIMIT %s",
                (user_id, before, _EVENT_PAGE),
            )
            for seq, created_at, body in rows:
                if created_at < since:
                    return
                yield EventRow(seq, body)
            if len(rows) < _EVENT_PAGE:
                return
            before = rows[-1][0]

    def replace_event(self, user_id: int, seq: int, body: bytes) -> None:
        self._write(
            "UPDATE events SET body = %s WHERE user_id = %s AND seq = %s", (body, user_id, seq)
        )

    def checkpoint(self) -> None:
        """Nothing to do on PostgreSQL (this module's docstring says why)."""
