"""The running server: a websockets listener wired to the service and the store.

Owns: `ChatServer`, which opens the store (SQLite, or on PostgreSQL a
`ClusterNode`), raises the descriptor limit, listens
(port 0 picks a free port) behind the `Door` (admission), reads each connection's
frames in order into `Service.handle_data`, writes its queued frames, runs the
periodic session check, answers `GET /healthz`, and shuts down in bounded time: stop listening and
reading, commit what was accepted and send its replies, close every connection
with 1001 (going away), abort the ones that have not answered within
`close_grace_seconds`, close the store.

Never: interpret frames (the service does), wait on a client without a bound, or
run under a Qt event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from desktop_chat.protocol.codec import is_data_frame
from desktop_chat.server import link
from desktop_chat.server.admission import (
    Door,
    door_connection,
    open_descriptors,
    raise_descriptor_limit,
    widen_listen_backlog,
)
from desktop_chat.server.auth import Passwords
from desktop_chat.server.config import ServerConfig
from desktop_chat.server.connection import DeviceConnection
from desktop_chat.server.hub import Hub
from desktop_chat.server.limits import DeviceRates
from desktop_chat.server.node import ClusterNode
from desktop_chat.server.service import Service
from desktop_chat.server.store import SqliteStore

log = logging.getLogger(__name__)
# websockets logs whole frames at DEBUG (passwords and tokens included) and every
# connection at INFO (a flood with 1,000 devices): only its warnings, whatever the
# app's log level.
_ws_log = logging.getLogger(f"{__name__}.websockets")
_ws_log.setLevel(logging.WARNING)

# The websocket layer closes the connection (1009) only far past the protocol's
# limit; frames between the two get a FRAME_TOO_LARGE error and the connection lives.
HARD_LIMIT_FACTOR = 4
# Connections accepted per event-loop turn: the descriptor reserve covers a few turns.
ACCEPT_BURST = 16


class ChatServer:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.store: SqliteStore | None = None
        self.node: ClusterNode | None = None
        self.hub: Hub | None = None
        self.service: Service | None = None
        self.door: Door | None = None
        self.passwords: Passwords | None = None
        self._server: Server | None = None
        self._connections: dict[ServerConnection, DeviceConnection] = {}
        self._session_checks: asyncio.Task[None] | None = None
        self._collection: asyncio.Task[None] | None = None
        self._stopping = False
        self.port: int = config.port

    @property
    def url(self) -> str:
        scheme = "wss" if self.config.tls_cert else "ws"
        return f"{scheme}://{self.config.host}:{self.port}"

    def _tls_context(self) -> ssl.SSLContext | None:
        if self.config.tls_cert is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.config.tls_cert, self.config.tls_key)
        return context

    async def start(self) -> None:
        config = self.config
        limit = raise_descriptor_limit()
        if config.database_url is not None:
            self.node = node = ClusterNode(config)
            await node.open()
            assert node.hub is not None
            self.store, self.hub = node.store, node.hub
        else:
            self.store = SqliteStore(
                config.db_path,
                synchronous=config.sqlite_synchronous,
                max_pages=config.sqlite_max_pages,
                blob_dir=config.blob_dir,
            )
            self.hub = Hub(self.store, config.clock)
        self.passwords = await asyncio.to_thread(Passwords, config)
        self.service = Service(config, self.store, self.hub, self.passwords, self.node)
        budget = None
        if limit is not None:
            # One more for the listening socket, and the headroom the store, the logs
            # and accepting need.
            budget = max(1, limit - open_descriptors() - 1 - config.fd_reserve)
        self.door = door = Door(config, budget)
        self._server = await serve(
            self._handle,
            config.host,
            config.port,
            ssl=self._tls_context(),
            max_size=config.max_frame_bytes * HARD_LIMIT_FACTOR,
            compression=None,
            ping_interval=self.config.ping_interval_seconds,
            ping_timeout=self.config.ping_timeout_seconds,
            # The door's deadline closes first; this only backs it up.
            open_timeout=config.sign_in_timeout_seconds + 1,
            close_timeout=config.close_grace_seconds,
            process_request=self._process_request,
            create_connection=door_connection(door),
            logger=_ws_log,
            # Connections asyncio accepts per turn, before the door counts them.
            backlog=ACCEPT_BURST,
        )
        # asyncio's default backlog (100) drops connections when many devices come back
        # at once (after a restart); the kernel caps it at somaxconn.
        widen_listen_backlog(self._server, 4096)
        self.port = self._server.sockets[0].getsockname()[1]
        self._session_checks = asyncio.create_task(self.service.sessions.run_checks())
        self._collection = asyncio.create_task(self.service.files.run_collection())
        log.info(
            "listening on %s (%s, at most %s connections)",
            self.url,
            self.describe(),
            budget if budget is not None else "unlimited",
        )

    def describe(self) -> str:
        """What this server runs on, for its startup line."""
        if self.node is not None:
            return self.node.describe()
        return f"SQLite database {self.config.db_path}"

    def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        """`GET /healthz` for load balancers (200 while the database answers, else 503);
        every other request goes to the door."""
        if request.path == "/healthz":
            if self.node is not None and not self.node.healthy:
                return ws.respond(503, "the database does not answer\n")
            return ws.respond(200, "ok\n")
        assert self.door is not None
        return self.door.identified(ws, request)

    async def _handle(self, ws: ServerConnection) -> None:
        assert self.service is not None and self.hub is not None and self.door is not None
        config = self.config
        address = ws.remote_address
        conn = DeviceConnection(
            lambda data: ws.send(data, text=not is_data_frame(data)),
            config.max_queued_bytes,
            peer=str(address),
            peer_host=getattr(ws, "client_address", "") or (str(address[0]) if address else ""),
            rates=DeviceRates(
                config.rate_messages_per_second,
                config.rate_message_burst,
                config.rate_acks_per_second,
                config.rate_ack_burst,
            ),
            write=link.frame_writer(ws),
            drain=link.drainer(ws),
            buffered=link.buffered(ws),
            abort=lambda: link.abort(ws),
            end=lambda code, reason: link.end(ws, code, reason, config.close_grace_seconds),
            stall_seconds=config.write_stall_seconds,
        )
        door = self.door
        conn.on_sign_in = lambda signed: door.signed_in(ws) if signed else door.signed_out(ws)
        self._connections[ws] = conn
        writer = asyncio.create_task(conn.write_loop(ws.close))
        conn.log.debug("connected from %s", conn.peer)
        try:
            while True:
                data = await ws.recv(decode=False)
                if self._stopping:
                    continue  # going away: nothing more is taken on
                await self.service.handle_data(conn, data)
                if conn.read_pause > 0:
                    pause = min(conn.read_pause, config.sign_in_timeout_seconds)
                    conn.read_pause = 0.0
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(ws.wait_closed(), pause)
        except ConnectionClosed:
            pass
        finally:
            self._connections.pop(ws, None)
            self.hub.detach(conn)
            conn.close()
            with contextlib.suppress(ConnectionClosed, asyncio.CancelledError):
                await writer
            conn.log.debug("disconnected")

    async def stop(self) -> None:
        """Shut down within about `close_grace_seconds` + 0.5 s, whatever the clients do."""
        self._stopping = True
        for task in (self._session_checks, self._collection):
            if task is not None:
                task.cancel()
        self._session_checks = self._collection = None
        server = self._server
        if server is not None:
            server.server.close()  # stop listening
            if self.hub is not None:
                await self.hub.settle()  # commit what was accepted; its replies are queued
            for conn in list(self._connections.values()):
                conn.end(link.GOING_AWAY, "the server is shutting down")
            for ws in list(server.all_connections | (self.door.open if self.door else set())):
                if ws not in self._connections and getattr(ws, "made", True):
                    link.end(ws, link.GOING_AWAY, "", self.config.close_grace_seconds)
            tasks = set(server.handler_tasks)
            if tasks:
                # The grace for the close handshake, and a little for handlers to finish.
                _, late = await asyncio.wait(tasks, timeout=self.config.close_grace_seconds + 0.3)
                for ws in list(server.all_connections):
                    link.abort(ws)
                if late:
                    _, late = await asyncio.wait(late, timeout=0.2)
                for task in late:
                    task.cancel()
            server.close(close_connections=False)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), 0.2)
            self._server = None
        if self.hub is not None:
            await self.hub.settle()
            self.hub.close()
        if self.passwords is not None:
            self.passwords.close()
            self.passwords = None
        if self.node is not None:
            await self.node.close()
            self.node = None
        elif self.store is not None:
            self.store.close()
        self.store = None

    async def __aenter__(self) -> ChatServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
