"""Password hashes and session tokens.

Owns: argon2id hashing and verification, and the bounded pool they run in
(`HashPool`); session tokens: 256 random bits, handed to the device once, stored
only as a SHA-256 digest.

A hash costs tens to hundreds of milliseconds of CPU, so it runs off the event
loop, on a few low-priority threads (argon2-cffi releases the GIL), and the
address that used the pool least lately goes first: a flood of sign-ups or wrong
passwords waits behind itself, while others' sign-ins and all signed-in traffic
keep their pace. Past the pool's bounds a job is refused at once (`HashPoolBusy`).

Never: log a password or a token, store a token in clear, or queue without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from desktop_chat.server.config import ServerConfig

T = TypeVar("T")

# Verified against when the user does not exist, so a wrong name costs as much
# time as a wrong password and names cannot be probed by timing.
_DUMMY_PASSWORD = "not-a-real-password"
HASH_THREAD_NICENESS = 10


class HashPoolBusy(Exception):
    """The pool is full: try again in `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"busy; retry after {retry_after:.1f} s")
        self.retry_after = retry_after


def _lower_priority() -> None:
    # Linux only: there, a thread's niceness is its own (and its children's, such as
    # argon2's lanes); elsewhere the call would renice the whole process.
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_THREAD_NICENESS)


class HashPool:
    """`workers` threads; the next job is the one of the waiting address that has used
    the pool least lately (a decaying count of its jobs; a right password is given
    back with `refund`), so a person signing in goes before the addresses flooding
    the pool with wrong passwords or sign-ups, and floods share what is left.

    At most `queue` jobs wait, and at most `per_address` from one address; a job
    past either bound raises `HashPoolBusy` at once.
    """

    USAGE_HALF_LIFE = 60.0  # seconds

    def __init__(self, workers: int, queue: int, per_address: int) -> None:
        self.workers = max(1, workers)
        self.queue = queue
        self.per_address = per_address
        self._executor = ThreadPoolExecutor(
            self.workers, thread_name_prefix="argon2", initializer=_lower_priority
        )
        self._free = self.workers
        self._waiting: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()
        self._waiting_count = 0
        self._usage: dict[str, tuple[float, float]] = {}  # address -> (jobs, when)
        self._seconds_per_job = 0.1  # a running estimate, for `retry_after`

    async def run(self, address: str, work: Callable[..., T], *args: object) -> T:
        await self._slot(address)
        started = time.monotonic()
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)
        finally:
            self._seconds_per_job = 0.8 * self._seconds_per_job + 0.2 * (time.monotonic() - started)
            self._release()

    def _used(self, address: str, now: float) -> float:
        jobs, when = self._usage.get(address, (0.0, now))
        decay: float = 0.5 ** ((now - when) / self.USAGE_HALF_LIFE)
        return jobs * decay

    def _charge(self, address: str) -> None:
        now = time.monotonic()
        self._usage[address] = (self._used(address, now) + 1, now)
        if len(self._usage) > 10_000:  # bounded memory: forget the ones long quiet
            self._usage = {a: u for a, u in self._usage.items() if self._used(a, now) > 0.01}

    def refund(self, address: str) -> None:
        """Take back the charge of one job (its password was right)."""
        now = time.monotonic()
        used = self._used(address, now)
        if used > 0:
            self._usage[address] = (max(0.0, used - 1), now)

    async def _slot(self, address: str) -> None:
        if self._free > 0 and not self._waiting:
            self._free -= 1
            self._charge(address)
            return
        waiters = self._waiting.get(address)
        if self._waiting_count >= self.queue or (waiters and len(waiters) >= self.per_address):
            ahead = self._waiting_count + self.workers
            raise HashPoolBusy(max(0.1, self._seconds_per_job * ahead / self.workers))
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(address, deque()).append(granted)
        self._waiting_count += 1
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release()  # the slot came with the cancellation: pass it on
            else:
                self._forget(address, granted)
            raise

    def _forget(self, address: str, granted: asyncio.Future[None]) -> None:
        waiters = self._waiting.get(address)
        if waiters is not None and granted in waiters:
            waiters.remove(granted)
            self._waiting_count -= 1
            if not waiters:
                del self._waiting[address]

    def _release(self) -> None:
        """Hand the freed slot to the waiting address that used the pool least lately."""
        while self._waiting:
            now = time.monotonic()
            address = min(self._waiting, key=lambda a: self._used(a, now))
            waiters = self._waiting[address]
            granted = waiters.popleft()
            self._waiting_count -= 1
            if waiters:
                self._waiting.move_to_end(address)
            else:
                del self._waiting[address]
            if not granted.done():
                granted.set_result(None)
                self._charge(address)
                return
        self._free += 1

    def close(self) -> None:
        """Drop the waiting jobs; a running hash finishes on its own (under a second)."""
        for waiters in self._waiting.values():
            for granted in waiters:
                granted.cancel()
        self._waiting.clear()
        self._waiting_count = 0
        self._executor.shutdown(wait=False, cancel_futures=True)


class Passwords:
    def __init__(self, config: ServerConfig) -> None:
        self._hasher = PasswordHasher(
            time_cost=config.argon2_time_cost,
            memory_cost=config.argon2_memory_kib,
            parallelism=config.argon2_parallelism,
        )
        self._dummy_hash = self._hasher.hash(_DUMMY_PASSWORD)
        self.pool = HashPool(
            config.hash_workers, config.hash_queue, config.hash_waiting_per_address
        )

    def hash_now(self, password: str) -> str:
        return self._hasher.hash(password)

    async def hash(self, password: str, address: str = "") -> str:
        return await self.pool.run(address, self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str, address: str = "") -> bool:
        """True when `password` matches; None as the hash means "no such user"."""
        target = password_hash if password_hash is not None else self._dummy_hash
        ok = await self.pool.run(address, self._verify, target, password) and bool(password_hash)
        if ok:
            self.pool.refund(address)  # a person signing in is not a flood
        return ok

    def _verify(self, target: str, password: str) -> bool:
        try:
            return self._hasher.verify(target, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def close(self) -> None:
        self.pool.close()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
