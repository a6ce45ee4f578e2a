"""PostgreSQL's schema runner, for real: a fresh database is migrated, an older one
upgraded in place (all or nothing), a newer one refused, nodes starting together
migrate once, a current one opens without a lock or a write (so a read-only
database opens too), and look-alike keys follow their rules' version."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from desktop_chat.server.storage.interface import StoreError, StoreReadOnly, StoreSchemaTooNew
from desktop_chat.server.storage.postgres import PostgresStore
from desktop_chat.server.storage.postgres_schema import (
    MIGRATION_LOCK,
    MIGRATIONS,
    SCHEMA_VERSION,
    Migration,
    migrate,
)

NOW = 1_700_000_000_000
NEXT = SCHEMA_VERSION + 1
BIO = Migration(
    NEXT, "a bio per user", ("ALTER TABLE users ADD COLUMN bio text NOT NULL DEFAULT ''",)
)


def meta(url: str, key: str) -> str | None:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
    return None if row is None else row[0]


def execute(url: str, sql: str, params: tuple = ()) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql, params)


def add_user(url: str, name: str) -> None:
    store = PostgresStore(url)
    with store.request():
        store.create_user(name, "hash", NOW)
    store.commit()
    store.close()


def test_a_fresh_database_gets_the_current_schema(pg_url):
    PostgresStore(pg_url).close()
    assert meta(pg_url, "schema_version") == str(SCHEMA_VERSION)
    with psycopg.connect(pg_url) as conn:
        tables = {row[0] for row in conn.execute("SELECT tablename FROM pg_tables")}
    assert {"meta", "users", "events", "user_log_heads", "messages", "group_acks"} <= tables


def test_an_older_database_is_upgraded_in_place(pg_url):
    add_user(pg_url, "alice")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert migrate(conn, (*MIGRATIONS, BIO)) == NEXT
        assert conn.execute("SELECT username, bio FROM users").fetchall() == [("alice", "")]
    assert meta(pg_url, "schema_version") == str(NEXT)


def test_a_version_1_database_is_brought_to_the_current_version_with_its_rows(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert migrate(conn, MIGRATIONS[:1]) == 1
        alice, bob = (
            conn.execute(
                "INSERT INTO users(username, password_hash, created_at)"
                " VALUES (%s, 'hash', %s) RETURNING id",
                (name, NOW),
            ).fetchone()[0]
            for name in ("alice", "bob")
        )
        (conv,) = conn.execute(
            "INSERT INTO conversations(kind, user_a, user_b, last_seq)"
            " VALUES ('chat', %s, %s, 1) RETURNING id",
            (alice, bob),
        ).fetchone()
        conn.execute(
            "INSERT INTO conversation_members(conv_id, user_id, unread_count) VALUES (%s, %s, 0),"
            " (%s, %s, 1)",
            (conv, alice, conv, bob),
        )
        conn.execute(
            "INSERT INTO messages(msg_id, conv_id, conv_seq, chat_type, sender_id, recipient_id,"
            " body, server_time, local_time, need_delivery_ack, need_read_ack, need_group_ack,"
            " mark) VALUES ('m-1', %s, 1, 'chat', %s, %s, 'hi', %s, %s, true, true, false, 0)",
            (conv, alice, bob, NOW, NOW),
        )
    store = PostgresStore(pg_url)  # runs migrations 2 (empty here), 3, 4 and 5
    message = store.message("m-1")
    assert message.group_confirm_count == 0  # version 5
    assert (message.body, message.reply_to, message.edited_at, message.recalled_at) == (
        b"hi",
        None,
        None,
        None,
    )
    (row,) = store.conversations_of(bob)
    assert (row.conv_id, row.unread_count, row.muted, row.muted_until) == (conv, 1, False, None)
    with store.request():
        assert store.add_private_read(message.id, bob)
        assert store.blob_begin("ab" * 32, 3, alice, NOW).received == 0  # version 4
        assert store.blob_put_chunk("ab" * 32, 0, b"abc", NOW) == 3
    store.commit()
    assert store.blob_read("ab" * 32, 0, 3) == b"abc"
    assert store.group_pin(1) is None  # version 5
    with store.request():
        store.blob_holder_add("ab" * 32, bob)  # version 6
    store.commit()
    assert store.blob_held_by("ab" * 32, bob)
    store.close()
    assert meta(pg_url, "schema_version") == str(SCHEMA_VERSION) == "6"


def test_a_version_3_database_gets_the_blob_tables(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert migrate(conn, MIGRATIONS[:3]) == 3
        assert conn.execute("SELECT to_regclass('blobs')").fetchone() == (None,)
    add_user(pg_url, "alice")
    with psycopg.connect(pg_url) as conn:
        tables = {row[0] for row in conn.execute("SELECT tablename FROM pg_tables")}
        (storage,) = conn.execute(
            "SELECT attstorage FROM pg_attribute"
            " WHERE attrelid = 'blob_chunks'::regclass AND attname = 'data'"
        ).fetchone()
    assert {"blobs", "blob_chunks", "blob_refs"} <= tables
    assert storage == "e"  # EXTERNAL: out of line, never compressed
    assert meta(pg_url, "schema_version") == str(SCHEMA_VERSION)


def test_a_failed_upgrade_changes_nothing(pg_url):
    add_user(pg_url, "alice")
    broken = Migration(NEXT, "half done", ("CREATE TABLE extra (x int)", "SELECT 1 / 0"))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.DivisionByZero):
            migrate(conn, (*MIGRATIONS, broken))
        assert conn.execute("SELECT to_regclass('extra')").fetchone() == (None,)
    assert meta(pg_url, "schema_version") == str(SCHEMA_VERSION)


def test_a_database_from_a_newer_server_is_refused_with_a_clear_message(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        migrate(conn, (*MIGRATIONS, BIO))
    newer = f"version {NEXT}, newer than this server's {SCHEMA_VERSION}"
    with pytest.raises(StoreSchemaTooNew, match=newer) as info:
        PostgresStore(pg_url)
    assert isinstance(info.value, StoreError)


def test_migrations_must_be_numbered_from_one(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn, pytest.raises(ValueError):
        migrate(conn, (BIO,))


def test_nodes_starting_together_migrate_once(pg_url):
    # Migration 1 is plain CREATE TABLE: a second run would fail, so every node opening
    # proves the others waited on the advisory lock and then found the work done.
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def node() -> None:
        start.wait()
        try:
            PostgresStore(pg_url).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=node) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert meta(pg_url, "schema_version") == str(SCHEMA_VERSION)


def test_opening_a_current_database_takes_no_lock(pg_url):
    PostgresStore(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        started = time.monotonic()
        PostgresStore(pg_url).close()  # would wait forever if it took the lock
        assert time.monotonic() - started < 5


def test_a_read_only_database_opens_reads_and_refuses_writes(pg_url):
    add_user(pg_url, "alice")
    name = pg_url.rsplit("/", 1)[1]
    execute(pg_url, f"ALTER DATABASE {name} SET default_transaction_read_only = on")
    store = PostgresStore(pg_url)
    assert store.user_id("alice") is not None
    with pytest.raises(StoreReadOnly), store.request():
        store.create_user("bob", "hash", NOW)
    assert store.user_id("bob") is None
    assert store.user_id("alice") is not None
    store.close()


def test_look_alike_keys_are_recomputed_when_their_rules_change(pg_url):
    add_user(pg_url, "mary")
    execute(pg_url, "UPDATE user_name_keys SET name_key = 'stale'")
    execute(pg_url, "UPDATE meta SET value = '0' WHERE key = 'name_key_version'")
    store = PostgresStore(pg_url)
    assert store.look_alike_of("rnary") == "mary"
    store.close()
    assert meta(pg_url, "name_key_version") != "0"
