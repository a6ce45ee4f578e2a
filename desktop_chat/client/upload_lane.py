"""Files of queued messages, uploaded beside the outbox's drain: a text sent after a
big file does not wait for it.

Owns: `UploadLane`, which uploads the file of one queued `send` at a time (the
oldest first) while the outbox goes on with the entries after it. `waiting(entry)`
is True while an entry's file is not on the server yet (starting its upload when
the lane is free); once it is, the outbox sends the message, whose upload then
finds the server's copy complete and sends no chunk. So the message of a file
gets its server time once its file is up: a text written after it, sent before it,
stays above it, as every messenger shows it. An upload reports its progress
(`on_message_progress`); `cancel(msg_id)` stops it before its next chunk; a
transient failure (the connection went) is tried again on the next drain after
`retry_seconds`; a refusal for good (a limit) goes to `refused`, which marks the
message failed.

Never: send a message frame, remove an outbox entry itself, or run two uploads at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from desktop_chat.client.attachments import Request, from_stored, upload
from desktop_chat.client.errors import ChatError
from desktop_chat.client.events import Notifier
from desktop_chat.client.local_store import OutboxEntry
from desktop_chat.client.models import FileMessageBody
from desktop_chat.protocol import frames as f

log = logging.getLogger(__name__)


class UploadLane:
    def __init__(
        self,
        request: Request[Any],
        limits: Callable[[], f.Limits],
        notifier: Notifier,
        *,
        transient: frozenset[object],  # the codes a retry may cure
        refused: Callable[[OutboxEntry, ChatError], None],
        done: Callable[[], None],
        retry_seconds: float = 1.0,
    ) -> None:
        self._request = request
        self._limits = limits
        self._notifier = notifier
        self._transient = transient
        self._refused = refused
        self._done = done
        self._retry_seconds = retry_seconds
        self._task: asyncio.Task[None] | None = None
        self._key: str | None = None
        self._stop = False
        self._retry_at: dict[str, float] = {}
        self._wake: asyncio.TimerHandle | None = None
        self.ready: set[str] = set()  # msg_ids whose file the server holds whole

    def waiting(self, entry: OutboxEntry) -> bool:
        """Whether `entry` waits for its file to be uploaded (its upload is started
        when the lane is free)."""
        if entry.kind != "send" or entry.payload.get("attachment") is None:
            return False
        if entry.key in self.ready:
            return False
        if self._task is None or self._task.done():
            loop = asyncio.get_running_loop()
            retry_at = self._retry_at.get(entry.key, 0.0)
            if retry_at <= loop.time():
                self._key, self._stop = entry.key, False
                self._task = loop.create_task(self._upload(entry))
            elif self._wake is None:
                # A timer may fire a little early (Qt's are coarse): wake again then.
                self._wake = loop.call_at(retry_at + 0.01, self._woken)
        return True

    def _woken(self) -> None:
        self._wake = None
        self._done()

    def cancel(self, msg_id: str) -> None:
        """Stop the upload of `msg_id` before its next chunk, if it is running."""
        self.ready.discard(msg_id)
        self._retry_at.pop(msg_id, None)
        if self._key == msg_id:
            self._stop = True

    def sent(self, msg_id: str) -> None:
        """Its message went (or failed for good): forget it."""
        self.ready.discard(msg_id)
        self._retry_at.pop(msg_id, None)

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._wake is not None:
            self._wake.cancel()

    async def _upload(self, entry: OutboxEntry) -> None:
        key = entry.key
        body = from_stored(entry.payload["text"], entry.payload["attachment"])
        assert isinstance(body, FileMessageBody)

        def progress(done: int, total: int) -> None:
            if not self._stop:
                self._notifier.queue("on_message_progress", key, done, total)

        try:
            limits = self._limits()
            chunk, prefix = limits.max_chunk_bytes, limits.upload_prefix_sha256
            if await upload(self._request, body, chunk, progress, self._stopped, prefix=prefix):
                self.ready.add(key)
        except ChatError as exc:
            if not self._stop:
                if exc.code in self._transient:
                    log.info("upload of %s paused: %s", key, exc)
                    loop = asyncio.get_running_loop()
                    self._retry_at[key] = loop.time() + self._retry_seconds
                else:
                    self._refused(entry, exc)
        finally:
            self._task, self._key = None, None
            self._done()

    def _stopped(self) -> bool:
        return self._stop
