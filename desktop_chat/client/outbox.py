"""Sending what the outbox holds: messages first, then acks, batched.

Owns: `OutboxSender`, which drains the local store's outbox over the current
connection. Messages go one frame each, in the order they were written (a
resend after a reconnect is harmless: the server knows the msg_id), except that a
message whose file is still going up (`upload_lane.UploadLane`, one file at a time)
waits while the entries after it go on. Delivery
and read acks issued within `ack_batch_seconds` go out together, up to the
server's `max_ack_batch` ids a frame (`limits`, from its hello_ok). Conversation
and group acks go one frame each.

An entry leaves the outbox once the server has answered it: confirmed, or
refused for good (the message is then marked failed, or the refusal is
reported). A transient failure (no connection, a timeout, a full server disk)
leaves it in place for the next try. A file message's upload reports its
progress (`on_message_progress`: the bytes the server holds, when it begins and
after each chunk).

`cancel_send` takes a message's send out before the server has it: it is marked
failed (a retry resends it, a file from where the server's copy ends), and an
upload of it running now stops before its next chunk; the drain goes on with the
entries after it. Once its `send` frame is on its way it can no longer be
cancelled.

Its task ends when cancelled (a cancel is never taken for a transient failure);
`close` fails the waiters left with CLIENT_CLOSED, and `abandon` does the same
without awaiting, for cleanup that must not wait.

Never: decide what to send (the managers write the outbox), or run two drains
at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from desktop_chat.client.attachments import from_stored, to_wire, upload
from desktop_chat.client.cancelling import raise_if_cancelling
from desktop_chat.client.errors import ChatError, ChatErrorCode
from desktop_chat.client.events import Notifier
from desktop_chat.client.local_store import LocalStore, OutboxEntry
from desktop_chat.client.models import FileMessageBody
from desktop_chat.client.upload_lane import UploadLane
from desktop_chat.protocol import Mark, MarkEvent, advance, default_limits
from desktop_chat.protocol import frames as f

log = logging.getLogger(__name__)

TRANSIENT = frozenset(
    {
        ChatErrorCode.NETWORK_ERROR,
        ChatErrorCode.TIMEOUT,
        ChatErrorCode.STORAGE_UNAVAILABLE,
        ChatErrorCode.SERVER_BUSY,
        ChatErrorCode.RATE_LIMITED,
        ChatErrorCode.UPLOAD_RATE_LIMITED,
        ChatErrorCode.CLIENT_CLOSED,
        ChatErrorCode.NOT_LOGGED_IN,
        ChatErrorCode.PROTOCOL_ERROR,  # a reply that cannot be read: as a timeout
    }
)
# Transient refusals that can last: the app is told once, when the first one comes.
OUTAGES = frozenset({ChatErrorCode.STORAGE_UNAVAILABLE, ChatErrorCode.SERVER_BUSY})
RETRY_SECONDS = 1.0


@dataclass
class _Sending:
    """The send of one message running now: cancelled (stop it), or past cancelling
    (its `send` frame is on its way)."""

    cancelled: bool = False
    frame_sent: bool = False


class OutboxSender:
    def __init__(
        self,
        store: LocalStore,
        request: Callable[[Any], Any],
        is_connected: Callable[[], bool],
        notifier: Notifier,
        report: Callable[[ChatError], None],
        batch_seconds: float,
        limits: Callable[[], f.Limits] = default_limits,
    ) -> None:
        self.store = store
        self._request = request
        self._is_connected = is_connected
        self._notifier = notifier
        self._report = report
        self._batch_seconds = batch_seconds
        self._limits = limits
        self._wanted = asyncio.Event()
        self._waiters: dict[tuple[str, str], asyncio.Future[Any]] = {}
        self._sending: dict[str, _Sending] = {}
        # Files go up beside the drain: what is written after a big file goes first.
        self._lane = UploadLane(
            request,
            self._limits,
            notifier,
            transient=TRANSIENT,
            refused=self._failed,
            done=lambda: self.kick(delay=False),
            retry_seconds=RETRY_SECONDS,
        )
        self._task = asyncio.create_task(self._run())
        self._outage_told = False
        self.frames = 0

    def kick(self, delay: bool = True) -> None:
        """Something was added: drain soon (after the batching window when `delay`)."""
        if delay and self._batch_seconds > 0:
            asyncio.get_running_loop().call_later(self._batch_seconds, self._wanted.set)
        else:
            self._wanted.set()

    def waiter(self, kind: str, key: str) -> asyncio.Future[Any]:
        """A future resolved when the entry (kind, key) is answered by the server."""
        future = self._waiters.get((kind, key))
        if future is None or future.done():
            future = asyncio.get_running_loop().create_future()
            # A caller that stopped waiting (a timeout) must not leave an unread error.
            future.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._waiters[(kind, key)] = future
        return future

    def _resolve(
        self, kind: str, key: str, result: Any = None, error: Exception | None = None
    ) -> None:
        future = self._waiters.pop((kind, key), None)
        if future is None or future.done():
            if error is not None and not isinstance(error, ChatError):
                log.error("outbox %s %s failed: %s", kind, key, error)
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    async def close(self) -> None:
        """Stop sending and fail every waiter with CLIENT_CLOSED; a cancel of the
        caller propagates (the sending task is stopped all the same)."""
        self._task.cancel()
        self._lane.close()
        try:
            await asyncio.wait([self._task])  # its own cancel is not the caller's
        finally:
            self.abandon()

    def abandon(self) -> None:
        """Stop at once, without waiting (cleanup that must not await)."""
        self._task.cancel()
        self._lane.close()
        for future in self._waiters.values():
            if not future.done():
                future.set_exception(
                    ChatError(ChatErrorCode.CLIENT_CLOSED, "the client was closed")
                )

    async def _run(self) -> None:
        while True:
            raise_if_cancelling()
            await self._wanted.wait()
            self._wanted.clear()
            if not self._is_connected():
                continue
            try:
                await self.drain()
                self._outage_told = False
            except ChatError as exc:
                if exc.code in TRANSIENT:
                    if exc.code in OUTAGES and not self._outage_told:
                        # Once per outage: the person learns why nothing goes out, and
                        # that it will by itself.
                        self._outage_told = True
                        self._report(exc)
                    if self._is_connected():
                        asyncio.get_running_loop().call_later(RETRY_SECONDS, self._wanted.set)
                    continue
                log.error("outbox drain failed: %s", exc)
            except Exception:
                log.exception("outbox drain failed")

    async def drain(self) -> None:
        """Send everything in the outbox, oldest first; raises on a transient failure."""
        while True:
            queued = self.store.outbox(limit=self._limits().max_ack_batch)
            # A send whose file is still going up waits; the entries after it go on.
            entries = [e for e in queued if not self._lane.waiting(e)]
            if not entries:
                return
            kind = entries[0].kind
            if kind in ("delivery_ack", "read_ack"):
                same = [e for e in entries if e.kind == kind]
                await self._acks(kind, same)
            else:
                await getattr(self, f"_{kind}")(entries[0])

    def _forget(self, entries: list[OutboxEntry]) -> None:
        self.store.outbox_remove([e.id for e in entries])
        self.store.commit()

    async def _body(
        self, key: str, payload: dict[str, Any], sending: _Sending
    ) -> f.MessageBody | None:
        """The body to send; a file's is uploaded first (from where the server's copy
        ends: a send cut by a lost connection or a restart resumes there). None: the
        send was cancelled during the upload."""
        attachment = payload.get("attachment")
        if attachment is None:
            return f.TextBody(payload["text"])
        body = from_stored(payload["text"], attachment)
        assert isinstance(body, FileMessageBody)

        def progress(done: int, total: int) -> None:
            if not sending.cancelled:
                self._notifier.queue("on_message_progress", key, done, total)

        limits = self._limits()
        if not await upload(
            self._request,
            body,
            limits.max_chunk_bytes,
            progress,
            lambda: sending.cancelled,
            prefix=limits.upload_prefix_sha256,
        ):
            return None
        return to_wire(body)

    async def _send(self, entry: OutboxEntry) -> None:
        sending = self._sending[entry.key] = _Sending()
        try:
            await self._send_entry(entry, sending)
        finally:
            if self._sending.get(entry.key) is sending:
                del self._sending[entry.key]

    async def _send_entry(self, entry: OutboxEntry, sending: _Sending) -> None:
        payload = entry.payload
        try:
            body = await self._body(entry.key, payload, sending)
        except ChatError as exc:
            if sending.cancelled:
                return  # out of the outbox already: on to the next entry
            if exc.code in TRANSIENT:
                raise
            self._failed(entry, exc)
            return
        if body is None or sending.cancelled:
            return
        frame = f.SendMessage(
            id="",
            msg_id=entry.key,
            chat_type=payload["chat_type"],
            to=payload["to"],
            body=body,
            local_time=payload["local_time"],
            need_delivery_ack=payload["need_delivery_ack"],
            need_read_ack=payload["need_read_ack"],
            need_group_ack=payload["need_group_ack"],
            # Entries written before replies existed have no reply_to.
            reply_to=payload.get("reply_to"),
        )
        sending.frame_sent = True
        try:
            self.frames += 1
            reply: f.SendOk = await self._request(frame)
        except ChatError as exc:
            if exc.code in TRANSIENT:
                raise
            self._failed(entry, exc)
            return
        message = self.store.message(entry.key)
        if message is not None:
            message.mark = advance(message.mark, MarkEvent.STORED)
            message.server_time = reply.server_time
            message.conv_seq = reply.conv_seq
            message.group_member_count = reply.group_member_count
            self.store.save_message(message)
            self._notifier.queue("on_message_status_changed", message)
        self._forget([entry])
        self._lane.sent(entry.key)
        self._resolve("send", entry.key, message)

    def cancel_send(self, msg_id: str) -> bool:
        """Take the send of `msg_id` out of the outbox and mark the message failed; an
        upload of it running now stops before its next chunk, and a `send_message`
        still waiting for it returns it failed. False (nothing changed) if no send of
        it is queued, or its `send` frame is on its way already."""
        if not self.drop_send(msg_id):
            return False
        message = self.store.message(msg_id)
        if message is not None:
            message.mark = advance(message.mark, MarkEvent.SEND_FAILED)
            self.store.save_message(message)
        self.store.commit()
        if message is not None:
            self._notifier.queue("on_message_status_changed", message)
        self._resolve("send", msg_id, message)
        return True

    def drop_send(self, msg_id: str) -> bool:
        """Take the send of `msg_id` out of the outbox, its upload stopped before its
        next chunk, the message left as it is (`cancel_send` marks it failed; a delete
        removes it). False if none is queued, or its `send` frame is on its way."""
        sending = self._sending.get(msg_id)
        if sending is not None and sending.frame_sent:
            return False
        if not self.store.outbox_discard(msg_id, ("send",)):
            return False
        if sending is not None:
            sending.cancelled = True
        self._lane.cancel(msg_id)
        return True

    def delete_send(self, msg_id: str) -> None:
        """A message deleted on this device: its send (if not on its way) is dropped,
        and a `send_message` waiting for it returns now, its message as it was."""
        if self.drop_send(msg_id):
            self._resolve("send", msg_id, None)

    def _failed(self, entry: OutboxEntry, exc: ChatError) -> None:
        """A send refused for good: the message shows failed (a red ! to retry)."""
        message = self.store.message(entry.key)
        if message is not None:
            message.mark = advance(message.mark, MarkEvent.SEND_FAILED)
            self.store.save_message(message)
            self._notifier.queue("on_message_status_changed", message)
        self._forget([entry])
        self._lane.sent(entry.key)
        self._resolve("send", entry.key, error=exc)

    async def _acks(self, kind: str, entries: list[OutboxEntry]) -> None:
        by_notify: dict[bool, list[OutboxEntry]] = {}
        for entry in entries:
            by_notify.setdefault(bool(entry.payload.get("notify", True)), []).append(entry)
        for notify, group in by_notify.items():
            ids = [e.key for e in group]
            frame = (
                f.DeliveryAck(id="", msg_ids=ids)
                if kind == "delivery_ack"
                else f.ReadAck(id="", msg_ids=ids, notify=notify)
            )
            try:
                self.frames += 1
                await self._request(frame)
            except ChatError as exc:
                if exc.code in TRANSIENT:
                    raise
                # Refused ids are refused for good; the rest were applied.
                rejected = (exc.details or {}).get("rejected", [])
                log.warning("%s: %d ids refused: %s", kind, len(rejected) or len(ids), exc)
                if not rejected:
                    self._report(exc)
            if notify:  # a private read (notify=False) is no receipt
                self._mark_sent(kind, ids)
            self._forget(group)

    def _mark_sent(self, kind: str, ids: list[str]) -> None:
        for message in self.store.messages(ids):
            if kind == "delivery_ack":
                message.deliver_ack_sent = True
            else:
                message.read_ack_sent = True
            self.store.save_message(message)

    async def _conversation_read_ack(self, entry: OutboxEntry) -> None:
        payload = entry.payload
        conversation_id = payload.get("conversation_id", entry.key)
        frame = f.ConversationReadAck(
            id="",
            conversation_id=conversation_id,
            notify=bool(payload.get("notify", True)),
            read_upto=payload.get("read_upto"),
        )
        # The reply's unread count is the server's when it handled the ack: messages this
        # device has since read, or not yet received, would make it wrong here. The
        # device's own count (set when the ack was queued) stays.
        try:
            self.frames += 1
            await self._request(frame)
        except ChatError as exc:
            if exc.code in TRANSIENT:
                raise
            self._report(exc)
        self._forget([entry])

    async def _group_read_ack(self, entry: OutboxEntry) -> None:
        payload = entry.payload
        frame = f.GroupReadAck(
            id="",
            group_id=payload["group_id"],
            msg_id=entry.key,
            content=payload.get("content"),
            confirm=bool(payload.get("confirm", False)),
        )
        try:
            self.frames += 1
            reply: f.GroupAckOk = await self._request(frame)
        except ChatError as exc:
            if exc.code in TRANSIENT:
                raise
            self._forget([entry])
            if ("group_read_ack", entry.key) not in self._waiters:
                self._report(exc)  # a read in the app (mark_read): nobody waits for it
            self._resolve("group_read_ack", entry.key, error=exc)
            return
        message = self.store.message(entry.key)
        if message is not None:
            message.read_ack_sent = True
            confirmed = reply.confirmed_at is not None and message.confirmed_at is None
            if confirmed:  # this user's confirm, as the server keeps it
                message.confirmed_at, message.confirm_note = reply.confirmed_at, reply.confirm_note
            message.group_confirm_count = max(message.group_confirm_count, reply.confirm_count)
            self.store.save_message(message)
            if confirmed:
                self._notifier.queue("on_message_status_changed", message)
        self._forget([entry])
        self._resolve("group_read_ack", entry.key, reply)


__all__ = ["Mark", "OutboxSender"]
