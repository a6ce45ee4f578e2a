"""The client's exceptions, in one tree, and their code enum.

Owns: the codes a failure carries (`Code`): a member of the protocol's `ErrorCode`
(every code the server sends, defined once there) or of `LocalCode` (the client's
own: NETWORK_ERROR, TIMEOUT, CLIENT_CLOSED, DATABASE_ERROR, PROTOCOL_ERROR,
UNTRUSTED_CERTIFICATE, UNKNOWN); `ChatErrorCode`, the one name for all of them
(`ChatErrorCode.TIMEOUT` is `LocalCode.TIMEOUT`, `ChatErrorCode.TOKEN_INVALID` is
`ErrorCode.TOKEN_INVALID`: the same objects, named there so the type checker sees
each one; tests check it names every code of both, once); and the exceptions every
public call raises on failure, as the SDK does:

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
from typing import Any, Final, TypeAlias, final

from desktop_chat.protocol import ErrorCode
from desktop_chat.protocol import frames as f
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
    # A wss:// server's certificate is neither verified nor the pinned one (see
    # client.pinning); details: "fingerprint" (what it presented), "pinned".
    UNTRUSTED_CERTIFICATE = "UNTRUSTED_CERTIFICATE"
    UNKNOWN = "UNKNOWN"


Code: TypeAlias = ErrorCode | LocalCode
"""What `ChatError.code` is: the server's code, or the client's own."""


@final
class ChatErrorCode:
    """Every `Code` by name, the server's (see docs/protocol.md) then the client's.

    A namespace, not an enum: its attributes are the members of `ErrorCode` and
    `LocalCode` themselves (enum members cannot be merged into one enum the type
    checker can read). `ALL_CODES` lists them; `code_of` reads one from a string."""

    # The frame itself
    MALFORMED_FRAME: Final = ErrorCode.MALFORMED_FRAME
    INVALID_PARAM: Final = ErrorCode.INVALID_PARAM
    UNKNOWN_TYPE: Final = ErrorCode.UNKNOWN_TYPE
    FRAME_TOO_LARGE: Final = ErrorCode.FRAME_TOO_LARGE
    UNSUPPORTED_VERSION: Final = ErrorCode.UNSUPPORTED_VERSION
    HELLO_REQUIRED: Final = ErrorCode.HELLO_REQUIRED
    # Accounts and sessions
    NOT_LOGGED_IN: Final = ErrorCode.NOT_LOGGED_IN
    ALREADY_LOGGED_IN: Final = ErrorCode.ALREADY_LOGGED_IN
    REGISTRATION_DISABLED: Final = ErrorCode.REGISTRATION_DISABLED
    USER_EXISTS: Final = ErrorCode.USER_EXISTS
    USERNAME_NOT_ALLOWED: Final = ErrorCode.USERNAME_NOT_ALLOWED
    INVALID_CREDENTIALS: Final = ErrorCode.INVALID_CREDENTIALS
    TOKEN_INVALID: Final = ErrorCode.TOKEN_INVALID
    USER_NOT_FOUND: Final = ErrorCode.USER_NOT_FOUND
    # Messages and receipts
    MESSAGE_NOT_FOUND: Final = ErrorCode.MESSAGE_NOT_FOUND
    MSG_ID_CONFLICT: Final = ErrorCode.MSG_ID_CONFLICT
    PERMISSION_DENIED: Final = ErrorCode.PERMISSION_DENIED
    CANNOT_ACK_OWN_MESSAGE: Final = ErrorCode.CANNOT_ACK_OWN_MESSAGE
    ACK_NOT_REQUESTED: Final = ErrorCode.ACK_NOT_REQUESTED
    MESSAGE_EXPIRED: Final = ErrorCode.MESSAGE_EXPIRED
    MESSAGE_RECALLED: Final = ErrorCode.MESSAGE_RECALLED
    RECALL_TIME_LIMIT: Final = ErrorCode.RECALL_TIME_LIMIT
    # Groups
    GROUP_NOT_FOUND: Final = ErrorCode.GROUP_NOT_FOUND
    NOT_GROUP_MEMBER: Final = ErrorCode.NOT_GROUP_MEMBER
    GROUP_ACK_NOT_ALLOWED: Final = ErrorCode.GROUP_ACK_NOT_ALLOWED
    GROUP_FULL: Final = ErrorCode.GROUP_FULL
    # Files and images
    FILE_NOT_FOUND: Final = ErrorCode.FILE_NOT_FOUND
    FILE_TOO_LARGE: Final = ErrorCode.FILE_TOO_LARGE
    QUOTA_EXCEEDED: Final = ErrorCode.QUOTA_EXCEEDED
    UPLOAD_RATE_LIMITED: Final = ErrorCode.UPLOAD_RATE_LIMITED
    CHECKSUM_MISMATCH: Final = ErrorCode.CHECKSUM_MISMATCH
    # Limits
    NOTE_TOO_LONG: Final = ErrorCode.NOTE_TOO_LONG
    PAGE_SIZE_OUT_OF_RANGE: Final = ErrorCode.PAGE_SIZE_OUT_OF_RANGE
    BATCH_TOO_LARGE: Final = ErrorCode.BATCH_TOO_LARGE
    RATE_LIMITED: Final = ErrorCode.RATE_LIMITED
    # The server
    SERVER_BUSY: Final = ErrorCode.SERVER_BUSY
    STORAGE_UNAVAILABLE: Final = ErrorCode.STORAGE_UNAVAILABLE
    INTERNAL_ERROR: Final = ErrorCode.INTERNAL_ERROR
    # The client's own (LocalCode)
    NETWORK_ERROR: Final = LocalCode.NETWORK_ERROR
    TIMEOUT: Final = LocalCode.TIMEOUT
    CLIENT_CLOSED: Final = LocalCode.CLIENT_CLOSED
    DATABASE_ERROR: Final = LocalCode.DATABASE_ERROR
    PROTOCOL_ERROR: Final = LocalCode.PROTOCOL_ERROR
    UNTRUSTED_CERTIFICATE: Final = LocalCode.UNTRUSTED_CERTIFICATE
    UNKNOWN: Final = LocalCode.UNKNOWN


ALL_CODES: tuple[Code, ...] = (*ErrorCode, *LocalCode)
_BY_VALUE: dict[str, Code] = {code.value: code for code in ALL_CODES}


def code_of(code: str) -> Code:
    """The code spelled `code` (a member, or its string from the wire); UNKNOWN for
    one this client does not know (a newer server's)."""
    return _BY_VALUE.get(code, LocalCode.UNKNOWN)


class ChatError(Exception):
    """A failed call: `code` says what kind, `description` what happened and what to do."""

    def __new__(
        cls, code: str, description: str = "", details: dict[str, Any] | None = None
    ) -> ChatError:
        if cls is ChatError:
            cls = _KINDS.get(code_of(code), ChatError)
        return super().__new__(cls)

    def __init__(self, code: str, description: str, details: dict[str, Any] | None = None) -> None:
        known = code_of(code)
        super().__init__(f"{known.value}: {description}")
        self.code: Code = known
        self.description = description
        self.details = details

    @classmethod
    def from_reply(cls, reply: f.Error) -> ChatError:
        return cls(reply.code, reply.message, reply.details)


class LocalProtocolError(ChatError):
    """We misused the protocol: this request should never have been sent as it is."""


class RemoteProtocolError(ChatError):
    """The server broke the protocol: what it sent cannot be what we asked for."""


_KINDS: dict[Code, type[ChatError]] = {
    **dict.fromkeys(PROTOCOL_MISUSE, LocalProtocolError),
    ChatErrorCode.PROTOCOL_ERROR: RemoteProtocolError,
}
