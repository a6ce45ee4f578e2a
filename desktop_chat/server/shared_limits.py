"""Rate limits shared by every server node through Redis: ten wrong passwords spread
over three nodes count as ten.

Owns:
- `SharedLoginThrottle`: `limits.LoginThrottle`'s failed sign-ins (the same keys per
  (name, address), per name and per address, the same free failures, the same
  doubling wait, the same reserve-before-check, `release` and `succeeded`), kept in
  Redis hashes under `dc:login:`, each with a TTL of `forget_after`;
- `SharedDeviceRates`: `limits.DeviceRates`' token buckets (messages and acks, the
  same rates, bursts and classification of frames, `limits.rate_class`) per signed-in
  device id, under `dc:rate:`, each with a TTL of the time it takes to fill up again;
- `SharedSignUps`: `limits.SignUpThrottle`'s bucket per address (the same burst and
  rate), under `dc:signup:`, so sign-ups from one address count once across nodes;
- `SharedUploadRates`: `files.Files`' upload bucket per user (bytes a second, the
  same rate and room), under `dc:upload:`, so a user's uploads through several nodes
  count once;
- `SharedLimits`: all four on one Redis client made from a `--redis` URL, and `close()`.
Every operation is one Lua script, so it is atomic across nodes, and the scripts
read the time from Redis (`TIME`), so the nodes' clocks do not matter.

Never: block a sign-in or a message on Redis for long, or fail because of it. Each
call has a deadline (`timeout`, 0.25 s, also the socket timeouts of `SharedLimits`'
client); on any error the answer comes from an in-process `LoginThrottle`,
`DeviceRates` or `SignUpThrottle` instead, Redis is left alone for `retry_seconds`
(1 s) and then tried again, and a warning is logged at most once a minute. What is counted during an
outage stays in that node's memory (an outage weakens the limits to one node's;
it never refuses anyone for it), and a call that timed out after Redis ran it counts
in both. Never sleep, and never touch a key outside its prefix. The scripts use
several keys at once: one Redis server (with replicas if you like), not Redis
Cluster. Imports `redis` (the `cluster` extra): import this
module only when a Redis URL is given.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence
from urllib.parse import quote

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.typing import EncodableT

from desktop_chat.protocol import frames as f
from desktop_chat.server.config import ServerConfig
from desktop_chat.server.limits import (
    DeviceRates,
    LoginThrottle,
    SignUpThrottle,
    TokenBucket,
    rate_class,
)

log = logging.getLogger(__name__)

PREFIX = "dc:"
TIMEOUT = 0.25  # seconds a call may wait for Redis
RETRY_SECONDS = 1.0  # after a failure, the fallback answers alone this long
WARN_EVERY = 60.0  # seconds between two warnings that Redis failed

# Times in the scripts are integer microseconds of Redis' clock (exact in a double);
# '%.0f' and '%.17g' keep them and the token counts exact in the hashes.
_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
"""

_GIVE_BACK = """
local function give_back(key)
  local count = tonumber(redis.call('HGET', key, 'count')) or 0
  if count <= 1 then
    redis.call('DEL', key)
  else
    redis.call('HINCRBY', key, 'count', -1)
  end
end
"""

# KEYS: the pair, the name, the address. ARGV: their free failures (3), then the
# first wait, the longest wait, forget after (microseconds), and the TTL (ms).
# Answers 0 (the attempt is now counted on every key) or the microseconds to wait.
LOGIN_RESERVE = (
    _NOW
    + """
local first, most, forget = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local longest = 0
for i, key in ipairs(KEYS) do
  local state = redis.call('HMGET', key, 'count', 'last')
  local count, last = tonumber(state[1]) or 0, tonumber(state[2]) or 0
  if count > 0 and now - last > forget then
    redis.call('DEL', key)
  else
    local free = tonumber(ARGV[i])
    if count >= free then
      local wait = math.min(most, first * 2 ^ math.min(count - free, 30))
      longest = math.max(longest, last + wait - now)
    end
  end
end
if longest > 0 then
  return math.ceil(longest)
end
for _, key in ipairs(KEYS) do
  redis.call('HINCRBY', key, 'count', 1)
  redis.call('HSET', key, 'last', string.format('%.0f', now))
  redis.call('PEXPIRE', key, ARGV[7])
end
return 0
"""
)

# KEYS: the pair, the name, the address: each gives back one attempt.
LOGIN_RELEASE = (
    _GIVE_BACK
    + """
for _, key in ipairs(KEYS) do
  give_back(key)
end
return 0
"""
)

# KEYS: the pair and the name start afresh; the address gets its attempt back.
LOGIN_SUCCEEDED = (
    _GIVE_BACK
    + """
redis.call('DEL', KEYS[1], KEYS[2])
give_back(KEYS[3])
return 0
"""
)

# KEYS[1]: one device's bucket. ARGV: tokens a second, the burst. One token is taken
# when there is one: answers 0, else the microseconds until one is free.
TAKE_TOKEN = (
    _NOW
    + """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local count = tonumber(ARGV[3]) or 1
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens, stamp = tonumber(state[1]), tonumber(state[2])
if tokens == nil or stamp == nil then
  tokens, stamp = burst, now
end
tokens = math.min(burst, tokens + math.max(0, now - stamp) / 1000000 * rate)
local wait = 0
if tokens >= count then
  tokens = tokens - count
else
  wait = (count - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
  'stamp', string.format('%.0f', now))
-- A bucket that has filled up again is the same as none.
local full_in = math.ceil((burst - tokens) / rate * 1000) + 1000
redis.call('PEXPIRE', KEYS[1], string.format('%d', full_in))
return math.ceil(wait * 1000000)
"""
)


class _Link:
    """One Redis client with a deadline per call, and the memory of its last failure."""

    def __init__(
        self,
        redis: Redis,
        what: str,
        timeout: float,
        retry_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.redis = redis
        self.what = what
        self.timeout = timeout
        self.retry_seconds = retry_seconds
        self.clock = clock
        self.down_until = -math.inf
        self.warned_at = -math.inf
        self.failed = False  # the last call failed (for the "answers again" log line)

    async def run(
        self, script: AsyncScript, keys: Sequence[str], args: Sequence[EncodableT]
    ) -> int | None:
        """The script's answer, or None when Redis failed now or a moment ago."""
        if self.clock() < self.down_until:
            return None
        try:
            async with asyncio.timeout(self.timeout):
                answer = await script(keys=keys, args=args)
            answer = int(answer)
        except Exception as exc:  # any failure at all: the fallback answers
            now = self.clock()
            self.down_until = now + self.retry_seconds
            self.failed = True
            if now - self.warned_at >= WARN_EVERY:
                self.warned_at = now
                log.warning(
                    "Redis failed (%s: %s): the %s counts on this node alone for now",
                    type(exc).__name__,
                    exc,
                    self.what,
                )
            return None
        if self.failed:
            self.failed = False
            log.info("Redis answers again: the %s is shared again", self.what)
        return answer


class SharedLoginThrottle:
    """`LoginThrottle` with its counts in Redis, shared by every node.

    `throttle` gives the settings (free failures, waits, forget after) and answers
    when Redis cannot; its class gives the keys and each key's free failures.
    """

    def __init__(
        self,
        redis: Redis,
        throttle: LoginThrottle | None = None,
        *,
        prefix: str = PREFIX + "login:",
        timeout: float = TIMEOUT,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self.local = throttle if throttle is not None else LoginThrottle()
        self.prefix = prefix
        self._link = _Link(redis, "sign-in throttle", timeout, retry_seconds)
        self._reserve = redis.register_script(LOGIN_RESERVE)
        self._release = redis.register_script(LOGIN_RELEASE)
        self._succeeded = redis.register_script(LOGIN_SUCCEEDED)
        local = self.local
        self._times = (
            local.first_wait * 1e6,
            local.max_wait * 1e6,
            local.forget_after * 1e6,
            max(1, math.ceil(local.forget_after * 1000)),
        )

    def keys(self, name: str, address: str) -> list[str]:
        """The Redis keys of the pair, the name and the address (each part quoted)."""
        return [
            self.prefix + ":".join(quote(part, safe="") for part in key)
            for key in LoginThrottle._keys(name, address)
        ]

    async def reserve(self, name: str, address: str) -> float:
        """0 when `name` may try to sign in from `address` now (the attempt is then
        counted as failed until `succeeded` or `release`), else the seconds to wait."""
        allowances = [self.local._allowance(key) for key in LoginThrottle._keys(name, address)]
        answer = await self._link.run(
            self._reserve, self.keys(name, address), [*allowances, *self._times]
        )
        if answer is None:
            return self.local.reserve(name, address)
        return answer / 1e6

    async def release(self, name: str, address: str) -> None:
        """Give back a reserved attempt whose password was never checked."""
        if await self._link.run(self._release, self.keys(name, address), []) is None:
            self.local.release(name, address)

    async def succeeded(self, name: str, address: str) -> None:
        """The right password: the pair and the name start afresh; the address only
        gets its attempt back."""
        if await self._link.run(self._succeeded, self.keys(name, address), []) is None:
            self.local.succeeded(name, address)


class SharedDeviceRates:
    """`DeviceRates` per signed-in device id, with the buckets in Redis: a device's
    budget is the same whichever node (and however many connections) it uses."""

    FALLBACK_DEVICES = 10_000  # in-process buckets kept before the full ones are dropped

    def __init__(
        self,
        redis: Redis,
        messages_per_second: float,
        message_burst: float,
        acks_per_second: float,
        ack_burst: float,
        *,
        prefix: str = PREFIX + "rate:",
        timeout: float = TIMEOUT,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self._settings = (messages_per_second, message_burst, acks_per_second, ack_burst)
        self._shape = DeviceRates(*self._settings)  # the rates and bursts, never taken from
        self.enabled = self._shape.enabled
        self.prefix = prefix
        self._link = _Link(redis, "device rate limit", timeout, retry_seconds)
        self._take = redis.register_script(TAKE_TOKEN)
        self._local: dict[int, DeviceRates] = {}

    def key(self, device_id: int, kind: str) -> str:
        """The Redis key of one device's bucket ("messages" or "acks")."""
        return f"{self.prefix}{device_id}:{kind}"

    async def check(self, device_id: int, request: f.Request[f.Reply]) -> float:
        """0 when `request` from `device_id` may go ahead, else the seconds to wait."""
        kind = rate_class(request)
        if not self.enabled or kind is None:
            return 0.0
        bucket = getattr(self._shape, kind)
        answer = await self._link.run(
            self._take, [self.key(device_id, kind)], [repr(bucket.rate), repr(bucket.burst)]
        )
        if answer is None:
            return self._fallback(device_id).check(request)
        return answer / 1e6

    def _fallback(self, device_id: int) -> DeviceRates:
        rates = self._local.get(device_id)
        if rates is None:
            if len(self._local) >= self.FALLBACK_DEVICES:  # bounded: forget the full ones
                self._local = {
                    d: r
                    for d, r in self._local.items()
                    if r.messages.available() < r.messages.burst
                    or r.acks.available() < r.acks.burst
                }
            rates = self._local[device_id] = DeviceRates(*self._settings)
        return rates


class SharedUploadRates:
    """`files.Files`' upload bucket per user (bytes a second, with a burst of at least
    one whole chunk) in Redis: what a user uploads through every node counts once."""

    FALLBACK_USERS = 10_000  # in-process buckets kept before the full ones are dropped

    def __init__(
        self,
        redis: Redis,
        config: ServerConfig,
        *,
        prefix: str = PREFIX + "upload:",
        timeout: float = TIMEOUT,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self.rate = float(config.upload_bytes_per_second)
        self.room = float(max(config.upload_burst_bytes, config.max_chunk_bytes))
        self.enabled = self.rate > 0
        self.prefix = prefix
        self._link = _Link(redis, "upload rate limit", timeout, retry_seconds)
        self._take = redis.register_script(TAKE_TOKEN)
        self._local: dict[int, TokenBucket] = {}

    def key(self, user_id: int) -> str:
        return f"{self.prefix}{user_id}"

    async def take(self, user_id: int, size: int) -> float:
        """0 when `user_id` may store `size` bytes now (counted), else the seconds to wait."""
        if not self.enabled:
            return 0.0
        answer = await self._link.run(
            self._take, [self.key(user_id)], [repr(self.rate), repr(self.room), str(size)]
        )
        if answer is None:
            return self._fallback(user_id).take(size)
        return answer / 1e6

    def _fallback(self, user_id: int) -> TokenBucket:
        bucket = self._local.get(user_id)
        if bucket is None:
            if len(self._local) >= self.FALLBACK_USERS:  # bounded: forget the full ones
                self._local = {u: b for u, b in self._local.items() if b.available() < b.burst}
            bucket = self._local[user_id] = TokenBucket(self.rate, self.room)
        return bucket


class SharedSignUps:
    """`SignUpThrottle` per address with its bucket in Redis: `burst` sign-ups at once,
    then `per_hour` an hour, from one address whichever node it reaches."""

    def __init__(
        self,
        redis: Redis,
        throttle: SignUpThrottle,
        *,
        prefix: str = PREFIX + "signup:",
        timeout: float = TIMEOUT,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self.local = throttle  # the settings, and the answer while Redis cannot give one
        self.prefix = prefix
        self._link = _Link(redis, "sign-up throttle", timeout, retry_seconds)
        self._take = redis.register_script(TAKE_TOKEN)

    def key(self, address: str) -> str:
        """The Redis key of one address's bucket (the address quoted)."""
        return self.prefix + quote(address, safe="")

    async def take(self, address: str) -> float:
        """0 when `address` may sign up now (counted), else the seconds to wait."""
        local = self.local
        answer = await self._link.run(
            self._take, [self.key(address)], [repr(local.rate), repr(float(local.burst))]
        )
        if answer is None:
            return local.take(address)
        return answer / 1e6


class SharedLimits:
    """The shared sign-in throttle, device rates, sign-ups and upload rates on one Redis client."""

    def __init__(
        self,
        redis: Redis,
        login: SharedLoginThrottle,
        rates: SharedDeviceRates,
        sign_ups: SharedSignUps,
        uploads: SharedUploadRates,
    ) -> None:
        self.redis = redis
        self.login = login
        self.rates = rates
        self.sign_ups = sign_ups
        self.uploads = uploads

    @classmethod
    def connect(
        cls,
        redis_url: str,
        config: ServerConfig,
        *,
        prefix: str = PREFIX,
        timeout: float = TIMEOUT,
        retry_seconds: float = RETRY_SECONDS,
    ) -> SharedLimits:
        """The four limits with `config`'s settings on a client for `redis_url`
        (redis://host:port/db, rediss:// for TLS). No I/O here: the first call
        connects; a malformed URL raises ValueError."""
        redis = Redis.from_url(
            redis_url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            # One immediate retry on a fresh connection (a pooled one may be stale
            # after a Redis restart), no backoff: the deadline stays `timeout`.
            retry=Retry(NoBackoff(), 1),
        )
        options = {"timeout": timeout, "retry_seconds": retry_seconds}
        login = SharedLoginThrottle(
            redis,
            LoginThrottle(free=config.login_free_failures),
            prefix=prefix + "login:",
            **options,
        )
        rates = SharedDeviceRates(
            redis,
            config.rate_messages_per_second,
            config.rate_message_burst,
            config.rate_acks_per_second,
            config.rate_ack_burst,
            prefix=prefix + "rate:",
            **options,
        )
        sign_ups = SharedSignUps(
            redis,
            SignUpThrottle(config.registration_burst, config.registrations_per_hour),
            prefix=prefix + "signup:",
            **options,
        )
        uploads = SharedUploadRates(redis, config, prefix=prefix + "upload:", **options)
        return cls(redis, login, rates, sign_ups, uploads)

    async def close(self) -> None:
        """Close the Redis client and its connections."""
        await self.redis.aclose()
