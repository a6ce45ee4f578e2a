"""Accounts, devices and sessions: register, login, resume, logout, sync.

Owns: the handlers that sign a connection in or out (sign-ups and failed sign-ins
throttled per address and name, passwords checked in the bounded hash pool), and
`sync`, which replays a device's missed events from the user's log and then makes
the device live.

Never: keep a password or token in memory longer than the request, or log one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from desktop_chat.protocol import ErrorCode
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.codec import frame_with_seq
from desktop_chat.protocol.names import look_alike_problem
from desktop_chat.server.auth import HashPoolBusy, Passwords, new_token, token_digest
from desktop_chat.server.config import ServerConfig
from desktop_chat.server.connection import DeviceConnection
from desktop_chat.server.core import Core, ServiceError
from desktop_chat.server.hub import Hub
from desktop_chat.server.limits import LoginThrottle, SignUpThrottle
from desktop_chat.server.sessions import TOUCH_INTERVAL_MS, Sessions
from desktop_chat.server.storage.interface import Store
from desktop_chat.server.store import UserExistsError

if TYPE_CHECKING:
    from desktop_chat.server.shared_limits import SharedLoginThrottle, SharedSignUps


def _wait_error(code: ErrorCode, message: str, wait: float) -> ServiceError:
    """A refusal that says when to try again (`retry_after_ms`)."""
    retry_ms = max(1, round(wait * 1000))
    seconds = max(1, round(wait))
    return ServiceError(code, message.format(seconds=seconds), {"retry_after_ms": retry_ms})


def _busy(exc: HashPoolBusy) -> ServiceError:
    return _wait_error(
        ErrorCode.SERVER_BUSY,
        "the server is busy checking other passwords; try again in {seconds} s",
        exc.retry_after,
    )


class Accounts(Core):
    def __init__(
        self,
        store: Store,
        hub: Hub,
        config: ServerConfig,
        passwords: Passwords,
        throttle: LoginThrottle,
        sign_ups: SignUpThrottle,
        sessions: Sessions,
    ) -> None:
        super().__init__(store, hub, config)
        self.passwords = passwords
        self.throttle = throttle
        self.shared_throttle: SharedLoginThrottle | None = None
        self._clearing: set[asyncio.Task[None]] = set()
        self.sign_ups = sign_ups
        self.shared_sign_ups: SharedSignUps | None = None
        self.sessions = sessions

    # register and login hash a password off the loop first, then return the
    # synchronous part, which the service runs as one atomic request.

    async def register(self, conn: DeviceConnection, req: f.Register) -> Callable[[], f.Reply]:
        if not self.config.allow_registration:
            raise ServiceError(
                ErrorCode.REGISTRATION_DISABLED,
                "this server does not allow sign-ups; ask its administrator for an account",
            )
        shared = self.shared_sign_ups
        if shared is not None:
            wait = await shared.take(conn.peer_host)
        else:
            wait = self.sign_ups.take(conn.peer_host)
        if wait > 0:
            raise _wait_error(
                ErrorCode.RATE_LIMITED,
                "too many sign-ups from this address; wait {seconds} s and try again",
                wait,
            )
        try:
            password_hash = await self.passwords.hash(req.password, conn.peer_host)
        except HashPoolBusy as exc:
            raise _busy(exc) from None

        def finish() -> f.Reply:
            # validate_request judged the name itself; only the store knows look-alikes.
            if self.store.user_id(req.username) is None and self.store.look_alike_of(req.username):
                problem = look_alike_problem(req.username)
                raise ServiceError(
                    ErrorCode.USERNAME_NOT_ALLOWED, problem.message, {"reason": problem.reason}
                )
            try:
                self.store.create_user(req.username, password_hash, self.now())
            except UserExistsError:
                raise ServiceError(
                    ErrorCode.USER_EXISTS, f"the name {req.username!r} is taken; choose another"
                ) from None
            return f.Ok(id=req.id)

        return finish

    async def login(self, conn: DeviceConnection, req: f.Login) -> Callable[[], f.Reply]:
        name, address = req.username, conn.peer_host
        # Reserved before the password is checked: parallel guesses get no extra checks.
        wait = await self._reserve(name, address)
        if wait > 0:
            raise _wait_error(
                ErrorCode.RATE_LIMITED,
                "too many failed sign-ins; wait {seconds} s and try again",
                wait,
            )
        credentials = self.store.user_credentials(name)
        stored_hash = credentials.password_hash if credentials else None
        try:
            ok = await self.passwords.verify(stored_hash, req.password, address)
            # A hash made with older (weaker) settings is replaced while the password is at hand.
            rehashed = None
            if ok and stored_hash is not None and self.passwords.needs_rehash(stored_hash):
                rehashed = await self.passwords.hash(req.password, address)
        except HashPoolBusy as exc:
            await self._release(name, address)
            raise _busy(exc) from None
        except BaseException:
            await self._release(name, address)
            raise

        def finish() -> f.Reply:
            # Read again: the account may have changed during the await.
            current = self.store.user_credentials(name)
            if credentials is None and current is None and self.config.allow_registration:
                # Where anyone may sign up, `register` tells whether a name is taken
                # anyway: saying so here hides nothing and spares a newcomer a "wrong
                # password". A closed server answers the same for both (below).
                raise ServiceError(
                    ErrorCode.USER_NOT_FOUND,
                    f"there is no account {name!r} on this server yet; create it first",
                    {"can_register": True},
                )
            if (
                not ok
                or current is None
                or credentials is None
                or current.user_id != credentials.user_id
            ):
                raise ServiceError(ErrorCode.INVALID_CREDENTIALS, "wrong username or password")
            self._succeeded(name, address)
            user_id = current.user_id
            if rehashed is not None:
                self.store.set_password_hash(user_id, rehashed)
            token = new_token()
            device_id = self.store.create_device(
                user_id, req.device_name or "device", token_digest(token), self.now()
            )
            self._sign_in(conn, name, user_id, device_id)
            return f.LoginOk(
                id=req.id,
                username=name,
                device_id=device_id,
                token=token,
                last_seq=self.store.last_seq(user_id),
            )

        return finish

    # The failed sign-ins: this process's throttle, or on a cluster the one every node
    # shares through Redis (`shared_throttle`, set by the service).

    async def _reserve(self, name: str, address: str) -> float:
        if self.shared_throttle is not None:
            return await self.shared_throttle.reserve(name, address)
        return self.throttle.reserve(name, address)

    async def _release(self, name: str, address: str) -> None:
        if self.shared_throttle is not None:
            await self.shared_throttle.release(name, address)
        else:
            self.throttle.release(name, address)

    def _succeeded(self, name: str, address: str) -> None:
        shared = self.shared_throttle
        if shared is None:
            self.throttle.succeeded(name, address)
            return

        def clear() -> None:  # on the loop, once the sign-in is committed
            task = asyncio.get_running_loop().create_task(shared.succeeded(name, address))
            self._clearing.add(task)
            task.add_done_callback(self._clearing.discard)

        self.hub.on_commit(clear)

    def resume(self, conn: DeviceConnection, req: f.Resume) -> f.Reply:
        device = self.store.device_by_token(token_digest(req.token))
        now = self.now()
        if (
            device is None
            or device.revoked
            or device.last_seen_at + self.config.token_ttl_seconds * 1000 < now
        ):
            raise ServiceError(
                ErrorCode.TOKEN_INVALID,
                "this session has ended (signed out, revoked or expired); sign in again",
            )
        if now - device.last_seen_at > TOUCH_INTERVAL_MS:
            # At most hourly: a reconnect then needs no write (cheaper for many devices
            # coming back at once, and possible while the storage is read-only).
            self.store.touch_device(device.id, now)
        self._sign_in(conn, device.username, device.user_id, device.id)
        return f.LoginOk(
            id=req.id,
            username=device.username,
            device_id=device.id,
            token=req.token,
            last_seq=self.store.last_seq(device.user_id),
        )

    def _sign_in(self, conn: DeviceConnection, username: str, user_id: int, device_id: int) -> None:
        conn.session.logged_in(username, device_id)
        self.hub.attach(conn, user_id)

        def undo() -> None:
            self.hub.detach(conn)
            conn.session.logged_out()

        self.hub.on_rollback(undo)

    def logout(self, conn: DeviceConnection, req: f.Logout) -> f.Reply:
        assert conn.device_id is not None
        self.store.revoke_device(conn.device_id)
        # The device's other connections (resumed with the same token) end with it.
        self.sessions.end_device(
            self.user_of(conn), conn.device_id, "session ended: signed out on this device", conn
        )
        self.hub.detach(conn)
        conn.session.logged_out()
        conn.synced_upto = 0
        return f.Ok(id=req.id)

    def sync(self, conn: DeviceConnection, req: f.Sync) -> f.Reply:
        user_id = self.user_of(conn)
        rows = self.store.events_after(user_id, req.after_seq, req.limit + 1)
        more = len(rows) > req.limit
        rows = rows[: req.limit]
        last_seq = rows[-1].seq if rows else max(req.after_seq, 0)
        if not more:
            # Live from here on: events written later are pushed after the reply.
            self.hub.go_live(conn, last_seq)
        # Pre-encoded pushes; `SyncBatch.events` is typed as a client reads them.
        events: list[Any] = [msgspec.Raw(frame_with_seq(row.body, row.seq)) for row in rows]
        return f.SyncBatch(id=req.id, events=events, last_seq=last_seq, more=more)
