"""The client's one exception, `ChatError`, and its documented code enum.

Owns: `ChatErrorCode` (every code the server sends, plus the client's own:
NETWORK_ERROR, TIMEOUT, CLIENT_CLOSED, DATABASE_ERROR, ...) and `ChatError(code, description)`,
which every public call raises on failure, as the SDK does.

Never: swallow a failure: every refused call raises, every refused ack is
reported.
"""

from __future__ import annotations

import enum
from typing import Any

from desktop_chat.protocol import ErrorCode


class ChatErrorCode(enum.StrEnum):
    # Codes the server sends (see docs/protocol.md)
    MALFORMED_FRAME = ErrorCode.MALFORMED_FRAME.value
    INVALID_PARAM = ErrorCode.INVALID_PARAM.value
    UNKNOWN_TYPE = ErrorCode.UNKNOWN_TYPE.value
    FRAME_TOO_LARGE = ErrorCode.FRAME_TOO_LARGE.value
    UNSUPPORTED_VERSION = ErrorCode.UNSUPPORTED_VERSION.value
    HELLO_REQUIRED = ErrorCode.HELLO_REQUIRED.value
    NOT_LOGGED_IN = ErrorCode.NOT_LOGGED_IN.value
    ALREADY_LOGGED_IN = ErrorCode.ALREADY_LOGGED_IN.value
    REGISTRATION_DISABLED = ErrorCode.REGISTRATION_DISABLED.value
    USER_EXISTS = ErrorCode.USER_EXISTS.value
    USERNAME_NOT_ALLOWED = ErrorCode.USERNAME_NOT_ALLOWED.value
    INVALID_CREDENTIALS = ErrorCode.INVALID_CREDENTIALS.value
    TOKEN_INVALID = ErrorCode.TOKEN_INVALID.value
    USER_NOT_FOUND = ErrorCode.USER_NOT_FOUND.value
    MESSAGE_NOT_FOUND = ErrorCode.MESSAGE_NOT_FOUND.value
    MSG_ID_CONFLICT = ErrorCode.MSG_ID_CONFLICT.value
    PERMISSION_DENIED = ErrorCode.PERMISSION_DENIED.value
    CANNOT_ACK_OWN_MESSAGE = ErrorCode.CANNOT_ACK_OWN_MESSAGE.value
    ACK_NOT_REQUESTED = ErrorCode.ACK_NOT_REQUESTED.value
    MESSAGE_EXPIRED = ErrorCode.MESSAGE_EXPIRED.value
    MESSAGE_RECALLED = ErrorCode.MESSAGE_RECALLED.value
    RECALL_TIME_LIMIT = ErrorCode.RECALL_TIME_LIMIT.value
    GROUP_NOT_FOUND = ErrorCode.GROUP_NOT_FOUND.value
    NOT_GROUP_MEMBER = ErrorCode.NOT_GROUP_MEMBER.value
    GROUP_ACK_NOT_ALLOWED = ErrorCode.GROUP_ACK_NOT_ALLOWED.value
    GROUP_FULL = ErrorCode.GROUP_FULL.value
    NOTE_TOO_LONG = ErrorCode.NOTE_TOO_LONG.value
    PAGE_SIZE_OUT_OF_RANGE = ErrorCode.PAGE_SIZE_OUT_OF_RANGE.value
    BATCH_TOO_LARGE = ErrorCode.BATCH_TOO_LARGE.value
    RATE_LIMITED = ErrorCode.RATE_LIMITED.value
    SERVER_BUSY = ErrorCode.SERVER_BUSY.value
    STORAGE_UNAVAILABLE = ErrorCode.STORAGE_UNAVAILABLE.value
    INTERNAL_ERROR = ErrorCode.INTERNAL_ERROR.value
    # The client's own
    NETWORK_ERROR = "NETWORK_ERROR"
    TIMEOUT = "TIMEOUT"
    CLIENT_CLOSED = "CLIENT_CLOSED"
    # The local store cannot be opened (made by a newer client, or unreadable).
    DATABASE_ERROR = "DATABASE_ERROR"
    UNKNOWN = "UNKNOWN"


class ChatError(Exception):
    """A failed call: `code` says what kind, `description` what happened and what to do."""

    def __init__(
        self, code: ChatErrorCode | str, description: str, details: dict[str, Any] | None = None
    ) -> None:
        try:
            code = ChatErrorCode(code)
        except ValueError:
            code = ChatErrorCode.UNKNOWN
        super().__init__(f"{code.value}: {description}")
        self.code: ChatErrorCode = code
        self.description = description
        self.details = details

    @classmethod
    def from_reply(cls, reply: Any) -> ChatError:
        return cls(reply.code, reply.message, reply.details)
