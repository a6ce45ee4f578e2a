"""`client.chat_manager`: messages, read acks, conversations and group read lists.

Owns: the SDK's chat calls. Sends and acks are written to the local outbox
first (so they survive a crash or a lost connection) and then handed to the
outbox sender. The `require_ack` switch is checked here: when it is off, every
`send_*_read_ack` sends nothing and returns False. A recalled message gets no
read ack either (the calls return False). Recall, edit, delete and search are in
`message_actions`; typing, user lookup and mute in `presence`: both are parts of
`ChatManager`.

Never: talk to the socket directly (it asks the client core), or mark a message
read that the caller did not ack.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from desktop_chat.client.cancelling import wait_shared
from desktop_chat.client.errors import ChatError, ChatErrorCode
from desktop_chat.client.events import ChatEventHandler
from desktop_chat.client.message_actions import MessageActions
from desktop_chat.client.models import (
    ChatMessage,
    ChatType,
    Conversation,
    CursorResult,
    GroupMessageAck,
    MessageDirection,
    ReplyPreview,
    now_ms,
)
from desktop_chat.client.presence import Presence
from desktop_chat.protocol import Mark, MarkEvent, advance
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.structs import REPLY_PREVIEW_CHARS

if TYPE_CHECKING:
    from desktop_chat.client.client import ChatClient

PRIVATE_KEY_SUFFIX = "#private"  # outbox key of a conversation read with receipts off


class ChatManager(MessageActions, Presence):
    def __init__(self, client: ChatClient) -> None:
        self._client = client
        self._typing_sent: dict[str, float] = {}

    # ------------------------------------------------------------------ handlers

    def add_event_handler(self, handler_id: str, handler: ChatEventHandler) -> None:
        self._client.chat_handlers.add(handler_id, handler)

    def remove_event_handler(self, handler_id: str) -> None:
        self._client.chat_handlers.remove(handler_id)

    # ------------------------------------------------------------------ sending

    async def send_message(self, msg: ChatMessage) -> ChatMessage:
        """Send `msg`. Returns it confirmed (status SUCCESS), or still PENDING when the
        server could not be reached in time: it stays queued and goes out on reconnect.
        Raises ChatError when the server refuses it (the message is then FAIL)."""
        client = self._client
        store = client.require_store()
        options = client.options
        msg.from_ = client.username or ""
        msg.direction = MessageDirection.SEND
        msg.conversation_id = msg.to
        msg.created = False
        msg.mark = Mark.PENDING
        msg.need_read_ack = options.require_ack
        msg.need_delivery_ack = options.require_delivery_ack and not msg.is_group
        if not msg.is_group:
            msg.need_group_ack = False
        if msg.reply_to is not None and msg.reply_preview is None:
            msg.reply_preview = self._preview_of(msg.reply_to)
        store.save_message(msg)
        store.touch_conversation(msg.conversation_id, msg.chat_type, msg.local_time)
        return await self._queue_send(msg)

    def _preview_of(self, msg_id: str) -> ReplyPreview | None:
        """The quote as this device has it (the server sends its own to the others)."""
        quoted = self._client.require_store().message(msg_id)
        if quoted is None:
            return None
        text = None if quoted.recalled else quoted.body.content[:REPLY_PREVIEW_CHARS]
        return ReplyPreview(msg_id, quoted.from_, text, quoted.recalled)

    async def resend_message(self, msg_id: str) -> ChatMessage:
        """Try a failed message again (the UI's retry on a red !)."""
        store = self._client.require_store()
        msg = store.message(msg_id)
        if msg is None or msg.direction is not MessageDirection.SEND:
            raise ChatError(ChatErrorCode.MESSAGE_NOT_FOUND, f"no sent message {msg_id}")
        if msg.mark is not Mark.FAILED:
            return msg
        msg.mark = advance(msg.mark, MarkEvent.RETRY)
        store.save_message(msg)
        return await self._queue_send(msg)

    async def _queue_send(self, msg: ChatMessage) -> ChatMessage:
        client = self._client
        store = client.require_store()
        store.outbox_add(
            "send",
            msg.msg_id,
            {
                "chat_type": msg.chat_type.value,
                "to": msg.to,
                "text": msg.body.content,
                "local_time": msg.local_time,
                "need_delivery_ack": msg.need_delivery_ack,
                "need_read_ack": msg.need_read_ack,
                "need_group_ack": msg.need_group_ack,
                "reply_to": msg.reply_to,
            },
            now_ms(),
        )
        store.commit()
        client.notifier.queue("on_message_status_changed", msg)  # shown at once, as pending
        waiter = client.outbox.waiter("send", msg.msg_id)
        client.outbox.kick(delay=False)
        try:
            sent = await wait_shared(waiter, client.options.send_timeout_seconds)
        except TimeoutError:
            return client.require_store().message(msg.msg_id) or msg
        if sent is not None:
            msg.__dict__.update(sent.__dict__)
        return msg

    # ------------------------------------------------------------------ read acks

    def _received(self, msg: ChatMessage | str) -> ChatMessage:
        store = self._client.require_store()
        msg_id = msg if isinstance(msg, str) else msg.msg_id
        stored = store.message(msg_id)
        if stored is None:
            raise ChatError(ChatErrorCode.MESSAGE_NOT_FOUND, f"no message {msg_id} on this device")
        if stored.direction is MessageDirection.SEND:
            raise ChatError(ChatErrorCode.CANNOT_ACK_OWN_MESSAGE, "you cannot ack your own message")
        return stored

    async def send_message_read_ack(self, msg: ChatMessage) -> bool:
        """Tell the sender `msg` was read. False (nothing sent) when require_ack is off
        or the message was recalled."""
        if not self._client.options.require_ack or self._received(msg).recalled:
            return False
        self._message_read(msg, notify=True)
        return True

    async def mark_message_read_locally(self, msg: ChatMessage) -> None:
        """Read on this user's devices (the badge drops everywhere); no receipt to anyone.
        A recalled message is never unread: nothing to do."""
        if not self._received(msg).recalled:
            self._message_read(msg, notify=False)

    def _message_read(self, msg: ChatMessage, notify: bool) -> None:
        client = self._client
        stored = self._received(msg)
        if stored.is_group:
            raise ChatError(
                ChatErrorCode.INVALID_PARAM,
                "for group messages use send_group_message_read_ack",
            )
        store = client.require_store()
        if not stored.has_read:
            stored.has_read = True
            store.save_message(stored)
            unread = store.unread_count(stored.conversation_id) - 1
            store.set_unread(stored.conversation_id, unread)
            client.notifier.queue("on_conversation_updated", stored.conversation_id, max(0, unread))
        store.outbox_add("read_ack", stored.msg_id, {"notify": notify}, now_ms())
        store.commit()
        client.outbox.kick()

    async def send_conversation_read_ack(
        self, conversation_id: str, read_upto: int | None = None
    ) -> bool:
        """Mark the conversation read up to `read_upto` (the conv_seq of the last message
        the person saw; by default the newest one this device holds) and tell the peer.
        Nothing after the bound is read. False when require_ack is off."""
        if not self._client.options.require_ack:
            return False
        await self._conversation_read(conversation_id, read_upto, notify=True)
        return True

    async def mark_conversation_read_locally(
        self, conversation_id: str, read_upto: int | None = None
    ) -> None:
        """Read on this user's devices (badges agree everywhere); no receipt to anyone."""
        await self._conversation_read(conversation_id, read_upto, notify=False)

    async def _conversation_read(
        self, conversation_id: str, read_upto: int | None, notify: bool
    ) -> None:
        client = self._client
        store = client.require_store()
        newest = store.newest_received_seq(conversation_id)
        # Never a bound past what this device received: the server may hold more.
        upto = newest if read_upto is None else min(read_upto, newest)
        unread = store.mark_received_read(conversation_id, upto, read_ack_sent=notify)
        store.set_unread(conversation_id, unread)
        # A private read and a receipted one are separate entries: a later receipt
        # must not replace (and so receipt) what was read with receipts off.
        key = conversation_id if notify else f"{conversation_id}{PRIVATE_KEY_SUFFIX}"
        store.outbox_add(
            "conversation_read_ack",
            key,
            {"notify": notify, "read_upto": upto, "conversation_id": conversation_id},
            now_ms(),
        )
        store.commit()
        client.notifier.queue("on_conversation_updated", conversation_id, unread)
        client.outbox.kick(delay=False)

    async def send_group_message_read_ack(
        self, msg_id: str, group_id: str, content: str | None = None
    ) -> bool:
        """Ack a group message that asked for read receipts, with an optional short note.

        Waits for the server when connected, so a refusal (NOT_GROUP_MEMBER,
        MESSAGE_EXPIRED, ...) raises ChatError; offline, the ack is queued.
        False (nothing sent) when require_ack is off or the message was recalled."""
        client = self._client
        if not client.options.require_ack:
            return False
        limit = client.limits.max_note_bytes  # the server's
        if content is not None and len(content.encode()) > limit:
            raise ChatError(ChatErrorCode.NOTE_TOO_LONG, f"an ack note is at most {limit} bytes")
        stored = self._received(msg_id)
        if not stored.is_group or stored.conversation_id != group_id:
            raise ChatError(ChatErrorCode.INVALID_PARAM, f"{msg_id} is not in group {group_id}")
        if not stored.need_group_ack:
            raise ChatError(
                ChatErrorCode.ACK_NOT_REQUESTED, "this message did not ask for read receipts"
            )
        if stored.recalled:
            return False
        store = client.require_store()
        if not stored.has_read:
            stored.has_read = True
            store.save_message(stored)
        store.outbox_add(
            "group_read_ack", msg_id, {"group_id": group_id, "content": content}, now_ms()
        )
        store.commit()
        waiter = client.outbox.waiter("group_read_ack", msg_id)
        client.outbox.kick(delay=False)
        if client.is_connected:
            with contextlib.suppress(TimeoutError):
                await wait_shared(waiter, client.options.send_timeout_seconds)
        return True

    # ------------------------------------------------------------------ group read lists

    async def fetch_group_acks(
        self,
        msg_id: str,
        group_id: str,
        start_ack_id: str | None = None,
        page_size: int = 20,
    ) -> CursorResult[GroupMessageAck]:
        """Who read a group message, newest first; pass the cursor back for more."""
        reply: f.GroupAcks = await self._client.request(
            f.FetchGroupAcks(
                id="", group_id=group_id, msg_id=msg_id, cursor=start_ack_id, page_size=page_size
            )
        )
        return CursorResult(
            [
                GroupMessageAck(
                    message_id=a.message_id,
                    ack_id=a.ack_id,
                    from_=a.from_,
                    content=a.content,
                    read_count=a.read_count,
                    timestamp=a.timestamp,
                )
                for a in reply.acks
            ],
            reply.cursor,
        )

    async def fetch_group_unread_members(
        self, msg_id: str, group_id: str, cursor: str | None = None, page_size: int = 200
    ) -> CursorResult[str]:
        """Members at send time who have not read a group message yet."""
        reply: f.GroupUnread = await self._client.request(
            f.FetchGroupUnread(
                id="", group_id=group_id, msg_id=msg_id, cursor=cursor, page_size=page_size
            )
        )
        return CursorResult(list(reply.members), reply.cursor)

    async def remind_group_unread(self, msg_id: str, group_id: str) -> list[str]:
        """Nudge the members who have not read it yet; returns who was reminded."""
        reply: f.Reminded = await self._client.request(
            f.RemindGroupUnread(id="", group_id=group_id, msg_id=msg_id)
        )
        return list(reply.members)

    # ------------------------------------------------------------------ conversations

    def get_conversation(
        self, conversation_id: str, type: ChatType | None = None, create: bool = True
    ) -> Conversation | None:
        store = self._client.require_store()
        conversation = store.conversation(conversation_id)
        if conversation is None:
            if not create:
                return None
            chat_type = type or (
                ChatType.GROUP_CHAT if conversation_id.isdigit() else ChatType.CHAT
            )
            conversation = Conversation(conversation_id, chat_type, 0, None)
        conversation._manager = self
        return conversation

    def load_all_conversations(self) -> list[Conversation]:
        conversations = self._client.require_store().conversations()
        for conversation in conversations:
            conversation._manager = self
        return conversations

    def get_message(self, msg_id: str) -> ChatMessage | None:
        return self._client.require_store().message(msg_id)

    def local_messages(
        self, conversation_id: str, before_time: int | None, count: int
    ) -> list[ChatMessage]:
        return self._client.require_store().conversation_messages(
            conversation_id, before_time, count
        )

    def total_unread_count(self) -> int:
        return self._client.require_store().total_unread()
