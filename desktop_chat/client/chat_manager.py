"""`client.chat_manager`: messages, read acks, conversations and group read lists.

Owns: the SDK's chat calls. Sends and acks are written to the local outbox
first (so they survive a crash or a lost connection) and then handed to the
outbox sender; `cancel_send` takes a send back out of it before the server has
the message, `resend_message` puts a failed one back. A photo's location is
taken out before it is sent (`ChatOptions.strip_photo_location`). `mark_read`
(what the app calls when the person read something) is the one place that
decides which receipts a read sends, in one local transaction; the SDK's
`send_*_read_ack` calls go through it too. The `require_ack` switch is checked
there: when it is off, every `send_*_read_ack` sends nothing and returns False,
and `mark_read` reads privately. A recalled message gets no read ack either (the
calls return False). Recall, edit, delete and search are in `message_actions`;
typing, user lookup and mute in `presence`; group read lists and read progress in
`group_reads`: all are parts of `ChatManager`. A confirm of a group message
(`send_group_message_read_ack(..., confirm=True)`) is a read ack with a flag:
queued the same way, and never replaced in the outbox by a plain read of it.

Never: talk to the socket directly (it asks the client core), or mark a message
read that the caller did not ack.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_chat.client import attachments, downloads
from desktop_chat.client.cancelling import wait_shared
from desktop_chat.client.errors import ChatError, ChatErrorCode
from desktop_chat.client.events import ChatEventHandler
from desktop_chat.client.group_reads import GroupReads
from desktop_chat.client.message_actions import MessageActions
from desktop_chat.client.models import (
    Before,
    ChatMessage,
    ChatType,
    Conversation,
    FileMessageBody,
    ImageMessageBody,
    MessageDirection,
    ReplyPreview,
    now_ms,
)
from desktop_chat.client.presence import Presence
from desktop_chat.client.private_files import sent_photos_dir
from desktop_chat.protocol import Mark, MarkEvent, advance
from desktop_chat.protocol.structs import REPLY_PREVIEW_CHARS

if TYPE_CHECKING:
    from desktop_chat.client.shared import SharedClient

PRIVATE_KEY_SUFFIX = "#private"  # outbox key of a conversation read with receipts off
EVERYTHING = 2**62  # a bound above every conv_seq: read all this device holds


def _bound(read_upto: int | None) -> int:
    """A conversation ack's bound: the one given, or everything this device holds."""
    return EVERYTHING if read_upto is None else read_upto


class ChatManager(MessageActions, Presence, GroupReads):
    def __init__(self, client: SharedClient) -> None:
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
        server could not be reached in time: it stays queued and goes out on reconnect
        (a file's upload tells `on_message_progress` as it goes), or FAIL when
        `cancel_send` took it back meanwhile. Raises ChatError when the server refuses
        it (the message is then FAIL). A JPEG image goes without its location when
        `strip_photo_location` is on: as a private copy, which `local_path` then names."""
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
        if isinstance(msg.body, FileMessageBody) and not msg.body.sha256:
            if isinstance(msg.body, ImageMessageBody) and options.strip_photo_location:
                folder = sent_photos_dir(client.data_dir, msg.from_)
                await attachments.without_location(msg.body, folder)
            await attachments.prepare(msg.body)  # its size, sha256 and type, off the loop
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

    async def download_attachment(
        self, msg: ChatMessage, folder: Path, progress: attachments.Progress | None = None
    ) -> Path:
        """Save the file of `msg` in `folder` (the download folder) under a safe, unique
        name; its path, kept as the body's `local_path`. Downloading is not reading:
        no receipt goes out. ChatError if the server refuses (the message was
        recalled, or this user can no longer see it)."""
        if not isinstance(msg.body, FileMessageBody):
            raise ChatError(ChatErrorCode.INVALID_PARAM, f"message {msg.msg_id} has no file")
        client = self._client
        chunk = client.limits.max_chunk_bytes
        path = await downloads.download(
            client.request, msg.msg_id, msg.body, folder, chunk, progress
        )
        msg.body.local_path = str(path)
        store = client.require_store()
        kept = store.message(msg.msg_id)
        if kept is not None and isinstance(kept.body, FileMessageBody):
            kept.body.local_path = str(path)
            store.save_message(kept)
            store.commit()
        return path

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

    def cancel_send(self, msg_id: str) -> bool:
        """Stop sending a message of yours still in the outbox (its file uploading, or
        waiting its turn): it is taken out and marked failed (FAIL, the red !; told by
        `on_message_status_changed`), and `resend_message` sends it again, a file from
        where the server's copy ends. An upload running now stops before its next
        chunk; what is queued after it goes on. False if it is not pending: sent,
        failed already, unknown, or its send already on its way to the server."""
        self._client.require_store()
        return self._client.outbox.cancel_send(msg_id)

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
                "attachment": attachments.stored(msg.body),
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

    # ------------------------------------------------------------------ reading

    def mark_read(
        self, conversation_id: str, up_to: int | None, seen: Iterable[str] = ()
    ) -> list[ChatMessage]:
        """The person read this conversation: everything in it up to conv_seq `up_to`
        (a watermark: None for none; capped at the newest message this device holds,
        so a bound above every seq reads all it holds), and the messages `seen`, one
        by one. The receipts that are due go out: with `require_ack` on, a
        conversation ack for the watermark, a message ack for each one-to-one message
        above it (a receipt only if the sender asked for one), a group ack for each
        group message that asked for read receipts; with it off, the same reads go
        to this user's other devices and the server only, and no group ack. Recalled
        messages are never acked.

        One local transaction; returns the messages it marked read (also sent to
        `on_messages_marked_read`). The acks go out through the outbox, batched."""
        ids = list(dict.fromkeys(seen))
        found = {m.msg_id: m for m in self._client.require_store().messages(ids)}
        messages = [found[i] for i in ids if i in found]
        return self._read(conversation_id, up_to, messages, self._client.options.require_ack)

    def _read(
        self,
        conversation_id: str,
        up_to: int | None,
        seen: list[ChatMessage],
        notify: bool,
        note: str | None = None,
        confirm: bool = False,
    ) -> list[ChatMessage]:
        """The one place that decides what a read sends (see `mark_read`): one local
        transaction, then the notifications and the outbox's kick."""
        client = self._client
        store = client.require_store()
        now = now_ms()
        bound = None
        if up_to is not None:
            # Never a bound past what this device received: the server may hold more.
            bound = min(up_to, store.newest_received_seq(conversation_id))
        try:
            changed, acks, urgent = self._read_one_by_one(
                conversation_id, seen, bound, notify, (note, confirm), now
            )
            unread = None  # the conversation's new unread count, if it changed
            if bound is not None:
                by_watermark, unread = self._read_up_to(conversation_id, bound, notify, now)
                changed += by_watermark
                urgent = True
            elif changed:  # read one by one: one-to-one acks, group acks
                unread = max(0, store.unread_count(conversation_id) - len(changed))
            if unread is not None:
                store.set_unread(conversation_id, unread)
            store.commit()
        except Exception:
            store.rollback()
            raise
        if unread is not None:
            client.notifier.queue("on_conversation_updated", conversation_id, unread)
        if changed:
            client.notifier.queue("on_messages_marked_read", changed)
        if urgent or acks:
            client.outbox.kick(delay=not urgent)
        return changed

    def _read_one_by_one(
        self,
        conversation_id: str,
        seen: list[ChatMessage],
        bound: int | None,
        notify: bool,
        note: tuple[str | None, bool],
        now: int,
    ) -> tuple[list[ChatMessage], int, bool]:
        """The messages read one by one (in the open transaction): those newly read,
        how many one-to-one message acks were queued, and whether a group ack was.
        `note` is a group ack's (note, confirm)."""
        store = self._client.require_store()
        changed: list[ChatMessage] = []
        acks = 0
        group_ack = False
        for message in seen:
            if (
                message.direction is not MessageDirection.RECEIVE
                or message.conversation_id != conversation_id
                or message.recalled
            ):
                continue
            if message.is_group:
                if not (message.need_group_ack and notify):
                    continue  # read with the conversation, by the watermark
                content, confirm = note
                if confirm or not store.outbox_confirm_pending(message.msg_id):
                    payload: dict[str, object] = {"group_id": conversation_id, "content": content}
                    if confirm:
                        payload["confirm"] = True
                    store.outbox_add("group_read_ack", message.msg_id, payload, now)
                group_ack = True
            elif message.recipient_read or (bound is not None and 0 < message.conv_seq <= bound):
                continue  # read already (never receipted later), or by the watermark
            else:
                # A receipt only if the sender asked for one; else a private read.
                payload = {"notify": notify and message.need_read_ack}
                store.outbox_add("read_ack", message.msg_id, payload, now)
                acks += 1
            if not message.recipient_read:
                message.recipient_read = True
                store.save_message(message)
                changed.append(message)
        return changed, acks, group_ack

    def _read_up_to(
        self, conversation_id: str, bound: int, notify: bool, now: int
    ) -> tuple[list[ChatMessage], int]:
        """The watermark (in the open transaction): what it marked read, and how many
        messages this device still holds unread in the conversation."""
        store = self._client.require_store()
        by_watermark = store.unread_received(conversation_id, bound)
        unread = store.mark_received_read(conversation_id, bound, read_ack_sent=notify)
        for message in by_watermark:
            message.recipient_read = True
            message.read_ack_sent = message.read_ack_sent or notify
        # A private read and a receipted one are separate entries: a later receipt
        # must not replace (and so receipt) what was read privately.
        key = conversation_id if notify else f"{conversation_id}{PRIVATE_KEY_SUFFIX}"
        payload = {"notify": notify, "read_upto": bound, "conversation_id": conversation_id}
        store.outbox_add("conversation_read_ack", key, payload, now)
        return by_watermark, unread

    # The SDK's calls, each a read of one kind through `_read`.

    def _received(self, msg: ChatMessage | str) -> ChatMessage:
        """The stored copy of a message this user received (one SELECT)."""
        msg_id = msg if isinstance(msg, str) else msg.msg_id
        stored = self._client.require_store().message(msg_id)
        if stored is None:
            raise ChatError(ChatErrorCode.MESSAGE_NOT_FOUND, f"no message {msg_id} on this device")
        if stored.direction is MessageDirection.SEND:
            raise ChatError(ChatErrorCode.CANNOT_ACK_OWN_MESSAGE, "you cannot ack your own message")
        return stored

    def _one_to_one(self, msg: ChatMessage) -> ChatMessage | None:
        """The received one-to-one message to ack; None if it was recalled."""
        stored = self._received(msg)
        if stored.recalled:
            return None
        if stored.is_group:
            raise ChatError(
                ChatErrorCode.INVALID_PARAM,
                "for group messages use send_group_message_read_ack",
            )
        return stored

    async def send_message_read_ack(self, msg: ChatMessage) -> bool:
        """Tell the sender `msg` was read. False (nothing sent) when require_ack is off
        or the message was recalled."""
        if not self._client.options.require_ack:
            return False
        stored = self._one_to_one(msg)
        if stored is None:
            return False
        self._read(stored.conversation_id, None, [stored], notify=True)
        return True

    async def mark_message_read_locally(self, msg: ChatMessage) -> None:
        """Read on this user's devices (the badge drops everywhere); no receipt to anyone.
        A recalled message is never unread: nothing to do."""
        stored = self._one_to_one(msg)
        if stored is not None:
            self._read(stored.conversation_id, None, [stored], notify=False)

    async def send_conversation_read_ack(
        self, conversation_id: str, read_upto: int | None = None
    ) -> bool:
        """Mark the conversation read up to `read_upto` (the conv_seq of the last message
        the person saw; by default the newest one this device holds) and tell the peer.
        Nothing after the bound is read. False when require_ack is off."""
        if not self._client.options.require_ack:
            return False
        self._read(conversation_id, _bound(read_upto), [], notify=True)
        return True

    async def mark_conversation_read_locally(
        self, conversation_id: str, read_upto: int | None = None
    ) -> None:
        """Read on this user's devices (badges agree everywhere); no receipt to anyone."""
        self._read(conversation_id, _bound(read_upto), [], notify=False)

    async def send_group_message_read_ack(
        self, msg_id: str, group_id: str, content: str | None = None, *, confirm: bool = False
    ) -> bool:
        """Ack a group message that asked for read receipts, with an optional short note.

        `confirm`: the person confirms it (an explicit act: "OK", "收到"), even when it
        was read already; the note goes with the confirm, and the sender sees it live.
        The reply sets the message's `confirmed_at` and `confirm_note` here (told by
        `on_message_status_changed`); the user's other devices learn it too.

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
        self._read(group_id, None, [stored], notify=True, note=content, confirm=confirm)
        waiter = client.outbox.waiter("group_read_ack", msg_id)
        if client.is_connected:
            with contextlib.suppress(TimeoutError):
                await wait_shared(waiter, client.options.send_timeout_seconds)
        return True

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
        self, conversation_id: str, before_time: Before, count: int
    ) -> list[ChatMessage]:
        return self._client.require_store().conversation_messages(
            conversation_id, before_time, count
        )

    def total_unread_count(self) -> int:
        return self._client.require_store().total_unread()
