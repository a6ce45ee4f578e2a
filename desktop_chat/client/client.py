"""`ChatClient`: one signed-in device, its connection, and staying connected.

Owns: register, login, resume (with the saved session token), logout and close;
the server's `limits` (from the hello_ok of the last connection; the protocol's
defaults before the first); the connection loop, which reconnects with
exponential backoff and jitter, then catches up (sync from the last applied seq,
the user's groups and unread counts from the server) and drains the outbox; and
the objects the managers share (store, outbox, notifier, handler registries),
which they see through `shared.SharedClient`, never this class.

Lifecycle: `await login(...)` returns once the device is signed in and has caught
up. Signing in is one step: until the server accepts it nothing is kept (a failure
raises and leaves the client signed out, with nothing on disk); once it has (the
session token stored), a lost connection during the catch-up is like any later
one: the call returns, and the client reconnects, resumes and catches up on its
own. After a network failure the client keeps trying; `on_disconnected` and
`on_connected` tell the app. `await close()` ends it in order: stop reconnecting,
close the socket, close the store. A program that ends without `close()` ends too:
every task the client starts stops when cancelled, and no cancel is ever swallowed
(see `cancelling`).

Files: names are checked as the server checks them before a path is built
(`private_files`); the token lives in its own store (`token_store`).

Never: import Qt (the bridge in `qt_bridge.py` does), or block the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from pathlib import Path
from typing import TypeVar

from desktop_chat.client.apply import EventApplier, group_from_info, restored
from desktop_chat.client.cancelling import raise_if_cancelling
from desktop_chat.client.chat_manager import ChatManager
from desktop_chat.client.connection import Connection, Event
from desktop_chat.client.errors import ChatError, ChatErrorCode
from desktop_chat.client.events import (
    ChatEventHandler,
    ConnectionEventHandler,
    HandlerRegistry,
    Notifier,
)
from desktop_chat.client.group_manager import GroupManager
from desktop_chat.client.local_store import LocalStore
from desktop_chat.client.models import ChatType, Group
from desktop_chat.client.options import ChatOptions
from desktop_chat.client.outbox import OutboxSender
from desktop_chat.client.private_files import check_username, private_file, user_dir
from desktop_chat.client.token_store import TokenStore, open_token_store, take_legacy_token
from desktop_chat.protocol import default_limits
from desktop_chat.protocol import frames as f

log = logging.getLogger(__name__)
R = TypeVar("R", bound=f.Reply)


class ChatClient:
    def __init__(self, options: ChatOptions, data_dir: str | Path) -> None:
        self.options = options
        self.data_dir = Path(data_dir)
        self.chat_handlers: HandlerRegistry[ChatEventHandler] = HandlerRegistry(ChatEventHandler)
        self.connection_handlers: HandlerRegistry[ConnectionEventHandler] = HandlerRegistry(
            ConnectionEventHandler
        )
        self.chat_manager = ChatManager(self)
        self.group_manager = GroupManager(self)
        self.notifier = Notifier(self.chat_handlers)
        self.groups: dict[str, Group] = {}
        self.username: str | None = None
        self.device_id: int | None = None
        self.store: LocalStore | None = None
        self._outbox: OutboxSender | None = None
        self._tokens: TokenStore | None = None
        self._token: str | None = None
        self._applier: EventApplier | None = None
        self._connection: Connection | None = None
        self._runner: asyncio.Task[None] | None = None
        self._live = asyncio.Event()
        self._closed = False
        self.reconnects = 0
        # The limits of the server last reached (its hello_ok); the protocol's
        # defaults until one is.
        self.limits: f.Limits = default_limits()

    # ------------------------------------------------------------------ state

    @property
    def is_connected(self) -> bool:
        return self._live.is_set() and self._connection is not None

    @property
    def is_logged_in(self) -> bool:
        return self.store is not None

    def require_store(self) -> LocalStore:
        if self.store is None:
            raise ChatError(ChatErrorCode.NOT_LOGGED_IN, "sign in first")
        return self.store

    @property
    def outbox(self) -> OutboxSender:
        if self._outbox is None:
            raise ChatError(ChatErrorCode.NOT_LOGGED_IN, "sign in first")
        return self._outbox

    def add_connection_event_handler(
        self, handler_id: str, handler: ConnectionEventHandler
    ) -> None:
        self.connection_handlers.add(handler_id, handler)

    def remove_connection_event_handler(self, handler_id: str) -> None:
        self.connection_handlers.remove(handler_id)

    async def request(self, frame: f.Request[R]) -> R:
        """Send one request on the live connection; ChatError when offline or refused."""
        if self.store is None:
            raise ChatError(ChatErrorCode.NOT_LOGGED_IN, "sign in first")
        connection = self._connection
        if connection is None or not self._live.is_set():
            raise ChatError(
                ChatErrorCode.NETWORK_ERROR,
                "not connected to the server; the client is reconnecting, try again shortly",
            )
        return await connection.request(frame)

    # ------------------------------------------------------------------ accounts

    async def _open(self) -> Connection:
        connection = await Connection.open(
            self.options.server_url,
            self._on_events,
            timeout=self.options.request_timeout_seconds,
            ping_interval=self.options.ping_interval_seconds,
            ping_timeout=self.options.ping_timeout_seconds,
            tls_ca_file=self.options.tls_ca_file,
            tls_pin_sha256=self.options.tls_pin_sha256,
        )
        self.limits = connection.limits
        return connection

    async def register(self, username: str, password: str) -> None:
        """Create an account (where the server allows sign-ups)."""
        check_username(username)
        connection = await self._open()
        try:
            await connection.request(f.Register(id="", username=username, password=password))
        finally:
            await connection.close()

    def _refuse_if_signed_in(self) -> None:
        if self.store is not None:
            raise ChatError(
                ChatErrorCode.ALREADY_LOGGED_IN, f"already signed in as {self.username}"
            )

    async def login(self, username: str, password: str) -> None:
        """Sign in as a new device; returns once caught up (or, if the connection was
        lost after the server accepted the sign-in, once signed in and reconnecting)."""
        self._refuse_if_signed_in()
        check_username(username)
        connection = await self._open()
        try:
            reply: f.LoginOk = await connection.request(
                f.Login(
                    id="",
                    username=username,
                    password=password,
                    device_name=self.options.device_name,
                )
            )
        except BaseException:
            await _close_or_abort(connection)
            raise
        try:
            await self._start(username)
            store = self.require_store()
            if store.get("device_id") != str(reply.device_id):
                # A new device starts its log from the beginning (seq 0).
                store.last_seq = 0
            store.set("device_id", str(reply.device_id))
            store.commit()
            await self._save_token(reply.token)
            self.device_id = reply.device_id
        except BaseException:
            await _close_or_abort(connection)
            await self._stop()
            raise
        await self._go_live(connection)

    async def resume(self, username: str, *, offline_ok: bool = False) -> None:
        """Sign in again with the session saved on this machine (no password); returns
        as `login` does.

        `offline_ok`: when the server cannot be reached or cannot serve right now (any
        refusal but TOKEN_INVALID), open the account anyway, with what this machine
        holds, and keep reconnecting; `on_connected` says when it is back. Without it
        such a failure raises, as it does for `login`."""
        self._refuse_if_signed_in()
        check_username(username)
        if not (self.data_dir / username).is_dir():
            raise ChatError(ChatErrorCode.TOKEN_INVALID, "no saved session here; sign in")
        try:
            await self._start(username)
            assert self._tokens is not None
            self._token = await self._tokens.load()
            if self._token is None:
                raise ChatError(ChatErrorCode.TOKEN_INVALID, "no saved session here; sign in")
        except BaseException:
            await self._stop()
            raise
        try:
            connection = await self._open()
            try:
                await self._resume_on(connection)
            except BaseException:
                await _close_or_abort(connection)
                raise
        except ChatError as exc:
            if not offline_ok or exc.code is ChatErrorCode.TOKEN_INVALID:
                await self._stop()
                raise
            log.info("opening %s offline (%s); reconnecting", username, exc.description)
            self._runner = asyncio.create_task(self._run(None))
            return
        except BaseException:
            await self._stop()
            raise
        await self._go_live(connection)

    async def _start(self, username: str) -> None:
        """Open `username`'s private directory, store and token store."""
        home = user_dir(self.data_dir, username)
        db = private_file(home / "client.db")
        self._closed = False
        self.username = username
        self._tokens = open_token_store(self.options.token_store, home, username)
        legacy = take_legacy_token(db)
        if legacy is not None:
            await self._tokens.save(legacy)
        self.store = LocalStore(db)
        self.groups.clear()  # the same dict the applier holds
        self.groups.update(
            {g.group_id: restored(g, username, self.store) for g in self.store.groups()}
        )
        self._applier = EventApplier(
            self.store,
            username,
            self.options,
            self.notifier,
            lambda: self.outbox.kick(),
            self.groups,
        )
        self._applier.after_recall = self.chat_manager.forget_photo
        self._outbox = OutboxSender(
            self.store,
            self.request,
            lambda: self.is_connected,
            self.notifier,
            self._report,
            self.options.ack_batch_seconds,
            lambda: self.limits,
        )

    async def _save_token(self, token: str) -> None:
        assert self._tokens is not None
        await self._tokens.save(token)
        self._token = token

    async def _resume_on(self, connection: Connection) -> None:
        reply: f.LoginOk = await connection.request(f.Resume(id="", token=self._token or ""))
        self.device_id = reply.device_id

    async def _go_live(self, connection: Connection) -> None:
        """Catch up on `connection`, then stay connected. The server has accepted the
        sign-in by now, so a failure here is a lost connection like any later one."""
        live: Connection | None = connection
        try:
            await self._catch_up(connection)
        except ChatError as exc:
            log.info("connection lost while catching up (%s); reconnecting", exc.description)
            connection.abort()  # it failed: no closing handshake to wait for
            live = None
        except BaseException:
            connection.abort()
            await self._stop()
            raise
        self._runner = asyncio.create_task(self._run(live))

    async def _catch_up(self, connection: Connection) -> None:
        """Fetch missed events (applied as they arrive), then unread counts."""
        store = self.require_store()
        while True:
            after = store.last_seq
            reply = await connection.request(f.Sync(id="", after_seq=after, limit=500))
            if not reply.more:
                break
            if store.last_seq == after:
                # A page whose every event was unreadable down to its seq (each told
                # as a BadEvent): asking again would get the same page for ever.
                log.warning("sync after seq %d made no progress; stopping the catch-up", after)
                break
        joined: f.Groups = await connection.request(f.FetchGroups(id=""))
        me = self.username or ""
        self.group_manager.joined([group_from_info(info, me, store) for info in joined.groups])
        conversations: f.Conversations = await connection.request(f.FetchConversations(id=""))
        # Reads still in the outbox are newer than the server's counts: keep this device's.
        reading = self._conversations_being_read()
        for info in conversations.conversations:
            if info.conversation_id in reading:
                continue
            if store.unread_count(info.conversation_id) != info.unread_count:
                store.touch_conversation(info.conversation_id, ChatType(info.chat_type), 0)
                store.set_unread(info.conversation_id, info.unread_count)
                self.notifier.queue(
                    "on_conversation_updated", info.conversation_id, info.unread_count
                )
        store.commit()
        self._connection = connection
        self._live.set()
        self.connection_handlers.dispatch("on_connected")
        self.outbox.kick(delay=False)

    def _conversations_being_read(self) -> set[str]:
        """Conversations with a read receipt of this device not yet sent."""
        store = self.require_store()
        reading = {
            str(entry.payload.get("conversation_id", entry.key))
            for entry in store.outbox("conversation_read_ack")
        }
        for kind in ("read_ack", "group_read_ack"):
            for entry in store.outbox(kind):
                message = store.message(entry.key)
                if message is not None:
                    reading.add(message.conversation_id)
        return reading

    def _on_events(self, events: list[Event]) -> None:
        if self._applier is not None:
            self._applier.apply(events)

    def _report(self, error: ChatError) -> None:
        self.connection_handlers.dispatch("on_error", error)

    # ------------------------------------------------------------------ staying connected

    def _backoff(self, attempt: int) -> float:
        # Doubling stops well before 2.0**1024 (an OverflowError, the reconnect loop's
        # end): by then every delay is the cap anyway.
        growth = 2.0 ** min(attempt, 1000)
        cap = min(
            self.options.reconnect_max_seconds, self.options.reconnect_initial_seconds * growth
        )
        return cap / 2 + random.uniform(0, cap / 2)

    async def _run(self, connection: Connection | None) -> None:
        """Stay connected until closed or cancelled: on each loss, tell the app and
        reconnect (at once when started without a connection)."""
        while not self._closed:
            if connection is not None:
                await connection.wait_closed()
                raise_if_cancelling()
                self._live.clear()
                self._connection = None
                if self._closed:
                    return
                self.connection_handlers.dispatch("on_disconnected")
            connection = await self._reconnect()
            if connection is None:
                return

    async def _reconnect(self) -> Connection | None:
        attempt = 0
        refused_certificate = False  # told once: the person must act, retrying will not
        while not self._closed:
            raise_if_cancelling()
            await asyncio.sleep(self._backoff(attempt))
            raise_if_cancelling()
            attempt += 1
            try:
                connection = await self._open()
            except ChatError as exc:
                log.info("reconnect attempt %d failed: %s", attempt, exc.description)
                if exc.code is ChatErrorCode.UNTRUSTED_CERTIFICATE and not refused_certificate:
                    refused_certificate = True
                    self.connection_handlers.dispatch("on_error", exc)
                continue
            try:
                raise_if_cancelling()
                await self._resume_on(connection)
                await self._catch_up(connection)
                raise_if_cancelling()
            except ChatError as exc:
                await connection.close()
                if exc.code is ChatErrorCode.TOKEN_INVALID:
                    self.connection_handlers.dispatch("on_token_did_expire")
                    return None
                log.info("reconnect attempt %d failed: %s", attempt, exc.description)
                continue
            except BaseException:
                self._live.clear()
                self._connection = None
                connection.abort()
                raise
            self.reconnects += 1
            return connection
        return None

    # ------------------------------------------------------------------ leaving

    async def logout(self) -> None:
        """Sign this device out: the server forgets its session token, and so does
        this machine."""
        if self.store is None:
            return
        try:
            with contextlib.suppress(ChatError):
                await self.request(f.Logout(id=""))
            if self._tokens is not None:
                await self._tokens.forget()
        finally:
            await self._stop()

    async def close(self, flush_seconds: float = 2.0) -> None:
        """Stop without signing out. What the outbox still holds is sent first if the
        server is reachable (for at most `flush_seconds`); anything left stays for the
        next start, as does the session. Cancelled, it still stops."""
        outbox, store = self._outbox, self.store
        try:
            busy = outbox is not None and store is not None and store.outbox_size() > 0
            if busy and outbox is not None and self.is_connected:
                with contextlib.suppress(ChatError, TimeoutError):
                    async with asyncio.timeout(flush_seconds):
                        await outbox.drain()
        finally:
            await self._stop()

    async def _stop(self) -> None:
        """Stop the loop, the connection and the outbox, and close the store. Cancelled
        while waiting for them, it still drops them at once before it raises."""
        self._closed = True
        self._live.clear()
        runner, self._runner = self._runner, None
        connection, self._connection = self._connection, None
        outbox, self._outbox = self._outbox, None
        try:
            if runner is not None:
                runner.cancel()
                await asyncio.wait([runner])  # its own cancel is not ours to raise
            if connection is not None:
                await connection.close()
                connection = None
            if outbox is not None:
                await outbox.close()
                outbox = None
        finally:
            if connection is not None:
                connection.abort()
            if outbox is not None:
                outbox.abandon()
            self.notifier.flush()
            if self.store is not None:
                self.store.close()
                self.store = None
            self._applier = None
            self._tokens = None
            self._token = None
            self.username = None


async def _close_or_abort(connection: Connection) -> None:
    """Close `connection`; from a cancelled task (which must not wait), drop it."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        connection.abort()
    else:
        await connection.close()
