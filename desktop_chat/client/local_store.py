"""One signed-in user's local store: SQLite under the client's data_dir.

Owns: messages with their receipt marks, replies' quotes, edits and recalls;
conversations with unread counts and mutes; messages deleted on this device; the
outbox (messages and acks not yet confirmed by the server, kept across restarts);
the groups this user is in (name, owner, ack policy, members and roles, pinned
notice, as last confirmed by the server); the person's unsent drafts; and small settings (session
token, the last applied event seq). The schema and its upgrades are `local_schema`'s;
full-text search is `local_search`'s.

A recalled message keeps its row with its text dropped; the store overwrites freed
space (secure_delete) and, after the commit that dropped a text, checkpoints the
write-ahead log, so the text leaves the files on disk too.

The client changes several of these in one transaction (for example: a received
message, its delivery ack in the outbox and the new last seq), so a crash never
leaves one without the other. `commit` ends that transaction.

Never: talk to the network, or fire callbacks.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import msgspec

from desktop_chat.client import attachments
from desktop_chat.client.errors import ChatError, ChatErrorCode
from desktop_chat.client.local_schema import LocalSchemaError, has_search_index, prepare
from desktop_chat.client.local_search import LocalSearch
from desktop_chat.client.models import (
    Before,
    ChatMessage,
    ChatType,
    Conversation,
    Group,
    GroupRole,
    MessageDirection,
    ReplyPreview,
)
from desktop_chat.protocol import Mark
from desktop_chat.protocol.structs import MESSAGE_KEPT_FIELDS, REPLY_PREVIEW_CHARS

# Columns holding the ChatMessage attribute of the same name as it is (bools as 0/1),
# the protocol's kept message fields among them; then the ones converted each way.
_SAME = (
    "msg_id",
    "conversation_id",
    "local_time",
    "recipient_read",
    "deliver_ack_sent",
    "read_ack_sent",
    "recalled_at",
    *MESSAGE_KEPT_FIELDS,
)
_CONVERTED = (
    "chat_type",
    "direction",
    "sender",
    "recipient",
    "text",
    "attachment",
    "mark",
    "created",
)
_REPLY = ("reply_from", "reply_text", "reply_recalled")
_COLUMN_NAMES = [*_SAME, *_CONVERTED, *_REPLY]
_BOOLS = frozenset(f.name for f in fields(ChatMessage) if f.type == "bool")
_COLUMNS = ", ".join(_COLUMN_NAMES)
_TIME = "COALESCE(NULLIF(server_time, 0), local_time)"  # `sort_time`, as indexed
_PLACEHOLDERS = ", ".join("?" * len(_COLUMN_NAMES))
# An upsert, not INSERT OR REPLACE: a replace deletes the row first, which the search
# index's triggers would see as a delete and a new message.
_SAVE = (
    f"INSERT INTO messages({_COLUMNS}) VALUES ({_PLACEHOLDERS}) ON CONFLICT(msg_id) DO UPDATE"
    " SET " + ", ".join(f"{name} = excluded.{name}" for name in _COLUMN_NAMES[1:])
)


def _row(message: ChatMessage) -> tuple[Any, ...]:
    preview = message.reply_preview
    same = [getattr(message, name) for name in _SAME]
    return (
        *(int(v) if name in _BOOLS else v for name, v in zip(_SAME, same, strict=True)),
        message.chat_type.value,
        message.direction.value,
        message.from_,
        message.to,
        message.body.content,
        attachments.stored(message.body),
        int(message.mark),
        int(message.created),
        preview.from_ if preview else None,
        preview.text if preview else None,
        int(preview.recalled) if preview else 0,
    )


def _message(row: tuple[Any, ...]) -> ChatMessage:
    values = dict(zip(_COLUMN_NAMES, row, strict=True))
    same: dict[str, Any] = {
        name: bool(values[name]) if name in _BOOLS else values[name] for name in _SAME
    }
    reply_to, reply_from = values["reply_to"], values["reply_from"]
    return ChatMessage(
        chat_type=ChatType(values["chat_type"]),
        direction=MessageDirection(values["direction"]),
        from_=values["sender"],
        to=values["recipient"],
        body=attachments.from_stored(values["text"], values["attachment"]),
        mark=Mark(values["mark"]),
        created=bool(values["created"]),
        reply_preview=(
            None
            if reply_to is None or reply_from is None
            else ReplyPreview(
                reply_to, reply_from, values["reply_text"], bool(values["reply_recalled"])
            )
        ),
        **same,
    )


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    kind: str
    key: str
    payload: dict[str, Any]


class LocalStore(LocalSearch):
    _message_columns = _COLUMNS
    _to_message = staticmethod(_message)

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        try:
            # First: a store from a newer client is refused before anything is written.
            prepare(self._db, str(path))
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA secure_delete=ON")
        except LocalSchemaError as exc:
            self._db.close()
            raise ChatError(ChatErrorCode.DATABASE_ERROR, str(exc)) from exc
        except sqlite3.Error as exc:
            self._db.close()
            raise ChatError(
                ChatErrorCode.DATABASE_ERROR, f"cannot open the local store {path}: {exc}"
            ) from exc
        self.has_search_index = has_search_index(self._db)
        self._checkpoint_after_commit = False

    def close(self) -> None:
        self.commit()
        self._db.close()

    def _write(self) -> sqlite3.Connection:
        if not self._db.in_transaction:
            self._db.execute("BEGIN")
        return self._db

    def commit(self) -> None:
        if self._db.in_transaction:
            self._db.execute("COMMIT")
        if self._checkpoint_after_commit:
            self._checkpoint_after_commit = False
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
        self._checkpoint_after_commit = False

    # ------------------------------------------------------------------ settings

    def get(self, key: str, default: str | None = None) -> str | None:
        row = self._db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return default if row is None else row[0]

    def set(self, key: str, value: str | None) -> None:
        if value is None:
            self._write().execute("DELETE FROM settings WHERE key = ?", (key,))
        else:
            self._write().execute(
                "INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)", (key, value)
            )

    @property
    def last_seq(self) -> int:
        return int(self.get("last_seq", "0") or 0)

    @last_seq.setter
    def last_seq(self, seq: int) -> None:
        self.set("last_seq", str(seq))

    # ------------------------------------------------------------------ messages

    def save_message(self, message: ChatMessage) -> None:
        self._write().execute(_SAVE, _row(message))

    def message(self, msg_id: str) -> ChatMessage | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE msg_id = ?", (msg_id,)
        ).fetchone()
        return None if row is None else _message(row)

    def messages(self, msg_ids: list[str]) -> list[ChatMessage]:
        found = []
        for start in range(0, len(msg_ids), 500):
            chunk = msg_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found += [
                _message(row)
                for row in self._db.execute(
                    f"SELECT {_COLUMNS} FROM messages WHERE msg_id IN ({marks})", chunk
                )
            ]
        return found

    def conversation_messages(
        self, conversation_id: str, before: Before, count: int
    ) -> list[ChatMessage]:
        """Up to `count` messages before `before`, oldest first, in `order_key` order.
        `before` is a time (see `sort_time`: strictly older), or the `order_key` of a
        message (exactly the ones before it, also those of its own millisecond)."""
        if isinstance(before, tuple):
            time_, seq, msg_id = before
            bound = (
                f" AND {_TIME} <= ? AND ({_TIME} < ? OR conv_seq < ?"
                " OR (conv_seq = ? AND msg_id < ?))"
            )
            args: tuple[Any, ...] = (time_, time_, seq, seq, msg_id)
        else:
            bound, args = f" AND {_TIME} < ?", (before if before else 2**62,)
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE conversation_id = ?{bound}"
            f" ORDER BY {_TIME} DESC, conv_seq DESC, msg_id DESC LIMIT ?",
            (conversation_id, *args, count),
        ).fetchall()
        return [_message(row) for row in reversed(rows)]

    def sent_unread(self, conversation_id: str, upto_conv_seq: int) -> list[ChatMessage]:
        """Our messages in a one-to-one conversation, up to a seq, not yet marked read."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE conversation_id = ? AND direction = 'SEND'"
            " AND chat_type = 'chat' AND need_read_ack = 1 AND mark < ? AND conv_seq > 0"
            " AND conv_seq <= ?",
            (conversation_id, int(Mark.READ), upto_conv_seq),
        ).fetchall()
        return [_message(row) for row in rows]

    def newest_received_seq(self, conversation_id: str) -> int:
        """The conv_seq of the newest message this device received in a conversation."""
        row = self._db.execute(
            "SELECT MAX(conv_seq) FROM messages WHERE conversation_id = ?"
            " AND direction = 'RECEIVE'",
            (conversation_id,),
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def unread_received(self, conversation_id: str, upto: int) -> list[ChatMessage]:
        """Received messages up to conv_seq `upto` not read yet: what a read up to
        there changes."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE conversation_id = ? AND direction = 'RECEIVE'"
            " AND recipient_read = 0 AND conv_seq <= ? ORDER BY conv_seq",
            (conversation_id, upto),
        ).fetchall()
        return [_message(row) for row in rows]

    def mark_received_read(self, conversation_id: str, upto: int, read_ack_sent: bool) -> int:
        """Received messages up to conv_seq `upto` are read; how many are still unread
        after it (on this device)."""
        db = self._write()
        db.execute(
            "UPDATE messages SET recipient_read = 1, read_ack_sent = MAX(read_ack_sent, ?)"
            " WHERE conversation_id = ? AND direction = 'RECEIVE' AND recipient_read = 0"
            " AND conv_seq <= ?",
            (int(read_ack_sent), conversation_id, upto),
        )
        row = db.execute(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND direction = 'RECEIVE'"
            " AND recipient_read = 0 AND recalled_at IS NULL",
            (conversation_id,),
        ).fetchone()
        return int(row[0])

    # ------------------------------------------------------------------ recall, edit, delete

    def recall_message(self, msg_id: str, at: int) -> None:
        """Drop its text for good (and from the quotes of replies to it)."""
        db = self._write()
        db.execute(
            "UPDATE messages SET text = '', recalled_at = COALESCE(recalled_at, ?)"
            " WHERE msg_id = ?",
            (at, msg_id),
        )
        db.execute(
            "UPDATE messages SET reply_text = NULL, reply_recalled = 1 WHERE reply_to = ?",
            (msg_id,),
        )
        self._checkpoint_after_commit = True

    def edit_message(self, msg_id: str, text: str, at: int) -> None:
        db = self._write()
        db.execute(
            "UPDATE messages SET text = ?, edited_at = ? WHERE msg_id = ?", (text, at, msg_id)
        )
        db.execute(
            "UPDATE messages SET reply_text = ? WHERE reply_to = ? AND reply_recalled = 0",
            (text[:REPLY_PREVIEW_CHARS], msg_id),
        )

    def delete_message(self, msg_id: str) -> None:
        """Delete for me: gone from this device, and kept out if the log replays it."""
        db = self._write()
        db.execute("DELETE FROM messages WHERE msg_id = ?", (msg_id,))
        db.execute("INSERT OR IGNORE INTO deleted_messages(msg_id) VALUES (?)", (msg_id,))
        self._checkpoint_after_commit = True

    def shows_local_file(self, path: str) -> bool:
        """Whether a message kept here (not recalled) still shows the file at `path`."""
        row = self._db.execute(
            "SELECT 1 FROM messages WHERE recalled_at IS NULL AND attachment IS NOT NULL"
            " AND json_extract(attachment, '$.local_path') = ? LIMIT 1",
            (path,),
        ).fetchone()
        return row is not None

    def is_deleted(self, msg_id: str) -> bool:
        row = self._db.execute("SELECT 1 FROM deleted_messages WHERE msg_id = ?", (msg_id,))
        return row.fetchone() is not None

    # ------------------------------------------------------------------ conversations

    def touch_conversation(self, conversation_id: str, chat_type: ChatType, at: int) -> None:
        self._write().execute(
            "INSERT INTO conversations(conversation_id, chat_type, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(conversation_id) DO UPDATE SET updated_at = MAX(updated_at, ?)",
            (conversation_id, chat_type.value, at, at),
        )

    def unread_count(self, conversation_id: str) -> int:
        row = self._db.execute(
            "SELECT unread_count FROM conversations WHERE conversation_id = ?", (conversation_id,)
        ).fetchone()
        return 0 if row is None else int(row[0])

    def set_unread(self, conversation_id: str, count: int) -> None:
        self._write().execute(
            "UPDATE conversations SET unread_count = ? WHERE conversation_id = ?",
            (max(0, count), conversation_id),
        )

    def set_mute(self, conversation_id: str, muted: bool, until: int | None) -> None:
        self._write().execute(
            "UPDATE conversations SET muted = ?, muted_until = ? WHERE conversation_id = ?",
            (int(muted), until if muted else None, conversation_id),
        )

    def conversation(self, conversation_id: str) -> Conversation | None:
        row = self._db.execute(
            "SELECT conversation_id, chat_type, unread_count, muted, muted_until"
            " FROM conversations WHERE conversation_id = ?",
            (conversation_id,),
        ).fetchone()
        if row is None:
            return None
        latest = self.conversation_messages(conversation_id, None, 1)
        return Conversation(
            row[0],
            ChatType(row[1]),
            row[2],
            latest[0] if latest else None,
            muted=bool(row[3]),
            muted_until=row[4],
        )

    def conversations(self) -> list[Conversation]:
        ids = [
            row[0]
            for row in self._db.execute(
                "SELECT conversation_id FROM conversations ORDER BY updated_at DESC"
            )
        ]
        return [c for c in (self.conversation(i) for i in ids) if c is not None]

    def total_unread(self) -> int:
        row = self._db.execute("SELECT COALESCE(SUM(unread_count), 0) FROM conversations")
        return int(row.fetchone()[0])

    # ------------------------------------------------------------------ groups

    def save_group(self, group: Group) -> None:
        members = None
        if group.members is not None:
            members = msgspec.json.encode({n: r.value for n, r in group.members.items()}).decode()
        self._write().execute(
            "INSERT OR REPLACE INTO groups(group_id, name, owner, ack_policy, member_count,"
            " members, pinned_msg_id, pinned_by, pinned_at, pinned_source)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                group.group_id,
                group.name,
                group.owner,
                group.ack_policy,
                group.member_count,
                members,
                group.pinned_msg_id,
                group.pinned_by,
                group.pinned_at,
                group.pinned_source,
            ),
        )

    def remove_group(self, group_id: str) -> None:
        self._write().execute("DELETE FROM groups WHERE group_id = ?", (group_id,))

    def groups(self) -> list[Group]:
        """The groups as last saved; a pinned message comes as its `pinned_source` only
        (`apply.restored` makes it a message again)."""
        rows = self._db.execute(
            "SELECT group_id, name, owner, ack_policy, member_count, members, pinned_msg_id,"
            " pinned_by, pinned_at, pinned_source FROM groups"
        )
        return [
            Group(
                group_id=row[0],
                name=row[1],
                owner=row[2],
                ack_policy=row[3],
                member_count=row[4],
                members=None
                if row[5] is None
                else {n: GroupRole(r) for n, r in msgspec.json.decode(row[5]).items()},
                pinned_msg_id=row[6],
                pinned_by=row[7],
                pinned_at=row[8],
                pinned_source=row[9],
            )
            for row in rows
        ]

    # ------------------------------------------------------------------ drafts

    def set_draft(self, conversation_id: str, text: str, at: int) -> None:
        """Keep `text` as the conversation's unsent draft ("" removes it)."""
        if text:
            self._write().execute(
                "INSERT OR REPLACE INTO drafts(conversation_id, text, updated_at) VALUES (?, ?, ?)",
                (conversation_id, text, at),
            )
        else:
            self._write().execute(
                "DELETE FROM drafts WHERE conversation_id = ?", (conversation_id,)
            )

    def draft(self, conversation_id: str) -> str:
        row = self._db.execute(
            "SELECT text FROM drafts WHERE conversation_id = ?", (conversation_id,)
        ).fetchone()
        return "" if row is None else row[0]

    # ------------------------------------------------------------------ outbox

    def outbox_add(self, kind: str, key: str, payload: dict[str, Any], at: int) -> None:
        self._write().execute(
            "INSERT OR REPLACE INTO outbox(kind, key, payload, created_at) VALUES (?, ?, ?, ?)",
            (kind, key, msgspec.json.encode(payload), at),
        )

    def outbox(self, kind: str | None = None, limit: int = 500) -> list[OutboxEntry]:
        if kind is None:
            rows = self._db.execute(
                "SELECT id, kind, key, payload FROM outbox ORDER BY id LIMIT ?", (limit,)
            )
        else:
            rows = self._db.execute(
                "SELECT id, kind, key, payload FROM outbox WHERE kind = ? ORDER BY id LIMIT ?",
                (kind, limit),
            )
        return [OutboxEntry(r[0], r[1], r[2], msgspec.json.decode(r[3])) for r in rows]

    def outbox_confirm_pending(self, msg_id: str) -> bool:
        """Whether a confirm of this group message waits in the outbox (a plain read of
        it must not replace it)."""
        row = self._db.execute(
            "SELECT payload FROM outbox WHERE kind = 'group_read_ack' AND key = ?", (msg_id,)
        ).fetchone()
        return row is not None and bool(msgspec.json.decode(row[0]).get("confirm"))

    def outbox_remove(self, entry_ids: list[int]) -> None:
        self._write().executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in entry_ids])

    def outbox_discard(self, key: str, kinds: tuple[str, ...]) -> bool:
        """Drop queued entries of these kinds for one message (it was recalled or deleted);
        whether there were any."""
        db = self._write()
        dropped = 0
        for kind in kinds:
            dropped += db.execute(
                "DELETE FROM outbox WHERE kind = ? AND key = ?", (kind, key)
            ).rowcount
        return dropped > 0

    def outbox_size(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
