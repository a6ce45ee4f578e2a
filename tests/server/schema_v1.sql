-- The server's schema exactly as version 1 shipped it (desktop_chat/server/schema.py at
-- schema version 1). Never edit: tests build "a database left by a v1 server" from it.
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
