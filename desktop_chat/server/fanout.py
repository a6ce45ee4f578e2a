"""Pushes between cluster nodes: Redis pub/sub, one channel per user.

Owns `RedisFanout`. After a request commits, its node publishes each new event on
the channel of the user it belongs to (`dc:u:<user_id>`, the payload is the seq,
the device to skip and the push's body). A node subscribes to the channel of
every user with a live device on it (before that device's sync reads the log)
and unsubscribes when the user's last device leaves, so a node hears only about
its own users: the traffic grows with the events its users get, not with the
size of the cluster. (One channel per node would need a directory of who is
where, kept right across crashes; a global channel sends every event to every
node.)

Redis is only a speed-up: PostgreSQL is the truth, and a node delivers a device's
events strictly in seq order, filling any gap from the database
(`ClusterHub.deliver`). So nothing here has to be reliable, and it is not:
- a publish that fails is dropped (logged); the subscribers' next head check
  finds the event;
- the subscriber's connection can break, or Redis restart; redis-py then
  reconnects and subscribes again by itself, silently, and messages sent in
  between are lost. The only sign is a new subscribe confirmation: every
  confirmation of a channel after its first is reported as possible loss
  (`on_possible_loss`), and the hub checks those users' heads at once. An error
  raised while listening is reported the same way, for every user;
- the periodic head check (`ServerConfig.head_check_seconds`) catches the rest.

Never: block a request on Redis, or deliver anything itself (the hub orders it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from desktop_chat.server.hub import _Push

log = logging.getLogger(__name__)
CHANNEL = "dc:u:"
# Publishes waiting while Redis does not answer; past this they are dropped (the
# head check delivers them from the database).
MAX_WAITING = 100_000
WARN_EVERY_SECONDS = 30.0
CLOSE_SECONDS = 1.0


def channel(user_id: int) -> str:
    return f"{CHANNEL}{user_id}"


class RedisFanout:
    def __init__(
        self,
        url: str,
        node_name: str,
        deliver: Callable[[int, int, bytes, int | None], None],
        on_possible_loss: Callable[[set[int] | None], None],
    ) -> None:
        self._url = url
        self._node = node_name
        self._deliver = deliver
        self._on_possible_loss = on_possible_loss
        self._redis = aioredis.from_url(
            url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=10
        )
        self._pubsub = self._redis.pubsub()
        self._confirmed: set[str] = set()
        self._wanted: set[int] = set()
        self._waiting: list[_Push] = []
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        # Unsubscribes under way (kept referred to, so none is collected before it ends).
        self._leaving: set[asyncio.Task[None]] = set()
        self._last_warning = 0.0
        self.published = 0
        self.received = 0
        self.resubscribes = 0

    async def start(self) -> None:
        # A channel of the node's own, so the listener always has one subscription.
        with contextlib.suppress(RedisError, OSError, TimeoutError):
            async with asyncio.timeout(2):
                await self._pubsub.subscribe(f"dc:node:{self._node}")
        self._tasks = [
            asyncio.create_task(self._listen(), name="fanout-listen"),
            asyncio.create_task(self._publisher(), name="fanout-publish"),
        ]

    async def close(self) -> None:
        """Stop listening and publishing, within about CLOSE_SECONDS whatever Redis does."""
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, late = await asyncio.wait(self._tasks, timeout=CLOSE_SECONDS)
            if late:
                log.warning("%d fan-out tasks did not stop; left behind", len(late))
        for closing in (self._pubsub.aclose(), self._redis.aclose()):
            with contextlib.suppress(RedisError, OSError, RuntimeError, TimeoutError):
                async with asyncio.timeout(CLOSE_SECONDS):
                    await closing

    # ------------------------------------------------------------------ subscriptions

    async def subscribe(self, user_id: int) -> None:
        """Hear about `user_id`'s new events (sent at most a second or so later)."""
        if user_id in self._wanted:
            return
        self._wanted.add(user_id)
        try:
            async with asyncio.timeout(1.0):
                await self._pubsub.subscribe(channel(user_id))
        except (RedisError, OSError, TimeoutError) as exc:
            # Redis is down: redis-py subscribes again when it reconnects; meanwhile the
            # head check delivers.
            self._warn("could not subscribe", exc)

    def unsubscribe(self, user_id: int) -> None:
        if user_id not in self._wanted:
            return
        self._wanted.discard(user_id)
        self._confirmed.discard(channel(user_id))
        task = asyncio.get_running_loop().create_task(self._unsubscribe(user_id))
        self._leaving.add(task)
        task.add_done_callback(self._leaving.discard)

    async def _unsubscribe(self, user_id: int) -> None:
        if user_id in self._wanted:  # came back meanwhile
            return
        with contextlib.suppress(RedisError, OSError, TimeoutError):
            async with asyncio.timeout(1.0):
                await self._pubsub.unsubscribe(channel(user_id))

    async def _listen(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection lost: redis-py reconnects on the next call
                self._warn("lost the subscription", exc)
                self._on_possible_loss(None)
                await asyncio.sleep(0.2)
                continue
            if message is None:
                continue
            kind = message["type"]
            if kind == "message":
                self._received(message["channel"], message["data"])
            elif kind == "subscribe":
                self._subscribed(message["channel"])

    def _subscribed(self, raw: bytes) -> None:
        name = raw.decode()
        if not name.startswith(CHANNEL):
            return
        if name in self._confirmed:
            # redis-py subscribed again after losing its connection: what was published
            # in between is lost.
            self.resubscribes += 1
            self._on_possible_loss({int(name[len(CHANNEL) :])})
        else:
            self._confirmed.add(name)

    def _received(self, raw_channel: bytes, data: bytes) -> None:
        self.received += 1
        try:
            user_id = int(raw_channel[len(CHANNEL) :])
            seq_text, skip_text, body = data.split(b" ", 2)
            seq, skip = int(seq_text), int(skip_text)
        except ValueError:
            log.warning("ignored a malformed fan-out message on %r", raw_channel)
            return
        self._deliver(user_id, seq, body, skip or None)

    # ------------------------------------------------------------------ publishing

    def publish(self, pushes: list[_Push]) -> None:
        """Queue the committed pushes of one request; sent in the background."""
        if len(self._waiting) + len(pushes) > MAX_WAITING:
            self._waiting.clear()
            self._warn("dropped waiting publishes", None)
        self._waiting.extend(pushes)
        self._wake.set()

    async def _publisher(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            pushes, self._waiting = self._waiting, []
            if not pushes:
                continue
            try:
                pipe = self._redis.pipeline(transaction=False)
                for push in pushes:
                    payload = b"%d %d " % (push.seq, push.skip_device or 0) + push.body
                    pipe.publish(channel(push.user_id), payload)
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow the task's
                # cancellation, and close() would wait for ever.
                async with asyncio.timeout(5.0):
                    await pipe.execute()
                self.published += len(pushes)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis is down: the head checks deliver these
                self._warn(f"could not publish {len(pushes)} events", exc)

    def _warn(self, what: str, exc: BaseException | None) -> None:
        now = time.monotonic()
        if now - self._last_warning >= WARN_EVERY_SECONDS:
            self._last_warning = now
            log.warning("redis %s: %s (pushes between nodes wait for the head check)", what, exc)
