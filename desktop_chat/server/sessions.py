"""When a device's session ends, it ends on every connection of that device at once.

Owns:
- `Sessions.end_device`: used by sign-out. The device's other connections are
  signed out in the same batch (frames they send after it are refused), and once
  the batch is committed they are closed with `SESSION_ENDED` (4001); if the
  commit fails, they are signed in again as they were;
- `Sessions.check`, run every `session_check_seconds`: a signed-in connection whose
  device was revoked (say by an administrator, in the database) or whose token
  expired is closed the same way. A device that stays connected is in use: its
  last-seen time is kept current (at most hourly), so its token does not expire
  under it.

Never: close a connection of another device, or act before the commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections import defaultdict

from desktop_chat.server import link
from desktop_chat.server.config import ServerConfig
from desktop_chat.server.connection import DeviceConnection
from desktop_chat.server.hub import Hub
from desktop_chat.server.storage.interface import Store
from desktop_chat.server.store import StoreError

log = logging.getLogger(__name__)
TOUCH_INTERVAL_MS = 3600 * 1000  # how precisely "last seen" (token expiry) is kept


class Sessions:
    def __init__(self, store: Store, hub: Hub, config: ServerConfig) -> None:
        self.store = store
        self.hub = hub
        self.config = config

    def end_device(self, user_id: int, device_id: int, why: str, keep: DeviceConnection) -> None:
        """End the session of `device_id` on its connections other than `keep`."""
        ended = [c for c in self.hub.connections_of_device(user_id, device_id) if c is not keep]
        if not ended:
            return
        username = ended[0].session.username or ""
        for conn in ended:
            self.hub.detach(conn)
            conn.session.logged_out()

        def restore() -> None:
            for conn in ended:
                if not conn.closed:
                    conn.session.logged_in(username, device_id)
                    self.hub.attach(conn, user_id)

        def close() -> None:
            for conn in ended:
                conn.end(link.SESSION_ENDED, why)

        self.hub.on_rollback(restore)
        self.hub.on_commit(close)

    def check(self) -> None:
        """Close the connections whose session was revoked or expired; touch the rest."""
        by_device: dict[int, list[DeviceConnection]] = defaultdict(list)
        for conn in self.hub.all_connections():
            if conn.device_id is not None and not conn.closed:
                by_device[conn.device_id].append(conn)
        if not by_device:
            return
        now = self.config.clock()
        ttl_ms = self.config.token_ttl_seconds * 1000
        states = self.store.device_states(list(by_device))
        touch = []
        for device_id, conns in by_device.items():
            state = states.get(device_id)
            if state is None or state.revoked:  # a device that is gone counts as revoked
                self._close(conns, "session ended: this device was signed out or revoked")
            elif state.last_seen_at + ttl_ms < now:
                self._close(conns, "session ended: the session expired; sign in again")
            elif now - state.last_seen_at > TOUCH_INTERVAL_MS:
                touch.append(device_id)
        if touch:
            try:
                with self.store.request():
                    for device_id in touch:
                        self.store.touch_device(device_id, now)
            except (sqlite3.Error, StoreError) as exc:  # read-only storage: try next time
                log.warning("could not record %d devices as seen: %s", len(touch), exc)
            else:
                self.hub.commit_soon()

    def _close(self, conns: list[DeviceConnection], why: str) -> None:
        for conn in conns:
            conn.log.info("closing: %s", why)
            self.hub.detach(conn)
            conn.session.logged_out()
            conn.end(link.SESSION_ENDED, why)

    async def run_checks(self) -> None:
        """`check` every `session_check_seconds`, until cancelled."""
        while True:
            await asyncio.sleep(self.config.session_check_seconds)
            await self.hub.ready()
            with contextlib.suppress(sqlite3.Error, StoreError):
                self.check()
