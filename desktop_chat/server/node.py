"""One node of a cluster: the parts a server on PostgreSQL adds to the SQLite server.

Owns `ClusterNode`, which `ChatServer` builds when `ServerConfig.database_url` is
set: the loop's own PostgreSQL session (it migrates the schema on open), the
worker threads that run each request (`RequestRunner`), the `ClusterHub`, the
Redis fan-out (only with `redis_url`; without it the node runs alone and says so),
the periodic head check, the health probe behind `GET /healthz`, and the limits
shared through Redis (failed sign-ins, device rates: `shared_limits.py`).

Never: import the PostgreSQL or Redis drivers unless a cluster is configured (the
embedded SQLite server runs without them installed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from desktop_chat.server.cluster_hub import ClusterHub
from desktop_chat.server.config import ServerConfig
from desktop_chat.server.connection import DeviceConnection
from desktop_chat.server.node_requests import RequestRunner, StoreProxy
from desktop_chat.server.storage.interface import Store, StoreError

if TYPE_CHECKING:
    from desktop_chat.server.fanout import RedisFanout
    from desktop_chat.server.shared_limits import SharedLimits

log = logging.getLogger(__name__)
HEALTH_PROBE_SECONDS = 1.0


class ClusterNode:
    def __init__(self, config: ServerConfig) -> None:
        assert config.database_url is not None
        self.config = config
        self.name = config.node_name
        self.loop_session: Store | None = None
        self.store: Any = None
        self.hub: ClusterHub | None = None
        self.runner: RequestRunner | None = None
        self.fanout: RedisFanout | None = None
        # Failed sign-ins and device rates counted by every node alike (with Redis).
        self.limits: SharedLimits | None = None
        self.healthy = False
        self._tasks: list[asyncio.Task[None]] = []

    async def open(self) -> None:
        from desktop_chat.server.storage.postgres import PostgresStore

        url = self.config.database_url
        assert url is not None
        application = f"desktop_chat {self.name}"
        self.loop_session = await asyncio.to_thread(
            PostgresStore, url, application_name=application
        )
        self.healthy = True
        self.store = StoreProxy(self.loop_session)
        hub = self.hub = ClusterHub(self.store, self.config.clock, self._read)
        hub.bind_loop()
        self.runner = RequestRunner(
            lambda: PostgresStore(url, application_name=application, migrate_schema=False),
            self.config.workers,
            hub,
        )
        if self.config.redis_url is not None:
            from desktop_chat.server.fanout import RedisFanout

            self.fanout = RedisFanout(
                self.config.redis_url, self.name, hub.deliver, self._possible_loss
            )
            await self.fanout.start()
            from desktop_chat.server.shared_limits import SharedLimits

            self.limits = SharedLimits.connect(self.config.redis_url, self.config)
            hub.publish = self.fanout.publish
            hub.on_user_gone = self.fanout.unsubscribe
        self._tasks = [
            asyncio.create_task(self._head_checks(), name="head-checks"),
            asyncio.create_task(self._health_probes(), name="health-probes"),
        ]

    @property
    def requests(self) -> RequestRunner:
        """The runner of this node's transactions: there once `open` has run."""
        assert self.runner is not None, "the cluster node is not open"
        return self.runner

    def describe(self) -> str:
        if self.fanout is None:
            return f"node {self.name}: PostgreSQL, a single node (no --redis)"
        return f"node {self.name}: PostgreSQL, pushes between nodes through Redis"

    async def _read(self, fn: Any) -> Any:
        assert self.runner is not None
        return await self.runner.read(fn)

    async def before_sync(self, conn: DeviceConnection) -> None:
        """Subscribe to the user's pushes before the sync reads the log."""
        if self.fanout is not None and conn.user_id is not None:
            await self.fanout.subscribe(conn.user_id)

    def _possible_loss(self, user_ids: set[int] | None) -> None:
        assert self.hub is not None
        task = asyncio.get_running_loop().create_task(self._check(user_ids))
        self._tasks.append(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        with contextlib.suppress(ValueError):
            self._tasks.remove(task)

    async def _check(self, user_ids: set[int] | None) -> None:
        assert self.hub is not None
        try:
            await self.hub.check_heads(user_ids)
        except StoreError as exc:
            log.warning("head check failed: %s", exc)

    async def _head_checks(self) -> None:
        while True:
            await asyncio.sleep(self.config.head_check_seconds)
            await self._check(None)

    async def _health_probes(self) -> None:
        assert self.runner is not None
        while True:
            await asyncio.sleep(HEALTH_PROBE_SECONDS)
            try:
                await self.runner.read(lambda s: s.ping())
            except StoreError as exc:
                if self.healthy:
                    log.error("the database does not answer: %s", exc)
                self.healthy = False
            else:
                if not self.healthy:
                    log.info("the database answers again")
                self.healthy = True

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.fanout is not None:
            await self.fanout.close()
        if self.limits is not None:
            await self.limits.close()
        if self.runner is not None:
            await self.runner.close()
        if self.loop_session is not None:
            with contextlib.suppress(StoreError):
                self.loop_session.close()
