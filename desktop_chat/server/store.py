"""The server's storage interface, implemented on SQLite (WAL).

Owns: every SQL query the server runs (with its parts `store_messages`, `store_groups`,
`store_edits` and `store_blobs`; the schema and its upgrades are `schema` and `migrations`),
transactions (a savepoint per request where one is needed, one commit per
event-loop iteration, driven by `hub.Hub`; a transaction's event rows go in at
its end, in one statement), and the small caches that are only a function of
stored data: usernames and user ids, the conversation id of each pair of users
and of each group (users, groups and conversations are never deleted or
renamed), and the last seq of each user's event log. The caches that could hold
a row a rollback undid are cleared on every rollback.

The methods are synchronous and fast (indexed lookups); the server calls them on
its event loop between awaits, so each request's reads and writes are atomic
with respect to other requests. `storage.postgres.PostgresStore` implements the
same public methods (`storage.interface.Store`), with the same row types
(`rows.py`).

Never: build frames, decide permissions, or talk to sockets.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from desktop_chat.protocol.names import KEY_VERSION, name_key
from desktop_chat.server.blob_files import BlobFiles
from desktop_chat.server.migrations import SchemaError, prepare
from desktop_chat.server.rows import AckRow as AckRow
from desktop_chat.server.rows import (
    ConversationRow,
    Credentials,
    DeviceState,
    EventRow,
    MemberState,
)
from desktop_chat.server.rows import DeviceRow as DeviceRow
from desktop_chat.server.rows import GroupRow as GroupRow
from desktop_chat.server.rows import MessageRow as MessageRow
from desktop_chat.server.store_blobs import BlobStore
from desktop_chat.server.store_edits import EditStore
from desktop_chat.server.store_errors import MsgIdTakenError as MsgIdTakenError
from desktop_chat.server.store_errors import StoreError as StoreError
from desktop_chat.server.store_errors import UserExistsError as UserExistsError
from desktop_chat.server.store_groups import GroupStore
from desktop_chat.server.store_messages import MessageStore

# Rows per INSERT of pending events: 4 parameters each, under SQLite's 32,766.
_EVENTS_PER_INSERT = 8000


class SqliteStore(MessageStore, GroupStore, EditStore, BlobStore):
    """All persistent state of one server, in one SQLite file. The queries of groups and
    their receipts are in `store_groups.GroupStore`; those of recall, edit, mute and
    private reads in `store_edits.EditStore`; those of file contents in `store_blobs`."""

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: str = "FULL",
        max_pages: int | None = None,
        blob_dir: str | Path | None = None,
    ) -> None:
        """`blob_dir`: a folder for files' bytes (`blob_files`), else rows of this file."""
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            self._configure(synchronous, max_pages)
            self.schema_version = prepare(self._db, self.path)
            self._fill_name_keys()
            if blob_dir is not None:
                self._files = BlobFiles(blob_dir, durable=synchronous.upper() != "OFF")
                self._files.sweep(self._blob_has_row)
        except (SchemaError, OSError) as exc:  # OSError: the blob_dir
            self._db.close()
            raise StoreError(str(exc)) from exc
        except sqlite3.DatabaseError as exc:
            # Said with the file and what to do; the file is left as it is.
            self._db.close()
            if isinstance(exc, sqlite3.OperationalError):  # a full disk, a read-only file
                raise StoreError(f"{self.path}: {exc}") from exc
            raise StoreError(
                f"{self.path} is not a database this server can read ({exc}); check the"
                " path, or restore it from a backup"
            ) from exc

    def _configure(self, synchronous: str, max_pages: int | None) -> None:
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.execute("PRAGMA foreign_keys=ON")
        # Freed space is overwritten: a recalled message's text leaves the file itself.
        self._db.execute("PRAGMA secure_delete=ON")
        if max_pages is not None:
            self._db.execute(f"PRAGMA max_page_count={int(max_pages)}")
        self._usernames: dict[int, str] = {}
        self._user_ids: dict[str, int] = {}
        self._chat_convs: dict[tuple[int, int], int] = {}
        self._group_convs: dict[int, int] = {}
        self._last_seq: dict[int, int] = {}
        # This transaction's events, inserted at once at its end: (user, seq, at, body).
        self._pending_events: list[tuple[int, int, int, bytes]] = []
        self._lost = False

    # ------------------------------------------------------------------ transactions

    def close(self) -> None:
        self.rollback()  # closes the blob files written since the last commit, too
        self._db.close()

    @property
    def in_transaction(self) -> bool:
        return self._db.in_transaction

    @contextmanager
    def request(self, *, savepoint: bool = True) -> Iterator[None]:
        """One request's writes: rolled back alone if the request fails.

        The first request of a transaction needs no savepoint: if it fails, the
        transaction holds nothing else, and rolling it back undoes just that request.
        Each later one is a savepoint in it, unless `savepoint` is false: a request
        that makes every check before its first write (the acks). If such a request
        fails anyway after writing (a storage error, a bug), its writes cannot be
        undone alone: the whole transaction is rolled back and its commit refused."""
        first = not self._db.in_transaction
        if first:
            self._db.execute("BEGIN")
        elif savepoint:
            self._db.execute("SAVEPOINT request")
        pending, changes = len(self._pending_events), self._db.total_changes
        try:
            yield
        except BaseException:
            wrote = self._db.total_changes != changes or len(self._pending_events) != pending
            del self._pending_events[pending:]
            if first or savepoint:
                self._undo_request(first)
                self._forget()
            elif wrote:
                self.rollback()
                self._lost = True
            raise
        if not first and savepoint:
            self._db.execute("RELEASE request")

    def _undo_request(self, first: bool) -> None:
        if first:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
        elif self._db.in_transaction:
            self._db.execute("ROLLBACK TO request")
            self._db.execute("RELEASE request")
        else:
            # Some errors (SQLITE_FULL, I/O errors) make SQLite roll back the whole
            # transaction: the writes of every earlier request of this batch are gone
            # too, so the batch must not be confirmed.
            self._lost = True
            self._pending_events.clear()

    @property
    def changes(self) -> int:  # since it opened (a request that changes none is a read)
        return self._db.total_changes

    def prepare_commit(self) -> None:
        if self._lost or not self._pending_events:
            return
        try:
            self._flush_events()
        except sqlite3.Error as exc:
            self.rollback()
            raise StoreError(str(exc)) from exc

    def commit(self) -> None:
        """Commit everything since the last commit. Raises StoreError on failure,
        including when SQLite already rolled the batch back on its own."""
        if self._lost:
            self._lost = False
            self.rollback()
            raise StoreError("the storage failed and SQLite rolled back this batch")
        if not self._db.in_transaction:
            return
        try:
            self._flush_events()
            if self._files is not None:
                self._files.sync()  # the bytes first: the COMMIT counts them
            self._db.execute("COMMIT")
        except (sqlite3.Error, OSError) as exc:
            self.rollback()
            raise StoreError(str(exc)) from exc
        if self._files is not None:
            self._files.orphans_gone(self._blob_has_row)

    def rollback(self) -> None:
        self._pending_events.clear()
        if self._files is not None:
            self._files.forget_writes()
        if self._db.in_transaction:
            with suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
        self._forget()

    def _forget(self) -> None:
        """Drop the caches (and blob files) that may hold rows a rollback has just undone."""
        if self._files is not None:
            self._files.orphans_gone(self._blob_has_row, committed=False)
        self._last_seq.clear()
        self._usernames.clear()
        self._user_ids.clear()
        self._chat_convs.clear()
        self._group_convs.clear()

    def _one(self, sql: str, params: Sequence[object] = ()) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self._db.execute(sql, params).fetchone()
        return row

    def _all(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return self._db.execute(sql, params).fetchall()

    def _insert(self, sql: str, params: Sequence[object]) -> int:
        """Run an INSERT; the rowid of the row it made."""
        rowid = self._db.execute(sql, params).lastrowid
        assert rowid is not None  # set by every INSERT into a rowid table
        return rowid

    # ------------------------------------------------------------------ users and devices

    def create_user(self, username: str, password_hash: str, now: int) -> int:
        try:
            user_id = self._insert(
                "INSERT INTO users(username, password_hash, created_at) VALUES (?, ?, ?)",
                (username, password_hash, now),
            )
        except sqlite3.IntegrityError as exc:
            raise UserExistsError(username) from exc
        self._db.execute(
            "INSERT INTO user_name_keys(user_id, name_key) VALUES (?, ?)",
            (user_id, name_key(username)),
        )
        return user_id

    def look_alike_of(self, username: str) -> str | None:
        """A stored username with the same look-alike key as `username`, if any."""
        row = self._one(
            "SELECT u.username FROM user_name_keys k JOIN users u ON u.id = k.user_id"
            " WHERE k.name_key = ? LIMIT 1",
            (name_key(username),),
        )
        return row[0] if row else None

    def _fill_name_keys(self) -> None:
        """Key the users that have no look-alike key (written before keys existed), or all
        of them when the key's rules changed since (`names.KEY_VERSION`)."""
        row = self._one("SELECT value FROM meta WHERE key = 'name_key_version'")
        current = row is not None and row[0] == str(KEY_VERSION)
        rows = self._all(
            "SELECT id, username FROM users"
            + (" WHERE id NOT IN (SELECT user_id FROM user_name_keys)" if current else "")
        )
        if current and not rows:
            return
        try:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO user_name_keys(user_id, name_key) VALUES (?, ?)",
                [(user_id, name_key(name)) for user_id, name in rows],
            )
            self._db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('name_key_version', ?)",
                (str(KEY_VERSION),),
            )
            self._db.execute("COMMIT")
        except sqlite3.Error:
            # Read-only or full: it opens all the same; a later open fills the keys (and
            # a register could not be written now anyway).
            self._db.rollback()

    def user_credentials(self, username: str) -> Credentials | None:
        row = self._one("SELECT id, password_hash FROM users WHERE username = ?", (username,))
        return None if row is None else Credentials(*row)

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self._db.execute(
            "UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id)
        )

    def user_id(self, username: str) -> int | None:
        user_id = self._user_ids.get(username)
        if user_id is None:
            row = self._one("SELECT id FROM users WHERE username = ?", (username,))
            if row is None:
                return None
            user_id = self._user_ids[username] = int(row[0])
        return user_id

    def user_ids(self, usernames: Iterable[str]) -> dict[str, int]:
        names = list(dict.fromkeys(usernames))
        found: dict[str, int] = {}
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for user_id, name in self._all(
                f"SELECT id, username FROM users WHERE username IN ({marks})", chunk
            ):
                found[name] = user_id
                self._usernames[user_id] = name
                self._user_ids[name] = user_id
        return found

    def username(self, user_id: int) -> str:
        name = self._usernames.get(user_id)
        if name is None:
            row = self._one("SELECT username FROM users WHERE id = ?", (user_id,))
            if row is None:
                raise KeyError(user_id)
            name = self._usernames[user_id] = row[0]
        return name

    def create_device(self, user_id: int, name: str, token_hash: bytes, now: int) -> int:
        return self._insert(
            "INSERT INTO devices(user_id, name, token_hash, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (user_id, name, token_hash, now, now),
        )

    def device_by_token(self, token_hash: bytes) -> DeviceRow | None:
        row = self._one(
            "SELECT d.id, d.user_id, u.username, d.name, d.last_seen_at, d.revoked"
            " FROM devices d JOIN users u ON u.id = d.user_id WHERE d.token_hash = ?",
            (token_hash,),
        )
        if row is None:
            return None
        device_id, user_id, username, name, last_seen_at, revoked = row
        return DeviceRow(device_id, user_id, username, name, last_seen_at, bool(revoked))

    def device_states(self, device_ids: Sequence[int]) -> dict[int, DeviceState]:
        """The state of each device id that exists."""
        states: dict[int, DeviceState] = {}
        for start in range(0, len(device_ids), 500):
            chunk = device_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for device_id, last_seen_at, revoked in self._all(
                f"SELECT id, last_seen_at, revoked FROM devices WHERE id IN ({marks})", chunk
            ):
                states[device_id] = DeviceState(last_seen_at, bool(revoked))
        return states

    def touch_device(self, device_id: int, now: int) -> None:
        self._db.execute("UPDATE devices SET last_seen_at = ? WHERE id = ?", (now, device_id))

    def revoke_device(self, device_id: int) -> None:
        self._db.execute("UPDATE devices SET revoked = 1 WHERE id = ?", (device_id,))

    # ------------------------------------------------------------------ event logs

    def last_seq(self, user_id: int) -> int:
        seq = self._last_seq.get(user_id)
        if seq is None:
            self._flush_events()
            row = self._one("SELECT MAX(seq) FROM events WHERE user_id = ?", (user_id,))
            seq = self._last_seq[user_id] = int(row[0] or 0) if row else 0
        return seq

    def append_events(self, user_ids: Iterable[int], body: bytes, now: int) -> list[int]:
        """Append one event body to each user's log; returns the seq given to each.

        The rows are written with the transaction's others, in one statement, before
        it commits (a failed request's are dropped with its savepoint)."""
        seqs = []
        for user_id in user_ids:
            seq = self.last_seq(user_id) + 1
            self._last_seq[user_id] = seq
            self._pending_events.append((user_id, seq, now, body))
            seqs.append(seq)
        return seqs

    def _flush_events(self) -> None:
        """Insert the pending events (a few statements of many rows at most)."""
        rows, self._pending_events = self._pending_events, []
        for start in range(0, len(rows), _EVENTS_PER_INSERT):
            chunk = rows[start : start + _EVENTS_PER_INSERT]
            values = ", ".join(["(?, ?, ?, ?)"] * len(chunk))
            self._db.execute(
                f"INSERT INTO events(user_id, seq, created_at, body) VALUES {values}",
                [field for row in chunk for field in row],
            )

    def events_after(self, user_id: int, after_seq: int, limit: int) -> list[EventRow]:
        self._flush_events()
        return [
            EventRow(seq, body)
            for seq, body in self._all(
                "SELECT seq, body FROM events WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                (user_id, after_seq, limit),
            )
        ]

    # ------------------------------------------------------------------ conversations

    def chat_conversation(self, user_x: int, user_y: int, now: int) -> int:
        """The one-to-one conversation of two users, created on first use."""
        conv_id = self.find_chat_conversation(user_x, user_y)
        if conv_id is not None:
            return conv_id
        user_a, user_b = sorted((user_x, user_y))
        conv_id = self._insert(
            "INSERT INTO conversations(kind, user_a, user_b) VALUES ('chat', ?, ?)",
            (user_a, user_b),
        )
        self._db.executemany(
            "INSERT INTO conversation_members(conv_id, user_id, updated_at) VALUES (?, ?, ?)",
            [(conv_id, user_a, now), (conv_id, user_b, now)],
        )
        self._chat_convs[(user_a, user_b)] = conv_id
        return conv_id

    def find_chat_conversation(self, user_x: int, user_y: int) -> int | None:
        pair = (user_x, user_y) if user_x < user_y else (user_y, user_x)
        conv_id = self._chat_convs.get(pair)
        if conv_id is None:
            row = self._one(
                "SELECT id FROM conversations WHERE kind = 'chat' AND user_a = ? AND user_b = ?",
                pair,
            )
            if row is None:
                return None
            conv_id = self._chat_convs[pair] = int(row[0])
        return conv_id

    def group_conversation(self, group_id: int) -> int:
        conv_id = self._group_convs.get(group_id)
        if conv_id is None:
            row = self._one("SELECT id FROM conversations WHERE group_id = ?", (group_id,))
            if row is None:
                raise KeyError(group_id)
            conv_id = self._group_convs[group_id] = int(row[0])
        return conv_id

    def next_conv_seq(self, conv_id: int) -> int:
        row = self._one(
            "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq",
            (conv_id,),
        )
        assert row is not None
        return int(row[0])

    def conv_last_seq(self, conv_id: int) -> int:
        row = self._one("SELECT last_seq FROM conversations WHERE id = ?", (conv_id,))
        return 0 if row is None else int(row[0])

    def member_state(self, conv_id: int, user_id: int) -> MemberState | None:
        row = self._one(
            "SELECT unread_count, read_upto FROM conversation_members"
            " WHERE conv_id = ? AND user_id = ?",
            (conv_id, user_id),
        )
        return None if row is None else MemberState(*row)

    def count_new_message(self, conv_id: int, sender_id: int, now: int) -> None:
        """One more unread message for everyone but the sender, and `touch_conversation`
        for the sender, in one statement."""
        self._db.execute(
            "UPDATE conversation_members SET unread_count = unread_count + (user_id != ?),"
            " updated_at = ? WHERE conv_id = ?",
            (sender_id, now, conv_id),
        )

    def touch_conversation(self, conv_id: int, user_id: int, now: int) -> None:
        self._db.execute(
            "UPDATE conversation_members SET updated_at = ? WHERE conv_id = ? AND user_id = ?",
            (now, conv_id, user_id),
        )

    def decrement_unread(self, conv_id: int, user_id: int, by: int) -> int:
        row = self._one(
            "UPDATE conversation_members SET unread_count = MAX(0, unread_count - ?)"
            " WHERE conv_id = ? AND user_id = ? RETURNING unread_count",
            (by, conv_id, user_id),
        )
        return 0 if row is None else int(row[0])

    def conversations_of(self, user_id: int) -> list[ConversationRow]:
        """The user's conversations that have messages, most recently updated first."""
        rows = self._all(
            "SELECT c.id, c.kind, c.user_a, c.user_b, c.group_id, m.unread_count, c.last_seq,"
            " m.muted, m.muted_until"
            " FROM conversation_members m JOIN conversations c ON c.id = m.conv_id"
            " WHERE m.user_id = ? AND c.last_seq > 0 ORDER BY m.updated_at DESC, c.id DESC",
            (user_id,),
        )
        return [
            ConversationRow(conv_id, kind, a, b, group_id, unread, seq, bool(muted), until)
            for conv_id, kind, a, b, group_id, unread, seq, muted, until in rows
        ]

    # ------------------------------------------------------------------ invariants (tests)

    def check_invariants(self) -> list[str]:
        """Return broken invariants (empty when all hold). Used by tests and fsck."""
        problems = []
        for message_id, counted, rows in self._all(
            "SELECT m.id, m.group_ack_count, (SELECT COUNT(*) FROM group_acks a"
            " WHERE a.message_id = m.id) FROM messages m WHERE m.need_group_ack = 1"
        ):
            if counted != rows:
                problems.append(f"message {message_id}: group_ack_count {counted} != {rows} acks")
        for (count,) in self._all(
            "SELECT COUNT(*) FROM conversation_members WHERE unread_count < 0"
        ):
            if count:
                problems.append(f"{count} negative unread counts")
        return problems
