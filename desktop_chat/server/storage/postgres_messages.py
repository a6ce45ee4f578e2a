"""PostgresStore's conversations, messages and one-to-one receipt marks.

Owns: the SQL of conversations (their message sequence and each member's unread
count and read watermark), of messages (unique by msg_id) and of the receipt
marks of one-to-one messages.

Concurrency, where SQLite's single writer made it moot:
- `next_conv_seq` is an `UPDATE … RETURNING` of the conversation's row: its lock,
  held to commit, orders the messages of one conversation.
- creating a conversation or a message is `INSERT … ON CONFLICT DO NOTHING`: when
  another node wrote the same pair or msg_id first, this one waits for its commit,
  then finds that row (or raises MsgIdTakenError) instead of failing.
- `read_by_recipient` takes its messages in id order (receipted and private reads
  together), the order every writer of message rows uses, so two acks of overlapping
  messages queue instead of deadlocking.

Never: decide marks (the handlers do, through `protocol.status`), or cache
anything but conversation ids.
"""

from __future__ import annotations

from collections.abc import Sequence

from desktop_chat.server.storage.interface import (
    ConversationRow,
    MemberState,
    MessageRow,
    MsgIdTakenError,
    ReadState,
)
from desktop_chat.server.storage.postgres_session import PgSession

MESSAGE_COLUMNS = ", ".join(MessageRow.__dataclass_fields__)
_NO_BOUND = 2**62


class PgMessages(PgSession):
    # ------------------------------------------------------------------ conversations

    def chat_conversation(self, user_x: int, user_y: int, now: int) -> int:
        """The one-to-one conversation of two users, created on first use."""
        conv_id = self.find_chat_conversation(user_x, user_y)
        if conv_id is not None:
            return conv_id
        user_a, user_b = sorted((user_x, user_y))
        row = self._write(
            "INSERT INTO conversations(kind, user_a, user_b) VALUES ('chat', %s, %s)"
            " ON CONFLICT (user_a, user_b) DO NOTHING RETURNING id",
            (user_a, user_b),
        ).fetchone()
        if row is None:
            # Another node created it; its commit is what the insert waited for.
            conv_id = self.find_chat_conversation(user_a, user_b)
            assert conv_id is not None
            return conv_id
        conv_id = int(row[0])
        self._write(
            "INSERT INTO conversation_members(conv_id, user_id, updated_at)"
            " VALUES (%s, %s, %s), (%s, %s, %s)",
            (conv_id, user_a, now, conv_id, user_b, now),
        )
        self._remember(self._chat_convs, (user_a, user_b), conv_id)
        return conv_id

    def find_chat_conversation(self, user_x: int, user_y: int) -> int | None:
        pair = (user_x, user_y) if user_x < user_y else (user_y, user_x)
        conv_id = self._chat_convs.get(pair)
        if conv_id is None:
            row = self._one(
                "SELECT id FROM conversations WHERE kind = 'chat' AND user_a = %s AND user_b = %s",
                pair,
            )
            if row is None:
                return None
            conv_id = int(row[0])
            self._remember(self._chat_convs, pair, conv_id)
        return conv_id

    def group_conversation(self, group_id: int) -> int:
        conv_id = self._group_convs.get(group_id)
        if conv_id is None:
            row = self._one("SELECT id FROM conversations WHERE group_id = %s", (group_id,))
            if row is None:
                raise KeyError(group_id)
            conv_id = int(row[0])
            self._remember(self._group_convs, group_id, conv_id)
        return conv_id

    def next_conv_seq(self, conv_id: int) -> int:
        row = self._write(
            "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq",
            (conv_id,),
        ).fetchone()
        assert row is not None
        return int(row[0])

    def conv_last_seq(self, conv_id: int) -> int:
        row = self._one("SELECT last_seq FROM conversations WHERE id = %s", (conv_id,))
        return 0 if row is None else int(row[0])

    def member_state(self, conv_id: int, user_id: int) -> MemberState | None:
        row = self._one(
            "SELECT unread_count, read_upto FROM conversation_members"
            " WHERE conv_id = %s AND user_id = %s",
            (conv_id, user_id),
        )
        return None if row is None else MemberState(*row)

    def count_new_message(self, conv_id: int, sender_id: int, now: int) -> None:
        """One more unread message for everyone but the sender, and `touch_conversation`
        for the sender, in one statement."""
        self._write(
            "UPDATE conversation_members"
            " SET unread_count = unread_count + (user_id <> %s)::int, updated_at = %s"
            " WHERE conv_id = %s",
            (sender_id, now, conv_id),
        )

    def touch_conversation(self, conv_id: int, user_id: int, now: int) -> None:
        self._write(
            "UPDATE conversation_members SET updated_at = %s WHERE conv_id = %s AND user_id = %s",
            (now, conv_id, user_id),
        )

    def decrement_unread(self, conv_id: int, user_id: int, by: int) -> int:
        row = self._write(
            "UPDATE conversation_members SET unread_count = GREATEST(0, unread_count - %s)"
            " WHERE conv_id = %s AND user_id = %s RETURNING unread_count",
            (by, conv_id, user_id),
        ).fetchone()
        return 0 if row is None else int(row[0])

    def conversations_of(self, user_id: int) -> list[ConversationRow]:
        """The user's conversations that have messages, most recently updated first."""
        return [
            ConversationRow(*row)
            for row in self._all(
                "SELECT c.id, c.kind, c.user_a, c.user_b, c.group_id, m.unread_count,"
                " c.last_seq, m.muted, m.muted_until"
                " FROM conversation_members m JOIN conversations c ON c.id = m.conv_id"
                " WHERE m.user_id = %s AND c.last_seq > 0 ORDER BY m.updated_at DESC, c.id DESC",
                (user_id,),
            )
        ]

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
        row = self._write(
            "INSERT INTO messages(msg_id, conv_id, conv_seq, chat_type, sender_id,"
            " recipient_id, group_id, body, server_time, local_time, need_delivery_ack,"
            " need_read_ack, need_group_ack, mark, group_member_count, reply_to)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (msg_id) DO NOTHING RETURNING id",
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
                bool(need_delivery_ack),
                bool(need_read_ack),
                bool(need_group_ack),
                mark,
                group_member_count,
                reply_to,
            ),
        ).fetchone()
        if row is None:
            raise MsgIdTakenError(msg_id)
        return int(row[0])

    def message(self, msg_id: str) -> MessageRow | None:
        row = self._one(f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE msg_id = %s", (msg_id,))
        return None if row is None else MessageRow(*row)

    def messages(self, msg_ids: Sequence[str]) -> dict[str, MessageRow]:
        if not msg_ids:
            return {}
        rows = self._all(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE msg_id = ANY(%s::text[])",
            (list(msg_ids),),
        )
        return {message.msg_id: message for message in (MessageRow(*row) for row in rows)}

    def last_message(self, conv_id: int) -> MessageRow | None:
        row = self._one(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conv_id = %s"
            " ORDER BY conv_seq DESC LIMIT 1",
            (conv_id,),
        )
        return None if row is None else MessageRow(*row)

    def history(
        self, conv_id: int, before_seq: int | None, after_seq: int, limit: int
    ) -> list[MessageRow]:
        """Up to `limit` messages with after_seq < conv_seq < before_seq, oldest first."""
        rows = self._all(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conv_id = %s AND conv_seq < %s"
            " AND conv_seq > %s ORDER BY conv_seq DESC LIMIT %s",
            (conv_id, before_seq if before_seq is not None else _NO_BOUND, after_seq, limit),
        )
        return [MessageRow(*row) for row in reversed(rows)]

    # ------------------------------------------------------------------ one-to-one marks

    def set_delivered(self, message_id: int, mark: int, now: int) -> None:
        # GREATEST: the mark was computed from a read made before this row was locked; a
        # read ack committed by another node meanwhile must not be moved back.
        self._write(
            "UPDATE messages SET mark = GREATEST(mark, %s), delivered_at ="
            " COALESCE(delivered_at, %s) WHERE id = %s",
            (mark, now, message_id),
        )

    def unread_received(self, conv_id: int, recipient_id: int, upto: int) -> list[MessageRow]:
        """The peer's messages to `recipient_id` up to `upto` that it has not read yet
        (a recalled message is never read, nor receipted)."""
        return [
            MessageRow(*row)
            for row in self._all(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conv_id = %s AND recipient_id = %s"
                " AND NOT recipient_read AND recalled_at IS NULL AND conv_seq <= %s"
                " ORDER BY conv_seq",
                (conv_id, recipient_id, upto),
            )
        ]

    def claim_unread(self, message_ids: Sequence[int]) -> set[int]:
        """Locked in id order; a row another request read meanwhile is re-checked once
        its lock is free (READ COMMITTED) and left out."""
        rows = self._all(
            "SELECT id FROM messages WHERE id = ANY(%s::bigint[]) AND NOT recipient_read"
            " ORDER BY id FOR UPDATE",
            (sorted(message_ids),),
        )
        return {int(row[0]) for row in rows}

    def read_by_recipient(
        self, receipted: Sequence[tuple[int, int]], private: Sequence[int], now: int
    ) -> None:
        """First reads: `receipted` (message id, new mark) pairs also move their mark;
        `private` message ids are only read (no receipt, their mark stays)."""
        if receipted and private:
            # Each kind is written in id order; with both, their rows are locked in one
            # id order first, so that this never holds a higher row while it waits.
            ids = sorted({message_id for message_id, _ in receipted} | set(private))
            self._all(
                "SELECT id FROM messages WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE",
                (ids,),
            )
        self._write_many(
            "UPDATE messages SET recipient_read = true, mark = %s,"
            " delivered_at = COALESCE(delivered_at, %s), read_at = COALESCE(read_at, %s)"
            " WHERE id = %s",
            [(mark, now, now, message_id) for message_id, mark in sorted(receipted)],
        )
        self._write_many(
            "UPDATE messages SET recipient_read = true WHERE id = %s",
            [(message_id,) for message_id in sorted(private)],
        )

    def read_conversation_upto(
        self, conv_id: int, user_id: int, upto: int, is_group: bool
    ) -> ReadState:
        """Move `user_id`'s read watermark in a conversation forward to `upto`.

        The unread count after it: the messages from others after the watermark that
        were not read one by one (message or group acks, or a private read); a
        recalled message never counts."""
        row = self._write(
            "UPDATE conversation_members SET read_upto = GREATEST(read_upto, %s)"
            " WHERE conv_id = %s AND user_id = %s RETURNING read_upto",
            (upto, conv_id, user_id),
        ).fetchone()
        if row is None:
            return ReadState(upto, 0)
        read_upto = int(row[0])
        if is_group:
            count = self._one(
                "SELECT COUNT(*) FROM messages m WHERE m.conv_id = %s AND m.conv_seq > %s"
                " AND m.sender_id <> %s AND m.recalled_at IS NULL AND NOT EXISTS (SELECT 1"
                " FROM group_acks a WHERE a.message_id = m.id AND a.user_id = %s)"
                " AND NOT EXISTS (SELECT 1 FROM private_reads p WHERE p.message_id = m.id"
                " AND p.user_id = %s)",
                (conv_id, read_upto, user_id, user_id, user_id),
            )
        else:
            count = self._one(
                "SELECT COUNT(*) FROM messages WHERE conv_id = %s AND recipient_id = %s"
                " AND NOT recipient_read AND recalled_at IS NULL",
                (conv_id, user_id),
            )
        unread = int(count[0]) if count else 0
        self._write(
            "UPDATE conversation_members SET unread_count = %s WHERE conv_id = %s AND user_id = %s",
            (unread, conv_id, user_id),
        )
        return ReadState(read_upto, unread)
