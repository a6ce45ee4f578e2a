"""The running server: a websockets listener wired to the service and the store.

Owns: `ChatServer`, which opens the store, listens (port 0 picks a free port),
reads each connection's frames in order into `Service.handle_data`, writes its
queued frames, and shuts down in order: stop listening, close connections,
commit what was accepted, close the store.

Never: interpret frames (the service does), or run under a Qt event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from desktop_chat.server.auth import Passwords
from desktop_chat.server.config import ServerConfig
from desktop_chat.server.hub import Connection, Hub
from desktop_chat.server.limits import DeviceRates
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


def frame_writer(ws: ServerConnection):
    """Write a list of text frames with one socket write; True when the socket is full.

    This is what `ws.send` does for one frame (the protocol object frames it, the
    transport writes it), for many frames at once: one write, one syscall, no
    await. When the transport's buffer passes its high-water mark (`paused`), the
    connection's writer task waits for it to drain, as `ws.send` would.
    """
    protocol = ws.protocol

    def write(frames: list[bytes]) -> bool:
        if protocol.state is not State.OPEN:
            raise ConnectionError(f"the connection is {protocol.state.name.lower()}")
        for data in frames:
            protocol.send_text(data)
        chunks = protocol.data_to_send()
        transport = ws.transport
        if len(chunks) == 1:
            transport.write(chunks[0])
        elif all(chunks):
            transport.write(b"".join(chunks))
        else:  # an end-of-stream marker: let websockets handle it as it would
            for chunk in chunks:
                if chunk:
                    transport.write(chunk)
                elif transport.can_write_eof():
                    transport.write_eof()
                else:
                    transport.close()
        return ws.paused

    return write


class ChatServer:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.store: SqliteStore | None = None
        self.hub: Hub | None = None
        self.service: Service | None = None
        self._server: Server | None = None
        self._tasks: set[asyncio.Task] = set()
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
        self.store = SqliteStore(
            self.config.db_path,
            synchronous=self.config.sqlite_synchronous,
            max_pages=self.config.sqlite_max_pages,
        )
        self.hub = Hub(self.store, self.config.clock)
        passwords = await asyncio.to_thread(Passwords, self.config)
        self.service = Service(self.config, self.store, self.hub, passwords)
        self._server = await serve(
            self._handle,
            self.config.host,
            self.config.port,
            ssl=self._tls_context(),
            max_size=self.config.max_frame_bytes * HARD_LIMIT_FACTOR,
            compression=None,
            ping_interval=self.config.ping_interval_seconds,
            ping_timeout=self.config.ping_timeout_seconds,
            logger=_ws_log,
            # asyncio's default backlog (100) drops connections when many devices come
            # back at once (after a restart); the kernel caps it at somaxconn.
            backlog=4096,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("listening on %s (database %s)", self.url, self.config.db_path)

    async def _handle(self, ws: ServerConnection) -> None:
        assert self.service is not None and self.hub is not None
        config = self.config
        address = ws.remote_address
        conn = Connection(
            lambda data: ws.send(data, text=True),
            config.max_queued_frames,
            peer=str(address),
            peer_host=str(address[0]) if address else "",
            rates=DeviceRates(
                config.rate_messages_per_second,
                config.rate_message_burst,
                config.rate_acks_per_second,
                config.rate_ack_burst,
            ),
            write=frame_writer(ws),
            drain=ws.drain,
        )
        writer = asyncio.create_task(conn.write_loop(ws.close))
        conn.log.debug("connected from %s", conn.peer)
        try:
            while True:
                data = await ws.recv(decode=False)
                await self.service.handle_data(conn, data)
        except ConnectionClosed:
            pass
        finally:
            self.hub.detach(conn)
            conn.close()
            with contextlib.suppress(ConnectionClosed, asyncio.CancelledError):
                await writer
            conn.log.debug("disconnected")

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        if self.hub is not None:
            self.hub.flush()
        if self.store is not None:
            self.store.close()
            self.store = None

    async def __aenter__(self) -> ChatServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
