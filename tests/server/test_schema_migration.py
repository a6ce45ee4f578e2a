"""The server's schema versions: a database made by version 1 is upgraded in place by a
server restart and keeps everything; a database from a newer server is refused with a
clear message and left untouched; and a restart keeps recalls, edits and mutes, with a
device that was away catching up on all three through sync."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from desktop_chat.protocol import frames as f
from desktop_chat.server import ChatServer
from desktop_chat.server.auth import Passwords
from desktop_chat.server.config import wall_clock_ms
from desktop_chat.server.schema import SCHEMA_VERSION
from desktop_chat.server.store import SqliteStore, StoreError
from desktop_chat.wire_client import WireClient, text_body

PASSWORD = "correct horse"  # the harness's password
V1_DDL = (Path(__file__).parent / "schema_v1.sql").read_text()

# Builds and opens SQLite files of its own.
pytestmark = pytest.mark.sqlite_only


def make_v1_database(path: Path, config) -> None:
    """What a version-1 server leaves behind: its DDL and meta row, two accounts, and
    one message from alice to bob, unread, written with v1's columns only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    password_hash = Passwords(config).hash_now(PASSWORD)
    now = wall_clock_ms()
    body = msgspec.json.encode(f.TextBody("v1 days"))
    db = sqlite3.connect(path)
    try:
        db.executescript(V1_DDL)
        db.executescript(
            f"""
            INSERT INTO meta(key, value) VALUES ('schema_version', '1');
            INSERT INTO users(id, username, password_hash, created_at)
                VALUES (1, 'alice', '{password_hash}', {now}), (2, 'bob', '{password_hash}', {now});
            INSERT INTO conversations(id, kind, user_a, user_b, last_seq)
                VALUES (1, 'chat', 1, 2, 1);
            INSERT INTO conversation_members(conv_id, user_id, unread_count, read_upto, updated_at)
                VALUES (1, 1, 0, 0, {now}), (1, 2, 1, 0, {now});
            """
        )
        db.execute(
            "INSERT INTO messages(msg_id, conv_id, conv_seq, chat_type, sender_id, recipient_id,"
            " group_id, body, server_time, local_time, need_delivery_ack, need_read_ack,"
            " need_group_ack, mark) VALUES ('old-era-0001', 1, 1, 'chat', 1, 2, NULL, ?, ?, ?,"
            " 0, 1, 0, 1)",
            (body, now, now),
        )
        db.commit()
    finally:
        db.close()


def stored_version(path: Path) -> str:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    finally:
        db.close()


async def test_a_version_1_database_is_upgraded_in_place(harness):
    path = harness.config.db_path
    make_v1_database(path, harness.config)
    assert stored_version(path) == "1"

    await harness.start()
    assert stored_version(path) == str(SCHEMA_VERSION)
    bob = await harness.device("bob")
    assert await bob.unread_count("alice") == 1
    old = (await bob.history_by_id("alice"))["old-era-0001"]
    assert old["body"]["text"] == "v1 days"
    assert (old["reply_to"], old["edited_at"], old["recalled_at"]) == (None, None, None)
    alice = await harness.device("alice")
    await alice.request("edit", msg_id="old-era-0001", body=text_body("v2 days"))
    await bob.request(
        "send",
        msg_id="new-era-0001",
        chat_type="chat",
        to="alice",
        body=text_body("hi"),
        reply_to="old-era-0001",
    )
    await bob.request("set_conversation_mute", conversation_id="alice", muted=True)

    await harness.restart()  # a second start on the upgraded file changes nothing
    assert stored_version(path) == str(SCHEMA_VERSION)
    bob = await harness.device("bob")
    history = await bob.history_by_id("alice")
    assert history["old-era-0001"]["body"]["text"] == "v2 days"
    assert history["new-era-0001"]["reply_preview"]["text"] == "v2 days"
    (info,) = (await bob.request("fetch_conversations"))["conversations"]
    assert info["muted"] is True and info["unread_count"] == 1
    assert harness.store.check_invariants() == []


async def test_a_fresh_database_starts_at_the_current_version(harness):
    await harness.start()
    await harness.stop()
    assert stored_version(harness.config.db_path) == str(SCHEMA_VERSION)


async def test_a_database_from_a_newer_server_is_refused_and_left_alone(harness):
    await harness.start()
    await harness.stop()
    path = harness.config.db_path
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    db.commit()
    db.close()
    before = path.read_bytes()
    server = ChatServer(harness.config)
    with pytest.raises(StoreError) as refused:
        await server.start()
    message = str(refused.value)
    assert f"version {SCHEMA_VERSION + 1}" in message and f"version {SCHEMA_VERSION}" in message
    assert "newer" in message and str(path) in message
    assert path.read_bytes() == before


# --------------------------------------------------------------------------- restarts


async def test_recall_edit_and_mute_survive_a_restart_and_reach_a_device_that_was_away(
    harness,
):
    await harness.start()
    alice = await harness.device("alice")
    bob_phone = await harness.device("bob")
    bob_away = await harness.device("bob")
    await bob_away.sync()
    seen = bob_away.last_seq
    token = bob_away.token
    await bob_away.close()

    await alice.request(
        "send", msg_id="rst-edit-001", chat_type="chat", to="bob", body=text_body("draft")
    )
    await alice.request(
        "send", msg_id="rst-gone-001", chat_type="chat", to="bob", body=text_body("regret")
    )
    await alice.request("edit", msg_id="rst-edit-001", body=text_body("final"))
    await alice.request("recall", msg_id="rst-gone-001")
    await bob_phone.request("set_conversation_mute", conversation_id="alice", muted=True)
    await harness.restart()

    back = await harness.resume(token or "", after_seq=seen)
    events = await back.sync()
    kinds = [e["type"] for e in events]
    assert kinds == [
        "message",
        "message",
        "message_edited",
        "message_recalled",
        "conversation_muted",
    ]
    edited = events[2]["message"]
    assert edited["msg_id"] == "rst-edit-001" and edited["body"]["text"] == "final"
    assert events[1]["message"]["body"] is None  # the log itself was scrubbed
    assert events[3]["msg_id"] == "rst-gone-001" and events[3]["unread_count"] == 1
    assert events[4]["muted"] is True
    assert "regret" not in str(events)
    history = await back.history_by_id("alice")
    assert history["rst-gone-001"]["recalled_at"] is not None
    assert history["rst-edit-001"]["edited_at"] is not None
    (info,) = (await back.request("fetch_conversations"))["conversations"]
    assert info["muted"] is True and info["unread_count"] == 1


# --------------------------------------------------------------------------- the command line


def _server_command(db: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "desktop_chat.server.cli",
        "--port",
        "0",
        "--db",
        str(db),
        "--log-level",
        "WARNING",
        "--allow-registration",
        *extra,
    ]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}


def test_the_server_command_refuses_a_newer_database_with_a_clear_message(tmp_path):
    path = tmp_path / "server.db"
    SqliteStore(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    done = subprocess.run(
        _server_command(path), capture_output=True, text=True, timeout=60, env=_env()
    )
    assert done.returncode == 1, done
    assert "error: cannot open the database" in done.stderr
    assert "schema version 99, newer than this server's" in done.stderr
    assert "Traceback" not in done.stderr
    assert stored_version(path) == "99"


def test_the_server_command_refuses_a_file_that_is_not_a_database_in_words(tmp_path):
    # A disk error, a wrong path or a file from another program: the person is told
    # what is wrong with which file and what to do, never shown a traceback, and the
    # file is left exactly as it was.
    path = tmp_path / "server.db"
    junk = b"SQLite format 3\x00" + bytes(range(256)) * 40
    path.write_bytes(junk)
    done = subprocess.run(
        _server_command(path), capture_output=True, text=True, timeout=60, env=_env()
    )
    assert done.returncode == 1, done
    assert "error: cannot open the database" in done.stderr
    assert str(path) in done.stderr and "not a database" in done.stderr
    assert "backup" in done.stderr
    assert "Traceback" not in done.stderr
    assert path.read_bytes() == junk


async def test_the_server_command_takes_the_recall_limit(tmp_path):
    proc = subprocess.Popen(
        _server_command(tmp_path / "server.db", "--recall-seconds", "7"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 30)
        url = line.removeprefix("listening on ").strip()
        client = await WireClient.connect(url)
        try:
            hello = await client.request("hello", version=1)
            assert hello["limits"]["recall_seconds"] == 7
        finally:
            await client.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(asyncio.to_thread(proc.wait), 30)
    bad = subprocess.run(
        _server_command(tmp_path / "other.db", "--recall-seconds", "-1"),
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
    )
    assert bad.returncode == 2 and "--recall-seconds must be 0 or more" in bad.stderr
