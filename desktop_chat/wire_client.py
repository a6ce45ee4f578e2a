"""The lean raw protocol client of the tests and the benchmarks: frames as dicts over
one websocket, with no local store.

Owns: `WireClient`, which sends request frames as dicts, matches replies to
requests by `id`, keeps the server's `limits` (from hello_ok), and counts the
frames each way. It reads in one of two ways:
- `connect(url)` (the server tests, the cluster and fault tests): a reader task
  keeps every push in order (logged pushes with their `seq`, ephemeral ones,
  which have none) for `wait_push`, and the errors that answer no request;
- `open(url)` (the benchmarks): no reader and nothing kept, so a long run does not
  grow memory; the caller reads with `recv` (or on `ws` itself), and `request`
  reads up to its reply, dropping the pushes before it.
It shows exactly what is on the wire. Applications use
`desktop_chat.client.ChatClient` instead (its `Connection` is the product's).

Never: retry, reconnect or ack anything on its own: each frame is the caller's.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from desktop_chat.protocol import default_limits

# websockets logs whole frames at DEBUG (passwords, tokens): never from this client.
_ws_log = logging.getLogger(f"{__name__}.websockets")
_ws_log.setLevel(logging.WARNING)
_encoder = msgspec.json.Encoder()
encode = _encoder.encode


def decode(data: bytes | str) -> Any:
    """A frame as a dict; a data frame's header, with its payload as `data` (bytes)."""
    if isinstance(data, bytes) and data[:1] == b"\x00":
        size = int.from_bytes(data[1:5], "big")
        frame = msgspec.json.decode(data[5 : 5 + size])
        frame["data"] = data[5 + size :]
        return frame
    return msgspec.json.decode(data)


def data_frame(frame: dict[str, Any], payload: bytes) -> bytes:
    """A data frame (`codec.py`): 0x00, the header's length, the header, the payload."""
    header = _encoder.encode({**frame, "data": ""})
    return b"".join((b"\x00", len(header).to_bytes(4, "big"), header, payload))


def text_body(text: str) -> dict[str, str]:
    """The `body` of a text message, as it goes on the wire."""
    return {"kind": "text", "text": text}


class WireError(Exception):
    """The server answered a request with an `error` frame."""

    def __init__(self, reply: dict[str, Any]) -> None:
        super().__init__(f"{reply.get('code')}: {reply.get('message')}")
        self.reply = reply
        self.code: str = reply.get("code", "")
        self.details: dict[str, Any] | None = reply.get("details")


class WireClient:
    def __init__(self, ws: ClientConnection, *, keep_pushes: bool = True) -> None:
        self.ws = ws
        self.pushes: list[dict[str, Any]] = []
        self.orphan_errors: list[dict[str, Any]] = []
        self.frames_sent = 0
        self.frames_received = 0
        self.username: str | None = None
        self.token: str | None = None
        self.last_seq = 0
        # The server's limits from its hello_ok; the protocol's defaults before it.
        self.limits: dict[str, int] = msgspec.to_builtins(default_limits())
        self._ids = itertools.count(1)
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._taken: set[int] = set()
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read()) if keep_pushes else None

    @classmethod
    async def connect(cls, url: str, *, hello: bool = True, **kwargs: Any) -> WireClient:
        """A client whose reader keeps every push (`hello` first unless told not to)."""
        client = cls(await _connect(url, **kwargs))
        if hello:
            await client.hello("wire_client")
        return client

    @classmethod
    async def open(cls, url: str, **kwargs: Any) -> WireClient:
        """A client that keeps nothing: the caller reads (`recv`). Nothing is sent."""
        kwargs.setdefault("open_timeout", 30)
        return cls(await _connect(url, **kwargs), keep_pushes=False)

    async def _read(self) -> None:
        try:
            while True:
                data = await self.ws.recv(decode=False)
                self.frames_received += 1
                frame = decode(data)
                request_id = frame.get("id")
                if request_id is not None and request_id in self._waiting:
                    future = self._waiting.pop(request_id)
                    if not future.done():
                        future.set_result(frame)
                elif "id" not in frame:
                    # A push: logged ones carry `seq`, ephemeral ones (peer_typing) none.
                    self.pushes.append(frame)
                    if "seq" in frame:
                        self.last_seq = max(self.last_seq, frame["seq"])
                else:
                    self.orphan_errors.append(frame)
                self._changed.set()
        except ConnectionClosed:
            pass
        finally:
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(ConnectionError("connection closed"))
            self._changed.set()

    @property
    def closed(self) -> bool:
        if self._reader is None:
            return self.ws.state is State.CLOSED
        return self._reader.done()

    async def send_raw(self, data: str | bytes) -> None:
        """Send one frame; a connection that is closed (or closes meanwhile) is a
        ConnectionError, as it is for a reply that never comes."""
        self.frames_sent += 1
        try:
            binary = isinstance(data, bytes) and data[:1] == b"\x00"
            await self.ws.send(data, text=not binary)
        except ConnectionClosed as exc:
            raise ConnectionError(f"connection closed: {exc}") from exc

    async def send(self, frame: dict[str, Any] | bytes) -> None:
        """Send one frame, a dict or already encoded."""
        await self.send_raw(frame if isinstance(frame, bytes) else _encoder.encode(frame))

    async def recv(self, timeout: float) -> dict[str, Any]:
        """The next frame (a client made by `open` only: `connect`'s reader reads)."""
        if self._reader is not None:
            raise RuntimeError("this client's reader reads the socket: use its pushes")
        data = await asyncio.wait_for(self.ws.recv(decode=False), timeout)
        self.frames_received += 1
        return decode(data)

    async def call(self, type_: str, timeout: float = 30, **fields: Any) -> dict[str, Any]:
        """Send a request and return its reply frame, `error` frames included."""
        request_id = str(next(self._ids))
        frame = _encoder.encode({"type": type_, "id": request_id, **fields})
        if self._reader is None:
            await self.send_raw(frame)
            return await self._read_reply(request_id, timeout)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        await self.send_raw(frame)
        return await asyncio.wait_for(future, timeout)

    async def call_data(
        self, type_: str, payload: bytes, timeout: float = 30, **fields: Any
    ) -> dict[str, Any]:
        """`call` for a data frame: a request whose `data` is `payload`, sent raw."""
        request_id = str(next(self._ids))
        frame = data_frame({"type": type_, "id": request_id, **fields}, payload)
        if self._reader is None:
            await self.send_raw(frame)
            return await self._read_reply(request_id, timeout)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        await self.send_raw(frame)
        return await asyncio.wait_for(future, timeout)

    async def _read_reply(self, request_id: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            frame = await self.recv(max(0.01, deadline - time.monotonic()))
            if frame.get("id") == request_id:
                return frame

    async def request(self, type_: str, timeout: float = 30, **fields: Any) -> dict[str, Any]:
        """Send a request and return its reply; raise WireError on an `error` reply."""
        reply = await self.call(type_, timeout, **fields)
        if reply.get("type") == "error":
            raise WireError(reply)
        return reply

    async def login(self, username: str, password: str, device_name: str = "") -> dict[str, Any]:
        reply = await self.request(
            "login", username=username, password=password, device_name=device_name
        )
        self.username, self.token = username, reply["token"]
        return reply

    async def hello(self, name: str) -> dict[str, Any]:
        """Say hello; keeps the server's `limits`."""
        reply = await self.request("hello", version=1, client=name)
        self.limits = reply["limits"]
        return reply

    async def sign_in(self, token: str, *, live: bool = True) -> None:
        """hello, then `resume` with a session token; `live`: and sync to the head."""
        await self.hello("desktop-chat-bench")
        await self.request("resume", token=token)
        self.token = token
        if live:
            await self.sync(after_seq=0, limit=1000)

    async def sync(self, after_seq: int | None = None, limit: int = 500) -> list[dict[str, Any]]:
        """Fetch every event after `after_seq` (default: the last seen), page by page."""
        after = self.last_seq if after_seq is None else after_seq
        events: list[dict[str, Any]] = []
        while True:
            reply = await self.request("sync", after_seq=after, limit=limit)
            events.extend(reply["events"])
            after = reply["last_seq"]
            if not reply["more"]:
                break
        self.last_seq = max(self.last_seq, after)
        return events

    async def wait_push(
        self,
        type_: str,
        where: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        """The oldest push of `type_` (matching `where`) not yet taken; waits for one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for index, push in enumerate(self.pushes):
                if index in self._taken or push.get("type") != type_:
                    continue
                if where is None or where(push):
                    self._taken.add(index)
                    return push
            if self.closed:
                raise ConnectionError(f"closed while waiting for a {type_!r} push")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"no {type_!r} push within {timeout} s")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def unread_count(self, conversation_id: str) -> int:
        """The server's unread count of one of this user's conversations."""
        reply = await self.request("fetch_conversations")
        for conversation in reply["conversations"]:
            if conversation["conversation_id"] == conversation_id:
                return conversation["unread_count"]
        raise KeyError(f"no conversation {conversation_id}")

    async def history_by_id(self, conversation_id: str) -> dict[str, dict[str, Any]]:
        """The newest 200 messages of a conversation, by msg_id, with their marks."""
        reply = await self.request("fetch_history", conversation_id=conversation_id, page_size=200)
        return {message["msg_id"]: message for message in reply["messages"]}

    async def logged(self, type_: str) -> list[dict[str, Any]]:
        """Every event of `type_` in this user's log, from the start."""
        return [event for event in await self.sync(after_seq=0) if event["type"] == type_]

    def pushes_of(self, type_: str) -> list[dict[str, Any]]:
        return [push for push in self.pushes if push.get("type") == type_]

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 5)
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader


async def _connect(url: str, **kwargs: Any) -> ClientConnection:
    kwargs.setdefault("logger", _ws_log)
    return await connect(url, compression=None, max_size=64 * 1024 * 1024, **kwargs)
