"""What the client keeps on disk, and who can read it: the data directory and every
directory the client makes in it are 0700, its files (the SQLite store with its -wal
and -shm, the session-token file) 0600, loose modes left by an older version are
tightened on start, and the session token lives only in the token store (a 0600 file,
or the system keyring when asked for and available). Usernames are checked as the
server checks them before any path is built from one."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from desktop_chat.client import ChatClient, ChatError, ChatErrorCode, ChatMessage, ChatOptions
from desktop_chat.client.token_store import TOKEN_FILE

PASSWORD = "correct horse"  # the password tests/conftest.py registers users with


def modes(root: Path) -> dict[str, int]:
    """Permission bits of `root` and everything under it, by path relative to root."""
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def assert_private(root: Path) -> None:
    for name, mode in modes(root).items():
        expected = 0o700 if (root / name).is_dir() else 0o600
        assert mode == expected, f"{name}: {oct(mode)}, not {oct(expected)}"


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def db_token(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT value FROM settings WHERE key = 'token'").fetchall()


def holds(root: Path, secret: str) -> list[str]:
    """Files under root whose bytes contain `secret` (the db, its WAL, anything)."""
    return [str(p) for p in root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


async def test_the_data_directory_and_its_files_are_private(clients):
    await clients.harness.start()
    await clients.login("bob")
    alice = await clients.login("alice", device="alice-laptop")
    await alice.chat_manager.send_message(ChatMessage.text("bob", "hello"))
    data_dir = clients.data_dir("alice-laptop")
    names = tree(data_dir)
    for name in ("alice", "alice/client.db", "alice/client.db-wal", "alice/client.db-shm"):
        assert name in names
    assert f"alice/{TOKEN_FILE}" in names
    assert_private(data_dir)
    token = (data_dir / "alice" / TOKEN_FILE).read_text().strip()
    assert len(token) >= 16
    assert db_token(data_dir / "alice" / "client.db") == []  # only in the token file


async def test_loose_modes_from_an_older_version_are_tightened_on_start(clients):
    await clients.harness.start()
    alice = await clients.login("alice", device="alice-laptop")
    await alice.close()
    data_dir = clients.data_dir("alice-laptop")
    for name in modes(data_dir):
        path = data_dir / name
        path.chmod(0o755 if path.is_dir() else 0o644)
    again = clients.new("alice-laptop")
    await again.resume("alice")
    assert again.is_connected
    assert_private(data_dir)


async def test_a_token_an_older_version_kept_in_the_database_moves_to_the_token_file(clients):
    await clients.harness.start()
    alice = await clients.login("alice", device="alice-laptop")
    await alice.close()
    user_dir = clients.data_dir("alice-laptop") / "alice"
    token_file = user_dir / TOKEN_FILE
    token = token_file.read_text().strip()
    token_file.unlink()  # the layout before the token file: in the settings table
    with sqlite3.connect(user_dir / "client.db") as conn:
        conn.execute("INSERT INTO settings(key, value) VALUES ('token', ?)", (token,))
    again = clients.new("alice-laptop")
    await again.resume("alice")
    assert again.is_connected
    assert token_file.read_text().strip() == token
    assert db_token(user_dir / "client.db") == []
    assert_private(clients.data_dir("alice-laptop"))


async def test_logout_forgets_the_token(clients):
    await clients.harness.start()
    alice = await clients.login("alice", device="alice-laptop")
    await alice.logout()
    assert not (clients.data_dir("alice-laptop") / "alice" / TOKEN_FILE).exists()
    again = clients.new("alice-laptop")
    with pytest.raises(ChatError) as refused:
        await again.resume("alice")
    assert refused.value.code is ChatErrorCode.TOKEN_INVALID


async def test_an_unknown_token_store_is_refused(tmp_path):
    with pytest.raises(ValueError, match="token_store"):
        ChatClient(ChatOptions(server_url="ws://127.0.0.1:9", token_store="paper"), tmp_path)


# ---------------------------------------------------------------------- usernames and paths

BAD_NAMES = [
    "../escaped",
    "..",
    ".",
    "a/b",
    "a\\b",
    "/etc",
    "al\x00ice",
    "",
    "alice\n",
    "Alice",
    "a",
    "x" * 33,
    "ali ce",
    "élise",
]


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
async def test_a_bad_username_is_refused_before_anything_is_written(clients, tmp_path, name):
    await clients.harness.start()
    before = tree(tmp_path)
    client = clients.new("device")
    data_dir = clients.data_dir("device")
    for attempt in (
        lambda: client.resume(name),
        lambda: client.login(name, PASSWORD),
        lambda: client.register(name, PASSWORD),
    ):
        with pytest.raises(ChatError) as refused:
            await attempt()
        assert refused.value.code is ChatErrorCode.INVALID_PARAM
        assert "username" in refused.value.description
        assert not client.is_logged_in
    assert tree(tmp_path) == before  # nothing outside the data dir, nor the dir itself
    assert not data_dir.exists()
