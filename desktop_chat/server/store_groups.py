"""The store's queries for groups: the groups, their members and roles, membership in
conversation sequence, and the per-reader rows of group receipts (acks, deliveries).

Owns: `GroupStore`, a part of `store.SqliteStore` (it uses its connection and
helpers; it is never used alone). "Members at send time" comes from
`group_membership` intervals measured in the conversation's own sequence; per-reader
rows exist only for messages that asked for group acks (RECEIPTS.md §6). Also a
member's confirm of an ack, a message's ack times, its reminders, and a group's pin.

Never: build frames, decide permissions, or talk to sockets.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from desktop_chat.server.rows import (
    ACK_COLUMNS,
    AckRow,
    AckTimes,
    GroupRow,
    MemberRole,
    MessageRow,
    PinRow,
    UnreadMember,
)


def _times(joined: str | None) -> list[int]:
    """Times joined by `group_concat`, sorted."""
    return sorted(map(int, joined.split(","))) if joined else []


class GroupStore:
    _db: sqlite3.Connection

    if TYPE_CHECKING:  # provided by SqliteStore

        def _one(self, sql: str, params: Sequence[object] = ()) -> tuple[Any, ...] | None: ...

        def _all(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]: ...

        def _insert(self, sql: str, params: Sequence[object]) -> int: ...

        def conv_last_seq(self, conv_id: int) -> int: ...

    # ------------------------------------------------------------------ groups

    def create_group(self, group_id: int, name: str, owner_id: int, policy: str, now: int) -> None:
        self._db.execute(
            "INSERT INTO groups(id, name, owner_id, ack_policy, created_at) VALUES (?, ?, ?, ?, ?)",
            (group_id, name, owner_id, policy, now),
        )
        self._db.execute(
            "INSERT INTO conversations(kind, group_id) VALUES ('group', ?)", (group_id,)
        )

    def group_exists(self, group_id: int) -> bool:
        return self._one("SELECT 1 FROM groups WHERE id = ?", (group_id,)) is not None

    def group(self, group_id: int) -> GroupRow | None:
        row = self._one(
            "SELECT id, name, owner_id, ack_policy, created_at FROM groups WHERE id = ?",
            (group_id,),
        )
        return None if row is None else GroupRow(*row)

    def set_ack_policy(self, group_id: int, policy: str) -> None:
        self._db.execute("UPDATE groups SET ack_policy = ? WHERE id = ?", (policy, group_id))

    def role(self, group_id: int, user_id: int) -> str | None:
        row = self._one(
            "SELECT role FROM group_members WHERE group_id = ? AND user_id = ?",
            (group_id, user_id),
        )
        return None if row is None else row[0]

    def set_role(self, group_id: int, user_id: int, role: str) -> None:
        self._db.execute(
            "UPDATE group_members SET role = ? WHERE group_id = ? AND user_id = ?",
            (role, group_id, user_id),
        )

    def member_count(self, group_id: int) -> int:
        row = self._one("SELECT COUNT(*) FROM group_members WHERE group_id = ?", (group_id,))
        return int(row[0]) if row else 0

    def member_ids(self, group_id: int) -> list[int]:
        return [
            row[0]
            for row in self._all(
                "SELECT user_id FROM group_members WHERE group_id = ?", (group_id,)
            )
        ]

    def members_with_roles(self, group_id: int) -> list[MemberRole]:
        """Owner first, then admins, then members; by name within each."""
        return [
            MemberRole(*row)
            for row in self._all(
                "SELECT u.username, m.role FROM group_members m JOIN users u ON u.id = m.user_id"
                " WHERE m.group_id = ? ORDER BY m.role != 'owner', m.role != 'admin', u.username",
                (group_id,),
            )
        ]

    def groups_of(self, user_id: int) -> list[int]:
        return [
            row[0]
            for row in self._all("SELECT group_id FROM group_members WHERE user_id = ?", (user_id,))
        ]

    def add_members(
        self, group_id: int, conv_id: int, members: Sequence[tuple[int, str]], now: int
    ) -> None:
        """Add (user_id, role) pairs; their membership starts after the current conv seq."""
        joined_seq = self.conv_last_seq(conv_id)
        self._db.executemany(
            "INSERT INTO group_members(group_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)",
            [(group_id, user_id, role, now) for user_id, role in members],
        )
        self._db.executemany(
            "INSERT INTO group_membership(group_id, user_id, joined_seq) VALUES (?, ?, ?)",
            [(group_id, user_id, joined_seq) for user_id, _ in members],
        )
        self._db.executemany(
            "INSERT OR REPLACE INTO conversation_members(conv_id, user_id, unread_count,"
            " read_upto, updated_at) VALUES (?, ?, 0, ?, ?)",
            [(conv_id, user_id, joined_seq, now) for user_id, _ in members],
        )

    def remove_members(self, group_id: int, conv_id: int, user_ids: Sequence[int]) -> None:
        left_seq = self.conv_last_seq(conv_id)
        params = [(group_id, user_id) for user_id in user_ids]
        self._db.executemany("DELETE FROM group_members WHERE group_id = ? AND user_id = ?", params)
        self._db.executemany(
            "UPDATE group_membership SET left_seq = ? WHERE group_id = ? AND user_id = ?"
            " AND left_seq IS NULL",
            [(left_seq, group_id, user_id) for user_id in user_ids],
        )
        self._db.executemany(
            "DELETE FROM conversation_members WHERE conv_id = ? AND user_id = ?",
            [(conv_id, user_id) for user_id in user_ids],
        )

    def was_member_at(self, group_id: int, user_id: int, conv_seq: int) -> bool:
        return (
            self._one(
                "SELECT 1 FROM group_membership WHERE group_id = ? AND user_id = ?"
                " AND joined_seq < ? AND (left_seq IS NULL OR left_seq >= ?) LIMIT 1",
                (group_id, user_id, conv_seq, conv_seq),
            )
            is not None
        )

    def joined_seq(self, group_id: int, user_id: int) -> int:
        """The conv seq after which the current membership's messages are visible."""
        row = self._one(
            "SELECT MAX(joined_seq) FROM group_membership WHERE group_id = ? AND user_id = ?"
            " AND left_seq IS NULL",
            (group_id, user_id),
        )
        return int(row[0]) if row and row[0] is not None else 0

    def unread_members_at(
        self, message: MessageRow, after: str | None, limit: int
    ) -> list[UnreadMember]:
        """Members at send time, but the sender, who have not acked; by name after `after`."""
        rows = self._all(
            "SELECT DISTINCT u.id, u.username FROM group_membership gm"
            " JOIN users u ON u.id = gm.user_id"
            " WHERE gm.group_id = ? AND gm.user_id != ? AND gm.joined_seq < ?"
            " AND (gm.left_seq IS NULL OR gm.left_seq >= ?)"
            " AND u.username > ?"
            " AND NOT EXISTS (SELECT 1 FROM group_acks a WHERE a.message_id = ?"
            " AND a.user_id = gm.user_id)"
            " ORDER BY u.username LIMIT ?",
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
        return [UnreadMember(*row) for row in rows]

    # ------------------------------------------------------------------ pins

    def group_pin(self, group_id: int) -> PinRow | None:
        row = self._one(
            "SELECT group_id, msg_id, by_id, at FROM group_pins WHERE group_id = ?",
            (group_id,),
        )
        return None if row is None else PinRow(*row)

    def set_group_pin(self, group_id: int, msg_id: str, by_id: int, now: int) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO group_pins(group_id, msg_id, by_id, at) VALUES (?, ?, ?, ?)",
            (group_id, msg_id, by_id, now),
        )

    def clear_group_pin(self, group_id: int) -> bool:
        cur = self._db.execute("DELETE FROM group_pins WHERE group_id = ?", (group_id,))
        return cur.rowcount > 0

    # ------------------------------------------------------------------ group receipts

    def group_ack(self, message_id: int, user_id: int) -> AckRow | None:
        row = self._one(
            f"SELECT {ACK_COLUMNS} FROM group_acks WHERE message_id = ? AND user_id = ?",
            (message_id, user_id),
        )
        return None if row is None else AckRow(*row)

    def add_group_ack(
        self, message_id: int, user_id: int, content: str | None, now: int, confirmed: bool = False
    ) -> AckRow:
        """Store a member's first ack and count it on the message (and its confirm)."""
        row = self._one(
            "UPDATE messages SET group_ack_count = group_ack_count + 1,"
            " group_confirm_count = group_confirm_count + ? WHERE id = ?"
            " RETURNING group_ack_count",
            (int(confirmed), message_id),
        )
        assert row is not None
        read_count = int(row[0])
        confirmed_at = now if confirmed else None
        ack_id = self._insert(
            "INSERT INTO group_acks(message_id, user_id, content, read_count, created_at,"
            " confirmed_at) VALUES (?, ?, ?, ?, ?, ?)",
            (message_id, user_id, content, read_count, now, confirmed_at),
        )
        return AckRow(ack_id, user_id, content, read_count, now, confirmed_at)

    def confirm_group_ack(
        self, message_id: int, user_id: int, content: str | None, now: int
    ) -> AckRow | None:
        row = self._one(
            "UPDATE group_acks SET confirmed_at = ?, content = COALESCE(?, content)"
            " WHERE message_id = ? AND user_id = ? AND confirmed_at IS NULL"
            f" RETURNING {ACK_COLUMNS}",
            (now, content, message_id, user_id),
        )
        if row is None:
            return None
        self._db.execute(
            "UPDATE messages SET group_confirm_count = group_confirm_count + 1 WHERE id = ?",
            (message_id,),
        )
        return AckRow(*row)

    def group_acks_of(self, user_id: int, message_ids: Sequence[int]) -> dict[int, AckRow]:
        found: dict[int, AckRow] = {}
        ids = list(message_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for message_id, *rest in self._all(
                f"SELECT message_id, {ACK_COLUMNS} FROM group_acks"
                f" WHERE user_id = ? AND message_id IN ({marks})",
                (user_id, *chunk),
            ):
                found[int(message_id)] = AckRow(*rest)
        return found

    def group_ack_times(self, message_id: int) -> AckTimes:
        # One row, the times joined in C: 10,000 rows as Python tuples cost more.
        row = self._one(
            "SELECT group_concat(created_at), group_concat(confirmed_at) FROM group_acks"
            " INDEXED BY group_acks_by_time WHERE message_id = ?",
            (message_id,),
        )
        reads, confirms = row if row is not None else (None, None)
        return AckTimes(_times(reads), _times(confirms))

    def add_group_reminder(self, message_id: int, by_id: int, reminded: int, now: int) -> None:
        self._db.execute(
            "INSERT INTO group_reminders(message_id, at, by_id, reminded) VALUES (?, ?, ?, ?)",
            (message_id, now, by_id, reminded),
        )

    def group_reminders(self, message_id: int) -> list[int]:
        return [
            int(row[0])
            for row in self._all(
                "SELECT at FROM group_reminders WHERE message_id = ? ORDER BY at, rowid",
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
                " WHERE message_id = ? AND ack_id < ? ORDER BY ack_id DESC LIMIT ?",
                (message_id, before_ack_id if before_ack_id is not None else 2**62, limit),
            )
        ]

    def add_group_delivery(self, message_id: int, user_id: int, now: int) -> int | None:
        """Record a member's device got the message; returns the new count, or None if known."""
        cur = self._db.execute(
            "INSERT OR IGNORE INTO group_deliveries(message_id, user_id, delivered_at)"
            " VALUES (?, ?, ?)",
            (message_id, user_id, now),
        )
        if cur.rowcount == 0:
            return None
        row = self._one(
            "UPDATE messages SET group_delivered_count = group_delivered_count + 1 WHERE id = ?"
            " RETURNING group_delivered_count",
            (message_id,),
        )
        assert row is not None
        return int(row[0])
