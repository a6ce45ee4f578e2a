"""Presence: the typing indicator, and looking up whether users exist.

Owns:
- `typing`: relays `peer_typing` to the peer's devices that are live right now, at
  most once per `ServerConfig.typing_interval_seconds` per (typer, peer), whichever
  of the typer's devices sends it; more often is answered `ok` and dropped (typing is
  a hint: a client that sends too often loses nothing it needed). It is never
  stored and never logged, so it has no `seq`, a device that was away never sees
  it, and it leaves every event log and applied seq as it was.
- `fetch_users`: which names are accounts, for a bounded batch
  (`validation.MAX_USER_LOOKUP`) and against a per-user budget of names
  (`user_lookup_per_second`, `user_lookup_burst`): RATE_LIMITED past it, so the
  lookup cannot list the accounts of the server.

Never: write to the store, or send a relay before the batch it came with commits.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from desktop_chat.protocol import ErrorCode
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.codec import encode
from desktop_chat.server.config import ServerConfig
from desktop_chat.server.connection import DeviceConnection
from desktop_chat.server.core import Core, ServiceError
from desktop_chat.server.hub import Hub
from desktop_chat.server.limits import TokenBucket
from desktop_chat.server.storage.interface import Store

MAX_TRACKED = 10_000  # (typer, peer) pairs and lookup budgets kept before old ones go


class NameBudget(TokenBucket):
    """A token bucket that takes one token per name, all of a request's names or none."""

    def take_many(self, count: int) -> float:
        """0 when `count` tokens were taken, else the seconds until they are there."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= count:
            self.tokens -= count
            return 0.0
        if count > self.burst:
            return float("inf")
        return (count - self.tokens) / self.rate

    def is_full(self) -> bool:
        """Refilled to the burst: the same as a budget never used."""
        self.take_many(0)
        return self.tokens >= self.burst


class Presence(Core):
    def __init__(
        self,
        store: Store,
        hub: Hub,
        config: ServerConfig,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(store, hub, config)
        self._monotonic = monotonic
        self._last_typing: dict[tuple[int, int], int] = {}
        self._budgets: dict[int, NameBudget] = {}

    # ------------------------------------------------------------------ typing

    def typing(self, conn: DeviceConnection, req: f.Typing) -> f.Reply:
        me = self.user_of(conn)
        peer_id = self.require_user(req.conversation_id)
        if peer_id == me:
            raise ServiceError(ErrorCode.INVALID_PARAM, "there is no chat with yourself")
        now = self.now()
        interval = round(self.config.typing_interval_seconds * 1000)
        last = self._last_typing.get((me, peer_id))
        if last is not None and 0 <= now - last < interval:
            return f.Ok(id=req.id)
        self._remember_typing((me, peer_id), now, interval)
        name = conn.session.username or ""
        frame = encode(f.PeerTypingPush(from_=name, conversation_id=name, time=now))

        def relay() -> None:
            for device in self.hub.devices_of(peer_id):
                if device.live:
                    device.send(frame)

        self.hub.on_commit(relay)
        return f.Ok(id=req.id)

    def _remember_typing(self, key: tuple[int, int], now: int, interval: int) -> None:
        self._last_typing[key] = now
        if len(self._last_typing) > MAX_TRACKED:
            self._last_typing = {
                pair: at for pair, at in self._last_typing.items() if now - at < interval
            }

    # ------------------------------------------------------------------ user lookup

    def _budget(self, user_id: int) -> NameBudget:
        budget = self._budgets.get(user_id)
        if budget is None:
            if len(self._budgets) > MAX_TRACKED:
                self._budgets = {uid: b for uid, b in self._budgets.items() if not b.is_full()}
            budget = self._budgets[user_id] = NameBudget(
                self.config.user_lookup_per_second,
                self.config.user_lookup_burst,
                self._monotonic,
            )
        return budget

    def fetch_users(self, conn: DeviceConnection, req: f.FetchUsers) -> f.Reply:
        me = self.user_of(conn)
        names = list(dict.fromkeys(req.usernames))
        if self.config.user_lookup_per_second > 0:
            wait = self._budget(me).take_many(len(names))
            if wait > 0:
                retry_ms = max(1, round(min(wait, 3600.0) * 1000))
                raise ServiceError(
                    ErrorCode.RATE_LIMITED,
                    f"too many user lookups; wait {retry_ms} ms and look up again",
                    {"retry_after_ms": retry_ms},
                )
        found = self.store.user_ids(names)
        return f.Users(
            id=req.id, users=[f.UserInfo(username=name, exists=name in found) for name in names]
        )
