"""PostgresStore's groups, membership intervals, group receipts and invariants.

Owns: the SQL of groups and roles; of membership intervals, measured in the
group conversation's own seq ("members at send time" of a message with conv_seq S:
joined_seq < S and (left_seq IS NULL or left_seq >= S)); of group acks and
deliveries, confirms, ack times and reminders; of a group's pinned message; and
`check_invariants`, which on PostgreSQL also checks that every
user's log head matches its log (seqs 1..last_seq, none missing).

Concurrency: `add_members` and `remove_members` lock the conversation's row
before reading its seq, the lock `next_conv_seq` takes, so a membership change and
a message of the same group are ordered one way, never both. A second ack of the
same message by the same member (two devices, two nodes) fails on the unique key
(StoreConflict); run again, the request finds the first ack and answers with it.

Never: decide who may do what (the handlers do).
"""

from __future__ import annotations

from collections.abc import Sequence

from desktop_chat.server.rows import ACK_COLUMNS, AckTimes, PinRow
from desktop_chat.server.storage.interface import (
    AckRow,
    GroupRow,
    MemberRole,
    MessageRow,
    UnreadMember,
)
from desktop_chat.server.storage.postgres_session import PgSession

_NO_BOUND = 2**62


class PgGroups(PgSession):
    # ------------------------------------------------------------------ groups

    def create_group(self, group_id: int, name: str, owner_id: int, policy: str, now: int) -> None:
        self._write(
            "INSERT INTO groups(id, name, owner_id, ack_policy, created_at)"
            " VALUES (%s, %s, %s, %s, %s)",
            (group_id, name, owner_id, policy, now),
        )
        self._write("INSERT INTO conversations(kind, group_id) VALUES ('group', %s)", (group_id,))

    def group_exists(self, group_id: int) -> bool:
        return self._one("SELECT 1 FROM groups WHERE id = %s", (group_id,)) is not None

    def group(self, group_id: int) -> GroupRow | None:
        row = self._one(
            "SELECT id, name, owner_id, ack_policy, created_at FROM groups WHERE id = %s",
            (group_id,),
        )
        return None if row is None else GroupRow(*row)

    def set_ack_policy(self, group_id: int, policy: str) -> None:
        self._write("UPDATE groups SET ack_policy = %s WHERE id = %s", (policy, group_id))

    def role(self, group_id: int, user_id: int) -> str | None:
        row = self._one(
            "SELECT role FROM group_members WHERE group_id = %s AND user_id = %s",
            (group_id, user_id),
        )
        return None if row is None else row[0]

    def set_role(self, group_id: int, user_id: int, role: str) -> None:
        self._write(
            "UPDATE group_members SET role = %s WHERE group_id = %s AND user_id = %s",
            (role, group_id, user_id),
        )

    def member_count(self, group_id: int) -> int:
        row = self._one("SELECT COUNT(*) FROM group_members WHERE group_id = %s", (group_id,))
        return int(row[0]) if row else 0

    def member_ids(self, group_id: int) -> list[int]:
        return [
            row[0]
            for row in self._all(
                "SELECT user_id FROM group_members WHERE group_id = %s ORDER BY user_id",
                (group_id,),
            )
        ]

    def members_with_roles(self, group_id: int) -> list[MemberRole]:
        """Owner first, then admins, then members; by name within each."""
        return [
            MemberRole(*row)
            for row in self._all(
                "SELECT u.username, m.role FROM group_members m JOIN users u ON u.id = m.user_id"
                " WHERE m.group_id = %s"
                " ORDER BY m.role <> 'owner', m.role <> 'admin', u.username",
                (group_id,),
            )
        ]

    def groups_of(self, user_id: int) -> list[int]:
        return [
            row[0]
            for row in self._all(
                "SELECT group_id FROM group_members WHERE user_id = %s ORDER BY group_id",
                (user_id,),
            )
        ]

    # ------------------------------------------------------------------ membership

    def _lock_conversation(self, conv_id: int) -> int:
        """The conversation's last seq, its row locked to commit (as a send locks it)."""
        row = self._one("SELECT last_seq FROM conversations WHERE id = %s FOR UPDATE", (conv_id,))
        return 0 if row is None else int(row[0])

    def add_members(
        self, group_id: int, conv_id: int, members: Sequence[tuple[int, str]], now: int
    ) -> None:
        """Add (user_id, role) pairs; their membership starts after the current conv seq."""
        joined_seq = self._lock_conversation(conv_id)
        self._write_many(
            "INSERT INTO group_members(group_id, user_id, role, joined_at) VALUES (%s, %s, %s, %s)",
            [(group_id, user_id, role, now) for user_id, role in members],
        )
        self._write_many(
            "INSERT INTO group_membership(group_id, user_id, joined_seq) VALUES (%s, %s, %s)",
            [(group_id, user_id, joined_seq) for user_id, _ in members],
        )
        self._write_many(
            "INSERT INTO conversation_members(conv_id, user_id, unread_count, read_upto,"
            " updated_at) VALUES (%s, %s, 0, %s, %s) ON CONFLICT (conv_id, user_id) DO UPDATE"
            " SET unread_count = 0, read_upto = excluded.read_upto,"
            " updated_at = excluded.updated_at",
            [(conv_id, user_id, joined_seq, now) for user_id, _ in members],
        )

    def remove_members(self, group_id: int, conv_id: int, user_ids: Sequence[int]) -> None:
        left_seq = self._lock_conversation(conv_id)
        self._write_many(
            "DELETE FROM group_members WHERE group_id = %s AND user_id = %s",
            [(group_id, user_id) for user_id in user_ids],
        )
        self._write_many(
            "UPDATE group_membership SET left_seq = %s WHERE group_id = %s AND user_id = %s"
            " AND left_seq IS NULL",
            [(left_seq, group_id, user_id) for user_id in user_ids],
        )
        self._write_many(
            "DELETE FROM conversation_members WHERE conv_id = %s AND user_id = %s",
            [(conv_id, user_id) for user_id in user_ids],
        )

    def was_member_at(self, group_id: int, user_id: int, conv_seq: int) -> bool:
        row = self._one(
            "SELECT 1 FROM group_membership WHERE group_id = %s AND user_id = %s"
            " AND joined_seq < %s AND (left_seq IS NULL OR left_seq >= %s) LIMIT 1",
            (group_id, user_id, conv_seq, conv_seq),
        )
        return row is not None

    def joined_seq(self, group_id: int, user_id: int) -> int:
        """The conv seq after which the current membership's messages are visible."""
        row = self._one(
            "SELECT MAX(joined_seq) FROM group_membership WHERE group_id = %s AND user_id = %s"
            " AND left_seq IS NULL",
            (group_id, user_id),
        )
        return int(row[0]) if row and row[0] is not None else 0

    def unread_members_at(
        self, message: MessageRow, after: str | None, limit: int
    ) -> list[UnreadMember]:
        """Members at send time, but the sender, who have not acked; by name after `after`."""
        return [
            UnreadMember(*row)
            for row in self._all(
                "SELECT DISTINCT u.id, u.username FROM group_membership gm"
                " JOIN users u ON u.id = gm.user_id"
                " WHERE gm.group_id = %s AND gm.user_id <> %s AND gm.joined_seq < %s"
                " AND (gm.left_seq IS NULL OR gm.left_seq >= %s)"
                " AND u.username > %s"
                " AND NOT EXISTS (SELECT 1 FROM group_acks a WHERE a.message_id = %s"
                " AND a.user_id = gm.user_id)"
                " ORDER BY u.username LIMIT %s",
                (
                    message.group_id,
                    message.sender_id,
                    message.conv_seq,
                    message.conv_seq,
                    after or "",
                    message.id,
                    limit,
                ),
            )
        ]

    # ------------------------------------------------------------------ group receipts

    def group_ack(self, message_id: int, user_id: int) -> AckRow | None:
        row = self._one(
            f"SELECT {ACK_COLUMNS} FROM group_acks WHERE message_id = %s AND user_id = %s",
            (message_id, user_id),
        )
        return None if row is None else AckRow(*row)

    def add_group_ack(
        self, message_id: int, user_id: int, content: str | None, now: int, confirmed: bool = False
    ) -> AckRow:
        """Store a member's first ack and count it on the message (and its confirm)."""
        row = self._write(
            "UPDATE messages SET group_ack_count = group_ack_count + 1,"
            " group_confirm_count = group_confirm_count + %s WHERE id = %s"
            " RETURNING group_ack_count",
            (int(confirmed), message_id),
        ).fetchone()
        assert row is not None
        read_count = int(row[0])
        confirmed_at = now if confirmed else None
        ack = self._write(
            "INSERT INTO group_acks(message_id, user_id, content, read_count, created_at,"
            " confirmed_at) VALUES (%s, %s, %s, %s, %s, %s) RETURNING ack_id",
            (message_id, user_id, content, read_count, now, confirmed_at),
        ).fetchone()
        assert ack is not None
        return AckRow(int(ack[0]), user_id, content, read_count, now, confirmed_at)

    def confirm_group_ack(
        self, message_id: int, user_id: int, content: str | None, now: int
    ) -> AckRow | None:
        # The row lock orders two confirms of one ack: the second finds it confirmed.
        row = self._write(
            "UPDATE group_acks SET confirmed_at = %s, content = COALESCE(%s, content)"
            " WHERE message_id = %s AND user_id = %s AND confirmed_at IS NULL"
            f" RETURNING {ACK_COLUMNS}",
            (now, content, message_id, user_id),
        ).fetchone()
        if row is None:
            return None
        self._write(
            "UPDATE messages SET group_confirm_count = group_confirm_count + 1 WHERE id = %s",
            (message_id,),
        )
        return AckRow(*row)

    def group_acks_of(self, user_id: int, message_ids: Sequence[int]) -> dict[int, AckRow]:
        if not message_ids:
            return {}
        return {
            int(message_id): AckRow(*rest)
            for message_id, *rest in self._all(
                f"SELECT message_id, {ACK_COLUMNS} FROM group_acks"
                " WHERE user_id = %s AND message_id = ANY(%s::bigint[])",
                (user_id, list(message_ids)),
            )
        }

    def group_ack_times(self, message_id: int) -> AckTimes:
        # One row of two arrays, not 10,000 rows.
        row = self._one(
            "SELECT array_agg(created_at ORDER BY created_at),"
            " array_agg(confirmed_at ORDER BY confirmed_at) FILTER (WHERE confirmed_at IS NOT NULL)"
            " FROM group_acks WHERE message_id = %s",
            (message_id,),
        )
        reads, confirms = row if row is not None else (None, None)
        return AckTimes([int(t) for t in reads or ()], [int(t) for t in confirms or ()])

    def add_group_reminder(self, message_id: int, by_id: int, reminded: int, now: int) -> None:
        self._write(
            "INSERT INTO group_reminders(message_id, at, by_id, reminded) VALUES (%s, %s, %s, %s)",
            (message_id, now, by_id, reminded),
        )

    def group_reminders(self, message_id: int) -> list[int]:
        return [
            int(row[0])
            for row in self._all(
                "SELECT at FROM group_reminders WHERE message_id = %s ORDER BY at",
                (message_id,),
            )
        ]

    def group_acks_page(
        self, message_id: int, before_ack_id: int | None, limit: int
    ) -> list[AckRow]:
        return [
            AckRow(*row)
            for row in self._all(
                f"SELECT {ACK_COLUMNS} FROM group_acks"
                " WHERE message_id = %s AND ack_id < %s ORDER BY ack_id DESC LIMIT %s",
                (message_id, before_ack_id if before_ack_id is not None else _NO_BOUND, limit),
            )
        ]

    # ------------------------------------------------------------------ pins

    def group_pin(self, group_id: int) -> PinRow | None:
        row = self._one(
            "SELECT group_id, msg_id, by_id, at FROM group_pins WHERE group_id = %s",
            (group_id,),
        )
        return None if row is None else PinRow(*row)

    def set_group_pin(self, group_id: int, msg_id: str, by_id: int, now: int) -> None:
        self._write(
            "INSERT INTO group_pins(group_id, msg_id, by_id, at) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (group_id) DO UPDATE SET msg_id = excluded.msg_id,"
            " by_id = excluded.by_id, at = excluded.at",
            (group_id, msg_id, by_id, now),
        )

    def clear_group_pin(self, group_id: int) -> bool:
        cur = self._write("DELETE FROM group_pins WHERE group_id = %s", (group_id,))
        return cur.rowcount > 0

    def add_group_delivery(self, message_id: int, user_id: int, now: int) -> int | None:
        """Record a member's device got the message; returns the new count, or None if known."""
        cur = self._write(
            "INSERT INTO group_deliveries(message_id, user_id, delivered_at)"
            " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            (message_id, user_id, now),
        )
        if cur.rowcount == 0:
            return None
        row = self._write(
            "UPDATE messages SET group_delivered_count = group_delivered_count + 1"
            " WHERE id = %s RETURNING group_delivered_count",
            (message_id,),
        ).fetchone()
        assert row is not None
        return int(row[0])

    # ------------------------------------------------------------------ invariants

    def check_invariants(self) -> list[str]:
        """Return broken invariants (empty when all hold). Used by tests and fsck."""
        problems = []
        for message_id, counted, rows in self._all(
            "SELECT m.id, m.group_ack_count, (SELECT COUNT(*) FROM group_acks a"
            " WHERE a.message_id = m.id) FROM messages m WHERE m.need_group_ack"
        ):
            if counted != rows:
                problems.append(f"message {message_id}: group_ack_count {counted} != {rows} acks")
        row = self._one("SELECT COUNT(*) FROM conversation_members WHERE unread_count < 0")
        if row and row[0]:
            problems.append(f"{row[0]} negative unread counts")
        for user_id, last_seq, top, count in self._all(
            "SELECT h.user_id, h.last_seq, COALESCE(MAX(e.seq), 0), COUNT(e.seq)"
            " FROM user_log_heads h LEFT JOIN events e ON e.user_id = h.user_id"
            " GROUP BY h.user_id, h.last_seq"
            " HAVING h.last_seq <> COALESCE(MAX(e.seq), 0) OR h.last_seq <> COUNT(e.seq)"
        ):
            problems.append(
                f"user {user_id}: log head {last_seq}, but {count} events up to seq {top}"
            )
        row = self._one(
            "SELECT COUNT(DISTINCT user_id) FROM events e"
            " WHERE NOT EXISTS (SELECT 1 FROM user_log_heads h WHERE h.user_id = e.user_id)"
        )
        if row and row[0]:
            problems.append(f"{row[0]} users have events but no log head")
        return problems
