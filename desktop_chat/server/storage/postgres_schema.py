"""The PostgreSQL schema of the server's store, and the runner that migrates it.

Owns: the tables and indexes (`MIGRATIONS`), `SCHEMA_VERSION`, and `migrate()`.
The tables mirror `schema.py` (the SQLite schema): the same columns, unique
constraints and indexes, with bigint identity keys, bytea bodies and booleans for
flags. Differences, and why:
- `user_log_heads(user_id, last_seq)`: the last seq of each user's event log, as a
  row to lock. SQLite's store keeps it in memory; with several nodes the database
  must hand out seqs (`postgres_accounts.py` says how, and why no gaps appear).
- usernames and msg_ids are `COLLATE "C"`: byte order, as SQLite compares them, so
  name-ordered pages (`unread_members_at`) and their cursors agree on both backends.
- a partial index on unread one-to-one messages keeps `read_conversation_upto`'s
  count proportional to what is unread, not to the conversation's length.

Versions follow `schema.py`'s `SCHEMA_VERSION`: version N here holds what version
N holds there, so a SQLite migration is mirrored here under the same number
(version 1 here already had SQLite's version 2, `user_name_keys`: migration 2 is
empty, kept so the numbers stay aligned).

The runner: the version lives in `meta` ('schema_version'). A database at the
current version is only read (it opens on a read-only server too). An older one is
upgraded in place, every missing step in one transaction (PostgreSQL's DDL is
transactional: all or nothing), under `pg_advisory_xact_lock`, so nodes starting
together migrate once and the others wait, then find it done. A newer one is
refused (`StoreSchemaTooNew`). The same transaction recomputes the look-alike name
keys when `names.KEY_VERSION` changed, as the SQLite store does on open.

Never: run queries other than DDL, the version and the name keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from desktop_chat.protocol.names import KEY_VERSION, name_key
from desktop_chat.server.storage.interface import StoreSchemaTooNew

# pg_advisory_xact_lock's one-bigint key space is the schema's alone; the store's own
# row-level locks use the two-int key space (see postgres_accounts.py).
MIGRATION_LOCK = 0x6463_5F73_6368_656D  # "dc_schem"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    summary: str
    statements: tuple[str, ...]


_V1 = (
    """CREATE TABLE meta (
        key   text PRIMARY KEY,
        value text NOT NULL
    )""",
    """CREATE TABLE users (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        username      text COLLATE "C" NOT NULL UNIQUE,
        password_hash text NOT NULL,
        created_at    bigint NOT NULL
    )""",
    # Not unique: names stored before a look-alike rule existed keep their accounts.
    """CREATE TABLE user_name_keys (
        user_id  bigint PRIMARY KEY REFERENCES users(id),
        name_key text NOT NULL
    )""",
    "CREATE INDEX user_name_keys_by_key ON user_name_keys(name_key)",
    """CREATE TABLE devices (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id      bigint NOT NULL REFERENCES users(id),
        name         text NOT NULL,
        token_hash   bytea NOT NULL UNIQUE,
        created_at   bigint NOT NULL,
        last_seen_at bigint NOT NULL,
        revoked      boolean NOT NULL DEFAULT false
    )""",
    "CREATE INDEX devices_by_user ON devices(user_id)",
    """CREATE TABLE user_log_heads (
        user_id  bigint PRIMARY KEY,
        last_seq bigint NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE events (
        user_id    bigint NOT NULL,
        seq        bigint NOT NULL,
        created_at bigint NOT NULL,
        body       bytea NOT NULL,
        PRIMARY KEY (user_id, seq)
    )""",
    """CREATE TABLE conversations (
        id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind     text NOT NULL CHECK (kind IN ('chat', 'group')),
        user_a   bigint,
        user_b   bigint,
        group_id bigint UNIQUE,
        last_seq bigint NOT NULL DEFAULT 0,
        UNIQUE (user_a, user_b)
    )""",
    """CREATE TABLE conversation_members (
        conv_id      bigint NOT NULL,
        user_id      bigint NOT NULL,
        unread_count integer NOT NULL DEFAULT 0 CHECK (unread_count >= 0),
        read_upto    bigint NOT NULL DEFAULT 0,
        updated_at   bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (conv_id, user_id)
    )""",
    "CREATE INDEX conversation_members_by_user ON conversation_members(user_id)",
    """CREATE TABLE messages (
        id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        msg_id                text COLLATE "C" NOT NULL UNIQUE,
        conv_id               bigint NOT NULL,
        conv_seq              bigint NOT NULL,
        chat_type             text NOT NULL CHECK (chat_type IN ('chat', 'groupchat')),
        sender_id             bigint NOT NULL,
        recipient_id          bigint,
        group_id              bigint,
        body                  bytea NOT NULL,
        server_time           bigint NOT NULL,
        local_time            bigint NOT NULL,
        need_delivery_ack     boolean NOT NULL,
        need_read_ack         boolean NOT NULL,
        need_group_ack        boolean NOT NULL,
        mark                  integer NOT NULL,
        delivered_at          bigint,
        read_at               bigint,
        recipient_read        boolean NOT NULL DEFAULT false,
        group_member_count    integer,
        group_ack_count       integer NOT NULL DEFAULT 0,
        group_delivered_count integer NOT NULL DEFAULT 0,
        UNIQUE (conv_id, conv_seq)
    )""",
    """CREATE INDEX messages_unread_by_recipient ON messages(conv_id, recipient_id)
        WHERE recipient_id IS NOT NULL AND NOT recipient_read""",
    """CREATE TABLE groups (
        id         bigint PRIMARY KEY,
        name       text NOT NULL,
        owner_id   bigint NOT NULL,
        ack_policy text NOT NULL CHECK (ack_policy IN ('admins', 'all')),
        created_at bigint NOT NULL
    )""",
    """CREATE TABLE group_members (
        group_id  bigint NOT NULL,
        user_id   bigint NOT NULL,
        role      text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
        joined_at bigint NOT NULL,
        PRIMARY KEY (group_id, user_id)
    )""",
    "CREATE INDEX group_members_by_user ON group_members(user_id)",
    # A member at send time of a message with conv_seq S has joined_seq < S and
    # (left_seq IS NULL or left_seq >= S).
    """CREATE TABLE group_membership (
        group_id   bigint NOT NULL,
        user_id    bigint NOT NULL,
        joined_seq bigint NOT NULL,
        left_seq   bigint
    )""",
    "CREATE INDEX group_membership_by_group ON group_membership(group_id, user_id)",
    """CREATE TABLE group_acks (
        ack_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        message_id bigint NOT NULL,
        user_id    bigint NOT NULL,
        content    text,
        read_count integer NOT NULL,
        created_at bigint NOT NULL,
        UNIQUE (message_id, user_id)
    )""",
    "CREATE INDEX group_acks_by_message ON group_acks(message_id, ack_id)",
    """CREATE TABLE group_deliveries (
        message_id   bigint NOT NULL,
        user_id      bigint NOT NULL,
        delivered_at bigint NOT NULL,
        PRIMARY KEY (message_id, user_id)
    )""",
)

# SQLite's version 3 (schema.py): replies, edits, recalls (a recalled message keeps
# its row, with an empty body), a viewer's mute of a conversation, and the group
# messages a member read without a receipt.
_V3 = (
    'ALTER TABLE messages ADD COLUMN reply_to text COLLATE "C"',
    "ALTER TABLE messages ADD COLUMN edited_at bigint",
    "ALTER TABLE messages ADD COLUMN recalled_at bigint",
    "CREATE INDEX messages_by_reply ON messages(reply_to) WHERE reply_to IS NOT NULL",
    "ALTER TABLE conversation_members ADD COLUMN muted boolean NOT NULL DEFAULT false",
    "ALTER TABLE conversation_members ADD COLUMN muted_until bigint",
    """CREATE TABLE private_reads (
        message_id bigint NOT NULL,
        user_id    bigint NOT NULL,
        PRIMARY KEY (message_id, user_id)
    )""",
)

# SQLite's version 4: files and images, content-addressed and chunked. A chunk's bytes
# are stored out of line and uncompressed (EXTERNAL): images and archives are
# compressed already, and a read of a range fetches only the TOAST pages it needs.
_V4 = (
    """CREATE TABLE blobs (
        sha256     text COLLATE "C" PRIMARY KEY,
        size       bigint NOT NULL,
        received   bigint NOT NULL DEFAULT 0,
        complete   boolean NOT NULL DEFAULT false,
        owner_id   bigint NOT NULL,
        created_at bigint NOT NULL,
        touched_at bigint NOT NULL,
        CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        CHECK (received BETWEEN 0 AND size),
        CHECK (NOT complete OR received = size)
    )""",
    "CREATE INDEX blobs_by_owner ON blobs(owner_id)",
    """CREATE TABLE blob_chunks (
        sha256      text COLLATE "C" NOT NULL REFERENCES blobs(sha256) ON DELETE CASCADE,
        byte_offset bigint NOT NULL,
        data        bytea NOT NULL,
        PRIMARY KEY (sha256, byte_offset)
    )""",
    "ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL",
    """CREATE TABLE blob_refs (
        msg_id text COLLATE "C" NOT NULL,
        sha256 text COLLATE "C" NOT NULL,
        PRIMARY KEY (msg_id, sha256)
    )""",
    "CREATE INDEX blob_refs_by_blob ON blob_refs(sha256)",
)

# SQLite's version 5 (schema.py): announcements. A member's confirm of a group
# message and the message's confirm count, an index on the acks' times (a message's
# read progress is one index-only range scan), reminders, a group's pinned message.
_V5 = (
    "ALTER TABLE group_acks ADD COLUMN confirmed_at bigint",
    "ALTER TABLE messages ADD COLUMN group_confirm_count integer NOT NULL DEFAULT 0",
    "CREATE INDEX group_acks_by_time ON group_acks(message_id, created_at, confirmed_at)",
    """CREATE TABLE group_reminders (
        message_id bigint NOT NULL,
        at         bigint NOT NULL,
        by_id      bigint NOT NULL,
        reminded   integer NOT NULL
    )""",
    "CREATE INDEX group_reminders_by_message ON group_reminders(message_id, at)",
    """CREATE TABLE group_pins (
        group_id   bigint PRIMARY KEY,
        msg_id     text COLLATE "C" NOT NULL,
        by_id      bigint NOT NULL,
        at         bigint NOT NULL
    )""",
)

# SQLite's version 6: who else proved they hold a stored file (deleted with it).
_V6 = (
    """CREATE TABLE blob_holders (
        sha256  text COLLATE "C" NOT NULL REFERENCES blobs(sha256) ON DELETE CASCADE,
        user_id bigint NOT NULL,
        PRIMARY KEY (sha256, user_id)
    )""",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "users, devices, event logs, conversations, messages, groups", _V1),
    # SQLite's version 2 added user_name_keys, which version 1 here has already.
    Migration(2, "look-alike name keys (already in version 1 here)", ()),
    Migration(3, "replies, edits, recalls, mutes, private reads", _V3),
    Migration(4, "blobs of files and images: records, chunks, references", _V4),
    Migration(5, "announcements: confirms, ack times, reminders, pinned messages", _V5),
    Migration(6, "who else proved they hold a stored file", _V6),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def _check(migrations: tuple[Migration, ...]) -> None:
    versions = [migration.version for migration in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3...: {versions}")


_check(MIGRATIONS)


def _state(conn: psycopg.Connection) -> tuple[int, str | None]:
    """(schema version, name key version); (0, None) for an empty database."""
    # pg_tables, not to_regclass: after waiting on the lock, this backend's catalog
    # cache may not know yet that another node created the table.
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables"
        " WHERE schemaname = current_schema() AND tablename = 'meta')"
    ).fetchone()
    if row is None or not row[0]:
        return 0, None
    values: dict[str, str] = dict(
        conn.execute(
            "SELECT key, value FROM meta WHERE key IN ('schema_version', 'name_key_version')"
        ).fetchall()
    )
    return int(values.get("schema_version", 0)), values.get("name_key_version")


def _refuse_newer(version: int, target: int) -> None:
    if version > target:
        raise StoreSchemaTooNew(
            f"the database's schema is version {version}, newer than this server's {target}:"
            " it was upgraded by a newer desktop_chat server; run that version (or newer)"
        )


def _rekey_names(conn: psycopg.Connection) -> None:
    """Recompute every user's look-alike key: the rules changed (or were never applied)."""
    rows = conn.execute("SELECT id, username FROM users").fetchall()
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO user_name_keys(user_id, name_key) VALUES (%s, %s)"
            " ON CONFLICT (user_id) DO UPDATE SET name_key = excluded.name_key",
            [(user_id, name_key(name)) for user_id, name in rows],
        )
    conn.execute(
        "INSERT INTO meta(key, value) VALUES ('name_key_version', %s)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (str(KEY_VERSION),),
    )


def migrate(conn: psycopg.Connection, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Bring the database on `conn` (in autocommit mode) to the last of `migrations`.

    Returns the version it is at. Raises StoreSchemaTooNew for a newer database;
    a driver error otherwise (the caller maps it to the StoreError family)."""
    _check(migrations)
    target = migrations[-1].version
    version, keys = _state(conn)
    _refuse_newer(version, target)
    if version == target and keys == str(KEY_VERSION):
        return version
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        version, keys = _state(conn)  # another node may have done it while we waited
        _refuse_newer(version, target)
        for migration in migrations:
            if migration.version > version:
                for statement in migration.statements:
                    conn.execute(statement)
        if version < target:
            conn.execute(
                "INSERT INTO meta(key, value) VALUES ('schema_version', %s)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(target),),
            )
        if keys != str(KEY_VERSION):
            _rekey_names(conn)
    return target
