"""The phases of one connection, and which requests each phase accepts.

Owns: `Phase` and `ConnectionSession`, a small state machine the server keeps per
connection: a hello must come first, then register / login / resume, then the
rest. `check` answers "may this request be handled now?" without doing it; the
server calls `hello_done`, `logged_in` and `logged_out` once it has acted.

Never: do I/O, or decide anything about accounts (the server does).
"""

from __future__ import annotations

import enum

from desktop_chat.protocol import frames as f
from desktop_chat.protocol.errors import ErrorCode, ProtocolError


class Phase(enum.Enum):
    AWAIT_HELLO = "await_hello"
    AWAIT_AUTH = "await_auth"
    READY = "ready"


_AUTH_REQUESTS = (f.Register, f.Login, f.Resume)


class ConnectionSession:
    """Per-connection protocol state: the phase, and who is signed in."""

    __slots__ = ("device_id", "phase", "username")

    def __init__(self) -> None:
        self.phase = Phase.AWAIT_HELLO
        self.username: str | None = None
        self.device_id: int | None = None

    def check(self, request: f.Request[f.Reply]) -> ProtocolError | None:
        """Why `request` may not be handled in the current phase, or None."""
        if isinstance(request, f.Hello):
            if request.version != f.PROTOCOL_VERSION:
                return ProtocolError(
                    ErrorCode.UNSUPPORTED_VERSION,
                    f"protocol version {request.version} is not supported; "
                    f"this server speaks version {f.PROTOCOL_VERSION}",
                    request.id,
                    {"supported": [f.PROTOCOL_VERSION]},
                )
            return None
        if self.phase is Phase.AWAIT_HELLO:
            return ProtocolError(
                ErrorCode.HELLO_REQUIRED, "the first frame must be a hello", request.id
            )
        if self.phase is Phase.AWAIT_AUTH and not isinstance(request, _AUTH_REQUESTS):
            return ProtocolError(
                ErrorCode.NOT_LOGGED_IN, "log in (or resume a session) first", request.id
            )
        if self.phase is Phase.READY and isinstance(request, _AUTH_REQUESTS):
            return ProtocolError(
                ErrorCode.ALREADY_LOGGED_IN,
                f"this connection is already signed in as {self.username}; log out first",
                request.id,
            )
        return None

    def hello_done(self) -> None:
        if self.phase is Phase.AWAIT_HELLO:
            self.phase = Phase.AWAIT_AUTH

    def logged_in(self, username: str, device_id: int) -> None:
        self.phase = Phase.READY
        self.username = username
        self.device_id = device_id

    def logged_out(self) -> None:
        self.phase = Phase.AWAIT_AUTH
        self.username = None
        self.device_id = None
