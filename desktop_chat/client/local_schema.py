"""The schema of the client's local store, its versions, and how a data dir is upgraded.

Owns: `LOCAL_SCHEMA_V0` (the tables as the first client made them, never edited
again), `LOCAL_MIGRATIONS` (the DDL of each later version), `LOCAL_SCHEMA_VERSION`,
and `prepare`, which brings an open database to the current version. The version is
SQLite's `PRAGMA user_version` (0 in a store made before versioning). A new store
is made as V0 plus every migration, so a new data dir takes the same path as an
upgraded one; a store from a newer client is refused before anything is written.

Version 1 (everyday messaging):
- messages: `reply_to` with a snapshot of the quote (`reply_from`, `reply_text`,
  `reply_recalled`), `edited_at`, `recalled_at` (a recalled message keeps its row
  with its text dropped);
- conversations: `muted`, `muted_until`;
- `deleted_messages`: ids deleted on this device ("delete for me"), so a replay of
  the event log never brings them back;
- local full-text search: `message_search`, an FTS5 table with the `trigram`
  tokenizer (any language, Chinese included, for words of 3+ characters), kept in
  step with `messages.text` by triggers on insert, on a change of text (edit,
  recall) and on delete; `search_ids` gives each message the integer rowid FTS5
  needs (`messages` is keyed by msg_id). Old messages are indexed by the migration.
  Where SQLite lacks FTS5 or trigram (before 3.34), the index is left out and search
  falls back to LIKE.

Version 2 (a group and a draft survive a restart):
- `groups`: the groups this user is in, as last confirmed by the server (name,
  owner, ack policy, member count, members and roles as JSON);
- `drafts`: the person's unsent text, one per conversation.

Version 3 (one name for one fact): `messages.has_read` is `recipient_read`, the
name the server gives the same fact (the recipient, this user, read it, with or
without a receipt; `read_ack_sent` says whether a receipt went out).

Version 4 (files and images): `messages.attachment`, a file or image message's body
as JSON (`client.attachments.stored`: its sha256, size, name, type, thumbnail, and
where the file is on this computer); `text` holds its caption, so search finds it.

Version 5 (announcements): `messages.group_confirm_count`, and this user's own
confirm of a received group message (`confirmed_at`, `confirm_note`); a group's
pinned notice (`groups.pinned_msg_id`, `pinned_by`, `pinned_at`, and
`pinned_source`, the pinned message as the server sent it).

Never: query messages (that is `local_store`), or downgrade a store.
"""

from __future__ import annotations

import sqlite3

LOCAL_SCHEMA_VERSION = 5

LOCAL_SCHEMA_V0 = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
    msg_id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    chat_type TEXT NOT NULL,
    direction TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    text TEXT NOT NULL,
    server_time INTEGER NOT NULL,
    local_time INTEGER NOT NULL,
    conv_seq INTEGER NOT NULL,
    mark INTEGER NOT NULL,
    created INTEGER NOT NULL,
    need_group_ack INTEGER NOT NULL,
    need_delivery_ack INTEGER NOT NULL,
    need_read_ack INTEGER NOT NULL,
    delivered_at INTEGER,
    read_at INTEGER,
    has_read INTEGER NOT NULL,
    deliver_ack_sent INTEGER NOT NULL,
    read_ack_sent INTEGER NOT NULL,
    group_member_count INTEGER,
    group_ack_count INTEGER NOT NULL,
    group_delivered_count INTEGER NOT NULL
) WITHOUT ROWID;
-- Conversation order: the server's time once stored, the local time while pending.
CREATE INDEX IF NOT EXISTS messages_by_conversation
    ON messages(conversation_id, COALESCE(NULLIF(server_time, 0), local_time));
CREATE TABLE IF NOT EXISTS conversations (
    conversation_id TEXT PRIMARY KEY,
    chat_type TEXT NOT NULL,
    unread_count INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    payload BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (kind, key)
);
"""

_SEARCH_INDEX = (
    "CREATE VIRTUAL TABLE message_search USING fts5(text, tokenize='trigram')",
    "CREATE TABLE search_ids (rowid INTEGER PRIMARY KEY, msg_id TEXT NOT NULL UNIQUE)",
    """CREATE TRIGGER messages_search_insert AFTER INSERT ON messages WHEN new.text != ''
    BEGIN
        INSERT OR IGNORE INTO search_ids(msg_id) VALUES (new.msg_id);
        INSERT OR REPLACE INTO message_search(rowid, text)
            SELECT rowid, new.text FROM search_ids WHERE msg_id = new.msg_id;
    END""",
    """CREATE TRIGGER messages_search_update AFTER UPDATE OF text ON messages
    WHEN old.text IS NOT new.text
    BEGIN
        DELETE FROM message_search
            WHERE rowid = (SELECT rowid FROM search_ids WHERE msg_id = old.msg_id);
        INSERT OR IGNORE INTO search_ids(msg_id) SELECT new.msg_id WHERE new.text != '';
        INSERT OR REPLACE INTO message_search(rowid, text)
            SELECT rowid, new.text FROM search_ids
            WHERE msg_id = new.msg_id AND new.text != '';
    END""",
    """CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
    BEGIN
        DELETE FROM message_search
            WHERE rowid = (SELECT rowid FROM search_ids WHERE msg_id = old.msg_id);
        DELETE FROM search_ids WHERE msg_id = old.msg_id;
    END""",
    "INSERT INTO search_ids(msg_id) SELECT msg_id FROM messages WHERE text != ''",
    "INSERT INTO message_search(rowid, text)"
    " SELECT s.rowid, m.text FROM search_ids s JOIN messages m ON m.msg_id = s.msg_id",
)

LOCAL_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "ALTER TABLE messages ADD COLUMN reply_to TEXT",
        "ALTER TABLE messages ADD COLUMN reply_from TEXT",
        "ALTER TABLE messages ADD COLUMN reply_text TEXT",
        "ALTER TABLE messages ADD COLUMN reply_recalled INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE messages ADD COLUMN edited_at INTEGER",
        "ALTER TABLE messages ADD COLUMN recalled_at INTEGER",
        "CREATE INDEX messages_by_reply ON messages(reply_to) WHERE reply_to IS NOT NULL",
        "ALTER TABLE conversations ADD COLUMN muted INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE conversations ADD COLUMN muted_until INTEGER",
        "CREATE TABLE deleted_messages (msg_id TEXT PRIMARY KEY) WITHOUT ROWID",
    ),
    2: (
        """CREATE TABLE groups (
            group_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            owner TEXT NOT NULL,
            ack_policy TEXT NOT NULL,
            member_count INTEGER NOT NULL,
            members TEXT  -- JSON {username: role}, or NULL when not known
        ) WITHOUT ROWID""",
        """CREATE TABLE drafts (
            conversation_id TEXT PRIMARY KEY,
            text TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        ) WITHOUT ROWID""",
    ),
    3: ("ALTER TABLE messages RENAME COLUMN has_read TO recipient_read",),
    4: ("ALTER TABLE messages ADD COLUMN attachment TEXT",),
    5: (
        "ALTER TABLE messages ADD COLUMN group_confirm_count INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE messages ADD COLUMN confirmed_at INTEGER",
        "ALTER TABLE messages ADD COLUMN confirm_note TEXT",
        "ALTER TABLE groups ADD COLUMN pinned_msg_id TEXT",
        "ALTER TABLE groups ADD COLUMN pinned_by TEXT",
        "ALTER TABLE groups ADD COLUMN pinned_at INTEGER",
        "ALTER TABLE groups ADD COLUMN pinned_source BLOB",
    ),
}
# Parts of a migration that need an SQLite feature which may be missing (FTS5 trigram):
# left out, in a savepoint, when the feature is not there.
OPTIONAL_PARTS: dict[int, tuple[str, ...]] = {1: _SEARCH_INDEX}


class LocalSchemaError(Exception):
    """The local store cannot be used by this client (made by a newer one)."""


def has_search_index(db: sqlite3.Connection) -> bool:
    row = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'message_search'"
    ).fetchone()
    return row is not None


def prepare(db: sqlite3.Connection, path: str) -> int:
    """Bring the store to `LOCAL_SCHEMA_VERSION`; returns that version."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > LOCAL_SCHEMA_VERSION:
        raise LocalSchemaError(
            f"the local store {path} has version {version}, newer than this client's"
            f" version {LOCAL_SCHEMA_VERSION}: it was made by a newer desktop_chat. Use"
            " that version (or a newer one) with this data folder; it was not changed"
        )
    if version == LOCAL_SCHEMA_VERSION:
        return version
    db.execute("BEGIN IMMEDIATE")
    try:
        if version == 0:
            for statement in LOCAL_SCHEMA_V0.split(";"):
                if statement.strip():
                    db.execute(statement)
        for target in range(version + 1, LOCAL_SCHEMA_VERSION + 1):
            for statement in LOCAL_MIGRATIONS[target]:
                db.execute(statement)
            optional = OPTIONAL_PARTS.get(target, ())
            if optional:
                db.execute("SAVEPOINT optional")
                try:
                    for statement in optional:
                        db.execute(statement)
                except sqlite3.OperationalError:
                    db.execute("ROLLBACK TO optional")
                db.execute("RELEASE optional")
        db.execute(f"PRAGMA user_version = {LOCAL_SCHEMA_VERSION}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return LOCAL_SCHEMA_VERSION
