"""The client's local store across versions: a data dir made before versioning (the
frozen DDL in local_schema_v0.sql) is upgraded in place when the client starts, keeps
its messages, counts, session and outbox, and its old messages become searchable; a
store from a newer client is refused with a clear error and left untouched."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from desktop_chat.client import ChatError, ChatErrorCode
from desktop_chat.client.local_schema import LOCAL_SCHEMA_VERSION
from desktop_chat.client.local_store import LocalStore

V0_DDL = (Path(__file__).parent / "local_schema_v0.sql").read_text()
OLD_TEXT = "旧消息 from the old days"


def make_v0_store(path: Path, token: str, device_id: int, last_seq: int) -> None:
    """A store as the previous client left it: a session, one received unread message,
    and one message written offline that is still in the outbox."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    try:
        db.executescript(V0_DDL)
        db.executemany(
            "INSERT INTO settings(key, value) VALUES (?, ?)",
            [("token", token), ("device_id", str(device_id)), ("last_seq", str(last_seq))],
        )
        row = (
            "INSERT INTO messages VALUES (?, 'alice', 'chat', ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0,"
            " ?, NULL, NULL, ?, 0, 0, NULL, 0, 0)"
        )
        db.execute(
            row,
            (
                "old-local-0001",
                "RECEIVE",
                "alice",
                "bob",
                OLD_TEXT,
                1_700_000_000_000,
                1_700_000_000_000,
                0,
                1,
                0,
                1,
                0,
            ),
        )
        db.execute(
            row,
            (
                "queued-offline-01",
                "SEND",
                "bob",
                "alice",
                "written before the upgrade",
                0,
                1_700_000_000_500,
                0,
                0,
                0,
                1,
                0,
            ),
        )
        db.execute(
            "INSERT INTO conversations(conversation_id, chat_type, unread_count, updated_at)"
            " VALUES ('alice', 'chat', 1, 1700000000500)"
        )
        payload = {
            "chat_type": "chat",
            "to": "alice",
            "text": "written before the upgrade",
            "local_time": 1_700_000_000_500,
            "need_delivery_ack": False,
            "need_read_ack": True,
            "need_group_ack": False,
        }
        db.execute(
            "INSERT INTO outbox(kind, key, payload, created_at) VALUES ('send', ?, ?, 0)",
            ("queued-offline-01", json.dumps(payload).encode()),
        )
        db.commit()
    finally:
        db.close()


def user_version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


async def test_a_data_dir_made_before_is_upgraded_in_place(clients):
    harness = clients.harness
    await harness.start()
    alice = await clients.login("alice")
    wire = await harness.device("bob")  # the old client's device and session
    await wire.close()
    path = clients.data_dir("bob-old") / "bob" / "client.db"
    make_v0_store(path, wire.token or "", 1, wire.last_seq)
    assert user_version(path) == 0

    bob = clients.new("bob-old")
    await bob.resume("bob")
    assert user_version(path) == LOCAL_SCHEMA_VERSION
    old = bob.chat_manager.get_message("old-local-0001")
    assert old.body.content == OLD_TEXT and not old.recipient_read
    assert (old.recalled, old.edited, old.reply_to, old.reply_preview) == (
        False,
        False,
        None,
        None,
    )
    conversation = bob.chat_manager.get_conversation("alice")
    assert conversation.unread_count == 1 and not conversation.is_muted
    # Old messages are in the search index (backfilled), one- and two-character words too.
    assert [m.msg_id for m in bob.chat_manager.search_messages("old days")] == ["old-local-0001"]
    assert [m.msg_id for m in bob.chat_manager.search_messages("旧消息")] == ["old-local-0001"]
    assert [m.msg_id for m in bob.chat_manager.search_messages("消息")] == ["old-local-0001"]
    # The outbox of the old version goes out under the new one.
    got = await clients.events(alice).wait("on_messages_received")
    assert [m.msg_id for (msgs,) in got for m in msgs] == ["queued-offline-01"]
    await clients.settle(bob)
    assert bob.chat_manager.get_message("queued-offline-01").server_time > 0
    # New features work on the upgraded store.
    await bob.chat_manager.set_conversation_muted("alice", True)
    assert bob.chat_manager.get_conversation("alice").is_muted
    await bob.close()
    # A second start finds it current and changes nothing.
    again = LocalStore(path)
    try:
        assert again.message("old-local-0001").body.content == OLD_TEXT
    finally:
        again.close()
    assert user_version(path) == LOCAL_SCHEMA_VERSION


async def test_a_store_from_a_newer_client_is_refused_and_left_alone(clients, tmp_path):
    path = tmp_path / "newer" / "client.db"
    LocalStore(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {LOCAL_SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(ChatError) as refused:
        LocalStore(path)
    assert refused.value.code is ChatErrorCode.DATABASE_ERROR
    text = refused.value.description
    assert f"version {LOCAL_SCHEMA_VERSION + 1}" in text and "newer" in text
    assert str(path) in text
    assert path.read_bytes() == before
