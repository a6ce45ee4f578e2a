"""The SQLite schema of the server's store, and its migrations.

Owns: the tables and indexes as version 1 made them (`SCHEMA_V1`, never edited
again), the DDL of each later version (`MIGRATIONS`), and `SCHEMA_VERSION`. The
schema is always `SCHEMA_V1` plus every migration in order: a new database is made
that way too, so the upgrade path is the one every server runs. `migrations.py`
applies them; `store.py` is the only code that queries these tables.

Version 2: `user_name_keys`, each user's look-alike key (protocol/names.py
`name_key`): a name whose key is taken cannot be registered; store.py fills it for
users written before it existed. (Servers between versions 1 and 2 made this table
at every start without a new version number, so its migration tolerates finding it.)

Version 3 (everyday messaging): a message's `reply_to`, `edited_at` and
`recalled_at` (a recalled message keeps its row, with an empty body); a viewer's
mute of a conversation (`conversation_members.muted`, `muted_until`); and
`private_reads`, the group messages a member read without a receipt (deleted on a
device while unread), so recounts of unread messages leave them out.

Version 4 (files and images): `blobs`, an upload's record by its sha256 (size, the
contiguous prefix received, complete once its hash was checked, who uploaded it
first); `blob_chunks`, its bytes, one row per chunk as the uploader cut them, deleted
with their blob (a rowid table: SQLite advises against WITHOUT ROWID for rows this
large); `blob_refs`, which messages refer to which blob, so unreferenced blobs can be
collected. `store_blobs.py` says how they are used.

Version 5 (announcements): a member's confirm of a group message
(`group_acks.confirmed_at`; its note is the ack's `content`) and the message's
`group_confirm_count`; an index on the acks' times, so a message's read progress is
one index-only range scan; `group_reminders`, when each `remind_group_unread` went
out and to how many; `group_pins`, a group's one pinned message.

Version 6 (files across nodes and restarts): `blob_holders`, the users other than
the first uploader who proved they hold a stored file (by sending its bytes), so
the proof lasts across a restart and counts on every node; deleted with the blob.

Storage that scales with groups (RECEIPTS.md §6):
- unread counts are one row per member per conversation (`conversation_members`,
  with a read watermark), never one row per reader per message;
- per-reader rows (`group_acks`, `group_deliveries`) exist only for messages
  that asked for group acks;
- "members at send time" comes from `group_membership` intervals measured in the
  conversation's own sequence, not from a per-message member list.

Never: hold queries other than DDL.
"""

from __future__ import annotations

SCHEMA_VERSION = 6

SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS devices (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    token_hash   BLOB NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    revoked      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS devices_by_user ON devices(user_id);

-- Each user's append-only event log: what its devices are told, in order.
CREATE TABLE IF NOT EXISTS events (
    user_id    INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    body       BLOB NOT NULL,
    PRIMARY KEY (user_id, seq)
) WITHOUT ROWID;

-- kind 'chat': user_a < user_b; kind 'group': group_id set.
CREATE TABLE IF NOT EXISTS conversations (
    id       INTEGER PRIMARY KEY,
    kind     TEXT NOT NULL CHECK (kind IN ('chat', 'group')),
    user_a   INTEGER,
    user_b   INTEGER,
    group_id INTEGER UNIQUE,
    last_seq INTEGER NOT NULL DEFAULT 0,
    UNIQUE (user_a, user_b)
);

CREATE TABLE IF NOT EXISTS conversation_members (
    conv_id      INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    unread_count INTEGER NOT NULL DEFAULT 0 CHECK (unread_count >= 0),
    read_upto    INTEGER NOT NULL DEFAULT 0,
    updated_at   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conv_id, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS conversation_members_by_user ON conversation_members(user_id);

CREATE TABLE IF NOT EXISTS messages (
    id                    INTEGER PRIMARY KEY,
    msg_id                TEXT NOT NULL UNIQUE,
    conv_id               INTEGER NOT NULL,
    conv_seq              INTEGER NOT NULL,
    chat_type             TEXT NOT NULL CHECK (chat_type IN ('chat', 'groupchat')),
    sender_id             INTEGER NOT NULL,
    recipient_id          INTEGER,
    group_id              INTEGER,
    body                  BLOB NOT NULL,
    server_time           INTEGER NOT NULL,
    local_time            INTEGER NOT NULL,
    need_delivery_ack     INTEGER NOT NULL,
    need_read_ack         INTEGER NOT NULL,
    need_group_ack        INTEGER NOT NULL,
    mark                  INTEGER NOT NULL,
    delivered_at          INTEGER,
    read_at               INTEGER,
    recipient_read        INTEGER NOT NULL DEFAULT 0,
    group_member_count    INTEGER,
    group_ack_count       INTEGER NOT NULL DEFAULT 0,
    group_delivered_count INTEGER NOT NULL DEFAULT 0,
    UNIQUE (conv_id, conv_seq)
);

CREATE TABLE IF NOT EXISTS groups (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    owner_id   INTEGER NOT NULL,
    ack_policy TEXT NOT NULL CHECK (ack_policy IN ('admins', 'all')),
    created_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS group_members (
    group_id  INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    role      TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS group_members_by_user ON group_members(user_id);

-- Membership intervals in conversation sequence: a member at send time of a
-- message with conv_seq S has joined_seq < S and (left_seq IS NULL or left_seq >= S).
CREATE TABLE IF NOT EXISTS group_membership (
    group_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    joined_seq INTEGER NOT NULL,
    left_seq   INTEGER
);
CREATE INDEX IF NOT EXISTS group_membership_by_group ON group_membership(group_id, user_id);

CREATE TABLE IF NOT EXISTS group_acks (
    ack_id     INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    content    TEXT,
    read_count INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (message_id, user_id)
);
CREATE INDEX IF NOT EXISTS group_acks_by_message ON group_acks(message_id, ack_id);

CREATE TABLE IF NOT EXISTS group_deliveries (
    message_id   INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    delivered_at INTEGER NOT NULL,
    PRIMARY KEY (message_id, user_id)
) WITHOUT ROWID;
"""

# MIGRATIONS[n]: the statements that take a version n-1 database to version n, run in
# one transaction together with the new `meta.schema_version`.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    2: (
        """CREATE TABLE IF NOT EXISTS user_name_keys (
            user_id  INTEGER PRIMARY KEY REFERENCES users(id),
            name_key TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS user_name_keys_by_key ON user_name_keys(name_key)",
    ),
    3: (
        "ALTER TABLE messages ADD COLUMN reply_to TEXT",
        "ALTER TABLE messages ADD COLUMN edited_at INTEGER",
        "ALTER TABLE messages ADD COLUMN recalled_at INTEGER",
        "CREATE INDEX messages_by_reply ON messages(reply_to) WHERE reply_to IS NOT NULL",
        "ALTER TABLE conversation_members ADD COLUMN muted INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE conversation_members ADD COLUMN muted_until INTEGER",
        """CREATE TABLE private_reads (
            message_id INTEGER NOT NULL,
            user_id    INTEGER NOT NULL,
            PRIMARY KEY (message_id, user_id)
        ) WITHOUT ROWID""",
    ),
    4: (
        """CREATE TABLE blobs (
            sha256     TEXT PRIMARY KEY,
            size       INTEGER NOT NULL,
            received   INTEGER NOT NULL DEFAULT 0,
            complete   INTEGER NOT NULL DEFAULT 0,
            owner_id   INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            touched_at INTEGER NOT NULL,
            CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
            CHECK (received BETWEEN 0 AND size),
            CHECK (complete = 0 OR (complete = 1 AND received = size))
        ) WITHOUT ROWID""",
        "CREATE INDEX blobs_by_owner ON blobs(owner_id)",
        """CREATE TABLE blob_chunks (
            sha256      TEXT NOT NULL REFERENCES blobs(sha256) ON DELETE CASCADE,
            byte_offset INTEGER NOT NULL,
            data        BLOB NOT NULL,
            PRIMARY KEY (sha256, byte_offset)
        )""",
        """CREATE TABLE blob_refs (
            msg_id TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            PRIMARY KEY (msg_id, sha256)
        ) WITHOUT ROWID""",
        "CREATE INDEX blob_refs_by_blob ON blob_refs(sha256)",
    ),
    5: (
        "ALTER TABLE group_acks ADD COLUMN confirmed_at INTEGER",
        "ALTER TABLE messages ADD COLUMN group_confirm_count INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX group_acks_by_time ON group_acks(message_id, created_at, confirmed_at)",
        """CREATE TABLE group_reminders (
            message_id INTEGER NOT NULL,
            at         INTEGER NOT NULL,
            by_id      INTEGER NOT NULL,
            reminded   INTEGER NOT NULL
        )""",
        "CREATE INDEX group_reminders_by_message ON group_reminders(message_id, at)",
        """CREATE TABLE group_pins (
            group_id   INTEGER PRIMARY KEY,
            msg_id     TEXT NOT NULL,
            by_id      INTEGER NOT NULL,
            at         INTEGER NOT NULL
        )""",
    ),
    6: (
        """CREATE TABLE blob_holders (
            sha256  TEXT NOT NULL REFERENCES blobs(sha256) ON DELETE CASCADE,
            user_id INTEGER NOT NULL,
            PRIMARY KEY (sha256, user_id)
        ) WITHOUT ROWID""",
    ),
}
