"""From one received frame to one queued reply: decode, check, dispatch, refuse.

Owns: `Service.handle_data`, the single entry point for a frame a client sent.
It decodes (never raising), checks the connection's phase and the protocol's
limits, runs the frame's handler as one atomic request (a savepoint), and queues
the reply, or an `error` frame with the code and message, in the hub's batch.
Requests are dispatched on their type through one dict. On a cluster node
(PostgreSQL) requests are instead queued for the node's transactions on worker
threads, several to a transaction (`node_requests.py`); a frame refused at once
waits for the replies to the connection's earlier requests, so replies keep the
order of requests; and a sync first subscribes to the user's pushes.

Whatever a client sends, the connection and the server keep running, and a
refused request changes nothing. A sign-up or sign-in refused with a time to wait
(`retry_after_ms`) also pauses the reading of that connection for that long.

Never: write to a socket (the hub sends after commit), or hold a savepoint open
across an await.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from desktop_chat import __version__
from desktop_chat.protocol import (
    ErrorCode,
    ProtocolError,
    decode_client_frame,
    validate_request,
)
from desktop_chat.protocol import frames as f
from desktop_chat.server.accounts import Accounts
from desktop_chat.server.auth import Passwords
from desktop_chat.server.config import ServerConfig
from desktop_chat.server.connection import DeviceConnection
from desktop_chat.server.core import ServiceError
from desktop_chat.server.editing import Editing
from desktop_chat.server.files import Files, upload_rate_refusal
from desktop_chat.server.groups import Groups
from desktop_chat.server.hub import Hub, internal_refusal, storage_refusal
from desktop_chat.server.limits import LoginThrottle, SignUpThrottle
from desktop_chat.server.messages import Messages
from desktop_chat.server.mutes import Mutes
from desktop_chat.server.node import ClusterNode
from desktop_chat.server.presence import Presence
from desktop_chat.server.receipts import Receipts
from desktop_chat.server.sessions import Sessions
from desktop_chat.server.storage.interface import Store
from desktop_chat.server.store import StoreError

log = logging.getLogger(__name__)

# Frames of one connection held while the hub commits, and their bytes, before it
# stops being read: a client's upload window (8 chunks of 1,044,480 B) fits.
MAX_DEFERRED_FRAMES = 64
MAX_DEFERRED_BYTES = 8 * 1024 * 1024
# Requests whose handlers refuse before their first write (acks screen every id
# first; a one-to-one send checks its peer and its quote first): on SQLite they need
# no savepoint of their own (`SqliteStore.request`).
_ACKS = (f.DeliveryAck, f.ReadAck, f.GroupReadAck)


def _checked_first(request: f.Request[f.Reply]) -> bool:
    if isinstance(request, f.SendMessage):
        return request.chat_type == "chat"
    return isinstance(request, _ACKS)


SyncHandler = Callable[[DeviceConnection, Any], f.Reply]
AsyncHandler = Callable[[DeviceConnection, Any], Awaitable[Callable[[], f.Reply]]]


def _rate_limited(request: f.Request[f.Reply], wait: float) -> ProtocolError | None:
    if wait <= 0:
        return None
    retry_ms = max(1, round(wait * 1000))
    return ProtocolError(
        ErrorCode.RATE_LIMITED,
        f"this device is sending too fast; wait {retry_ms} ms and send again",
        request.id,
        {"retry_after_ms": retry_ms},
    )


def _sync_handlers(
    accounts: Accounts, files: Files, store: Store, hub: Hub, config: ServerConfig
) -> dict[type, SyncHandler]:
    """The handler of each request type that runs without awaiting, by frame type."""
    messages = Messages(store, hub, config)
    messages.files = files
    receipts = Receipts(store, hub, config)
    groups = Groups(store, hub, config)
    editing, mutes, presence = (
        Editing(store, hub, config),
        Mutes(store, hub, config),
        Presence(store, hub, config),
    )
    return {
        f.Resume: accounts.resume,
        f.Logout: accounts.logout,
        f.Sync: accounts.sync,
        f.SendMessage: messages.send,
        f.FetchHistory: messages.fetch_history,
        f.FetchConversations: messages.fetch_conversations,
        f.DeliveryAck: receipts.delivery_ack,
        f.ReadAck: receipts.read_ack,
        f.ConversationReadAck: receipts.conversation_read_ack,
        f.GroupReadAck: receipts.group_read_ack,
        f.FetchGroupAcks: receipts.fetch_group_acks,
        f.FetchGroupUnread: receipts.fetch_group_unread,
        f.RemindGroupUnread: receipts.remind_group_unread,
        f.FetchGroupAckStats: receipts.fetch_group_ack_stats,
        f.CreateGroup: groups.create_group,
        f.AddMembers: groups.add_members,
        f.RemoveMembers: groups.remove_members,
        f.AddAdmin: groups.add_admin,
        f.RemoveAdmin: groups.remove_admin,
        f.SetGroupAckPolicy: groups.set_group_ack_policy,
        f.GetGroup: groups.get_group,
        f.FetchGroups: groups.fetch_groups,
        f.PinGroupMessage: groups.pin_group_message,
        f.UnpinGroupMessage: groups.unpin_group_message,
        f.Recall: editing.recall,
        f.Edit: editing.edit,
        f.SetConversationMute: mutes.set_conversation_mute,
        f.Typing: presence.typing,
        f.FetchUsers: presence.fetch_users,
        f.UploadBegin: files.upload_begin,
        f.UploadChunk: files.upload_chunk,
        f.Download: files.download,
    }


class Service:
    def __init__(
        self,
        config: ServerConfig,
        store: Store,
        hub: Hub,
        passwords: Passwords,
        node: ClusterNode | None = None,
    ) -> None:
        self.config = config
        # On PostgreSQL: requests run in the node's transactions on worker threads.
        self.node = node
        self.store = store
        self.hub = hub
        self.limits = config.limits()
        self.login_throttle = LoginThrottle(free=config.login_free_failures)
        self.sessions = Sessions(store, hub, config)
        accounts = self._accounts(passwords)
        self._async: dict[type, AsyncHandler] = {
            f.Register: accounts.register,
            f.Login: accounts.login,
        }
        self.files = Files(store, hub, config)
        self.files.rate_shared = node is not None and node.limits is not None
        self._sync: dict[type, SyncHandler] = _sync_handlers(
            accounts, self.files, store, hub, config
        )

    def _accounts(self, passwords: Passwords) -> Accounts:
        """Sign-up, sign-in and sessions, with the node's shared login throttle if any."""
        config = self.config
        sign_ups = SignUpThrottle(config.registration_burst, config.registrations_per_hour)
        accounts = Accounts(
            self.store, self.hub, config, passwords, self.login_throttle, sign_ups, self.sessions
        )
        if self.node is not None and self.node.limits is not None:
            accounts.shared_throttle = self.node.limits.login
            accounts.shared_sign_ups = self.node.limits.sign_ups
        return accounts

    async def handle_data(self, conn: DeviceConnection, data: bytes | str) -> None:
        """Handle one frame from `conn`; its reply goes out after the next commit."""
        frame = decode_client_frame(data, self.config.max_frame_bytes)
        if self.node is None and type(frame) not in self._async:
            # One process on SQLite: the frame is handled in one go, now, or (while
            # the hub's COMMIT runs) just after it, in arrival order. A connection
            # with many frames waiting stops being read until then.
            if self.hub.committing:
                room = MAX_DEFERRED_BYTES - conn.deferred_bytes
                if conn.deferred < MAX_DEFERRED_FRAMES and len(data) <= room:
                    self.hub.defer(conn, lambda: self._handle_here(conn, frame), len(data))
                    return
                await self.hub.ready()
            self._handle_here(conn, frame)
            return
        if self.node is None:
            await self.hub.ready()
        if isinstance(frame, ProtocolError):
            conn.log.info("< refused frame: %s %s", frame.code, frame.message)
            await self._refuse(conn, frame)
            return
        error = self._screen(conn, frame)
        if error is None and conn.rates is not None:
            shared = self.node.limits if self.node is not None else None
            if shared is not None and conn.device_id is not None:
                wait = await shared.rates.check(conn.device_id, frame)
            else:
                wait = conn.rates.check(frame)
            error = _rate_limited(frame, wait)
        if error is None and isinstance(frame, f.UploadChunk) and self.files.rate_shared:
            error = await self._shared_upload_rate(conn, frame)
        if error is not None:
            await self._refuse(conn, error)
            return
        if isinstance(frame, f.Hello):
            self._hello(conn, frame)
            return
        handler = self._sync.get(type(frame))
        if handler is not None:
            assert self.node is not None
            if isinstance(frame, f.Sync):
                await self.node.before_sync(conn)
            waits = isinstance(frame, f.Resume | f.Logout | f.Sync)
            await self.node.requests.run(conn, frame, lambda: handler(conn, frame), wait=waits)
            return
        try:
            finish = await self._async[type(frame)](conn, frame)
        except ServiceError as exc:
            await self._refuse(conn, ProtocolError(exc.code, exc.message, frame.id, exc.details))
            if exc.details and "retry_after_ms" in exc.details:
                # A sign-up or sign-in told to wait: this connection's next frame waits too,
                # so a client that ignores the wait cannot spin on refusals.
                conn.read_pause = exc.details["retry_after_ms"] / 1000
            return
        if self.node is None:
            await self.hub.ready()
            self._run(conn, frame, finish)
        else:
            await self.node.requests.run(conn, frame, finish, wait=True)

    async def _shared_upload_rate(
        self, conn: DeviceConnection, frame: f.UploadChunk
    ) -> ProtocolError | None:
        """The chunk's bytes from the upload bucket every node shares (`Files.rate_shared`)."""
        assert self.node is not None and self.node.limits is not None
        if conn.user_id is None:
            return None  # refused by the request itself: not signed in
        wait = await self.node.limits.uploads.take(conn.user_id, len(frame.data))
        if (refusal := upload_rate_refusal(wait)) is None:
            return None
        return ProtocolError(refusal.code, refusal.message, frame.id, refusal.details)

    def _handle_here(self, conn: DeviceConnection, frame: f.ClientFrame | ProtocolError) -> None:
        """`handle_data` on SQLite for a frame with no await in its handling."""
        if isinstance(frame, ProtocolError):
            conn.log.info("< refused frame: %s %s", frame.code, frame.message)
            self.hub.reply_error(conn, frame)
            return
        error = self._screen(conn, frame)
        if error is None and conn.rates is not None:
            error = _rate_limited(frame, conn.rates.check(frame))
        if error is not None:
            self.hub.reply_error(conn, error)
        elif isinstance(frame, f.Hello):
            self._hello(conn, frame)
        else:
            handler = self._sync[type(frame)]
            self._run(conn, frame, lambda: handler(conn, frame))

    def _screen(self, conn: DeviceConnection, frame: f.ClientFrame) -> ProtocolError | None:
        """The connection's phase and the protocol's limits, checked."""
        return conn.session.check(frame) or validate_request(frame, self.limits)

    def _hello(self, conn: DeviceConnection, frame: f.Hello) -> None:
        conn.session.hello_done()
        self.hub.reply(
            conn,
            frame.id,
            f.HelloOk(
                id=frame.id,
                version=f.PROTOCOL_VERSION,
                server=f"desktop_chat/{__version__}",
                limits=self.limits,
            ),
        )

    async def _refuse(self, conn: DeviceConnection, error: ProtocolError) -> None:
        """Refuse a frame at once; on a cluster node, after the replies to the
        connection's earlier requests (they may still be in a transaction)."""
        if self.node is not None:
            await self.node.requests.settled(conn)
        self.hub.reply_error(conn, error)

    def _run(
        self, conn: DeviceConnection, request: f.Request[f.Reply], work: Callable[[], f.Reply]
    ) -> None:
        """Run `work` as one atomic request and queue its reply (or its refusal)."""
        checkpoint = self.hub.checkpoint()
        changes = self.store.changes
        try:
            with self.store.request(savepoint=not _checked_first(request)):
                reply = work()
        except ServiceError as exc:
            self.hub.drop_since(checkpoint)
            self.hub.reply_error(
                conn, ProtocolError(exc.code, exc.message, request.id, exc.details)
            )
            return
        except (sqlite3.Error, StoreError) as exc:
            self.hub.drop_since(checkpoint)
            conn.log.error("storage failed on %s: %s", type(request).__name__, exc)
            self.hub.reply_error(conn, storage_refusal(request.id, exc))
            return
        except Exception as exc:
            self.hub.drop_since(checkpoint)
            conn.log.exception("internal error on %s", type(request).__name__)
            self.hub.reply_error(conn, internal_refusal(request.id, exc))
            return
        read_only = self.store.changes == changes
        self.hub.reply(conn, request.id, reply, again=work if read_only else None)
