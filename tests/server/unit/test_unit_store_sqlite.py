"""What only the SQLite store does, beside the contract every backend meets
(tests/cluster/storage): a batch that SQLite itself rolled back (a full disk) fails its
commit, with every request of it, also those begun after the failure, and the
in-memory caches (each log's last seq, the ids) go back to what the file holds; the
look-alike keys of users written before the keys existed, or under older rules, are
made when the store opens, and a current file opens without a write; and
`check_invariants` finds a count that disagrees with its rows. Each test reads the
file through a second connection too: what is committed, not what a cache says."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from desktop_chat.protocol.names import KEY_VERSION, name_key
from desktop_chat.server.store import SqliteStore, StoreError

NOW = 1_700_000_000_000
LONG = b"x" * 100_000  # an event body needing some 25 pages


def rows(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute(sql, params).fetchall()


def execute(path: Path, sql: str, params: tuple = ()) -> None:
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute(sql, params)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "server.db"


def with_users(path: Path, *names: str) -> list[int]:
    store = SqliteStore(path)
    with store.request():
        ids = [store.create_user(name, "hash", NOW) for name in names]
    store.commit()
    store.close()
    return ids


def test_a_batch_sqlite_rolled_back_itself_fails_its_commit_whole(path):
    (alice,) = with_users(path, "alice")
    (pages,) = rows(path, "PRAGMA page_count")[0]
    store = SqliteStore(path, max_pages=pages + 8)
    with store.request():
        store.create_user("bob", "hash", NOW)
        assert store.append_events([alice], b"fits", NOW) == [1]
    with pytest.raises(sqlite3.OperationalError, match="full"), store.request():
        store.create_user("dave", LONG.hex(), NOW)
    assert not store.in_transaction, "SQLite rolled back the whole transaction"
    # A request after it starts a new transaction: it must not be confirmed either.
    with store.request():
        assert store.append_events([alice], b"after", NOW) == [1]
        store.create_user("carol", "hash", NOW)
    with pytest.raises(StoreError, match="rolled back"):
        store.commit()
    assert rows(path, "SELECT COUNT(*) FROM events") == [(0,)]
    assert rows(path, "SELECT username FROM users") == [("alice",)]
    # The caches hold what the file holds, not what the lost batch wrote.
    assert store.last_seq(alice) == 0
    assert store.user_id("bob") is None and store.user_id("carol") is None
    # The next batch is a batch like any other.
    with store.request():
        assert store.append_events([alice], b"next", NOW) == [1]
    store.commit()
    assert rows(path, "SELECT seq, body FROM events") == [(1, b"next")]
    store.close()


def test_each_logs_last_seq_is_read_once_then_kept_in_memory(path):
    alice, bob = with_users(path, "alice", "bob")
    store = SqliteStore(path)
    with store.request():
        store.append_events([alice, bob, alice], b"e", NOW)
    store.commit()
    assert (store.last_seq(alice), store.last_seq(bob)) == (2, 1)
    # One writer per file: a row written behind its back is not seen (its cache is the
    # log's head); a rollback makes it read the file again.
    execute(
        path, "INSERT INTO events(user_id, seq, created_at, body) VALUES (?, 3, 0, x'')", (alice,)
    )
    assert store.last_seq(alice) == 2
    store.rollback()
    assert store.last_seq(alice) == 3
    store.close()


def test_users_written_without_a_look_alike_key_get_one_when_the_store_opens(path):
    with_users(path, "alice", "bob")
    execute(
        path,
        "DELETE FROM user_name_keys"
        " WHERE user_id = (SELECT id FROM users WHERE username = 'alice')",
    )
    store = SqliteStore(path)
    assert store.look_alike_of("a1ice") == "alice"
    store.close()
    assert sorted(rows(path, "SELECT name_key FROM user_name_keys")) == sorted(
        [(name_key("alice"),), (name_key("bob"),)]
    )


def test_every_key_is_made_again_when_the_rules_changed(path):
    with_users(path, "alice", "bob")
    execute(path, "UPDATE user_name_keys SET name_key = 'stale'")
    execute(path, "UPDATE meta SET value = '0' WHERE key = 'name_key_version'")
    store = SqliteStore(path)
    assert store.look_alike_of("b0b") == "bob"
    assert store.look_alike_of("stale") is None
    store.close()
    assert rows(path, "SELECT value FROM meta WHERE key = 'name_key_version'") == [
        (str(KEY_VERSION),)
    ]


def test_a_current_file_opens_without_a_write(path):
    first = SqliteStore(path)
    assert first.changes > 0  # made the schema and its meta rows
    first.close()
    with_users(path, "alice")
    again = SqliteStore(path)
    assert again.changes == 0
    assert not again.in_transaction
    again.close()


def test_check_invariants_finds_a_read_count_that_disagrees_with_its_acks(path):
    alice, bob = with_users(path, "alice", "bob")
    store = SqliteStore(path)
    with store.request():
        store.create_group(7, "g", alice, "all", NOW)
        conv = store.group_conversation(7)
        store.add_members(7, conv, [(alice, "owner"), (bob, "member")], NOW)
        message_id = store.insert_message(
            msg_id="counted-01",
            conv_id=conv,
            conv_seq=store.next_conv_seq(conv),
            chat_type="groupchat",
            sender_id=alice,
            recipient_id=None,
            group_id=7,
            body=b"{}",
            server_time=NOW,
            local_time=NOW,
            need_delivery_ack=False,
            need_read_ack=False,
            need_group_ack=True,
            mark=1,
            group_member_count=1,
        )
        store.add_group_ack(message_id, bob, None, NOW)
    store.commit()
    assert store.check_invariants() == []
    execute(path, "UPDATE messages SET group_ack_count = 5")
    assert store.check_invariants() == [f"message {message_id}: group_ack_count 5 != 1 acks"]
    store.close()


def test_a_request_checked_before_writing_that_refuses_leaves_its_batch_alone(path):
    store = SqliteStore(path)
    with store.request():
        store.create_user("alice", "hash", NOW)
    with pytest.raises(ValueError), store.request(savepoint=False):
        store.user_id("alice")
        raise ValueError("refused before any write")
    with store.request(savepoint=False):
        store.create_user("bob", "hash", NOW)
    store.commit()
    assert rows(path, "SELECT username FROM users ORDER BY id") == [("alice",), ("bob",)]
    store.close()


def test_a_request_without_a_savepoint_that_fails_after_writing_fails_its_batch(path):
    (alice,) = with_users(path, "alice")
    store = SqliteStore(path)
    with store.request():
        store.create_user("bob", "hash", NOW)
    with pytest.raises(RuntimeError), store.request(savepoint=False):
        store.append_events([alice], b"half", NOW)
        store.create_user("carol", "hash", NOW)
        raise RuntimeError("a bug after the first write")
    with pytest.raises(StoreError, match="rolled back"):
        store.commit()  # its writes could not be undone alone: nothing is confirmed
    assert rows(path, "SELECT username FROM users") == [("alice",)]
    assert rows(path, "SELECT COUNT(*) FROM events") == [(0,)]
    assert store.user_id("bob") is None and store.last_seq(alice) == 0
    with store.request():
        store.create_user("bob", "hash", NOW)
    store.commit()
    assert store.user_id("bob") is not None
    store.close()
