"""Rate limits: how fast one device may send, and how often a name may fail to sign in.

Owns: `TokenBucket`, `DeviceRates` (messages and acks per second, per connection)
and `LoginThrottle` (failed sign-ins per username and per peer address, with a
lock-out that grows). Each refusal says when to try again (`retry_after_ms`).

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

    def take(self) -> float:
        """0 when a token was taken, else the seconds until one is free."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


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

    def check(self, request: f.Request) -> float:
        """0 when `request` may go ahead, else the seconds to wait."""
        if not self.enabled:
            return 0.0
        if isinstance(request, MESSAGE_FRAMES):
            return self.messages.take()
        if isinstance(request, ACK_FRAMES):
            return self.acks.take()
        return 0.0


class LoginThrottle:
    """Failed sign-ins: after `free` failures a key waits, doubling up to `max_wait`.

    Keys are the username (`user:NAME`) and the peer address (`peer:ADDRESS`), so
    guessing one account's password from many places, or many accounts from one
    place, both slow down. An address gets `PEER_FACTOR` times more free failures:
    behind a proxy or a NAT many people share one.
    """

    PEER_FACTOR = 10

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
        self._failures: dict[str, tuple[int, float]] = {}  # key -> (count, last failure)

    def wait_for(self, *keys: str) -> float:
        """Seconds before these keys may try again (0: now)."""
        now = self.clock()
        longest = 0.0
        for key in keys:
            count, last = self._failures.get(key, (0, 0.0))
            if count and now - last > self.forget_after:
                del self._failures[key]
                continue
            free = self.free * (self.PEER_FACTOR if key.startswith("peer:") else 1)
            if count >= free:
                wait = min(self.max_wait, self.first_wait * 2 ** min(count - free, 30))
                longest = max(longest, last + wait - now)
        return max(0.0, longest)

    def failed(self, *keys: str) -> None:
        now = self.clock()
        for key in keys:
            count, _ = self._failures.get(key, (0, 0.0))
            self._failures[key] = (count + 1, now)
        if len(self._failures) > 100_000:  # bounded memory under a flood of names
            cutoff = now - self.forget_after
            self._failures = {k: v for k, v in self._failures.items() if v[1] >= cutoff}

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)
