"""The client's exceptions, in one tree, and their code enum.

Owns: `ChatErrorCode`, built from the protocol's `ErrorCode` (every code the server
sends, defined once there) and `LocalCode` (the client's own: NETWORK_ERROR,
TIMEOUT, CLIENT_CLOSED, DATABASE_ERROR, PROTOCOL_ERROR, UNKNOWN); and the
exceptions every public call raises on failure, as the SDK does:

    ChatError                   every failed call: `code`, `description`, `details`
    ├── LocalProtocolError      we misused the protocol: the server refused the
    │                           frame itself, its fields or a limit (the codes of
    │                           `protocol.errors.PROTOCOL_MISUSE`), or the client
    │                           refused it before sending (INVALID_PARAM, ...)
    └── RemoteProtocolError     the server sent garbage: a reply this client cannot
                                read, or one of another type than its request's
                                (PROTOCOL_ERROR)

Any other code (a refusal: TOKEN_INVALID, PERMISSION_DENIED, ...; the network:
NETWORK_ERROR, TIMEOUT, ...) is a plain `ChatError`. `ChatError(code, ...)` makes
the right class from its code, so `except ChatError` still catches them all.

Never: swallow a failure: every refused call raises, every refused ack is
reported.
"""

from __future__ import annotations

import enum
from typing import Any

from desktop_chat.protocol import ErrorCode
from desktop_chat.protocol.errors import PROTOCOL_MISUSE


class LocalCode(enum.StrEnum):
    """Codes the client says of itself; never in an `error` frame."""

    NETWORK_ERROR = "NETWORK_ERROR"
    TIMEOUT = "TIMEOUT"
    CLIENT_CLOSED = "CLIENT_CLOSED"
    # The local store cannot be opened (made by a newer client, or unreadable).
    DATABASE_ERROR = "DATABASE_ERROR"
    # The server sent a frame this client cannot read, or a reply of the wrong type.
    PROTOCOL_ERROR = "PROTOCOL_ERROR"
    UNKNOWN = "UNKNOWN"


# The server's codes (see docs/protocol.md), then the client's own.
ChatErrorCode = enum.StrEnum(
    "ChatErrorCode",
    [(code.name, code.value) for code in (*ErrorCode, *LocalCode)],
    module=__name__,
)


def _code(code: Any) -> Any:
    try:
        return ChatErrorCode(code)
    except ValueError:
        return ChatErrorCode.UNKNOWN


class ChatError(Exception):
    """A failed call: `code` says what kind, `description` what happened and what to do."""

    def __new__(
        cls, code: Any, description: str = "", details: dict[str, Any] | None = None
    ) -> ChatError:
        if cls is ChatError:
            cls = _KINDS.get(_code(code), ChatError)
        return super().__new__(cls)

    def __init__(self, code: Any, description: str, details: dict[str, Any] | None = None) -> None:
        code = _code(code)
        super().__init__(f"{code.value}: {description}")
        self.code = code
        self.description = description
        self.details = details

    @classmethod
    def from_reply(cls, reply: Any) -> ChatError:
        return cls(reply.code, reply.message, reply.details)


class LocalProtocolError(ChatError):
    """We misused the protocol: this request should never have been sent as it is."""


class RemoteProtocolError(ChatError):
    """The server broke the protocol: what it sent cannot be what we asked for."""


_KINDS: dict[Any, type[ChatError]] = {
    **{ChatErrorCode(code.value): LocalProtocolError for code in PROTOCOL_MISUSE},
    ChatErrorCode.PROTOCOL_ERROR: RemoteProtocolError,
}
