"""A client device with no socket, for the client's unit tests: the real LocalStore (a
SQLite file in the test's tmp dir), Notifier, EventApplier and OutboxSender, wired as
`ChatClient` wires them, with one fake at the boundary: `Wire.request`, what the
outbox calls instead of a websocket.

Server pushes are canned JSON, written here as the server writes them, and read
through the client's own reader (`codec.read_server_frame`), as matrix-nio's tests
feed canned responses: a field the client cannot read becomes a BadEvent there, as
it would off the socket. Every frame the outbox sends is encoded and decoded by the
server's decoder before it is recorded, so a frame the server would refuse fails the
test. Callbacks are recorded in the order the Notifier dispatches them.

Switches are flipped on `device.options`, the object the applier reads (as the
client's are). `device.chat` is a real `ChatManager` on a stand-in of the client
core (`Core`) made of the same parts. Nothing here sleeps: a test drains the outbox
itself (`await device.outbox.drain()`), or waits for the future of the entry it
queued.
"""

from __future__ import annotations

import functools
import json
from collections import deque
from pathlib import Path
from typing import Any

import msgspec

from desktop_chat.client.apply import EventApplier
from desktop_chat.client.chat_manager import ChatManager
from desktop_chat.client.errors import ChatError
from desktop_chat.client.events import (
    ChatEventHandler,
    ConnectionEventHandler,
    HandlerRegistry,
    Notifier,
    callback_args,
)
from desktop_chat.client.local_store import LocalStore
from desktop_chat.client.models import ChatMessage
from desktop_chat.client.options import ChatOptions
from desktop_chat.client.outbox import OutboxSender
from desktop_chat.protocol import default_limits
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.codec import decode_client_frame, encode, read_server_frame
from desktop_chat.protocol.errors import ProtocolError

NOW = 1_700_000_000_000
ME = "alice"

# --------------------------------------------------------------------------- canned pushes


def info(msg_id: str, from_: str, to: str, conv_seq: int, text: str = "hi", **fields: Any):
    """A `MessageInfo` as the server writes it (`chat_type` "chat" unless given)."""
    return {
        "msg_id": msg_id,
        "from": from_,
        "to": to,
        "chat_type": "chat",
        "body": {"kind": "text", "text": text},
        "server_time": NOW + conv_seq,
        "conv_seq": conv_seq,
        **fields,
    }


def message(seq: int, msg_id: str, from_: str = "bob", to: str = ME, conv_seq: int = 0, **fields):
    """A `message` push: bob's message to alice unless told (from alice: one she sent
    on another device). Its conv_seq is the push's seq unless given."""
    return push("message", seq, message=info(msg_id, from_, to, conv_seq or seq, **fields))


def push(kind: str, seq: int, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "seq": seq, **fields}


def read_event(frame: dict[str, Any]) -> f.Push | f.Ephemeral | f.BadEvent:
    """A canned frame as the client's reader hands it to the applier."""
    event = read_server_frame(json.dumps(frame).encode())
    assert isinstance(event, f.Push | f.Ephemeral | f.BadEvent), event
    return event


# --------------------------------------------------------------------------- callbacks


class Calls:
    """Every chat callback, in dispatch order: (name, args)."""

    def __init__(self) -> None:
        self.log: list[tuple[str, tuple[Any, ...]]] = []

    def handler(self) -> ChatEventHandler:
        return ChatEventHandler(
            **{
                name: functools.partial(self._record, name)
                for name in callback_args(ChatEventHandler)
            }
        )

    def _record(self, name: str, *args: Any) -> None:
        self.log.append((name, args))

    def take(self) -> list[tuple[str, tuple[Any, ...]]]:
        log, self.log = self.log, []
        return log

    def names(self) -> list[str]:
        return [name for name, _ in self.log]

    def of(self, name: str) -> list[tuple[Any, ...]]:
        return [args for n, args in self.log if n == name]

    def ids(self, name: str) -> list[list[str]]:
        """For a list callback: the msg_ids of each call."""
        return [[m.msg_id for m in items] for (items,) in self.of(name)]


# --------------------------------------------------------------------------- the wire


class Wire:
    """The outbox's `request`. Each frame is encoded, decoded by the server's decoder
    (it must be one the server takes) and recorded; then answered by the next scripted
    answer when there is one (a reply, an `f.Error` the server sends, a ChatError
    raised as a lost connection raises it, or None: accepted), else as a server that
    accepts it does."""

    def __init__(self) -> None:
        self.frames: list[Any] = []
        self.script: deque[Any] = deque()
        self.connected = False  # the outbox's own task drains only when a test says so
        self._conv_seq = 0

    async def request(self, frame: Any) -> Any:
        data = encode(msgspec.structs.replace(frame, id=f"r{len(self.frames) + 1}"))
        decoded = decode_client_frame(data)
        assert not isinstance(decoded, ProtocolError), (decoded, data)
        self.frames.append(decoded)
        answer = self.script.popleft() if self.script else None
        if answer is None:
            answer = self.accept(decoded)
        if isinstance(answer, ChatError):
            raise answer
        if isinstance(answer, f.Error):
            raise ChatError.from_reply(answer)
        return answer

    def accept(self, frame: Any) -> Any:
        if isinstance(frame, f.SendMessage):
            self._conv_seq += 1
            return f.SendOk(
                id=frame.id, msg_id=frame.msg_id, server_time=NOW + 500, conv_seq=self._conv_seq
            )
        if isinstance(frame, f.DeliveryAck | f.ReadAck):
            return f.AcksOk(id=frame.id, applied=list(frame.msg_ids))
        if isinstance(frame, f.ConversationReadAck):
            return f.ConversationAcked(
                id=frame.id,
                conversation_id=frame.conversation_id,
                read_upto=frame.read_upto or 0,
                unread_count=0,
            )
        if isinstance(frame, f.GroupReadAck):
            return f.GroupAckOk(id=frame.id, msg_id=frame.msg_id, ack_id="ack-1", read_count=1)
        raise AssertionError(f"the outbox sent {frame!r}")

    def take(self) -> list[Any]:
        frames, self.frames = self.frames, []
        return frames

    def sent(self) -> list[tuple[str, Any]]:
        """The frames since the last take, each as (type, what it names), in order."""
        named = []
        for frame in self.take():
            kind = frame.__struct_config__.tag
            if isinstance(frame, f.DeliveryAck | f.ReadAck):
                named.append((kind, list(frame.msg_ids)))
            elif isinstance(frame, f.ConversationReadAck):
                named.append((kind, (frame.conversation_id, frame.read_upto, frame.notify)))
            else:
                named.append((kind, frame.msg_id))
        return named


# --------------------------------------------------------------------------- a device


class Core:
    """What `ChatManager` asks of the client core (`ChatClient`), from the device's
    real parts: its data directory, store, options, notifier, outbox, limits and
    whether it is live."""

    def __init__(self, device: Device) -> None:
        self._device = device
        self.username = ME
        self.data_dir = device.path
        self.options = device.options
        self.notifier = device.notifier

    def require_store(self) -> LocalStore:
        return self._device.store

    @property
    def outbox(self) -> OutboxSender:
        return self._device.outbox

    @property
    def limits(self) -> f.Limits:
        return self._device.limits

    @property
    def is_connected(self) -> bool:
        return self._device.wire.connected

    async def request(self, frame: Any) -> Any:
        return await self._device.wire.request(frame)


class Device:
    """One signed-in device of `ME`, its store at `path`, minus the connection."""

    def __init__(self, path: Path, **options: Any) -> None:
        self.path = path
        self.options = ChatOptions(server_url="ws://127.0.0.1:9", **options)
        self.calls = Calls()
        self.chat_handlers = HandlerRegistry(ChatEventHandler)
        self.chat_handlers.add("calls", self.calls.handler())
        self.errors: list[ChatError] = []
        self.connection_handlers = HandlerRegistry(ConnectionEventHandler)
        self.connection_handlers.add("errors", ConnectionEventHandler(on_error=self.errors.append))
        self.notifier = Notifier(self.chat_handlers)
        self.wire = Wire()
        self.limits = default_limits()
        self.flushes_wanted = 0
        self._open()
        self.chat = ChatManager(Core(self))  # type: ignore[arg-type]  # the core's stand-in

    def _open(self) -> None:
        self.store = LocalStore(self.path / "client.db")
        self.applier = EventApplier(
            self.store, ME, self.options, self.notifier, self._wants_flush, {}
        )
        self._outbox: OutboxSender | None = None

    @property
    def outbox(self) -> OutboxSender:
        """The sender, made on first use (its task needs the test's running loop)."""
        if self._outbox is None:
            self._outbox = self._sender()
        return self._outbox

    def _sender(self) -> OutboxSender:
        return OutboxSender(
            self.store,
            self.wire.request,
            lambda: self.wire.connected,
            self.notifier,
            lambda error: self.connection_handlers.dispatch("on_error", error),
            0,
            lambda: self.limits,
        )

    def _wants_flush(self) -> None:
        self.flushes_wanted += 1

    def restart(self) -> None:
        """The app quits and starts again on the same data dir."""
        self._close()
        self._open()

    def _close(self) -> None:
        if self._outbox is not None:
            self._outbox.abandon()
        self.store.close()

    def apply(self, *frames: dict[str, Any]) -> None:
        """One batch of canned pushes through the applier; its callbacks dispatched."""
        self.applier.apply([read_event(frame) for frame in frames])
        self.notifier.flush()

    def message(self, msg_id: str) -> ChatMessage:
        found = self.store.message(msg_id)
        assert found is not None, msg_id
        return found

    async def aclose_for_test(self) -> None:
        self._close()
