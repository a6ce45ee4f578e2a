"""Where a device keeps its session token: the one secret that signs it in again
without a password (`ChatClient.resume`).

Owns: `open_token_store(kind, user_dir, username)` and its two stores, chosen with
`ChatOptions.token_store`:

- `"file"` (the default): `FileTokenStore`, the token alone in `<user dir>/session-token`,
  mode 0600 in a 0700 directory (see `private_files`). It protects the token from the
  machine's other users. It does not protect it from anything that reads the disk as
  you or without the OS: your backups, a copied disk image, another program running
  as you.
- `"keyring"` (`pip install desktop-chat[keyring]`): `KeyringTokenStore`, the token in
  the system keyring (Secret Service, macOS Keychain, Windows Credential Locker)
  through the `keyring` package. Also keeps it out of backups and disk images, and
  away from programs that only read your files, since the keyring stores it
  encrypted. It is no defence against malware running as you: such a program can ask
  the unlocked keyring itself. Where no keyring backend is available (the package is
  not installed, the system has none, or it refuses), the token goes to the 0600
  file instead, with a warning in the log, and moves into the keyring on a later
  save once one is there.

Keyring calls can block (an unlock prompt, D-Bus), so they run in a worker thread.

Never: log or print a token, or keep one in the SQLite store (an older version did:
`ChatClient` moves it out on start).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import sqlite3
from pathlib import Path
from typing import Any, Protocol

from desktop_chat.client.private_files import private_file

log = logging.getLogger(__name__)

TOKEN_FILE = "session-token"
KEYRING_SERVICE = "desktop-chat"
TOKEN_STORES = ("file", "keyring")


class TokenStore(Protocol):
    async def load(self) -> str | None: ...
    async def save(self, token: str) -> None: ...
    async def forget(self) -> None: ...


class FileTokenStore:
    """The token in a 0600 file; written whole (a new file renamed over the old)."""

    def __init__(self, user_dir: Path) -> None:
        self.path = user_dir / TOKEN_FILE

    async def load(self) -> str | None:
        try:
            token = self.path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        private_file(self.path)
        return token or None

    async def save(self, token: str) -> None:
        fresh = self.path.with_name(f".{TOKEN_FILE}.new")
        with contextlib.suppress(FileNotFoundError):
            fresh.unlink()
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(token)
            out.flush()
            os.fsync(out.fileno())
        os.replace(fresh, self.path)

    async def forget(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


class KeyringTokenStore:
    """The token in the system keyring, falling back to `fallback` (the 0600 file)
    whenever the keyring cannot be used. One entry per user and data directory, so
    two devices of one user on the same machine (two data directories) keep two
    sessions."""

    def __init__(self, keyring: Any, user_dir: Path, username: str) -> None:
        self._keyring = keyring
        self._fallback = FileTokenStore(user_dir)
        where = hashlib.sha256(str(user_dir.resolve()).encode()).hexdigest()[:16]
        self.account = f"{username}@{where}"

    async def _call(self, method: str, *args: str) -> tuple[bool, str | None]:
        """(True, result) from the keyring, or (False, None) when it is unavailable."""
        try:
            call = getattr(self._keyring, method)
            return True, await asyncio.to_thread(call, KEYRING_SERVICE, self.account, *args)
        except self._keyring.errors.PasswordDeleteError:
            return True, None  # nothing to delete
        except Exception as exc:  # no backend, a locked or absent service, D-Bus errors
            log.warning(
                "the system keyring is unavailable (%s: %s); using the 0600 file",
                type(exc).__name__,
                exc,
            )
            return False, None

    async def load(self) -> str | None:
        ok, token = await self._call("get_password")
        if ok and token:
            return token
        token = await self._fallback.load()
        if token and ok:
            await self.save(token)  # the keyring works now: move the token into it
        return token

    async def save(self, token: str) -> None:
        ok, _ = await self._call("set_password", token)
        if ok:
            await self._fallback.forget()
        else:
            await self._fallback.save(token)

    async def forget(self) -> None:
        await self._call("delete_password")
        await self._fallback.forget()


def take_legacy_token(db: Path) -> str | None:
    """The token an older version kept in the SQLite store's settings, removed from
    it (its bytes overwritten, the write-ahead log emptied); None if there is none."""
    if not db.exists():
        return None
    conn = sqlite3.connect(str(db), isolation_level=None)
    try:
        tables = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'settings'").fetchall()
        row = tables and conn.execute("SELECT value FROM settings WHERE key = 'token'").fetchone()
        if not row:
            return None
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("DELETE FROM settings WHERE key = 'token'")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return str(row[0])
    finally:
        conn.close()


def open_token_store(kind: str, user_dir: Path, username: str) -> TokenStore:
    if kind == "file":
        return FileTokenStore(user_dir)
    if kind != "keyring":
        raise ValueError(f"token_store must be one of {TOKEN_STORES}, not {kind!r}")
    try:
        import keyring
        import keyring.errors
    except ImportError:
        log.warning(
            "token_store='keyring' needs the keyring package"
            " (pip install desktop-chat[keyring]); using the 0600 file"
        )
        return FileTokenStore(user_dir)
    return KeyringTokenStore(keyring, user_dir, username)
