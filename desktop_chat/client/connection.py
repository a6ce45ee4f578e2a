"""One websocket to the server: requests matched to replies, pushes handed on.

Owns: `Connection`, which says hello (and keeps the server's `limits` from
`hello_ok`), sends request frames with fresh ids, resolves each request's future
when its reply arrives (typed: `request(Sync(...))` is a `SyncBatch`; a reply of
another type, or one that cannot be read, is a RemoteProtocolError), hands every
push (and every `sync_batch`, before its future resolves, so events apply in seq
order) to the caller's `on_events`, with a `BadEvent` (its seq kept) in place of
each logged event that cannot be read, and fails all waiting requests with
NETWORK_ERROR when the socket closes. Keepalive pings notice a silent server.

Cancellation: a cancelled `request` always raises CancelledError, even when its
reply or the connection's loss lands in the same loop iteration, and every
request future is settled and read, so the loop never reports an exception
nobody retrieved.

Never: retry, reconnect or touch the local store (the client core does).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import ssl
from collections.abc import Callable
from typing import TypeVar, cast

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI

from desktop_chat.client import pinning
from desktop_chat.client.errors import ChatError, ChatErrorCode, RemoteProtocolError
from desktop_chat.protocol import (
    PROTOCOL_VERSION,
    ProtocolError,
    default_limits,
    encode,
)
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.codec import is_data_frame, read_server_frame

log = logging.getLogger(__name__)
# websockets logs whole frames at DEBUG (passwords, tokens, message text): never here.
_ws_log = logging.getLogger(f"{__name__}.websockets")
_ws_log.setLevel(logging.WARNING)

# Logged pushes, ephemeral ones, and the logged events that could not be read.
Event = f.Push | f.Ephemeral | f.BadEvent
OnEvents = Callable[[list[Event]], None]
R = TypeVar("R", bound=f.Reply)


def _handshake_error(url: str, exc: Exception) -> ChatError:
    """What the user is told when the websocket to `url` could not be opened."""
    if isinstance(exc, OSError | TimeoutError | InvalidURI | ConnectionClosed):
        return ChatError(
            ChatErrorCode.NETWORK_ERROR,
            f"cannot reach the server at {url} ({exc}); check the address and your network",
        )
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        if status >= 500:
            return ChatError(
                ChatErrorCode.NETWORK_ERROR,
                f"the server at {url} is up but cannot serve right now (HTTP {status})",
            )
        return ChatError(
            ChatErrorCode.NETWORK_ERROR,
            f"the server at {url} refused the connection (HTTP {status})",
        )
    # Other handshake failures.
    return ChatError(
        ChatErrorCode.NETWORK_ERROR, f"the server at {url} refused the connection: {exc}"
    )


class Connection:
    def __init__(self, ws: ClientConnection, on_events: OnEvents, timeout: float) -> None:
        self.ws = ws
        self._on_events = on_events
        self._timeout = timeout
        self._ids = itertools.count(1)
        self._waiting: dict[str, asyncio.Future[f.Reply]] = {}
        self.frames_sent = 0
        self.frames_received = 0
        self.closed = asyncio.Event()
        # The server's limits, from its hello_ok; the protocol's defaults until then.
        self.limits: f.Limits = default_limits()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(
        cls,
        url: str,
        on_events: OnEvents,
        *,
        timeout: float,
        ping_interval: float,
        ping_timeout: float,
        tls_ca_file: str | None = None,
        tls_pin_sha256: str | None = None,
    ) -> Connection:
        tls = None
        if url.startswith("wss://"):
            # Verified always: the system's authorities, the given private CA, or the pin.
            tls = pinning.tls_context(tls_ca_file, tls_pin_sha256)
        try:
            async with asyncio.timeout(timeout):
                ws = await connect(
                    url,
                    ssl=tls,
                    compression=None,
                    max_size=64 * 1024 * 1024,
                    ping_interval=ping_interval,
                    ping_timeout=ping_timeout,
                    # A silent server: once a ping goes unanswered, give up on the close
                    # handshake as quickly (the default waits 10 s more).
                    close_timeout=ping_timeout,
                    open_timeout=timeout,
                    logger=_ws_log,
                )
        except ssl.SSLCertVerificationError as exc:
            presented = await pinning.presented_fingerprint(url, timeout)
            raise pinning.untrusted(url, presented, None) from exc
        except Exception as exc:  # every other handshake failure, told apart below
            raise _handshake_error(url, exc) from exc
        if tls_pin_sha256 and tls is not None:
            try:
                pinning.check_pin(url, ws.transport.get_extra_info("ssl_object"), tls_pin_sha256)
            except ChatError:
                await ws.close()
                raise
        connection = cls(ws, on_events, timeout)
        try:
            hello = await connection.request(
                f.Hello(id="", version=PROTOCOL_VERSION, client="desktop_chat")
            )
            connection.limits = hello.limits
        except BaseException:
            connection.abort()
            raise
        return connection

    async def _read(self) -> None:
        try:
            while True:
                data = await self.ws.recv(decode=False)
                self.frames_received += 1
                frame = read_server_frame(data)
                if isinstance(frame, ProtocolError):
                    self._unreadable(frame)
                    continue
                # Ephemeral: no seq, no id. A BadEvent keeps its seq for the applier.
                if isinstance(frame, f.Push | f.Ephemeral | f.BadEvent):
                    self._on_events([frame])
                    continue
                if isinstance(frame, f.SyncBatch) and frame.events:
                    self._on_events(list(frame.events))
                self._deliver(frame)
        except ConnectionClosed:
            pass
        except Exception:
            log.exception("connection reader failed")
        finally:
            self.closed.set()
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(
                        ChatError(
                            ChatErrorCode.NETWORK_ERROR, "the connection to the server was lost"
                        )
                    )
            self._waiting.clear()

    def _unreadable(self, error: ProtocolError) -> None:
        """A frame the server sent that cannot be read: the request it answers (when
        its id could be read) fails at once, rather than waiting for its timeout."""
        log.warning("< unreadable frame from the server: %s", error.message)
        future = self._waiting.pop(error.request_id or "", None)
        if future is not None and not future.done():
            future.set_exception(
                RemoteProtocolError(
                    ChatErrorCode.PROTOCOL_ERROR,
                    f"the server's reply cannot be read ({error.message})",
                )
            )

    def _deliver(self, reply: f.Reply) -> None:
        """Hand a reply to the request waiting for it (none: it timed out, or never was)."""
        future = self._waiting.pop(reply.id or "", None)
        if future is not None and not future.done():
            future.set_result(reply)
        elif isinstance(reply, f.Error):
            log.warning("< error with no request: %s %s", reply.code, reply.message)

    async def request(self, frame: f.Request[R]) -> R:
        """Send a request (its `id` is replaced) and return the reply; raise on `error`,
        and on a reply of another type than the request names (RemoteProtocolError).

        A cancel always propagates, even one that arrives in the same loop iteration
        as the reply or as the connection's loss (`asyncio.wait_for` on Python 3.11
        would return the reply, or the network error, instead)."""
        if self.closed.is_set():
            raise ChatError(ChatErrorCode.NETWORK_ERROR, "not connected to the server")
        request_id = str(next(self._ids))
        frame = msgspec.structs.replace(frame, id=request_id)
        future: asyncio.Future[f.Reply] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        try:
            data = encode(frame)
            await self.ws.send(data, text=not is_data_frame(data))
            self.frames_sent += 1
            async with asyncio.timeout(self._timeout):
                reply = await future
        except TimeoutError:
            raise ChatError(
                ChatErrorCode.TIMEOUT, "the server did not answer in time; try again"
            ) from None
        except ConnectionClosed:
            raise ChatError(
                ChatErrorCode.NETWORK_ERROR, "the connection to the server was lost"
            ) from None
        finally:
            self._waiting.pop(request_id, None)
            if not future.done():
                future.cancel()
            elif not future.cancelled():
                # Failed by the reader while the send was still failing: read here, so
                # the loop never reports an exception nobody retrieved.
                future.exception()
        if isinstance(reply, f.Error):
            raise ChatError.from_reply(reply)
        if not isinstance(reply, f.reply_type(type(frame))):
            raise RemoteProtocolError(
                ChatErrorCode.PROTOCOL_ERROR,
                f"the server answered `{frame.__struct_config__.tag}`"
                f" with `{reply.__struct_config__.tag}`",
            )
        # The isinstance above checked R itself (read from the request class at run
        # time, so the type checker cannot follow it).
        return cast(R, reply)

    async def wait_closed(self) -> None:
        await self.closed.wait()

    def abort(self) -> None:
        """Drop the socket now, with no closing handshake (a cancelled caller must not
        wait for one); the reader then ends by itself."""
        self.ws.transport.abort()

    async def close(self) -> None:
        """Close the socket and wait for the reader to end; a cancel of the caller
        still aborts the socket before it propagates."""
        try:
            try:
                await self.ws.close()
            except Exception:
                self.abort()
            # asyncio.wait: the reader's own end (even cancelled) is not the caller's.
            await asyncio.wait([self._reader])
        except asyncio.CancelledError:
            self.abort()
            raise
