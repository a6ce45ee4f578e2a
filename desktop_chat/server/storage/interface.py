"""What the server may ask of its store, whichever database holds it.

Owns: `Store`, the typing protocol every backend implements (`SqliteStore` in
`store.py`, `PostgresStore` in `postgres.py`), split by concern (transactions,
accounts, event log, conversations, messages, receipts, groups, edits, mutes, blobs,
and announcements: `announce_interface.py`), and the error family below. The row
types its methods return are frozen dataclasses defined in `server/rows.py` (both
backends build them, and this module imports `store`, so they cannot live here) and
re-exported from here. One contract suite
(`tests/cluster/storage/`) runs against every backend, and
`tests/server/test_storage_interface.py` checks that each backend's public
methods are exactly these, with these signatures.

Errors, all subclasses of `store.StoreError`, so `except StoreError` catches every
one (the original driver error is kept as `__cause__`):

    StoreError                 the store could not read or write
    ├── StoreUnavailable       the database is unreachable or went away
    │   └── StoreCommitUnknown the connection died during COMMIT: it may have committed
    ├── StoreFull              out of disk space
    ├── StoreReadOnly          the database takes no writes (read-only, a standby)
    ├── StoreConflict          a concurrent transaction won (serialization failure,
    │                          deadlock, a unique key written meanwhile): retry it
    └── StoreSchemaTooNew      the database was written by a newer server version

`UserExistsError` and `MsgIdTakenError` are not store failures: they answer a
request (the name or the msg_id is taken), and stay as `store.py` defines them.

Rules for the rest of the server: only the backends (`store.py` and the modules
split from it; `storage/postgres*.py`) name `sqlite3` or `psycopg`; everything else
catches the `StoreError` family. Rows are frozen dataclasses, never bare tuples.

Never: hold SQL, or import a database driver.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from desktop_chat.server.rows import (
    AckRow,
    BlobRow,
    ConversationRow,
    Credentials,
    DeviceRow,
    DeviceState,
    EventRow,
    GroupRow,
    MemberRole,
    MemberState,
    MessageRow,
    ReadState,
    UnreadMember,
)
from desktop_chat.server.storage.announce_interface import AnnouncementStore
from desktop_chat.server.store_errors import MsgIdTakenError, StoreError, UserExistsError

__all__ = [
    "AccountStore",
    "AckRow",
    "AnnouncementStore",
    "BlobRow",
    "BlobStore",
    "ConversationRow",
    "ConversationStore",
    "Credentials",
    "DeviceRow",
    "DeviceState",
    "EditStore",
    "EventLogStore",
    "EventRow",
    "GroupRow",
    "GroupStore",
    "MemberRole",
    "MemberState",
    "MessageRow",
    "MessageStore",
    "MsgIdTakenError",
    "MuteStore",
    "ReadState",
    "ReceiptStore",
    "Store",
    "StoreCommitUnknown",
    "StoreConflict",
    "StoreError",
    "StoreFull",
    "StoreReadOnly",
    "StoreSchemaTooNew",
    "StoreUnavailable",
    "TransactionStore",
    "UnreadMember",
    "UserExistsError",
]


# ---------------------------------------------------------------------- errors


class StoreUnavailable(StoreError):
    """The database is unreachable or the connection broke; nothing of the open
    transaction was applied. A later request may succeed (the store reconnects)."""


class StoreCommitUnknown(StoreUnavailable):
    """The connection broke while COMMIT was on its way: the transaction may or may
    not have committed. Retrying is safe only because writes are idempotent (msg_id,
    forward-only marks); never tell the client that nothing was applied."""


class StoreFull(StoreError):
    """The database ran out of disk space."""


class StoreReadOnly(StoreError):
    """The database refuses writes (read-only file or transaction, a hot standby)."""


class StoreConflict(StoreError):
    """A concurrent transaction got in the way (serialization failure, deadlock, a
    unique key another node wrote first). The transaction was rolled back: run the
    whole request again, a bounded number of times."""


class StoreSchemaTooNew(StoreError):
    """The database's schema is newer than this server knows: upgrade the server."""


# ---------------------------------------------------------------------- protocols


class TransactionStore(Protocol):
    """One session's transaction: requests are savepoints inside it (or the whole
    transaction, when a request opens it); nothing is durable before `commit`."""

    def close(self) -> None: ...

    @property
    def in_transaction(self) -> bool: ...

    def request(self, *, savepoint: bool = True) -> AbstractContextManager[None]:
        """One request's writes: rolled back alone if the block raises.

        `savepoint=False`: the request makes every check before its first write, so a
        backend may skip its savepoint; if it fails after writing anyway, the
        backend may refuse the whole transaction instead."""
        ...

    @property
    def changes(self) -> int:
        """Rows changed since the store opened (a request that changes none is a read)."""
        ...

    def prepare_commit(self) -> None:
        """Do here, on the calling thread, the writes `commit` would make before its
        COMMIT (SQLite: the batch's event rows), so that a `commit` on another thread
        only commits. Raises a StoreError on failure (the transaction is rolled back)."""
        ...

    def commit(self) -> None:
        """Commit everything since the last commit; raises a StoreError on failure."""
        ...

    def rollback(self) -> None: ...


class AccountStore(Protocol):
    """Users (never deleted or renamed), their look-alike keys, and devices."""

    def create_user(self, username: str, password_hash: str, now: int) -> int:
        """The new user's id; raises UserExistsError if the name is taken."""
        ...

    def look_alike_of(self, username: str) -> str | None:
        """A stored username with the same look-alike key as `username`, if any."""
        ...

    def user_credentials(self, username: str) -> Credentials | None: ...

    def set_password_hash(self, user_id: int, password_hash: str) -> None: ...

    def user_id(self, username: str) -> int | None: ...

    def user_ids(self, usernames: Iterable[str]) -> dict[str, int]:
        """The ids of the names that exist (missing names are left out)."""
        ...

    def username(self, user_id: int) -> str:
        """The name of a user; KeyError if there is none."""
        ...

    def create_device(self, user_id: int, name: str, token_hash: bytes, now: int) -> int: ...

    def device_by_token(self, token_hash: bytes) -> DeviceRow | None: ...

    def device_states(self, device_ids: Sequence[int]) -> dict[int, DeviceState]: ...

    def touch_device(self, device_id: int, now: int) -> None: ...

    def revoke_device(self, device_id: int) -> None: ...


class EventLogStore(Protocol):
    """Each user's append-only event log, numbered 1, 2, 3... with no gaps."""

    def last_seq(self, user_id: int) -> int: ...

    def append_events(self, user_ids: Iterable[int], body: bytes, now: int) -> list[int]:
        """Append one event body to each user's log; returns the seq given to each."""
        ...

    def events_after(self, user_id: int, after_seq: int, limit: int) -> list[EventRow]: ...

    def events_since(self, user_id: int, since: int) -> Iterator[EventRow]:
        """Events written at `since` (ms) or later, newest first (walking back from
        the newest, it stops at the first older one)."""
        ...

    def replace_event(self, user_id: int, seq: int, body: bytes) -> None:
        """Rewrite a logged event's body (its seq stays): to scrub a recalled text."""
        ...


class ConversationStore(Protocol):
    """Conversations, their message sequence, and each member's unread count."""

    def chat_conversation(self, user_x: int, user_y: int, now: int) -> int:
        """The one-to-one conversation of two users, created on first use."""
        ...

    def find_chat_conversation(self, user_x: int, user_y: int) -> int | None: ...

    def group_conversation(self, group_id: int) -> int:
        """The conversation of a group; KeyError if there is no such group."""
        ...

    def next_conv_seq(self, conv_id: int) -> int: ...

    def conv_last_seq(self, conv_id: int) -> int: ...

    def member_state(self, conv_id: int, user_id: int) -> MemberState | None: ...

    def count_new_message(self, conv_id: int, sender_id: int, now: int) -> None:
        """One more unread for everyone but the sender, `touch_conversation` for it."""
        ...

    def touch_conversation(self, conv_id: int, user_id: int, now: int) -> None: ...

    def decrement_unread(self, conv_id: int, user_id: int, by: int) -> int:
        """The unread count after lowering it by `by` (never below 0)."""
        ...

    def conversations_of(self, user_id: int) -> list[ConversationRow]:
        """The user's conversations that have messages, most recently updated first."""
        ...


class MessageStore(Protocol):
    """Messages, unique by their client-chosen msg_id."""

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
        """The new message's row id; raises MsgIdTakenError if msg_id is taken."""
        ...

    def message(self, msg_id: str) -> MessageRow | None: ...

    def messages(self, msg_ids: Sequence[str]) -> dict[str, MessageRow]: ...

    def last_message(self, conv_id: int) -> MessageRow | None: ...

    def history(
        self, conv_id: int, before_seq: int | None, after_seq: int, limit: int
    ) -> list[MessageRow]:
        """Up to `limit` messages with after_seq < conv_seq < before_seq, oldest first."""
        ...


class ReceiptStore(Protocol):
    """Receipt marks, read watermarks, and group messages' per-reader rows."""

    def set_delivered(self, message_id: int, mark: int, now: int) -> None: ...

    def unread_received(self, conv_id: int, recipient_id: int, upto: int) -> list[MessageRow]:
        """The peer's messages to `recipient_id` up to `upto` that it has not read yet
        (a recalled message is never read, nor receipted)."""
        ...

    def claim_unread(self, message_ids: Sequence[int]) -> set[int]:
        """Of these messages, those their recipient has not read yet; where several
        servers write (PostgreSQL) they stay locked until commit, taken in id order, so
        that of two requests reading one message at once only one counts it as the
        first read."""
        ...

    def read_by_recipient(
        self, receipted: Sequence[tuple[int, int]], private: Sequence[int], now: int
    ) -> None:
        """First reads: `receipted` (message id, new mark) pairs also move their mark;
        `private` message ids are only read (no receipt, their mark stays)."""
        ...

    def read_conversation_upto(
        self, conv_id: int, user_id: int, upto: int, is_group: bool
    ) -> ReadState:
        """Move `user_id`'s read watermark forward to `upto`; the state after it. The
        unread count leaves out messages read one by one (acks, private reads) and
        recalled messages."""
        ...

    def group_ack(self, message_id: int, user_id: int) -> AckRow | None: ...

    def group_acks_page(
        self, message_id: int, before_ack_id: int | None, limit: int
    ) -> list[AckRow]:
        """Acks newest first, below `before_ack_id`."""
        ...

    def add_group_delivery(self, message_id: int, user_id: int, now: int) -> int | None:
        """Record a member's device got the message; the new count, or None if known."""
        ...

    def add_private_read(self, message_id: int, user_id: int) -> bool:
        """Record a group message read without a receipt; False if already recorded."""
        ...

    def has_private_read(self, message_id: int, user_id: int) -> bool: ...


class GroupStore(Protocol):
    """Groups, roles, and membership intervals measured in conversation seq."""

    def create_group(
        self, group_id: int, name: str, owner_id: int, policy: str, now: int
    ) -> None: ...

    def group_exists(self, group_id: int) -> bool: ...

    def group(self, group_id: int) -> GroupRow | None: ...

    def set_ack_policy(self, group_id: int, policy: str) -> None: ...

    def role(self, group_id: int, user_id: int) -> str | None: ...

    def set_role(self, group_id: int, user_id: int, role: str) -> None: ...

    def member_count(self, group_id: int) -> int: ...

    def member_ids(self, group_id: int) -> list[int]: ...

    def members_with_roles(self, group_id: int) -> list[MemberRole]:
        """Owner first, then admins, then members; by name within each."""
        ...

    def groups_of(self, user_id: int) -> list[int]: ...

    def add_members(
        self, group_id: int, conv_id: int, members: Sequence[tuple[int, str]], now: int
    ) -> None:
        """Add (user_id, role) pairs; their membership starts after the current conv seq."""
        ...

    def remove_members(self, group_id: int, conv_id: int, user_ids: Sequence[int]) -> None: ...

    def was_member_at(self, group_id: int, user_id: int, conv_seq: int) -> bool: ...

    def joined_seq(self, group_id: int, user_id: int) -> int:
        """The conv seq after which the current membership's messages are visible."""
        ...

    def unread_members_at(
        self, message: MessageRow, after: str | None, limit: int
    ) -> list[UnreadMember]:
        """Members at send time, but the sender, who have not acked; by name after `after`."""
        ...


class EditStore(Protocol):
    """A message after it was sent (recall, edit, replies), and who must hear of it."""

    def recall_message(self, message_id: int, now: int) -> None:
        """The message keeps its row and marks; its body is emptied for good."""
        ...

    def edit_message(self, message_id: int, body: bytes, now: int) -> None:
        """A new body and `edited_at`; the marks stay."""
        ...

    def replies_to(self, msg_id: str) -> list[MessageRow]: ...

    def members_since(self, group_id: int, conv_seq: int) -> list[int]:
        """Current members whose membership began before `conv_seq` (who see it now)."""
        ...

    def members_at(self, group_id: int, conv_seq: int) -> list[int]:
        """Members when message `conv_seq` was sent, left since or not (whose logs hold it)."""
        ...

    def group_unread_members(self, message: MessageRow) -> list[int]:
        """Current members, but the sender, for whom the message counts as unread:
        after their read position, neither acked nor read privately."""
        ...

    def decrement_unread_of(self, conv_id: int, user_ids: Sequence[int]) -> dict[int, int]:
        """One message fewer unread for each user (never below 0); their counts after it."""
        ...

    def checkpoint(self) -> None:
        """After a commit that overwrote a recalled text: drop what old copies the
        backend can (SQLite empties its write-ahead log)."""
        ...


class MuteStore(Protocol):
    """A viewer's mute of a conversation (read back through `conversations_of`)."""

    def set_mute(self, conv_id: int, user_id: int, muted: bool, until: int | None) -> None:
        """Mute (until `until`, or for good if None) or unmute (which clears `until`)."""
        ...


class BlobStore(Protocol):
    """File contents by sha256 (64 lowercase hex), stored once, in chunks the caller cuts
    (`store_blobs.py` says how). Only the contiguous prefix counts (`received`); the
    caller checks the hash, then completes the blob or discards it (False: no such
    upload). Begins, chunks and references move `touched_at`."""

    def blob_begin(self, sha256: str, size: int, owner_id: int, now: int) -> BlobRow:
        """The upload's record, made if missing (one found keeps its size and owner);
        ValueError for a malformed sha256 or a negative size."""

    def blob_put_chunk(self, sha256: str, offset: int, data: bytes, now: int) -> int:
        """Store `data` if `offset` is `received` (else nothing: a retry, or a gap); then
        `received`. KeyError: no record; ValueError: bytes beyond its size."""

    def blob_complete(self, sha256: str) -> bool: ...
    def blob_discard(self, sha256: str) -> bool: ...
    def blob(self, sha256: str) -> BlobRow | None: ...

    def blob_read(self, sha256: str, offset: int, length: int) -> bytes:
        """Bytes [offset, offset + length), across chunks; short past `received`."""

    def blob_ref_add(self, sha256: str, msg_id: str, now: int) -> bool:
        """`msg_id` refers to the blob; False (nothing written) if it is not complete."""
        ...

    def blob_refs_of(self, msg_id: str) -> list[str]: ...
    def blob_refs_drop(self, msg_id: str) -> int: ...

    def blob_collect(self, older_than: int, limit: int) -> int:
        """Delete up to `limit` blobs that no message refers to and nothing touched since
        `older_than` (complete or not), with their chunks; how many."""
        ...

    def blob_holder_add(self, sha256: str, user_id: int) -> None: ...  # proved: kept with it
    def blob_held_by(self, sha256: str, user_id: int) -> bool: ...  # uploaded first, or proved

    def blob_bytes_of(self, owner_id: int) -> int:
        """The sizes of the blobs `owner_id` began first, complete or not (its quota)."""
        ...


class Store(
    AnnouncementStore,
    TransactionStore,
    AccountStore,
    EventLogStore,
    ConversationStore,
    MessageStore,
    ReceiptStore,
    GroupStore,
    EditStore,
    MuteStore,
    BlobStore,
    Protocol,
):
    """Everything the server keeps. Handlers depend on this, never on a backend."""

    def check_invariants(self) -> list[str]:
        """Broken invariants (empty when all hold). Used by tests and fsck."""
        ...
