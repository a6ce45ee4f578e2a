"""A server in the test's own process with no socket: the real SqliteStore (a file in
the test's tmp dir), Hub and Service, fed raw frames through `Service.handle_data`.

Each `Device` is a real `hub.DeviceConnection` whose `write` (the only thing a socket
would do) decodes every frame into a list, so a test reads replies and pushes as
typed protocol frames. Time is a number the test moves (`InProcess.now`); nothing
sleeps. `settle()` lets the event loop run the turns the hub needs: one to commit
the batch, one to write its frames.

Devices sign in with `resume`, on a device row written straight into the store
(no password hashing); the tests of `register` and `login` send those frames
themselves (argon2 runs, at its cheapest cost).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
from pathlib import Path
from typing import Any

import msgspec

from desktop_chat.protocol import frames as f
from desktop_chat.protocol.codec import decode_server_frame
from desktop_chat.protocol.errors import ProtocolError
from desktop_chat.server.auth import Passwords, new_token, token_digest
from desktop_chat.server.config import ServerConfig
from desktop_chat.server.connection import DeviceConnection
from desktop_chat.server.hub import Hub
from desktop_chat.server.limits import DeviceRates
from desktop_chat.server.service import Service
from desktop_chat.server.store import SqliteStore

NOW = 1_700_000_000_000
PASSWORD = "correct horse"
_encoder = msgspec.json.Encoder()


def text(value: str) -> dict[str, str]:
    """A text `body` as it goes on the wire."""
    return {"kind": "text", "text": value}


def frame_bytes(kind: str, **fields: Any) -> bytes:
    """A client frame as raw JSON bytes."""
    return _encoder.encode({"type": kind, **fields})


class Device:
    """One connection and everything the server wrote to it, decoded, in order."""

    def __init__(self, server: InProcess, rates: DeviceRates | None, max_queued_bytes: int):
        self.server = server
        self.writes: list[list[bytes]] = []  # each call of `write`: one loop turn's frames
        self.frames: list[Any] = []
        self.conn = DeviceConnection(
            self._never_sent, max_queued_bytes, peer="test", rates=rates, write=self._write
        )
        self.username: str | None = None
        self.token: str | None = None

    @staticmethod
    async def _never_sent(data: bytes) -> None:
        raise AssertionError("with `write`, frames never go one by one")

    def _write(self, frames: list[bytes]) -> bool:
        self.writes.append(list(frames))
        for data in frames:
            decoded = decode_server_frame(data)
            assert not isinstance(decoded, ProtocolError), (decoded, data)
            self.frames.append(decoded)
        return False  # the "socket" always takes everything

    # ------------------------------------------------------------------ reading

    def take(self) -> list[Any]:
        """The frames received since the last take."""
        frames, self.frames = self.frames, []
        return frames

    def pushes(self, kind: type | None = None) -> list[Any]:
        """The pushes received (of `kind`), not yet taken."""
        return [
            frame
            for frame in self.frames
            if isinstance(frame, f.Push) and (kind is None or isinstance(frame, kind))
        ]

    def reply_to(self, request_id: str) -> Any:
        """The one reply to `request_id` (it stays in `frames`)."""
        found = [frame for frame in self.frames if getattr(frame, "id", None) == request_id]
        assert len(found) == 1, f"{len(found)} replies to {request_id}: {self.frames}"
        return found[0]

    # ------------------------------------------------------------------ sending

    async def submit(self, kind: str, **fields: Any) -> str:
        """Hand one frame to the service and return its id; the reply comes after the
        next commit (`settle`), so several submits share one batch."""
        request_id = next(self.server.ids)
        await self.server.service.handle_data(self.conn, frame_bytes(kind, id=request_id, **fields))
        return request_id

    async def call(self, kind: str, **fields: Any) -> Any:
        """One request, committed and answered: its reply (maybe an `error`)."""
        request_id = await self.submit(kind, **fields)
        await self.server.settle()
        return self.reply_to(request_id)

    async def request(self, kind: str, **fields: Any) -> Any:
        """`call`, for a request that must succeed."""
        reply = await self.call(kind, **fields)
        assert not isinstance(reply, f.Error), reply
        return reply

    async def send_chat(self, to: str, msg_id: str, words: str = "hi", **options: Any) -> Any:
        return await self.request(
            "send", msg_id=msg_id, chat_type="chat", to=to, body=text(words), **options
        )

    async def send_group(self, group_id: str, msg_id: str, words: str = "hi", **options: Any):
        return await self.request(
            "send", msg_id=msg_id, chat_type="groupchat", to=group_id, body=text(words), **options
        )


class InProcess:
    """The server's units wired as `ChatServer` wires them, minus the listener."""

    def __init__(self, tmp_path: Path, **overrides: Any) -> None:
        self.now = NOW
        settings: dict[str, Any] = dict(
            db_path=tmp_path / "server.db",
            allow_registration=True,
            argon2_time_cost=1,
            argon2_memory_kib=8192,
            argon2_parallelism=1,
            hash_workers=1,
            clock=lambda: self.now,
        )
        settings.update(overrides)
        self.config = ServerConfig(**settings)
        self.store = SqliteStore(
            self.config.db_path,
            synchronous="OFF",
            max_pages=self.config.sqlite_max_pages,
        )
        self.hub = Hub(self.store, self.config.clock)
        self.passwords = Passwords(self.config)
        self.service = Service(self.config, self.store, self.hub, self.passwords)
        self.ids = (f"r{n}" for n in itertools.count(1))

    def close(self) -> None:
        self.hub.close()
        self.passwords.close()
        self.store.close()

    async def settle(self) -> None:
        """Let the hub commit the batch (on its committer thread) and the loop write
        its frames (the next turn); a spare turn for a write scheduled from a commit
        callback."""
        await asyncio.sleep(0)
        await self.hub.settle()
        for _ in range(3):
            await asyncio.sleep(0)

    def connect(
        self, rates: DeviceRates | None = None, max_queued_bytes: int = 8 * 1024 * 1024
    ) -> Device:
        """A new connection that has sent nothing yet."""
        return Device(self, rates, max_queued_bytes)

    def account(self, name: str) -> int:
        """The user `name`, created (committed) on first use."""
        user_id = self.store.user_id(name)
        if user_id is None:
            with self.store.request():
                user_id = self.store.create_user(name, "no password: tests resume", self.now)
            self.store.commit()
        return user_id

    def new_token(self, name: str) -> str:
        """A session token of a new device of `name` (committed)."""
        user_id = self.account(name)
        token = new_token()
        with self.store.request():
            self.store.create_device(user_id, "test device", token_digest(token), self.now)
        self.store.commit()
        return token

    async def device(
        self,
        name: str,
        *,
        sync: bool = True,
        token: str | None = None,
        rates: DeviceRates | None = None,
    ) -> Device:
        """A new signed-in connection of `name` (of a new device, or of the one `token`
        names); live (synced to its log's head) unless `sync` is false. The frames of
        signing in are taken."""
        device = self.connect(rates)
        await device.request("hello", version=f.PROTOCOL_VERSION)
        device.token = token or self.new_token(name)
        await device.request("resume", token=device.token)
        device.username = name
        if sync:
            batch = await device.request("sync", after_seq=0)
            assert not batch.more
        device.take()
        return device

    def group_conv(self, group_id: str) -> int:
        return self.store.group_conversation(int(group_id))

    def unread(self, name: str, conversation: str) -> int:
        """`name`'s stored unread count of a conversation (a peer's name or a group id)."""
        me = self.account(name)
        if conversation.isdigit():
            conv_id = self.group_conv(conversation)
        else:
            found = self.store.find_chat_conversation(me, self.account(conversation))
            assert found is not None
            conv_id = found
        state = self.store.member_state(conv_id, me)
        assert state is not None
        return state.unread_count

    def committed(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows as another connection to the file sees them: what is committed."""
        with contextlib.closing(sqlite3.connect(self.config.db_path)) as other:
            return other.execute(sql, params).fetchall()
