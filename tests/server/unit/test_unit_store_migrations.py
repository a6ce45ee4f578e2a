"""The SQLite schema's versions (`migrations.prepare`, `schema.MIGRATIONS`) on files left
by older servers: a file of any older version is upgraded in place, keeps its rows,
and ends with exactly the schema a new file gets; a meta table without a version is a
version-1 file whose first start was cut short; a file that already has a later
version's table (made by servers between 1 and 2) upgrades all the same; a migration
that fails leaves the last complete version, nothing of the failed one; and a version
that is not a number is refused with the file untouched. Version 1 is the DDL frozen
in tests/server/schema_v1.sql, as version-1 servers wrote it."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from desktop_chat.server.migrations import prepare, stored_version
from desktop_chat.server.schema import MIGRATIONS, SCHEMA_VERSION
from desktop_chat.server.store import SqliteStore, StoreError

V1_DDL = (Path(__file__).parent.parent / "schema_v1.sql").read_text()
NOW = 1_700_000_000_000


def schema(path: Path) -> list[tuple]:
    """Every table, index and column as the file has them."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        objects = db.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            " ORDER BY type, name"
        ).fetchall()
        columns = [
            (table, *column)
            for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            for column in db.execute(f"PRAGMA table_info({table})")
        ]
    return objects + sorted(columns)


def old_file(path: Path, version: int, *, with_version_row: bool = True) -> None:
    """A file as a version-`version` server left it, with a user and one message."""
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("PRAGMA journal_mode=WAL")  # as every server opens its file
        db.executescript(V1_DDL)
        for target in range(2, version + 1):
            for statement in MIGRATIONS[target]:
                db.execute(statement)
        if with_version_row:
            db.execute("INSERT INTO meta(key, value) VALUES ('schema_version', ?)", (str(version),))
        db.executescript(
            f"""
            INSERT INTO users(id, username, password_hash, created_at)
                VALUES (1, 'alice', 'h', {NOW}), (2, 'bob', 'h', {NOW});
            INSERT INTO conversations(id, kind, user_a, user_b, last_seq)
                VALUES (1, 'chat', 1, 2, 1);
            INSERT INTO conversation_members(conv_id, user_id, unread_count, read_upto, updated_at)
                VALUES (1, 1, 0, 0, {NOW}), (1, 2, 1, 0, {NOW});
            INSERT INTO messages(msg_id, conv_id, conv_seq, chat_type, sender_id, recipient_id,
                body, server_time, local_time, need_delivery_ack, need_read_ack, need_group_ack,
                mark) VALUES ('old-000001', 1, 1, 'chat', 1, 2, x'7b7d', {NOW}, {NOW}, 0, 1, 0, 1);
            """
        )


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_an_older_file_is_upgraded_to_the_schema_of_a_new_one_and_keeps_its_rows(tmp_path, version):
    fresh, upgraded = tmp_path / "fresh.db", tmp_path / "old.db"
    SqliteStore(fresh).close()
    old_file(upgraded, version)
    store = SqliteStore(upgraded)
    assert store.schema_version == SCHEMA_VERSION
    message = store.message("old-000001")
    assert message is not None and message.body == b"{}"
    assert (message.reply_to, message.edited_at, message.recalled_at) == (None, None, None)
    assert store.member_state(1, 2) is not None and store.member_state(1, 2).unread_count == 1
    assert store.look_alike_of("a1ice") == "alice"
    store.close()
    assert schema(upgraded) == schema(fresh)
    reopened = SqliteStore(upgraded)
    assert reopened.changes == 0, "an upgraded file is current: opening it writes nothing"
    reopened.close()


def test_a_meta_table_without_a_version_is_a_first_start_cut_short(tmp_path):
    path = tmp_path / "cut.db"
    old_file(path, 1, with_version_row=False)
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert stored_version(db) == 1
    store = SqliteStore(path)
    assert store.schema_version == SCHEMA_VERSION
    assert store.message("old-000001") is not None
    store.close()


def test_a_version_1_file_that_already_has_the_name_keys_table_upgrades(tmp_path):
    path = tmp_path / "between.db"
    old_file(path, 1)
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        for statement in MIGRATIONS[2]:
            db.execute(statement)
    store = SqliteStore(path)
    assert store.schema_version == SCHEMA_VERSION
    assert store.look_alike_of("b0b") == "bob"
    store.close()


def test_a_failed_migration_leaves_the_last_complete_version_and_nothing_of_itself(tmp_path):
    path = tmp_path / "half.db"
    old_file(path, 1)
    # Migration 3's second statement will fail: the column it adds exists already.
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("ALTER TABLE messages ADD COLUMN edited_at INTEGER")
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
        with pytest.raises(sqlite3.OperationalError, match="duplicate column"):
            prepare(db, str(path))
        assert stored_version(db) == 2, "migration 2 was complete"
        assert not db.in_transaction
        columns = {row[1] for row in db.execute("PRAGMA table_info(messages)")}
        assert "edited_at" in columns and "reply_to" not in columns, "migration 3 rolled back"
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        assert "user_name_keys" in tables and "private_reads" not in tables


def test_a_version_that_is_not_a_number_is_refused_and_the_file_left_alone(tmp_path):
    path = tmp_path / "odd.db"
    old_file(path, 2)
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE meta SET value = 'two' WHERE key = 'schema_version'")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="'two', not a number"):
        SqliteStore(path)
    assert path.read_bytes() == before
