"""Password hashes and session tokens.

Owns: argon2id hashing and verification (run off the event loop, since a hash
costs tens of milliseconds), and session tokens: 256 random bits, handed to the
device once, stored only as a SHA-256 digest.

Never: log a password or a token, or store a token in clear.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from desktop_chat.server.config import ServerConfig

# Verified against when the user does not exist, so a wrong name costs as much
# time as a wrong password and names cannot be probed by timing.
_DUMMY_PASSWORD = "not-a-real-password"


class Passwords:
    def __init__(self, config: ServerConfig) -> None:
        self._hasher = PasswordHasher(
            time_cost=config.argon2_time_cost,
            memory_cost=config.argon2_memory_kib,
            parallelism=config.argon2_parallelism,
        )
        self._dummy_hash = self._hasher.hash(_DUMMY_PASSWORD)

    def hash_now(self, password: str) -> str:
        return self._hasher.hash(password)

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when `password` matches; None as the hash means "no such user"."""
        target = password_hash if password_hash is not None else self._dummy_hash
        try:
            ok = await asyncio.to_thread(self._hasher.verify, target, password)
        except (VerificationError, InvalidHashError):
            return False
        return ok and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
