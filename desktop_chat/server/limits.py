"""Rate limits: how fast one device may send, how often a name may fail to sign in,
and how many accounts one address may create.

Owns: `TokenBucket`, `DeviceRates` (messages and acks per second, per connection),
`LoginThrottle` (failed sign-ins per (name, address), per name and per address,
with a lock-out that grows) and `SignUpThrottle` (sign-ups per address). Each
refusal says when to try again (`retry_after_ms`).

Never: sleep or block: a refusal is an immediate `RATE_LIMITED` error, and the
connection stays open.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from desktop_chat.protocol import frames as f

MESSAGE_FRAMES = (f.SendMessage,)
ACK_FRAMES = (f.DeliveryAck, f.ReadAck, f.ConversationReadAck, f.GroupReadAck)


def rate_class(request: f.Request[f.Reply]) -> str | None:
    """The budget `request` draws from: "messages", "acks", or None (not limited).

    The names are `DeviceRates`' bucket attributes; `shared_limits` keys by them too."""
    if isinstance(request, MESSAGE_FRAMES):
        return "messages"
    if isinstance(request, ACK_FRAMES):
        return "acks"
    return None


@dataclass
class TokenBucket:
    """`rate` tokens a second, holding at most `burst`; one frame takes one token."""

    rate: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    stamp: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = self.burst
        self.stamp = self.clock()

    def take(self, count: float = 1) -> float:
        """0 when `count` tokens were taken, else the seconds until they are there."""
        if self.available() >= count:
            self.tokens -= count
            return 0.0
        return (count - self.tokens) / self.rate

    def available(self) -> float:
        """The tokens there are now."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return self.tokens


class DeviceRates:
    """The send and ack budgets of one connection (a device)."""

    def __init__(
        self,
        messages_per_second: float,
        message_burst: float,
        acks_per_second: float,
        ack_burst: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = messages_per_second > 0 and acks_per_second > 0
        self.messages = TokenBucket(messages_per_second or 1, message_burst or 1, clock)
        self.acks = TokenBucket(acks_per_second or 1, ack_burst or 1, clock)

    def check(self, request: f.Request[f.Reply]) -> float:
        """0 when `request` may go ahead, else the seconds to wait."""
        kind = rate_class(request)
        if not self.enabled or kind is None:
            return 0.0
        bucket: TokenBucket = getattr(self, kind)
        return bucket.take()


class LoginThrottle:
    """Failed sign-ins: after its free failures a key waits, doubling up to `max_wait`.

    Three keys count each failure:
    - the pair (name, address), with `free` failures: an attacker guessing one
      account from one place is stopped there, and nobody else is;
    - the name, with `NAME_FACTOR` times more: it catches guessing one account from
      many places. It only refuses new sign-ins: a device with a session resumes
      with its token, which no failed guess can block;
    - the address, with `ADDRESS_FACTOR` times more: it catches one place guessing
      many names, while a proxy or a NAT that is many people's address still works.
    An attempt is reserved (counted as failed) before its password is checked, and
    given back when it succeeds, so parallel guesses get no more checks than
    sequential ones.
    """

    NAME_FACTOR = 10
    ADDRESS_FACTOR = 40

    def __init__(
        self,
        free: int = 5,
        first_wait: float = 1.0,
        max_wait: float = 300.0,
        forget_after: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free = free
        self.first_wait = first_wait
        self.max_wait = max_wait
        self.forget_after = forget_after
        self.clock = clock
        self._failures: dict[tuple[str, ...], tuple[int, float]] = {}  # key -> (count, last)

    @staticmethod
    def _keys(name: str, address: str) -> tuple[tuple[str, ...], ...]:
        return (("pair", name, address), ("name", name), ("address", address))

    def _allowance(self, key: tuple[str, ...]) -> int:
        if key[0] == "name":
            return self.free * self.NAME_FACTOR
        if key[0] == "address":
            return self.free * self.ADDRESS_FACTOR
        return self.free

    def reserve(self, name: str, address: str) -> float:
        """0 when `name` may try to sign in from `address` now (the attempt is then
        counted as failed until `succeeded` or `release`), else the seconds to wait."""
        now = self.clock()
        keys = self._keys(name, address)
        longest = 0.0
        for key in keys:
            count, last = self._failures.get(key, (0, 0.0))
            if count and now - last > self.forget_after:
                del self._failures[key]
                continue
            free = self._allowance(key)
            if count >= free:
                wait = min(self.max_wait, self.first_wait * 2 ** min(count - free, 30))
                longest = max(longest, last + wait - now)
        if longest > 0:
            return longest
        for key in keys:
            count, _ = self._failures.get(key, (0, 0.0))
            self._failures[key] = (count + 1, now)
        if len(self._failures) > 100_000:  # bounded memory under a flood of names
            cutoff = now - self.forget_after
            self._failures = {k: v for k, v in self._failures.items() if v[1] >= cutoff}
        return 0.0

    def release(self, name: str, address: str) -> None:
        """Give back a reserved attempt whose password was never checked."""
        for key in self._keys(name, address):
            self._give_back(key)

    def succeeded(self, name: str, address: str) -> None:
        """The right password: the pair and the name start afresh; the address only
        gets its attempt back (one's own account does not clear a place's guesses)."""
        pair, name_key, address_key = self._keys(name, address)
        self._failures.pop(pair, None)
        self._failures.pop(name_key, None)
        self._give_back(address_key)

    def _give_back(self, key: tuple[str, ...]) -> None:
        count, last = self._failures.get(key, (0, 0.0))
        if count <= 1:
            self._failures.pop(key, None)
        else:
            self._failures[key] = (count - 1, last)


class SignUpThrottle:
    """Sign-ups per address: `burst` at once, then `per_hour` an hour."""

    def __init__(
        self, burst: int, per_hour: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst = burst
        self.rate = max(per_hour, 0.001) / 3600
        self.clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def take(self, address: str) -> float:
        """0 when `address` may sign up now (counted), else the seconds to wait."""
        bucket = self._buckets.get(address)
        if bucket is None:
            if len(self._buckets) > 100_000:  # bounded memory: forget the full buckets
                self._buckets = {a: b for a, b in self._buckets.items() if b.available() < b.burst}
            bucket = self._buckets[address] = TokenBucket(self.rate, self.burst, self.clock)
        return bucket.take()
