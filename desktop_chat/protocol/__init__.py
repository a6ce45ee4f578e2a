"""The desktop_chat wire protocol: frames, codec, validation and receipt state.

This package is pure: it imports no asyncio, websockets, sqlite or Qt, and does
no I/O. The server and the client both build on it; tests drive it with bytes.
"""

from desktop_chat.protocol.codec import (
    decode_client_frame,
    decode_server_frame,
    encode,
    encode_error,
    encode_push_body,
    frame_with_seq,
)
from desktop_chat.protocol.errors import ErrorCode, ProtocolError
from desktop_chat.protocol.frames import PROTOCOL_VERSION
from desktop_chat.protocol.session import ConnectionSession, Phase
from desktop_chat.protocol.status import Mark, MarkEvent, advance
from desktop_chat.protocol.validation import default_limits, validate_request

__all__ = [
    "PROTOCOL_VERSION",
    "ConnectionSession",
    "ErrorCode",
    "Mark",
    "MarkEvent",
    "Phase",
    "ProtocolError",
    "advance",
    "decode_client_frame",
    "decode_server_frame",
    "default_limits",
    "encode",
    "encode_error",
    "encode_push_body",
    "frame_with_seq",
    "validate_request",
]
