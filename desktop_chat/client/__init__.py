"""The desktop_chat client core: the SDK-style API, asyncio, no Qt.

Everything an app or a port from the SDK needs imports from here:

    from desktop_chat.client import ChatClient, ChatOptions, ChatMessage, ChatType

The Qt bridge (`desktop_chat.client.qt_bridge`) is the only Qt-aware module and
is not imported here.
"""

from desktop_chat.client.client import ChatClient
from desktop_chat.client.errors import (
    ChatError,
    ChatErrorCode,
    LocalProtocolError,
    RemoteProtocolError,
)
from desktop_chat.client.events import ChatEventHandler, ConnectionEventHandler
from desktop_chat.client.models import (
    ChatMessage,
    ChatType,
    Conversation,
    CursorResult,
    Group,
    GroupAckStats,
    GroupMessageAck,
    GroupRole,
    MessageDirection,
    MessageStatus,
    ReplyPreview,
    TextMessageBody,
)
from desktop_chat.client.options import ChatOptions

__all__ = [
    "ChatClient",
    "ChatError",
    "ChatErrorCode",
    "ChatEventHandler",
    "ChatMessage",
    "ChatOptions",
    "ChatType",
    "ConnectionEventHandler",
    "Conversation",
    "CursorResult",
    "Group",
    "GroupAckStats",
    "GroupMessageAck",
    "GroupRole",
    "LocalProtocolError",
    "MessageDirection",
    "MessageStatus",
    "RemoteProtocolError",
    "ReplyPreview",
    "TextMessageBody",
]
