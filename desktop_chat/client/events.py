"""Event handlers, kept under unique ids, and their dispatch.

Owns: `ChatEventHandler` (the SDK's receipt and message callbacks, plus a few the
desktop app needs), `ConnectionEventHandler`, each callback with the types it is
called with (`callback_args`: the Qt bridge builds its signals from them, so a new
callback is one line here), and `HandlerRegistry`, the one
registry both use: `add(handler_id, handler)`, `remove(handler_id)`,
`dispatch(name, *args)`. A callback may be a plain function or a coroutine
function. A callback that raises is logged and never stops the others.

Never: decide when events happen (the client core does), or import Qt.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Annotated, Any, Generic, TypeVar, get_type_hints

log = logging.getLogger(__name__)

Callback = Callable[..., Any] | None


class Takes:
    """What a callback is called with: `Annotated[Callback, Takes(str, int)]` (the Qt
    bridge builds the signal of the same name from these types)."""

    def __init__(self, *types: type) -> None:
        self.types = types


@dataclass
class ChatEventHandler:
    """Callbacks for messages and receipts. Each is optional; the comment above each
    names what its values are."""

    # (msgs: list[ChatMessage])
    on_messages_received: Annotated[Callback, Takes(list)] = None
    on_messages_delivered: Annotated[Callback, Takes(list)] = None
    on_messages_read: Annotated[Callback, Takes(list)] = None
    # (from_: str, to: str)
    on_conversation_read: Annotated[Callback, Takes(str, str)] = None
    # (acks: list[GroupMessageAck])
    on_group_message_read: Annotated[Callback, Takes(list)] = None
    # ()
    on_read_ack_for_group_message_updated: Annotated[Callback, Takes()] = None
    # Beyond the SDK's list, for apps:
    # (msg: ChatMessage): pending -> sent/failed; also a received group message this
    # user confirmed (its `confirmed_at`, `confirm_note`), on this device or another
    on_message_status_changed: Annotated[Callback, Takes(object)] = None
    # (msg_id: str, done: int, total: int): bytes of an outgoing file the server holds,
    # told when its upload begins (a resumed one starts where the server's copy ends)
    # and after each chunk; only the newest per message in one flush
    on_message_progress: Annotated[Callback, Takes(str, int, int)] = None
    # (msgs: list[ChatMessage]): read on this device (ChatManager.mark_read)
    on_messages_marked_read: Annotated[Callback, Takes(list)] = None
    # (msgs: list[ChatMessage])
    on_group_messages_delivered: Annotated[Callback, Takes(list)] = None
    # (conversation_id: str, unread_count: int)
    on_conversation_updated: Annotated[Callback, Takes(str, int)] = None
    # (change: str, group: Group, members: list[str]); change is also "pinned" or
    # "unpinned" (the group's pinned notice, `Group.pinned_*`; members [])
    on_group_changed: Annotated[Callback, Takes(str, object, list)] = None
    # (msg_id: str, group_id: str, from_: str)
    on_group_ack_reminder: Annotated[Callback, Takes(str, str, str)] = None
    # Everyday messaging (every device of both sides, the acting one included):
    # (msgs: list[ChatMessage]), text dropped
    on_message_recalled: Annotated[Callback, Takes(list)] = None
    # (msg: ChatMessage, operator_id: str, operation_time: int)
    on_message_content_changed: Annotated[Callback, Takes(object, str, int)] = None
    # (conversation_id: str, muted: bool)
    on_conversation_muted: Annotated[Callback, Takes(str, bool)] = None
    # (conversation_id: str, from_: str): live only, never stored
    on_typing: Annotated[Callback, Takes(str, str)] = None
    # (event: protocol BadEvent): a logged event this client cannot read; the client
    # moved past its seq knowingly (told here and in the log, never skipped silently)
    on_bad_event: Annotated[Callback, Takes(object)] = None


@dataclass
class ConnectionEventHandler:
    # ()
    on_connected: Annotated[Callback, Takes()] = None
    on_disconnected: Annotated[Callback, Takes()] = None
    on_token_did_expire: Annotated[Callback, Takes()] = None
    # (error: ChatError): a background failure worth showing
    on_error: Annotated[Callback, Takes(object)] = None


def callback_args(
    kind: type[ChatEventHandler | ConnectionEventHandler],
) -> dict[str, tuple[type, ...]]:
    """Each callback of a handler class, in order, with the types it is called with."""
    hints = get_type_hints(kind, include_extras=True)
    return {
        f.name: next(m.types for m in hints[f.name].__metadata__ if isinstance(m, Takes))
        for f in fields(kind)
    }


H = TypeVar("H", ChatEventHandler, ConnectionEventHandler)


class HandlerRegistry(Generic[H]):
    def __init__(self, kind: type[H]) -> None:
        self._kind: type[H] = kind
        self._names = {f.name for f in fields(kind)}
        self._handlers: dict[str, H] = {}
        self._tasks: set[asyncio.Future[Any]] = set()

    def add(self, handler_id: str, handler: H) -> None:
        if not isinstance(handler, self._kind):
            raise TypeError(f"expected a {self._kind.__name__}")
        if handler_id in self._handlers:
            raise ValueError(f"a handler with id {handler_id!r} is already added")
        self._handlers[handler_id] = handler

    def remove(self, handler_id: str) -> None:
        self._handlers.pop(handler_id, None)

    def __len__(self) -> int:
        return len(self._handlers)

    def dispatch(self, name: str, *args: Any) -> None:
        assert name in self._names, name
        for handler_id, handler in list(self._handlers.items()):
            callback = getattr(handler, name)
            if callback is None:
                continue
            try:
                result = callback(*args)
            except Exception:
                log.exception("event handler %r failed in %s", handler_id, name)
                continue
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._finished(handler_id, name))

    def _finished(self, handler_id: str, name: str) -> Callable[[asyncio.Future[Any]], None]:
        def done(task: asyncio.Future[Any]) -> None:
            self._tasks.discard(task)
            if not task.cancelled() and task.exception() is not None:
                log.error(
                    "event handler %r failed in %s",
                    handler_id,
                    name,
                    exc_info=task.exception(),
                )

        return done


class Notifier:
    """Coalesces notifications raised while applying events; dispatches them once.

    List callbacks (`on_messages_read`, `on_group_message_read`, ...) queued in the
    same event-loop iteration are merged into one call, so a burst of 500 receipts
    costs one callback, not 500. Others keep their order; `on_conversation_updated`
    keeps only the newest count per conversation, and `on_message_progress` only the
    newest (done, total) per message (told before the others, so a message's status
    change comes after its last progress).
    """

    MERGED = frozenset(
        {
            "on_messages_received",
            "on_messages_delivered",
            "on_messages_read",
            "on_messages_marked_read",
            "on_group_message_read",
            "on_group_messages_delivered",
            "on_message_recalled",
        }
    )

    def __init__(self, registry: HandlerRegistry[ChatEventHandler]) -> None:
        self._registry = registry
        self._lists: dict[str, list[Any]] = {}
        self._singles: list[tuple[str, tuple[Any, ...]]] = []
        self._unread: dict[str, int] = {}
        self._progress: dict[str, tuple[int, int]] = {}
        self._group_ack_updated = False
        self._scheduled = False

    def queue(self, name: str, *args: Any) -> None:
        if name in self.MERGED:
            (items,) = args
            self._lists.setdefault(name, []).extend(items)
        elif name == "on_conversation_updated":
            conversation_id, unread = args
            self._unread.pop(conversation_id, None)
            self._unread[conversation_id] = unread
        elif name == "on_message_progress":
            msg_id, done, total = args
            self._progress[msg_id] = (done, total)
        elif name == "on_read_ack_for_group_message_updated":
            self._group_ack_updated = True
        else:
            self._singles.append((name, args))
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        self._scheduled = False
        lists, self._lists = self._lists, {}
        singles, self._singles = self._singles, []
        unread, self._unread = self._unread, {}
        progress, self._progress = self._progress, {}
        group_ack_updated, self._group_ack_updated = self._group_ack_updated, False
        for name, items in lists.items():
            self._registry.dispatch(name, _dedupe(items))
        for msg_id, (done, total) in progress.items():
            self._registry.dispatch("on_message_progress", msg_id, done, total)
        for name, args in singles:
            self._registry.dispatch(name, *args)
        if group_ack_updated:
            self._registry.dispatch("on_read_ack_for_group_message_updated")
        for conversation_id, count in unread.items():
            self._registry.dispatch("on_conversation_updated", conversation_id, count)


def _dedupe(items: list[Any]) -> list[Any]:
    """Keep the newest copy of each message (by msg_id) or group ack (by ack_id: a
    confirm after a read replaces it); other items as they are."""
    if not items:
        return items
    key = next((name for name in ("msg_id", "ack_id") if hasattr(items[0], name)), None)
    if key is None:
        return items
    newest: dict[str, Any] = {}
    for item in items:
        newest.pop(getattr(item, key), None)
        newest[getattr(item, key)] = item
    return list(newest.values())
