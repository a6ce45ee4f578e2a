-- The client's local store exactly as it shipped before versioning (user_version 0;
-- desktop_chat/client/local_store.py). Never edit: tests build "a data dir made before" from it.
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
