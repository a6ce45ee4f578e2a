"""Who may hold a connection before signing in, and for how long.

Owns:
- `raise_descriptor_limit`: the process's soft RLIMIT_NOFILE raised to its hard
  limit at start, and logged;
- `Door`: every TCP connection from its accept to its close. A connection must
  sign in within `sign_in_timeout_seconds` of its accept (the HTTP upgrade, hello
  and sign-in all count), or it is closed (1008). At most
  `max_unauthenticated_per_address` connections from one address may be waiting
  to sign in (HTTP 429 past it). The descriptors are a budget: the process's limit
  minus the ones open at start minus `fd_reserve`, and a connection is counted as
  soon as it is accepted. A connection past the budget takes the place of the
  oldest connection that has not signed in, or, when every connection has signed
  in, is refused (its TCP connection closed at once);
- `widen_listen_backlog`: a deep kernel queue, while asyncio accepts few per turn;
- `door_connection`: the websockets connection class that reports to the door.

Never: close a signed-in connection for want of descriptors or time, or read frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections import Counter
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from desktop_chat.server import link
from desktop_chat.server.addresses import TrustedProxies, client_address
from desktop_chat.server.config import ServerConfig

try:
    import resource
except ImportError:  # Windows: no descriptor limit to manage
    resource = None  # type: ignore[assignment]  # None: the module is missing

log = logging.getLogger(__name__)
LOW_LIMIT = 4096  # below this, the limit is worth a warning


def raise_descriptor_limit() -> int | None:
    """Raise the soft limit on open files to the hard limit; the limit now (None: none)."""
    if resource is None:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if limit == resource.RLIM_INFINITY:
        return None
    raised = f" (raised from {soft})" if limit != soft else ""
    if limit < LOW_LIMIT:
        log.warning(
            "file descriptors: %d%s; raise the hard limit (ulimit -Hn) to serve more devices",
            limit,
            raised,
        )
    else:
        log.info("file descriptors: %d%s", limit, raised)
    return limit


def widen_listen_backlog(server: Any, backlog: int) -> None:
    """Let the kernel queue `backlog` connections while asyncio accepts few per turn.

    asyncio accepts as many connections per event-loop turn as the backlog it was
    given, before any of them reaches the door; a small figure there keeps the
    door's count close to the truth, so the descriptor limit is never hit.
    """
    for transport_socket in server.sockets:
        listener = socket.socket(fileno=os.dup(transport_socket.fileno()))
        try:
            listener.listen(backlog)
        finally:
            listener.close()


def open_descriptors() -> int:
    with contextlib.suppress(OSError):
        return len(os.listdir("/proc/self/fd"))
    with contextlib.suppress(Exception):
        import psutil

        return psutil.Process().num_fds()
    return 0


class Door:
    """Counts connections, starts and stops their sign-in deadlines, picks who yields."""

    def __init__(self, config: ServerConfig, budget: int | None) -> None:
        self.config = config
        self.budget = budget
        self.proxies = TrustedProxies(config.trusted_proxies)
        self.open: set[ServerConnection] = set()
        # Not signed in, oldest first (dicts keep insertion order).
        self.waiting: dict[ServerConnection, asyncio.TimerHandle] = {}
        self.per_address: Counter[str] = Counter()
        self.refused = 0

    # ------------------------------------------------------------ websockets' hooks

    def arrived(self, ws: ServerConnection) -> bool:
        """A TCP connection was just accepted (its protocol object is being made, so
        the count is never more than one accept burst behind): may it stay?

        Its deadline starts now. With TLS, the connection is made only once the TLS
        handshake is done, and never if it fails: such a connection is forgotten at
        its deadline (the TLS layer closes its socket on its own by then).
        """
        if self.budget is not None and len(self.open) >= self.budget:
            oldest = next((w for w in self.waiting if getattr(w, "made", False)), None)
            if oldest is None:
                self.refused += 1
                if self.refused in (1, 10, 100) or self.refused % 1000 == 0:
                    log.warning(
                        "at the descriptor budget (%d connections, all signed in):"
                        " %d new connections refused",
                        self.budget,
                        self.refused,
                    )
                return False
            self._forget(oldest)
            self.open.discard(oldest)  # its descriptor is closed on the next turn
            link.abort(oldest)
        self.open.add(ws)
        self._start_deadline(ws)
        return True

    def opened(self, ws: ServerConnection, admitted: bool) -> None:
        ws.made = True  # type: ignore[attr-defined]  # on a DoorConnection (below)
        if not admitted or ws not in self.open:  # refused, or displaced meanwhile
            link.abort(ws)

    def identified(self, ws: ServerConnection, request: Request) -> Response | None:
        """The HTTP upgrade came: who the client is, and whether it may wait here too."""
        address = client_address(str(ws.remote_address[0]), request.headers, self.proxies)
        ws.client_address = address  # type: ignore[attr-defined]  # on a DoorConnection (below)
        if ws not in self.waiting:  # refused or displaced meanwhile
            return ws.respond(503, "the server is full; try again later\n")
        if self.per_address[address] >= self.config.max_unauthenticated_per_address:
            return ws.respond(
                429, "too many connections from this address wait to sign in; sign in first\n"
            )
        self.per_address[address] += 1
        ws.counted_address = address  # type: ignore[attr-defined]  # on a DoorConnection (below)
        return None

    def closed(self, ws: ServerConnection) -> None:
        self._forget(ws)
        self.open.discard(ws)

    # ------------------------------------------------------------ the service's news

    def signed_in(self, ws: ServerConnection) -> None:
        self._forget(ws)

    def signed_out(self, ws: ServerConnection) -> None:
        if ws in self.open and ws not in self.waiting:
            self._start_deadline(ws)

    # ------------------------------------------------------------ internals

    def _start_deadline(self, ws: ServerConnection) -> None:
        loop = asyncio.get_running_loop()
        self.waiting[ws] = loop.call_later(
            self.config.sign_in_timeout_seconds, self._deadline_passed, ws
        )

    def _forget(self, ws: ServerConnection) -> None:
        """`ws` no longer waits to sign in (signed in, closed or displaced)."""
        timer = self.waiting.pop(ws, None)
        if timer is not None:
            timer.cancel()
        address = getattr(ws, "counted_address", None)
        if address is not None:
            ws.counted_address = None  # type: ignore[attr-defined]  # on a DoorConnection (below)
            self.per_address[address] -= 1
            if self.per_address[address] <= 0:
                del self.per_address[address]

    def _deadline_passed(self, ws: ServerConnection) -> None:
        if ws in self.waiting:
            self._forget(ws)
            if not getattr(ws, "made", False):  # a TLS handshake that never finished
                self.open.discard(ws)
                return
            timeout = self.config.sign_in_timeout_seconds
            link.end(
                ws,
                link.POLICY_VIOLATION,
                f"sign in within {timeout:g} s of connecting",
                self.config.close_grace_seconds,
            )


def door_connection(door: Door) -> Any:
    """The websockets connection factory (`serve(create_connection=...)`) for `door`."""

    class DoorConnection(ServerConnection):
        client_address = ""
        counted_address: str | None = None
        made = False  # connection_made came (after the TLS handshake, with TLS)

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.admitted = door.arrived(self)

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            door.opened(self, self.admitted)

        def connection_lost(self, exc: Exception | None) -> None:
            door.closed(self)
            super().connection_lost(exc)

    return DoorConnection
