"""What a user does to messages after they exist: recall, edit, delete for me, search.

Owns: `MessageActions`, a part of `chat_manager.ChatManager` (the SDK's
`recall_message`, `modify_message`, `delete_message`, and `search_messages`):
- `recall_message`: asks the server (only the sender, within its limit); then the
  text is dropped here too and `on_message_recalled` fires, as on every other
  device of both sides;
- `modify_message`: asks the server (only the sender, text only, never a recalled
  message); receipts stay as they were; `on_message_content_changed` fires;
- `delete_message`: this device only. A message that was unread stops counting,
  and a private read (`read_ack` with notify false) keeps the user's other devices
  and the server's count in step; no receipt ever goes to the sender;
- `search_messages`: the local full-text index, newest first; it reads nothing.

Never: change the local store before the server confirmed a recall or an edit, or
send a read receipt for a deleted or recalled message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_chat.client.errors import ChatError, ChatErrorCode
from desktop_chat.client.models import (
    ChatMessage,
    FileMessageBody,
    MessageDirection,
    TextMessageBody,
    now_ms,
)
from desktop_chat.client.private_files import forget_sent_photo
from desktop_chat.protocol import Mark
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.structs import MAX_TEXT_CHARS

if TYPE_CHECKING:
    from desktop_chat.client.shared import SharedClient

MAX_SEARCH_RESULTS = 1000
ACK_KINDS = ("delivery_ack", "read_ack", "group_read_ack")


class MessageActions:
    _client: SharedClient

    def _stored(self, msg_id: str) -> ChatMessage:
        stored = self._client.require_store().message(msg_id)
        if stored is None:
            raise ChatError(ChatErrorCode.MESSAGE_NOT_FOUND, f"no message {msg_id} on this device")
        return stored

    def _own_sent(self, msg_id: str, action: str) -> ChatMessage:
        stored = self._stored(msg_id)
        if stored.direction is not MessageDirection.SEND:
            raise ChatError(
                ChatErrorCode.PERMISSION_DENIED, f"only the sender of a message may {action} it"
            )
        if stored.mark < Mark.SENT:
            raise ChatError(
                ChatErrorCode.INVALID_PARAM,
                "this message has not reached the server yet; delete it instead",
            )
        return stored

    async def recall_message(self, msg_id: str) -> ChatMessage:
        """Take back a message you sent (within the server's limit, 2 minutes by
        default). Raises ChatError: PERMISSION_DENIED (not yours), RECALL_TIME_LIMIT,
        or NETWORK_ERROR when offline (a recall is never queued: it may come too late)."""
        client = self._client
        stored = self._own_sent(msg_id, "recall")
        if stored.recalled:
            return stored
        reply: f.RecallOk = await client.request(f.Recall(id="", msg_id=msg_id))
        store = client.require_store()
        store.recall_message(msg_id, reply.recalled_at)
        store.outbox_discard(msg_id, ACK_KINDS)
        store.commit()
        recalled = store.message(msg_id) or stored
        self.forget_photo(stored)
        client.notifier.queue("on_message_recalled", [recalled])
        return recalled

    def forget_photo(self, message: ChatMessage) -> None:
        """The private copy of a photo sent without its location, once its message is
        gone from this device (deleted, or recalled): nothing else shows it."""
        body = message.body
        if not isinstance(body, FileMessageBody) or message.direction is not MessageDirection.SEND:
            return
        # The copy is named by its sha256: the same photo sent twice shares it.
        if not self._client.require_store().shows_local_file(body.local_path):
            forget_sent_photo(self._client.data_dir, message.from_, body.local_path)

    async def modify_message(self, msg_id: str, body: str | TextMessageBody) -> ChatMessage:
        """Replace the text of a message you sent; its receipts stay as they were."""
        client = self._client
        text = body.content if isinstance(body, TextMessageBody) else body
        if not 1 <= len(text) <= MAX_TEXT_CHARS:
            raise ChatError(
                ChatErrorCode.INVALID_PARAM, f"a message is 1 to {MAX_TEXT_CHARS} characters"
            )
        stored = self._own_sent(msg_id, "edit")
        if stored.recalled:
            raise ChatError(ChatErrorCode.MESSAGE_RECALLED, "a recalled message cannot be edited")
        reply: f.EditOk = await client.request(f.Edit(id="", msg_id=msg_id, body=f.TextBody(text)))
        if reply.edited_at is None:  # the same text as before: nothing changed
            return stored
        store = client.require_store()
        store.edit_message(msg_id, text, reply.edited_at)
        store.commit()
        edited = store.message(msg_id) or stored
        client.notifier.queue(
            "on_message_content_changed", edited, client.username or "", reply.edited_at
        )
        return edited

    def delete_message(self, msg_id: str) -> None:
        """Delete a message from this device only. If it was unread it stops counting,
        here and (by a private read, never a receipt) on the user's other devices."""
        client = self._client
        store = client.require_store()
        stored = self._stored(msg_id)
        received = stored.direction is MessageDirection.RECEIVE and not stored.recalled
        was_unread = received and not stored.recipient_read
        store.delete_message(msg_id)
        # No receipt for a deleted message, even one queued before: a read it stood for
        # still reaches the user's other devices and the server, privately.
        read_pending = store.outbox_discard(msg_id, ("read_ack", "group_read_ack"))
        if stored.direction is MessageDirection.SEND:
            client.outbox.delete_send(msg_id)  # an upload running now stops too
            self.forget_photo(stored)
        if was_unread:
            unread = max(0, store.unread_count(stored.conversation_id) - 1)
            store.set_unread(stored.conversation_id, unread)
            client.notifier.queue("on_conversation_updated", stored.conversation_id, unread)
        private_read = received and (was_unread or read_pending)
        if private_read:
            store.outbox_add("read_ack", msg_id, {"notify": False}, now_ms())
        store.commit()
        if private_read:
            client.outbox.kick()

    def search_messages(
        self, query: str, conversation_id: str | None = None, limit: int = 50
    ) -> list[ChatMessage]:
        """Messages on this device whose text holds every word of `query` (any script;
        one- and two-character words too), newest first. Never marks anything read."""
        if not 1 <= limit <= MAX_SEARCH_RESULTS:
            raise ChatError(
                ChatErrorCode.INVALID_PARAM, f"limit is 1 to {MAX_SEARCH_RESULTS}, got {limit}"
            )
        return self._client.require_store().search(query, conversation_id, limit)
