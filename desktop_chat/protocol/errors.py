"""Error codes of the wire protocol, and the failure value the decoder returns.

Owns: the `ErrorCode` enum (every code the server may put in an `error` frame,
documented one by one in docs/protocol.md; a client's codes are built from it),
`PROTOCOL_MISUSE` (the codes that say "your frame broke the protocol", not "the
server cannot do that now"), and `ProtocolError`, the typed value that stands for
"this frame was refused".

Never: raise out of the decoder, or know about sockets, storage or Qt.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class ErrorCode(enum.StrEnum):
    """Every error code on the wire. The value is the string sent as `code`."""

    # The frame itself
    MALFORMED_FRAME = "MALFORMED_FRAME"
    INVALID_PARAM = "INVALID_PARAM"
    UNKNOWN_TYPE = "UNKNOWN_TYPE"
    FRAME_TOO_LARGE = "FRAME_TOO_LARGE"
    UNSUPPORTED_VERSION = "UNSUPPORTED_VERSION"
    HELLO_REQUIRED = "HELLO_REQUIRED"
    # Accounts and sessions
    NOT_LOGGED_IN = "NOT_LOGGED_IN"
    ALREADY_LOGGED_IN = "ALREADY_LOGGED_IN"
    REGISTRATION_DISABLED = "REGISTRATION_DISABLED"
    USER_EXISTS = "USER_EXISTS"
    USERNAME_NOT_ALLOWED = "USERNAME_NOT_ALLOWED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    TOKEN_INVALID = "TOKEN_INVALID"
    USER_NOT_FOUND = "USER_NOT_FOUND"
    # Messages and receipts
    MESSAGE_NOT_FOUND = "MESSAGE_NOT_FOUND"
    MSG_ID_CONFLICT = "MSG_ID_CONFLICT"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    CANNOT_ACK_OWN_MESSAGE = "CANNOT_ACK_OWN_MESSAGE"
    ACK_NOT_REQUESTED = "ACK_NOT_REQUESTED"
    MESSAGE_EXPIRED = "MESSAGE_EXPIRED"
    MESSAGE_RECALLED = "MESSAGE_RECALLED"
    RECALL_TIME_LIMIT = "RECALL_TIME_LIMIT"
    # Groups
    GROUP_NOT_FOUND = "GROUP_NOT_FOUND"
    NOT_GROUP_MEMBER = "NOT_GROUP_MEMBER"
    GROUP_ACK_NOT_ALLOWED = "GROUP_ACK_NOT_ALLOWED"
    GROUP_FULL = "GROUP_FULL"
    # Files and images
    FILE_NOT_FOUND = "FILE_NOT_FOUND"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    UPLOAD_RATE_LIMITED = "UPLOAD_RATE_LIMITED"
    CHECKSUM_MISMATCH = "CHECKSUM_MISMATCH"
    # Limits
    NOTE_TOO_LONG = "NOTE_TOO_LONG"
    PAGE_SIZE_OUT_OF_RANGE = "PAGE_SIZE_OUT_OF_RANGE"
    BATCH_TOO_LARGE = "BATCH_TOO_LARGE"
    RATE_LIMITED = "RATE_LIMITED"
    # The server
    SERVER_BUSY = "SERVER_BUSY"
    STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE"
    INTERNAL_ERROR = "INTERNAL_ERROR"


# The sender broke the protocol itself (a bug, or a peer too old or too new): the
# frame, its fields, or a limit of hello_ok. Sending it again cannot succeed.
PROTOCOL_MISUSE = frozenset(
    {
        ErrorCode.MALFORMED_FRAME,
        ErrorCode.INVALID_PARAM,
        ErrorCode.UNKNOWN_TYPE,
        ErrorCode.FRAME_TOO_LARGE,
        ErrorCode.UNSUPPORTED_VERSION,
        ErrorCode.HELLO_REQUIRED,
        ErrorCode.NOTE_TOO_LONG,
        ErrorCode.PAGE_SIZE_OUT_OF_RANGE,
        ErrorCode.BATCH_TOO_LARGE,
    }
)


@dataclass(frozen=True, slots=True)
class ProtocolError:
    """A refused frame or request: what the peer gets back in an `error` frame.

    `request_id` is the `id` of the offending request when it could be read, so
    the peer can match the error to its call. `cause` keeps the original
    exception (a msgspec error, say) for logs; it never goes on the wire.
    """

    code: ErrorCode
    message: str
    request_id: str | None = None
    details: dict[str, Any] | None = None
    cause: BaseException | None = field(default=None, compare=False, repr=False)

    def with_request_id(self, request_id: str | None) -> ProtocolError:
        return ProtocolError(self.code, self.message, request_id, self.details, self.cause)
