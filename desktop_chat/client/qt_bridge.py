"""The Qt bridge: the client core's callbacks as Qt signals.

Owns: `ChatSignals`, one QObject with a Signal for every `ChatEventHandler` and
`ConnectionEventHandler` callback. It is the only Qt-aware module of the client.
Under qasync the client core runs on the GUI thread's event loop, so the
signals are emitted on the GUI thread and slots may touch widgets directly.

Never: hold state of its own, or call back into the client (widgets go through
a controller).
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import QObject, Signal

from desktop_chat.client.client import ChatClient
from desktop_chat.client.events import ChatEventHandler, ConnectionEventHandler

_ids = itertools.count(1)


class ChatSignals(QObject):
    messages_received = Signal(list)  # list[ChatMessage]
    messages_delivered = Signal(list)  # list[ChatMessage]
    messages_read = Signal(list)  # list[ChatMessage]
    conversation_read = Signal(str, str)  # from_, to
    group_message_read = Signal(list)  # list[GroupMessageAck]
    read_ack_for_group_message_updated = Signal()
    message_status_changed = Signal(object)  # ChatMessage
    messages_marked_read = Signal(list)  # list[ChatMessage], read on this device
    group_messages_delivered = Signal(list)  # list[ChatMessage]
    conversation_updated = Signal(str, int)  # conversation_id, unread_count
    group_changed = Signal(str, object, list)  # change, Group, member names
    group_ack_reminder = Signal(str, str, str)  # msg_id, group_id, from_
    message_recalled = Signal(list)  # list[ChatMessage], text dropped
    message_content_changed = Signal(object, str, "qint64")  # msg, operator_id, time (ms)
    conversation_muted = Signal(str, bool)  # conversation_id, muted
    typing = Signal(str, str)  # conversation_id, from_
    connected = Signal()
    disconnected = Signal()
    token_expired = Signal()
    error = Signal(object)  # ChatError

    def __init__(self, client: ChatClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._handler_id = f"qt-bridge-{next(_ids)}"
        client.chat_manager.add_event_handler(
            self._handler_id,
            ChatEventHandler(
                on_messages_received=self.messages_received.emit,
                on_messages_delivered=self.messages_delivered.emit,
                on_messages_read=self.messages_read.emit,
                on_conversation_read=self.conversation_read.emit,
                on_group_message_read=self.group_message_read.emit,
                on_read_ack_for_group_message_updated=self.read_ack_for_group_message_updated.emit,
                on_message_status_changed=self.message_status_changed.emit,
                on_messages_marked_read=self.messages_marked_read.emit,
                on_group_messages_delivered=self.group_messages_delivered.emit,
                on_conversation_updated=self.conversation_updated.emit,
                on_group_changed=self.group_changed.emit,
                on_group_ack_reminder=self.group_ack_reminder.emit,
                on_message_recalled=self.message_recalled.emit,
                on_message_content_changed=self.message_content_changed.emit,
                on_conversation_muted=self.conversation_muted.emit,
                on_typing=self.typing.emit,
            ),
        )
        client.add_connection_event_handler(
            self._handler_id,
            ConnectionEventHandler(
                on_connected=self.connected.emit,
                on_disconnected=self.disconnected.emit,
                on_token_did_expire=self.token_expired.emit,
                on_error=self.error.emit,
            ),
        )

    def detach(self) -> None:
        """Stop relaying (call before the client or this object goes away)."""
        self._client.chat_manager.remove_event_handler(self._handler_id)
        self._client.remove_connection_event_handler(self._handler_id)
